package cdcops

import (
	"errors"
	"io"
	"testing"
)

func TestErrorf(t *testing.T) {
	err := Errorf(EUNAVAILABLE, "check --bootstrap", "read offsets topic %q: %w", "connect-offsets", io.ErrUnexpectedEOF)
	if got, want := err.Error(), `read offsets topic "connect-offsets": unexpected EOF`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("cause lost: errors.Is fails")
	}
	if ErrorCodeOf(err) != EUNAVAILABLE || HintOf(err) != "check --bootstrap" {
		t.Errorf("code %q hint %q", ErrorCodeOf(err), HintOf(err))
	}
	if got := ErrorCodeOf(io.EOF); got != EINTERNAL {
		t.Errorf("plain error code = %q, want internal", got)
	}
}

func TestExitCodes(t *testing.T) {
	for code, want := range map[ErrorCode]int{EINVALID: 2, ECORRUPT: 1, ENOTFOUND: 3, EUNAVAILABLE: 3, ECONFLICT: 3, EINTERNAL: 3} {
		if got := code.ExitCode(); got != want {
			t.Errorf("%s.ExitCode() = %d, want %d", code, got, want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	tests := map[string]string{
		"postgres://app:s3cret@db:5432/x":           "postgres://app:xxxxx@db:5432/x",
		"mysql://root:p%40ss@127.0.0.1:3306/db":     "mysql://root:xxxxx@127.0.0.1:3306/db",
		"root:hunter2@tcp(127.0.0.1:3306)/db":       "root:xxxxx@tcp(127.0.0.1:3306)/db",
		"host=db user=app password=s3cret dbname=x": "host=db user=app password=xxxxx dbname=x",
		"postgres://app@db/x":                       "postgres://app@db/x",
		"sqlite://./state.db":                       "sqlite://./state.db",
	}
	for in, want := range tests {
		if got := RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTableRef(t *testing.T) {
	ok := map[string]TableRef{
		"orders":              {Name: "orders"},
		"public.orders":       {Schema: "public", Name: "orders"},
		`"my.schema"."a""b"`:  {Schema: "my.schema", Name: `a"b`},
		`"Mixed Case".orders`: {Schema: "Mixed Case", Name: "orders"},
	}
	for in, want := range ok {
		if got, err := ParseTableRef(in); err != nil || got != want {
			t.Errorf("ParseTableRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a.b.c", ".x", `"open`, "x."} {
		if _, err := ParseTableRef(bad); err == nil || ErrorCodeOf(err) != EINVALID {
			t.Errorf("ParseTableRef(%q) accepted or wrong code: %v", bad, err)
		}
	}
}
