package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// Review #1: --pairs dropped the command-line filters and key/columns, and
// defaults: accepted keys it never applied.
func TestPairSpecAppliesFlagsAndDefaults(t *testing.T) {
	pf := &pairsFile{Source: "sqlite://a.db", Sink: "sqlite://b.db", Pairs: []pairEntry{{Table: "orders"}}}
	o := &reconcileOptions{where: "tenant = 'acme'", key: []string{"id"}, columns: []string{"id", "amount"},
		partitionBy: "created_at:day", tsPrecision: "us", mode: "auto", maxDiffs: 1000}
	s, err := pairSpec(pf, pf.Pairs[0], o)
	if err != nil {
		t.Fatal(err)
	}
	if s.SourceWhere != "tenant = 'acme'" || s.SinkWhere != "tenant = 'acme'" || strings.Join(s.Key, ",") != "id" ||
		strings.Join(s.Columns, ",") != "id,amount" || s.PartitionBy != "created_at:day" {
		t.Fatalf("flags dropped: where=%q/%q key=%v columns=%v partition=%q", s.SourceWhere, s.SinkWhere, s.Key, s.Columns, s.PartitionBy)
	}
	pf.Defaults = pairDefaults{Key: []string{"k"}, Columns: []string{"k", "v"}, ExcludeColumns: []string{"x"}, SourceWhere: "a = 1"}
	s, err = pairSpec(pf, pf.Pairs[0], o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Key, ",") != "k" || strings.Join(s.Columns, ",") != "k,v" || strings.Join(s.ExcludeColumns, ",") != "x" || s.SourceWhere != "a = 1" || s.SinkWhere != "tenant = 'acme'" {
		t.Fatalf("defaults not applied: key=%v columns=%v exclude=%v where=%q/%q", s.Key, s.Columns, s.ExcludeColumns, s.SourceWhere, s.SinkWhere)
	}
	// table: under defaults is refused, not ignored.
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte("defaults:\n  table: x\npairs:\n  - table: t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadPairs(path); err == nil || !strings.Contains(err.Error(), "table") {
		t.Fatalf("defaults.table: err = %v, want refused", err)
	}
}

// End to end: a --where on the command line narrows every pair, and the
// diff sink's _table does not leak into the report keys (review #8).
func TestReconcilePairsWhereAndReportKeys(t *testing.T) {
	dir := t.TempDir()
	src, dst := "sqlite://"+filepath.Join(dir, "src.db"), "sqlite://"+filepath.Join(dir, "dst.db")
	for dsn, rows := range map[string]string{src: "(1,'acme','a'),(2,'acme','b'),(3,'other','c')", dst: "(1,'acme','a'),(3,'other','X')"} {
		db := testenv.Open(t, dsn)
		for _, q := range []string{"CREATE TABLE t (id INTEGER PRIMARY KEY, tenant TEXT, v TEXT)", "INSERT INTO t VALUES " + rows} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
	}
	pairs := filepath.Join(dir, "pairs.yaml")
	if err := os.WriteFile(pairs, []byte("source: "+src+"\nsink: "+dst+"\npairs:\n  - table: t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	diffs := filepath.Join(dir, "d.jsonl")
	code, out, stderr := run(t, "--state", "sqlite://"+filepath.Join(dir, "state.db"), "reconcile", "--pairs", pairs,
		"--where", "tenant = 'acme'", "--diff-file", diffs, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var sum struct {
		Results []struct {
			Missing, Changed int
			Differences      []struct {
				Key map[string]string `json:"key"`
			} `json:"differences"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	r := sum.Results[0]
	if r.Missing != 1 || r.Changed != 0 || len(r.Differences) != 1 {
		t.Fatalf("--where ignored: missing=%d changed=%d (tenant 'other' compared?)\n%s", r.Missing, r.Changed, out)
	}
	if k := r.Differences[0].Key; len(k) != 1 || k["id"] != "2" {
		t.Fatalf("report key = %v, want {id:2} (no _table)", k)
	}
	data, err := os.ReadFile(diffs)
	if err != nil || !strings.Contains(string(data), `"_table":"t"`) {
		t.Fatalf("diff file %q (%v) lacks _table", data, err)
	}
}
