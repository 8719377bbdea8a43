package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
)

// pairsFile is the strict shape of a --pairs YAML file.
type pairsFile struct {
	Source      string       `yaml:"source"`
	Sink        string       `yaml:"sink"`
	Parallelism int          `yaml:"parallelism"`
	Defaults    pairDefaults `yaml:"defaults"`
	Pairs       []pairEntry  `yaml:"pairs"`
}

// pairDefaults are the keys that apply to every pair: a pair entry's keys
// without table and sink_table, which only make sense per pair (strict
// decoding refuses them here instead of ignoring them).
type pairDefaults struct {
	Source             string            `yaml:"source"`
	Sink               string            `yaml:"sink"`
	Key                []string          `yaml:"key"`
	Columns            []string          `yaml:"columns"`
	ExcludeColumns     []string          `yaml:"exclude_columns"`
	SourceWhere        string            `yaml:"source_where"`
	SinkWhere          string            `yaml:"sink_where"`
	TimestampPrecision string            `yaml:"timestamp_precision"`
	Normalize          map[string]string `yaml:"normalize"`
	Mode               string            `yaml:"mode"`
	MaxDiffs           *int              `yaml:"max_diffs"`
	PartitionBy        string            `yaml:"partition_by"`
	SourceReplica      string            `yaml:"source_replica"`
	MaxReplicaLag      string            `yaml:"max_replica_lag"`
	Window             windowList        `yaml:"window"`
	WindowEnd          string            `yaml:"window_end"`
	OutsideWindow      string            `yaml:"outside_window"`
	Incremental        *bool             `yaml:"incremental"`
	UpdatedColumn      string            `yaml:"updated_column"`
	UpdatedMargin      string            `yaml:"updated_margin"`
	FullEvery          string            `yaml:"full_every"`
	CountRanges        *bool             `yaml:"count_ranges"`
}

// pairEntry is one pair: the shared keys plus the tables it compares.
type pairEntry struct {
	pairDefaults `yaml:",inline"`
	Table        string `yaml:"table"`
	SinkTable    string `yaml:"sink_table"`
}

// pairsSummary is the one result of a --pairs run.
type pairsSummary struct {
	Equal      bool                `json:"equal"`
	Tables     int                 `json:"tables"`
	Different  int                 `json:"different"`
	Failed     int                 `json:"failed"`
	Incomplete int                 `json:"incomplete"` // stopped when their window closed
	ElapsedMS  int64               `json:"elapsed_ms"`
	Results    []*reconcile.Report `json:"results"`
	Errors     []pairError         `json:"errors"`
	Skipped    []pairSkip          `json:"skipped"`
}

type pairError struct {
	Table string `json:"table"`
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
}

func loadPairs(path string) (*pairsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.EINVALID, "check the --pairs path", "read pairs file: %v", err)
	}
	var pf pairsFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil && err != io.EOF {
		return nil, cdcops.Errorf(cdcops.EINVALID, "see docs/reconcile.md for the keys a pairs file accepts", "pairs file %s: %v", path, err)
	}
	if len(pf.Pairs) == 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "list tables under pairs:", "pairs file %s lists no pairs", path)
	}
	for i, p := range pf.Pairs {
		if p.Table == "" {
			return nil, cdcops.Errorf(cdcops.EINVALID, "give every pair a table:", "pair %d in %s has no table", i+1, path)
		}
	}
	return &pf, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// pairSpec merges a pair over the file's defaults over the command's
