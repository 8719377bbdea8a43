package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
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
// the --pairs runs share them; record is safe for concurrent runs. Both
// are created only when there is something to put in them, so a run
// refused for bad input leaves no file behind.
type runOutputs struct {
	g      *globals
	mu     sync.Mutex // serialises writes to the state store
	record bool
	store  *state.Store
	diffs  *diffWriter
}

func openRunOutputs(_ context.Context, g *globals, o *reconcileOptions) (*runOutputs, error) {
	out := &runOutputs{g: g, record: o.record}
	if o.record {
		if err := state.CheckURL(g.stateURL); err != nil {
			return nil, err
		}
	}
	if o.diffFile != "" {
		var err error
		if out.diffs, err = newDiffWriter(o.diffFile); err != nil {
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

// sink is the DiffSink of one run: it keeps the key for the store
// (--record) and writes the diff file; table, when set, tags diff-file
// lines (--pairs).
func (r *runOutputs) sink(keys *runKeys, table string) func(reconcile.Difference) {
	if !r.record && r.diffs == nil {
		return nil
	}
	return func(d reconcile.Difference) {
		if r.record {
			keys.mu.Lock()
			keys.keys = append(keys.keys, state.RunKey{Kind: d.Kind, Key: d.Key})
			keys.mu.Unlock()
		}
		if r.diffs != nil {
			if table != "" {
				d.Key = maps.Clone(d.Key) // never write into what the engine handed over
				d.Key["_table"] = table
			}
			r.diffs.write(d)
		}
	}
}

// recordRun stores a finished run and its differing keys; a store that
// refuses it is logged, not fatal, because the comparison itself
// succeeded.
func (r *runOutputs) recordRun(ctx context.Context, started time.Time, rep *reconcile.Report, keys *runKeys) {
	if !r.record {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil {
		store, err := state.Open(ctx, r.g.stateURL)
		if err != nil {
			r.g.log.Warn("could not open the state store to record the run", "state", cdcops.RedactDSN(r.g.stateURL), "err", err)
			r.record = false
			return
		}
		r.store = store
	}
	if err := recordRun(ctx, r.store, started, rep, keys.keys); err != nil {
		r.g.log.Warn("could not record the run in the state store", "state", r.store.Name(), "err", err)
	}
}

// finishDiffs flushes and closes the diff file once; its error means an
// incomplete --diff-file. A run that failed before any difference was
// written (runErr != nil) leaves no file; a finished run always does; a
// run that failed or was interrupted after writing some ends the file
// with a line that marks it incomplete.
func (r *runOutputs) finishDiffs(runErr error) error {
	if r.diffs == nil {
		return nil
	}
	d := r.diffs
	r.diffs = nil
	return d.close(runErr)
}

// close finishes the diff file and closes the store.
func (r *runOutputs) close() error {
	err := r.finishDiffs(errors.New("not finished"))
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
	path   string
	mu     sync.Mutex
	f      *os.File
	enc    *json.Encoder
	csv    *csv.Writer
	header []string // CSV: column names, fixed by the first difference
	err    error
}

func newDiffWriter(path string) (*diffWriter, error) {
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return nil, cdcops.Errorf(cdcops.EINVALID, "create the directory first, or pick another --diff-file path", "diff file %s: directory %s does not exist", path, filepath.Dir(path))
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, cdcops.Errorf(cdcops.EINVALID, "name a file, not a directory", "diff file %s is a directory", path)
	}
	return &diffWriter{path: path}, nil
}

// open creates the file at the first difference (or at the end of a run
// that found none).
func (d *diffWriter) open() {
	if d.f != nil || d.err != nil {
		return
	}
	f, err := os.Create(d.path)
	if err != nil {
		d.err = err
		return
	}
	d.f = f
	if strings.HasSuffix(strings.ToLower(d.path), ".csv") {
		d.csv = csv.NewWriter(f)
	} else {
		d.enc = json.NewEncoder(f)
	}
}

func (d *diffWriter) write(diff reconcile.Difference) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open(); d.err != nil {
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

func (d *diffWriter) close(runErr error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		if runErr != nil {
			return nil
		}
		if d.open(); d.f == nil {
			return fmt.Errorf("write diff file: %w", d.err)
		}
	}
	if runErr != nil && d.err == nil {
		d.markIncomplete(runErr)
	}
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

// markIncomplete ends a diff file of a run that did not finish, so nobody
// takes its rows for the whole set of differences: JSON lines get
// {"incomplete":true,"reason":…}, CSV a last row "incomplete",reason.
func (d *diffWriter) markIncomplete(runErr error) {
	reason := "failed: " + cdcops.RedactDSN(runErr.Error())
	switch {
	case errors.Is(runErr, context.Canceled):
		reason = "interrupted"
	case errors.Is(runErr, context.DeadlineExceeded):
		reason = "timed out"
	}
	if d.enc != nil {
		d.err = d.enc.Encode(map[string]any{"incomplete": true, "reason": reason})
		return
	}
	d.err = d.csv.Write([]string{"incomplete", reason})
}
