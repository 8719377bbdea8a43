package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/sqlconn"
)

// Server DSNs, overridable for machines where the databases live elsewhere.
var (
	postgresAdmin = envOr("CDCOPS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	mysqlAdmin    = envOr("CDCOPS_TEST_MYSQL", "mysql://root@127.0.0.1:3306/")
)

const startHint = "run `make services` (scripts/services.sh installs and starts PostgreSQL and MariaDB)"

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// unavailable fails the test in CI and skips it elsewhere.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	Missing(t, what, fmt.Sprintf("unreachable (%v); %s", err, startHint))
}

// UniqueName returns a database name no other test run uses.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%d_%s", prefix, time.Now().Unix()%100000, hex.EncodeToString(b[:]))
}

// Postgres creates a fresh database and returns its postgres:// DSN.
func Postgres(t testing.TB) string {
	t.Helper()
	return createDB(t, "PostgreSQL", postgresAdmin, func(name string) string {
		return strings.Replace(postgresAdmin, "/postgres?", "/"+name+"?", 1)
	}, `CREATE DATABASE %s`, `DROP DATABASE IF EXISTS %s WITH (FORCE)`)
}

// MySQL creates a fresh MariaDB/MySQL database and returns its mysql:// DSN.
func MySQL(t testing.TB) string {
	t.Helper()
	return createDB(t, "MariaDB", mysqlAdmin, func(name string) string {
		return strings.TrimSuffix(mysqlAdmin, "/") + "/" + name
	}, "CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "DROP DATABASE IF EXISTS %s")
}

// SQLite returns a sqlite:// DSN for a new file in the test's temp dir.
func SQLite(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
}

func createDB(t testing.TB, what, adminDSN string, dsnFor func(string) string, create, drop string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sqlconn.Open(ctx, adminDSN)
	if err != nil {
		unavailable(t, what, err)
	}
	name := UniqueName("cdcops_test")
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(create, name)); err != nil {
		admin.Close()
		t.Fatalf("create %s database: %v", what, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(drop, name)); err != nil {
			t.Logf("drop %s database %s: %v", what, name, err)
		}
		admin.Close()
	})
	return dsnFor(name)
}

// Open opens dsn for a test and closes it at cleanup.
func Open(t testing.TB, dsn string) *sqlconn.DB {
	t.Helper()
	db, err := sqlconn.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
