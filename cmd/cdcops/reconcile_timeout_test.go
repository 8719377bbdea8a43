package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
)

// Issue 10 acceptance, as an operator types it: `reconcile --timeout 3s`
// with a --source-where that sleeps ends after about 3 s with one clear
// error line and a hint, exit 3, and leaves no state store behind.
func TestReconcileTimeoutCommand(t *testing.T) {
	pg := testenv.Postgres(t)
	p := testenv.Open(t, pg)
	if _, err := p.Exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sink := "sqlite://" + filepath.Join(dir, "sink.db")
	db := testenv.Open(t, sink)
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state", "state.db")
	start := time.Now()
	code, out, stderr := run(t, "--state", "sqlite://"+state, "reconcile", "--source", pg, "--sink", sink, "--table", "t",
		"--source-where", "pg_sleep(30) IS NOT NULL", "--timeout", "3s")
	took := time.Since(start)
	if code != 3 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "Error: reconcile timed out after 3s") || !strings.HasPrefix(lines[1], "Hint: ") {
		t.Fatalf("want one Error line saying 'timed out after 3s' and one Hint line:\n%s", stderr)
	}
	if took > 15*time.Second {
		t.Fatalf("took %s", took)
	}
	if _, err := os.Stat(state); err == nil {
		t.Fatal("a failed run created the state store")
	}
}
