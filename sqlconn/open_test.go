package sqlconn

import (
	"context"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
)

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		dsn  string
		code cdcops.ErrorCode
	}{
		{"oracle://scott:tiger@db/x", cdcops.EINVALID},
		{"no-scheme", cdcops.EINVALID},
		{"postgres://app:s3cret@127.0.0.1:1/x?connect_timeout=2", cdcops.EUNAVAILABLE},
		{"mysql://root:s3cret@127.0.0.1:1/x?timeout=2s", cdcops.EUNAVAILABLE},
	}
	for _, tt := range tests {
		_, err := Open(context.Background(), tt.dsn)
		if err == nil {
			t.Fatalf("Open(%s) succeeded", tt.dsn)
		}
		msg := err.Error()
		if cdcops.ErrorCodeOf(err) != tt.code || cdcops.HintOf(err) == "" {
			t.Errorf("Open(%s): code %s hint %q, want %s with a hint", tt.dsn, cdcops.ErrorCodeOf(err), cdcops.HintOf(err), tt.code)
		}
		if strings.Contains(msg, "s3cret") || strings.Contains(msg, "tiger") {
			t.Errorf("Open(%s) error prints the password: %s", tt.dsn, msg)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("Open(%s) error spans lines: %q", tt.dsn, msg)
		}
	}
}

func TestMySQLDriverDSN(t *testing.T) {
	got, err := MySQLDriverDSN("mysql://root:p%40ss@127.0.0.1/db?parseTime=true")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"root:p@ss@tcp(127.0.0.1:3306)/db", "parseTime=true"} {
		if !strings.Contains(got, want) {
			t.Errorf("MySQLDriverDSN = %q, missing %q", got, want)
		}
	}
}
