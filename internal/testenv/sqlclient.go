package testenv

import (
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/sqlconn"
)

// RunSQLFile runs a SQL script through the engine's own command-line
// client (psql, mariadb, sqlite3), stopping at the first error, as an
// operator would run a script cdcops wrote. A missing client skips (or
// fails in CI) with the fix.
func RunSQLFile(t testing.TB, dsn, path string) {
	t.Helper()
	engine, err := sqlconn.EngineOf(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	switch engine {
	case sqlconn.Postgres:
		// libpq has no timezone URI parameter (pgx does); PGTZ sets it.
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		tz := q.Get("timezone")
		q.Del("timezone")
		u.RawQuery = q.Encode()
		cmd = exec.Command(client(t, "psql", "apt-get install postgresql-client"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", u.String(), "-f", path)
		if tz != "" {
			cmd.Env = append(os.Environ(), "PGTZ="+tz)
		}
	case sqlconn.MySQL:
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"--no-defaults", "-h", u.Hostname(), "-u", u.User.Username()}
		if p := u.Port(); p != "" {
			args = append(args, "-P", p)
		}
		if pw, ok := u.User.Password(); ok {
			args = append(args, "-p"+pw)
		}
		cmd = exec.Command(client(t, "mariadb", "apt-get install mariadb-client"), append(args, strings.TrimPrefix(u.Path, "/"))...)
	default:
		cmd = exec.Command(client(t, "sqlite3", "apt-get install sqlite3"), "-bail", sqlconn.SQLitePath(dsn))
	}
	if engine != sqlconn.Postgres {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cmd.Path, path, err, out)
	}
}

func client(t testing.TB, name, fix string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" (the "+name+" command-line client)", fix)
	}
	return p
}
