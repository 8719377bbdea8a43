package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/state"
)

// runOutputs are where reconcile results go besides stdout: the state
// store (--record) and the diff file (--diff-file). The single-table and
// the --pairs runs share them; record is safe for concurrent runs.
type runOutputs struct {
	g     *globals
	mu    sync.Mutex // serialises writes to the state store
	store *state.Store
	diffs *diffWriter
}

func openRunOutputs(ctx context.Context, g *globals, o *reconcileOptions) (*runOutputs, error) {
	out := &runOutputs{g: g}
	var err error
	if o.record {
		if out.store, err = state.Open(ctx, g.stateURL); err != nil {
			return nil, err
		}
	}
	if o.diffFile != "" {
		if out.diffs, err = newDiffWriter(o.diffFile); err != nil {
			out.close()
			return nil, err
		}
	}
	return out, nil
}

// runKeys collects one run's differing keys for the state store.
type runKeys struct {
	mu   sync.Mutex
	keys []state.RunKey
}

// sink is the DiffSink of one run: it keeps the key for the store and
// writes the diff file; table, when set, tags diff-file lines (--pairs).
func (r *runOutputs) sink(keys *runKeys, table string) func(reconcile.Difference) {
	if r.store == nil && r.diffs == nil {
		return nil
	}
	return func(d reconcile.Difference) {
		if r.store != nil {
			keys.mu.Lock()
			keys.keys = append(keys.keys, state.RunKey{Kind: d.Kind, Key: d.Key})
			keys.mu.Unlock()
		}
		if r.diffs != nil {
			if table != "" {
				tagged := make(map[string]string, len(d.Key)+1)
				for k, v := range d.Key {
					tagged[k] = v
				}
				tagged["_table"] = table
				d.Key = tagged
			}
			r.diffs.write(d)
		}
	}
}

// record stores a finished run and its keys; a store that refuses it is
// logged, not fatal, because the comparison itself succeeded.
func (r *runOutputs) record(ctx context.Context, started time.Time, rep *reconcile.Report, keys *runKeys) {
	if r.store == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := recordRun(ctx, r.store, started, rep, keys.keys); err != nil {
		r.g.log.Warn("could not record the run in the state store", "state", r.store.Name(), "err", err)
	}
}

// finishDiffs flushes and closes the diff file once; its error means an
// incomplete --diff-file.
func (r *runOutputs) finishDiffs() error {
	if r.diffs == nil {
		return nil
	}
	d := r.diffs
	r.diffs = nil
	return d.close()
}

// close finishes the diff file and closes the store.
func (r *runOutputs) close() error {
	err := r.finishDiffs()
	if r.store != nil {
		r.store.Close()
		r.store = nil
	}
	return err
}

func recordRun(ctx context.Context, store *state.Store, started time.Time, rep *reconcile.Report, keys []state.RunKey) error {
	summary, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	id, err := store.AddReconcileRun(ctx, state.ReconcileRun{
		Started: started, ElapsedMS: rep.ElapsedMS, Source: cdcops.RedactDSN(rep.Source), Sink: cdcops.RedactDSN(rep.Sink),
		SourceTable: rep.SourceTable, SinkTable: rep.SinkTable, Equal: rep.Equal,
		SourceRows: rep.SourceRows, SinkRows: rep.SinkRows, Missing: rep.Missing, Extra: rep.Extra,
		Changed: rep.Changed, Duplicates: rep.Duplicates, Summary: summary,
	})
	if err != nil || len(keys) == 0 {
		return err
	}
	return store.AddReconcileRunKeys(ctx, id, keys)
}

// diffWriter writes differences as JSON lines, or as CSV when the file
// name ends in .csv; safe for concurrent use.
type diffWriter struct {
	mu     sync.Mutex
	f      *os.File
	enc    *json.Encoder
	csv    *csv.Writer
	header []string // CSV: column names, fixed by the first difference
	err    error
}

func newDiffWriter(path string) (*diffWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.EINVALID, "check the --diff-file path is writable", "create diff file: %v", err)
	}
	d := &diffWriter{f: f}
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		d.csv = csv.NewWriter(f)
	} else {
		d.enc = json.NewEncoder(f)
	}
	return d, nil
}

func (d *diffWriter) write(diff reconcile.Difference) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return
	}
	if d.enc != nil {
		d.err = d.enc.Encode(diff)
		return
	}
	if d.header == nil {
		d.header = csvColumns(diff)
		row := []string{"kind", "side"}
		for _, c := range d.header {
			row = append(row, "source."+c, "sink."+c)
		}
		if d.err = d.csv.Write(row); d.err != nil {
			return
		}
	}
	row := []string{diff.Kind, diff.Side}
	for _, c := range d.header {
		row = append(row, csvValue(diff, diff.Source, c), csvValue(diff, diff.Sink, c))
	}
	d.err = d.csv.Write(row)
}

// csvColumns are the key columns, then the other compared columns, each
// sorted by name: every difference carries at least one full row.
func csvColumns(diff reconcile.Difference) []string {
	var keys, others []string
	seen := map[string]bool{}
	for k := range diff.Key {
		keys = append(keys, k)
		seen[k] = true
	}
	for _, m := range []map[string]reconcile.Value{diff.Source, diff.Sink} {
		for c := range m {
			if !seen[c] {
				seen[c] = true
				others = append(others, c)
			}
		}
	}
	sort.Strings(keys)
	sort.Strings(others)
	return append(keys, others...)
}

// csvValue is a column's value on one side: "" when the side has no row,
// \N for SQL NULL.
func csvValue(diff reconcile.Difference, row map[string]reconcile.Value, col string) string {
	if row == nil {
		return ""
	}
	v, ok := row[col]
	if !ok {
		return ""
	}
	if v == nil {
		return `\N`
	}
	return *v
}

func (d *diffWriter) close() error {
	if d.csv != nil {
		d.csv.Flush()
		if d.err == nil {
			d.err = d.csv.Error()
		}
	}
	err := d.f.Close()
	if d.err != nil {
		return fmt.Errorf("write diff file: %w", d.err)
	}
	return err
}
