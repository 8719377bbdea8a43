package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
)

// sqlitePair makes source and sink SQLite files holding table t; the sink
// lacks the rows listed in missing.
func sqlitePair(t *testing.T, dir string, missing ...int) (src, dst string) {
	t.Helper()
	src, dst = "sqlite://"+filepath.Join(dir, "src.db"), "sqlite://"+filepath.Join(dir, "dst.db")
	for _, dsn := range []string{src, dst} {
		db := testenv.Open(t, dsn)
		if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
			t.Fatal(err)
		}
	rows:
		for i := 1; i <= 20; i++ {
			for _, m := range missing {
				if dsn == dst && i == m {
					continue rows
				}
			}
			if _, err := db.Exec("INSERT INTO t VALUES (?, ?)", i, fmt.Sprint("v", i)); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
	}
	return src, dst
}

func writeFile(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Bad window syntax, a lag limit without a replica, skip without --pairs
// and a primary passed as --source-replica: exit 2, one error line with a
// hint, no password, nothing created.
func TestReconcileBudgetRefusals(t *testing.T) {
	dir := t.TempDir()
	src, dst := sqlitePair(t, dir)
	primary := strings.Replace(testenv.Postgres(t), "postgres@", "postgres:s3cret-pw@", 1)
	db := testenv.Open(t, primary)
	if _, err := db.Exec("CREATE TABLE t (id int PRIMARY KEY, v text)"); err != nil {
		t.Fatal(err)
	}
	state := "sqlite://" + filepath.Join(dir, "state.db")
	pairs := func(name, body string) string {
		return writeFile(t, filepath.Join(dir, name), "source: "+src+"\nsink: "+dst+"\n"+body)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad day", []string{"--source", src, "--sink", dst, "--table", "t", "--window", "Mon-Fry 01:00-05:00"}, "invalid window"},
		{"bad zone", []string{"--source", src, "--sink", dst, "--table", "t", "--window", "01:00-05:00 Mars/Base"}, "invalid window"},
		{"bad window in defaults", []string{"--pairs", pairs("p1.yaml", "defaults:\n  window: \"25:00-26:00\"\npairs:\n  - table: t\n")}, "invalid window"},
		{"window as a map", []string{"--pairs", pairs("p2.yaml", "pairs:\n  - table: t\n    window: {from: 1}\n")}, "window"},
		{"bad window_end", []string{"--pairs", pairs("p3.yaml", "pairs:\n  - table: t\n    window: \"01:00-02:00\"\n    window_end: later\n")}, "window-end"},
		{"bad outside_window", []string{"--pairs", pairs("p4.yaml", "pairs:\n  - table: t\n    outside_window: maybe\n")}, "outside-window"},
		{"bad max_replica_lag", []string{"--pairs", pairs("p5.yaml", "pairs:\n  - table: t\n    source_replica: "+src+"\n    max_replica_lag: soon\n")}, "max_replica_lag"},
		{"lag without a replica", []string{"--source", src, "--sink", dst, "--table", "t", "--max-replica-lag", "30s"}, "--max-replica-lag"},
		{"skip without pairs", []string{"--source", src, "--sink", dst, "--table", "t", "--outside-window", "skip"}, "--pairs only"},
		{"primary as replica", []string{"--source-replica", primary, "--sink", dst, "--table", "t"}, "is not a replica"},
		{"sqlite as replica", []string{"--source-replica", src, "--sink", dst, "--table", "t"}, "is not a replica"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, append([]string{"--state", state, "reconcile"}, tc.args...)...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 2 || !strings.Contains(stderr, tc.want) || len(lines) != 2 || !strings.HasPrefix(lines[1], "Hint: ") {
				t.Fatalf("exit %d, want 2 with one error line (%q) and a hint\nstdout: %s\nstderr: %s", code, tc.want, out, stderr)
			}
			if strings.Contains(out+stderr, "s3cret-pw") {
				t.Fatalf("password printed: %s", stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); !os.IsNotExist(err) {
		t.Fatalf("a refused run created the state store (%v)", err)
	}
}

// hhmm is t's UTC wall time as HH:MM.
func hhmm(t time.Time) string { return t.UTC().Format("15:04") }

// With outside_window: skip, a pair whose window is closed now is skipped
// and reported as such (not a failure, not a difference); a pair whose
// window is open runs.
func TestReconcilePairsSkipsOutsideWindow(t *testing.T) {
	dir := t.TempDir()
	src, dst := sqlitePair(t, dir, 4)
	now := time.Now()
	open := hhmm(now.Add(-time.Hour)) + "-" + hhmm(now.Add(time.Hour)) + " UTC"
	closed := hhmm(now.Add(2*time.Hour)) + "-" + hhmm(now.Add(3*time.Hour)) + " UTC"
	pairs := writeFile(t, filepath.Join(dir, "pairs.yaml"), "source: "+src+"\nsink: "+dst+"\ndefaults:\n  outside_window: skip\npairs:\n"+
		"  - table: t\n    window: \""+open+"\"\n"+
		"  - table: t\n    sink_table: t\n    window: [\""+closed+"\", \"Sun 03:00-03:01 UTC\"]\n")
	code, out, stderr := run(t, "--state", "sqlite://"+filepath.Join(dir, "state.db"), "reconcile", "--pairs", pairs, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the open pair differs)\n%s\n%s", code, out, stderr)
	}
	if v := jsonStyleViolations([]byte(out)); len(v) > 0 {
		t.Fatalf("JSON style: %v\n%s", v, out)
	}
	var sum pairsSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Tables != 2 || len(sum.Results) != 1 || sum.Results[0].Missing != 1 || len(sum.Skipped) != 1 || sum.Failed != 0 ||
		!strings.Contains(sum.Skipped[0].Reason, closed) || sum.Skipped[0].NextOpen == "" {
		t.Fatalf("want one pair run (1 missing) and one skipped outside %q:\n%s", closed, out)
	}
	if _, err := time.Parse(time.RFC3339, sum.Skipped[0].NextOpen); err != nil {
		t.Fatalf("next_open %q: %v", sum.Skipped[0].NextOpen, err)
	}
	code, out, _ = run(t, "--state", "sqlite://"+filepath.Join(dir, "state.db"), "reconcile", "--pairs", pairs)
	if code != 1 || !strings.Contains(out, "SKIPPED") || !strings.Contains(out, "1 skipped") {
		t.Fatalf("text output does not show the skip (exit %d):\n%s", code, out)
	}
}

// A pairs file's source_replica reads a real standby: the report carries
// its lag (JSON and text), the planted difference is found, the DSN's
// password is nowhere.
func TestReconcilePairsSourceReplica(t *testing.T) {
	ctx := context.Background()
	primary := testenv.RealPostgres(t)
	name := testenv.UniqueName("pairs_replica")
	srcDSN, err := primary.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	src := testenv.Open(t, srcDSN)
	if _, err := src.Exec("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g"); err != nil {
		t.Fatal(err)
	}
	dst := testenv.Postgres(t)
	if _, err := testenv.Open(t, dst).Exec("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(2, 100) g"); err != nil {
		t.Fatal(err)
	}
	standby := testenv.RealPostgresReplica(t)
	replica := strings.Replace(standby.DSNFor(name), "postgres@", "postgres:s3cret-pw@", 1)
	dir := t.TempDir()
	pairs := writeFile(t, filepath.Join(dir, "pairs.yaml"), "source: "+srcDSN+"\nsink: "+dst+"\ndefaults:\n  source_replica: "+replica+"\n  max_replica_lag: 1m\npairs:\n  - table: t\n")
	state := "sqlite://" + filepath.Join(dir, "state.db")
	code, out, stderr := run(t, "--state", state, "reconcile", "--pairs", pairs, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	var sum struct {
		Results []struct {
			Missing       int64  `json:"missing"`
			Source        string `json:"source"`
			SourceReplica *struct {
				Replica string `json:"replica"`
				State   string `json:"state"`
				LagMS   *int64 `json:"lag_ms"`
			} `json:"source_replica"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	r := sum.Results[0]
	if r.Missing != 1 || r.SourceReplica == nil || r.SourceReplica.LagMS == nil || !strings.Contains(r.SourceReplica.State, "WAL receiver") ||
		!strings.Contains(r.Source, fmt.Sprint(standby.Port())) {
		t.Fatalf("want 1 missing read from the standby with its lag:\n%s", out)
	}
	code, ptext, _ := run(t, "--state", state, "reconcile", "--pairs", pairs)
	if code != 1 || !strings.Contains(ptext, "REPLICA") || !strings.Contains(ptext, "not drift") {
		t.Fatalf("pairs text lacks the replica line (exit %d):\n%s", code, ptext)
	}
	code, text, _ := run(t, "--state", state, "reconcile", "--source-replica", replica, "--sink", dst, "--table", "t")
	if code != 1 || !strings.Contains(text, "replica") || !strings.Contains(text, "lag ") || !strings.Contains(text, "not drift") {
		t.Fatalf("text report lacks the replica line (exit %d):\n%s", code, text)
	}
	if strings.Contains(out+stderr+text+ptext, "s3cret-pw") {
		t.Fatal("the replica's password printed")
	}
}

// A run whose window closes mid-run (--window-end stop) is no failure: it
// exits 0 when it found nothing so far (the report says window_closed,
// equal false) and 1 when it had found differences. 25 minutes before the
// end at a minute per look, each side has read a few batches by then.
func TestReconcileWindowClosedIsNoFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		filter string // sink rows kept
		want   error
	}{{"nothing found yet", "true", nil}, {"differences found", "x % 100 <> 0", exitStatus(1)}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src, dst := "sqlite://"+filepath.Join(dir, "src.db"), "sqlite://"+filepath.Join(dir, "dst.db")
			for _, dsn := range []string{src, dst} {
				db := testenv.Open(t, dsn)
				keep := "true"
				if dsn == dst {
					keep = tc.filter
				}
				for _, q := range []string{"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
					"INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) SELECT x, 'v' || x FROM c WHERE " + keep} {
					if _, err := db.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				db.Close()
			}
			g, out := testGlobals("", "json")
			o := &reconcileOptions{source: src, sink: dst, table: "t", tsPrecision: "us", floatDigits: 15, mode: "stream", maxDiffs: 1000,
				window: []string{"Mon-Fri 01:00-05:00 UTC"}, windowEnd: "stop", outsideWindow: "wait",
				clock: testenv.NewStepClock(time.Date(2026, 12, 7, 4, 35, 0, 0, time.UTC), time.Minute)}
			err := runReconcile(context.Background(), g, o)
			if err != tc.want {
				t.Fatalf("err = %v, want %v\n%s", err, tc.want, out)
			}
			var rep struct {
				Equal        bool `json:"equal"`
				WindowClosed bool `json:"window_closed"`
				StoppedEarly bool `json:"stopped_early"`
				RowsRead     int  `json:"rows_read"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Equal || !rep.WindowClosed || !rep.StoppedEarly || rep.RowsRead >= 40000 {
				t.Fatalf("want a marked, not-equal partial report:\n%s", out)
			}
		})
	}
}
