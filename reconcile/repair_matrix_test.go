package reconcile_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/repair"
	"github.com/cdcops/cdcops/sqlconn"
)

// TestRepairMakesEveryTrapEqual is repair's acceptance test; it lives
// here to reuse the trap list. For every trap and engine pair: reconcile
// writes a diff file, `repair --apply` fixes the sink from it, the next
// reconcile is equal, and the rollback script — run by the sink's own
// client (psql, mariadb, sqlite3) — restores exactly the pre-repair sink
// (reconcile against a saved copy is equal).
func TestRepairMakesEveryTrapEqual(t *testing.T) {
	en := newEngines(t)
	for _, tr := range trapList() {
		if tr.pk == nil {
			continue // duplicate keys: repair skips them by design (TestRepairSkipsDuplicates)
		}
		t.Run(tr.name, func(t *testing.T) {
			for _, pair := range pairs {
				t.Run(string(pair[0])+"-"+string(pair[1]), func(t *testing.T) { repairTrap(t, en, tr, pair) })
			}
		})
	}
}

func trapName(tr trap) string {
	if tr.table != "" {
		return tr.table
	}
	return "r_" + safe(tr.name)
}

func safe(s string) string {
	out := []byte(s)
	for i, c := range out {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			out[i] = '_'
		}
	}
	if len(out) > 40 {
		out = out[:40]
	}
	return string(out)
}

func repairTrap(t *testing.T, en *engines, tr trap, pair [2]sqlconn.Engine) {
	if tr.skip != nil {
		if why := tr.skip(pair[0], pair[1]); why != "" {
			t.Skip(why)
		}
	}
	ctx := context.Background()
	name := trapName(tr)
	saved := name + " saved"
	en.table(t, pair[0], name, tr.cols, tr.pk, tr.src)
	en.table(t, pair[1], name, tr.cols, tr.pk, tr.dst)
	en.table(t, pair[1], saved, tr.cols, tr.pk, tr.dst)
	spec := reconcile.Spec{Source: en.dsn[pair[0]], Sink: en.dsn[pair[1]], Table: name, Key: tr.key, Timeout: time.Minute}
	if tr.spec != nil {
		tr.spec(&spec)
	}
	dir := t.TempDir()
	diffFile := filepath.Join(dir, "diff.jsonl")
	f, err := os.Create(diffFile)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	run := spec
	run.DiffSink = func(d reconcile.Difference) { _ = enc.Encode(d) }
	before, err := reconcile.Run(ctx, run)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(tr.want)) != before.Total() {
		t.Fatalf("reconcile found %d differences, the trap has %d", before.Total(), len(tr.want))
	}
	keys, err := repair.ReadDiffFile(diffFile, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	rs := repair.Spec{Source: spec.Source, Sink: spec.Sink, Table: name, Key: tr.key, Normalize: spec.Normalize,
		TimestampPrecision: spec.TimestampPrecision, Keys: keys, BatchSize: 2}
	fix, err := repair.Plan(ctx, rs)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	rollback := filepath.Join(dir, "rollback.sql")
	applied, err := fix.Apply(ctx, rs, repair.ApplyOptions{Reason: "test", RollbackFile: rollback})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !applied.Verify.Equal {
		t.Errorf("the touched keys still differ after apply: %+v", applied.Verify.Differences)
	}
	after, err := reconcile.Run(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Equal {
		sql, _ := os.ReadFile(rollback)
		t.Fatalf("after repair reconcile still differs: %+v\nrollback script:\n%s", after.Differences, sql)
	}
	testenv.RunSQLFile(t, spec.Sink, rollback)
	strict := reconcile.Spec{Source: spec.Sink, Sink: spec.Sink, Table: name, SinkTable: saved, Key: tr.key, Normalize: spec.Normalize, Timeout: time.Minute}
	back, err := reconcile.Run(ctx, strict)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal {
		sql, _ := os.ReadFile(rollback)
		t.Fatalf("after the rollback script the sink differs from its saved copy: %+v\nrollback script:\n%s", back.Differences, sql)
	}
}