// flags: every key a pair can set falls back to defaults:, then to the flag.
func pairSpec(pf *pairsFile, p pairEntry, o *reconcileOptions) (reconcile.Spec, error) {
	base, err := o.spec()
	if err != nil {
		return base, err
	}
	d := pf.Defaults
	s := base
	s.Source = first(p.Source, d.Source, pf.Source, o.source)
	s.Sink = first(p.Sink, d.Sink, pf.Sink, o.sink)
	s.Table, s.SinkTable = p.Table, p.SinkTable
	s.Key = firstList(p.Key, d.Key, base.Key)
	s.Columns = firstList(p.Columns, d.Columns, base.Columns)
	s.ExcludeColumns = firstList(p.ExcludeColumns, d.ExcludeColumns, base.ExcludeColumns)
	s.SourceWhere = first(p.SourceWhere, d.SourceWhere, base.SourceWhere)
	s.SinkWhere = first(p.SinkWhere, d.SinkWhere, base.SinkWhere)
	s.TimestampPrecision = first(p.TimestampPrecision, d.TimestampPrecision, o.tsPrecision)
	s.Mode = first(p.Mode, d.Mode, o.mode)
	s.PartitionBy = first(p.PartitionBy, d.PartitionBy, base.PartitionBy)
	// A source and its replica go together: the most specific level that
	// names either decides the replica (a pair's own source: is read
	// itself, not through the defaults' replica).
	switch {
	case p.Source != "" || p.SourceReplica != "":
		s.SourceReplica = p.SourceReplica
	case d.Source != "" || pf.Source != "" || d.SourceReplica != "":
		s.SourceReplica = d.SourceReplica
	}
	if lag := first(p.MaxReplicaLag, d.MaxReplicaLag); lag != "" {
		if s.MaxReplicaLag, err = parseLag(lag, p.Table); err != nil {
			return s, err
		}
	}
	if s.SourceReplica == "" && p.MaxReplicaLag == "" {
		s.MaxReplicaLag = 0 // the flag's or the defaults' limit is for the pairs read from a replica
	}
	s.Window = firstList(p.Window, d.Window, base.Window)
	s.WindowEnd = first(p.WindowEnd, d.WindowEnd, base.WindowEnd)
	if p.MaxDiffs != nil {
		s.MaxDiffs = *p.MaxDiffs
	} else if d.MaxDiffs != nil {
		s.MaxDiffs = *d.MaxDiffs
	}
	s.Normalize = map[string]string{}
	for _, m := range []map[string]string{base.Normalize, d.Normalize, p.Normalize} {
		for k, v := range m {
			s.Normalize[k] = v
		}
	}
	if err := checkOutsideWindow(first(p.OutsideWindow, d.OutsideWindow)); err != nil {
		return s, fmt.Errorf("pair %s: %w", p.Table, err)
	}
	if s.Incremental, err = o.incr.incremental(firstBool(p.Incremental, d.Incremental), first(p.UpdatedColumn, d.UpdatedColumn),
		first(p.UpdatedMargin, d.UpdatedMargin), first(p.FullEvery, d.FullEvery), firstBool(p.CountRanges, d.CountRanges)); err != nil {
		return s, fmt.Errorf("pair %s: %w", p.Table, err)
	}
	if err := o.incrNeedsRecord(s); err != nil {
		return s, err
	}
	if (s.Source == "" && s.SourceReplica == "") || s.Sink == "" {
		return s, cdcops.Errorf(cdcops.EINVALID, "set source: (or source_replica:) and sink: in the pairs file (top level or per pair) or pass --source/--sink",
			"pair %s has no source or sink DSN", p.Table)
	}
	if err := columnsConflict(s.Columns, s.ExcludeColumns); err != nil {
		return s, fmt.Errorf("pair %s: %w", p.Table, err)
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("pair %s: %w", p.Table, err)
	}
	return s, nil
}

