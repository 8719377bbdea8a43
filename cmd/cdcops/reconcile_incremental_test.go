package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func incrReport(t *testing.T, out string) map[string]any {
	t.Helper()
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	in, ok := rep["incremental"].(map[string]any)
	if !ok {
		t.Fatalf("report has no incremental object:\n%s", out)
	}
	return in
}

// The first --incremental run is a full check that leaves a checkpoint in
// the state store; the second re-checks from it and still reports the
// differing rows; the missing index on placed_at is named.
func TestReconcileIncrementalCommand(t *testing.T) {
	f := newReconcileFixture(t)
	args := []string{"--state", f.state, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders", "--incremental", "--updated-column", "placed_at", "-o", "json"}
	code, out, stderr := run(t, args...)
	if code != 1 {
		t.Fatalf("first run exit %d\n%s\n%s", code, out, stderr)
	}
	first := incrReport(t, out)
	if first["full"] != true || !strings.Contains(first["reason"].(string), "no checkpoint") || !strings.Contains(out, "source column placed_at has no index") {
		t.Fatalf("first run: %v", first)
	}
	code, out, stderr = run(t, args...)
	if code != 1 {
		t.Fatalf("second run exit %d\n%s\n%s", code, out, stderr)
	}
	second := incrReport(t, out)
	var rep map[string]any
	_ = json.Unmarshal([]byte(out), &rep)
	if second["full"] != false || rep["missing"] != 1.0 || rep["extra"] != 1.0 || rep["changed"] != 1.0 || rep["source_rows"] != 50.0 {
		t.Fatalf("second run: incremental %v, report missing=%v extra=%v changed=%v source_rows=%v", second, rep["missing"], rep["extra"], rep["changed"], rep["source_rows"])
	}
	for _, k := range []string{"sound", "warnings", "since", "watermark", "changed_rows", "ranges_reused", "ranges_rechecked", "next_full", "margin_ms"} {
		if _, ok := second[k]; !ok {
			t.Errorf("incremental object lacks %q", k)
		}
	}
	code, table, _ := run(t, args[:len(args)-2]...)
	if code != 1 || !strings.Contains(table, "incremental") || !strings.Contains(table, "re-check") || !strings.Contains(table, "next full check") || strings.Contains(table, "s3cret-pw") {
		t.Fatalf("table output (exit %d):\n%s", code, table)
	}
	code, out, _ = run(t, append(args[:len(args)-2:len(args)-2], "--full-every", "1", "-o", "json")...)
	if code != 1 || incrReport(t, out)["full"] != true {
		t.Fatalf("--full-every 1 (exit %d): %s", code, out)
	}
}

// Bad incremental input is refused with one error line, a hint and exit 2,
// and creates no state store.
func TestReconcileIncrementalBadInput(t *testing.T) {
	f := newReconcileFixture(t)
	for name, extra := range map[string][]string{
		"missing column":   {"--incremental", "--updated-column", "nope"},
		"text column":      {"--incremental", "--updated-column", "customer"},
		"no column":        {"--incremental"},
		"bad cadence":      {"--incremental", "--updated-column", "placed_at", "--full-every", "sometimes"},
		"without a record": {"--incremental", "--updated-column", "placed_at", "--record=false"},
	} {
		t.Run(name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state.db")
			code, out, stderr := run(t, append([]string{"--state", "sqlite://" + state, "reconcile", "--source", f.pg, "--sink", f.my, "--table", "orders"}, extra...)...)
			if code != 2 || strings.Count(stderr, "Error:") != 1 || !strings.Contains(stderr, "Hint:") {
				t.Fatalf("exit %d (want 2)\nstderr: %s\nstdout: %s", code, stderr, out)
			}
			if _, err := os.Stat(state); err == nil {
				t.Fatalf("a refused run created the state store %s", state)
			}
		})
	}
}

// A pairs file turns incremental on per pair.
func TestReconcilePairsIncremental(t *testing.T) {
	f := newReconcileFixture(t)
	pairs := filepath.Join(t.TempDir(), "pairs.yaml")
	yaml := "source: " + f.pg + "\nsink: " + f.my + "\npairs:\n  - table: orders\n    incremental: true\n    updated_column: placed_at\n    full_every: \"5\"\n  - table: orders\n    sink_table: orders_copy\n"
	if err := os.WriteFile(pairs, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Results []map[string]any `json:"results"`
	}
	for i, wantFull := range []bool{true, false} {
		code, out, stderr := run(t, "--state", f.state, "reconcile", "--pairs", pairs, "-o", "json")
		if code != 1 {
			t.Fatalf("run %d: exit %d\n%s\n%s", i+1, code, out, stderr)
		}
		if err := json.Unmarshal([]byte(out), &sum); err != nil || len(sum.Results) != 2 {
			t.Fatalf("run %d: %v\n%s", i+1, err, out)
		}
		var incr, plain int
		for _, r := range sum.Results {
			if in, ok := r["incremental"].(map[string]any); ok {
				incr++
				if in["full"] != wantFull || r["missing"] != 1.0 {
					t.Fatalf("run %d: incremental pair full=%v (want %v) missing=%v", i+1, in["full"], wantFull, r["missing"])
				}
			} else {
				plain++
			}
		}
		if incr != 1 || plain != 1 {
			t.Fatalf("run %d: %d incremental and %d plain results, want 1 and 1", i+1, incr, plain)
		}
	}
}