func firstBool(vals ...*bool) *bool {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

func firstList(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

func runReconcilePairs(ctx context.Context, g *globals, o *reconcileOptions) error {
	pf, err := loadPairs(o.pairs)
	if err != nil {
		return err
	}
	specs := make([]reconcile.Spec, len(pf.Pairs))
	skips := make([]*pairSkip, len(pf.Pairs))
	now := time.Now()
	if o.clock != nil {
		now = o.clock.Now()
	}
	for i, p := range pf.Pairs {
		if specs[i], err = pairSpec(pf, p, o); err != nil {
			return err
		}
		skips[i] = skipOutside(specs[i], first(p.OutsideWindow, pf.Defaults.OutsideWindow, o.outsideWindow), now)
	}
	if strings.HasSuffix(strings.ToLower(o.diffFile), ".csv") {
		return usageError{fmt.Errorf("--diff-file with --pairs writes JSON lines (tables differ in columns); use a .jsonl name")}
	}
	out, err := openRunOutputs(ctx, g, o)
	if err != nil {
		return err
	}
	defer out.close()
	start := time.Now()
	sum := &pairsSummary{Tables: len(specs), Results: make([]*reconcile.Report, len(specs)), Errors: []pairError{}, Skipped: []pairSkip{}}
	errs := make([]error, len(specs))
	var eg errgroup.Group
	limit := pf.Parallelism
	if limit <= 0 {
		limit = 2
	}
	eg.SetLimit(limit)
	var finished atomic.Int64
	stop := g.startProgress("reconcile --pairs", func() string { return progressBar(finished.Load(), int64(len(specs)), "tables") })
	defer stop()
	for i := range specs {
		if skips[i] != nil {
			finished.Add(1)
			continue
		}
		eg.Go(func() error {
			defer finished.Add(1)
			spec := specs[i]
			spec.Logger = g.log
			keys := &runKeys{}
			spec.DiffSink = out.sink(keys, spec.Table)
			started := time.Now()
			err := out.loadCheckpoint(ctx, &spec)
			var rep *reconcile.Report
			if err == nil {
				rep, err = reconcile.Run(ctx, spec)
			}
			if err == nil {
				out.recordRun(ctx, started, rep, keys)
				out.saveCheckpoint(ctx, spec, rep)
			}
			sum.Results[i], errs[i] = rep, err
			return nil
		})
	}
	_ = eg.Wait()
	stop()
	if err := out.finishDiffs(errors.Join(errs...)); err != nil {
		return err
	}
	sum.Equal = true
	results := sum.Results[:0]
	for i, rep := range sum.Results {
		if skips[i] != nil {
			sum.Skipped = append(sum.Skipped, *skips[i])
			continue
		}
		if errs[i] != nil {
			sum.Failed++
			sum.Equal = false
			sum.Errors = append(sum.Errors, pairError{Table: specs[i].Table, Error: errs[i].Error(), Hint: cdcops.HintOf(errs[i])})
			continue
		}
		if rep.WindowClosed {
			sum.Incomplete++
		}
		if !rep.Equal {
			sum.Equal = false
		}
		if differs(rep) {
			sum.Different++
		}
		results = append(results, rep)
	}
	sum.Results = results
	sum.ElapsedMS = time.Since(start).Milliseconds()
	err = g.print(sum, func(w io.Writer) {
		fmt.Fprintln(w, "RESULT\tSOURCE TABLE\tSINK TABLE\tSOURCE ROWS\tSINK ROWS\tMISSING\tEXTRA\tCHANGED\tDUPLICATES")
		for _, r := range sum.Results {
			verdict := "equal"
			switch {
			case differs(r):
				verdict = "DIFFERENT"
			case r.WindowClosed:
				verdict = "INCOMPLETE" // its window closed first
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", verdict, r.SourceTable, r.SinkTable, r.SourceRows, r.SinkRows, r.Missing, r.Extra, r.Changed, r.Duplicates)
		}
		for _, e := range sum.Errors {
			fmt.Fprintf(w, "ERROR\t%s\t%s\t%s\n", e.Table, e.Error, e.Hint)
		}
		for _, r := range sum.Results {
			if rs := r.SourceReplica; rs != nil {
				lag := "unknown"
				if rs.LagMS != nil {
					lag = fmt.Sprintf("%d ms", *rs.LagMS)
				}
				fmt.Fprintf(w, "REPLICA\t%s\tread from %s, lag %s: differences younger than that may be replication delay, not drift\n", r.SourceTable, rs.Replica, lag)
			}
		}
		for _, k := range sum.Skipped {
			fmt.Fprintf(w, "SKIPPED\t%s\t%s; next opens %s\n", k.Table, k.Reason, k.NextOpen)
		}
		fmt.Fprintf(w, "\n%d tables, %d different, %d failed, %d incomplete, %d skipped, %d ms\n", sum.Tables, sum.Different, sum.Failed, sum.Incomplete, len(sum.Skipped), sum.ElapsedMS)
	})
	if err != nil {
		return err
	}
	switch {
	case sum.Failed > 0:
		return exitStatus(3)
	case sum.Different > 0:
		return exitStatus(1)
	}
	return nil
}
