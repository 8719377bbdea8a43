package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
)

// reconcileOptions are the flags of `cdcops reconcile`.
type reconcileOptions struct {
	source, sink           string
	table, sinkTable       string
	key, columns, exclude  []string
	where                  string
	sourceWhere, sinkWhere string
	tsPrecision            string
	normalize              []string
	floatDigits            int
	floatTolerance         float64
	mode                   string
	sourceMode, sinkMode   string
	maxDiffs, stopAfter    int
	maxLoad                float64
	rowsPerSecond          int64
	sourceReplica          string
	maxReplicaLag          time.Duration
	window                 []string
	windowEnd              string
	outsideWindow          string
	clock                  reconcile.Clock // nil = real time; tests inject one
	timeout, settle        time.Duration
	partitionBy            string
	diffFile               string
	pairs                  string
	record                 bool
	incr                   incrementalOptions
}

func newReconcileCmd(g *globals) *cobra.Command {
	opts := &reconcileOptions{}
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Prove a sink table matches its source, across engines, and list the rows that differ",
		Long: `Compares a source table with a sink table — PostgreSQL, MariaDB/MySQL or SQLite
on either side — and reports rows missing in the sink, extra in the sink,
changed (with each differing column's values) and duplicate keys.

Every compared column is rendered to one canonical text on both engines
(timestamps in UTC at --timestamp-precision, decimals at a fixed scale,
booleans 0/1, UUIDs lower case, binary as hex), each field length-prefixed
with NULL marked distinctly. --mode stream reads both tables in key order
and compares them in cdcops; --mode pushdown has each database compute
count and exact md5 sums per key range and reads only differing ranges;
auto measures both on a sample.

Exit codes: 0 equal, 1 differences found, 2 usage error, 3 runtime failure.
See docs/reconcile.md for every option and the JSON schema.`,
		Example: `  cdcops reconcile --source postgres://app@db1/shop --sink mysql://app@dw/shop --table public.orders --sink-table orders
  cdcops reconcile --source postgres://db1/shop --sink sqlite://./copy.db --table orders --timestamp-precision ms -o json
  cdcops reconcile --source … --sink … --table users --columns id,email:email_address --normalize email:trim,casefold
  cdcops reconcile --source … --sink … --table events --partition-by created_at:day --settle 30s --diff-file diffs.jsonl
  cdcops reconcile --pairs pairs.yaml -o json
  cdcops reconcile --source … --sink … --table orders --max-load 8 --rows-per-second 50000
  cdcops reconcile --source-replica postgres://app@db1-standby/shop --max-replica-lag 30s --sink mysql://app@dw/shop --table orders
  cdcops reconcile --source … --sink … --table orders --window "Mon-Fri 01:00-05:00 Europe/Berlin" --window-end pause
  cdcops reconcile --source … --sink … --table orders --incremental --updated-column updated_at --full-every 24h
  cdcops reconcile history --table orders`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runReconcile(cmd.Context(), g, opts) },
	}
	reconcileFlags(cmd.Flags(), opts)
	// A pairs file names its tables; a --table beside it would be ignored.
	cmd.MarkFlagsMutuallyExclusive("pairs", "table")
	cmd.MarkFlagsMutuallyExclusive("pairs", "sink-table")
	cmd.AddCommand(newReconcileHistoryCmd(g))
	return cmd
}

func reconcileFlags(fs *pflag.FlagSet, o *reconcileOptions) {
	fs.StringVar(&o.source, "source", "", "source DSN: postgres://…, mysql://… or sqlite://PATH")
	fs.StringVar(&o.sink, "sink", "", "sink DSN")
	fs.StringVar(&o.table, "table", "", "source table, schema.table or table")
	fs.StringVar(&o.sinkTable, "sink-table", "", "sink table (default: --table)")
	fs.StringSliceVar(&o.key, "key", nil, "key columns (default: the primary key)")
	fs.StringSliceVar(&o.columns, "columns", nil, "columns to compare, col or source_col:sink_col (default: all common columns)")
	fs.StringSliceVar(&o.exclude, "exclude-columns", nil, "columns not to compare")
	fs.StringVar(&o.where, "where", "", "SQL filter applied to both sides")
	fs.StringVar(&o.sourceWhere, "source-where", "", "SQL filter for the source (overrides --where)")
	fs.StringVar(&o.sinkWhere, "sink-where", "", "SQL filter for the sink (overrides --where)")
	fs.StringVar(&o.tsPrecision, "timestamp-precision", "us", "timestamps are truncated to s, ms or us before comparing")
	fs.StringArrayVar(&o.normalize, "normalize", nil, "per-column options COL:OPT[,OPT] — trim, casefold, scale=N, digits=N, tolerance=X, as=CLASS (repeatable)")
	fs.IntVar(&o.floatDigits, "float-digits", 15, "significant digits floats are compared at")
	fs.Float64Var(&o.floatTolerance, "float-tolerance", 0, "absolute tolerance for floats (overrides --float-digits)")
	fs.StringVar(&o.mode, "mode", "auto", "auto, stream or pushdown")
	fs.StringVar(&o.sourceMode, "source-mode", "", "override --mode for the source side only")
	fs.StringVar(&o.sinkMode, "sink-mode", "", "override --mode for the sink side only")
	fs.IntVar(&o.maxDiffs, "max-diffs", 1000, "list and write at most this many differences (0 = all); counts stay exact")
	fs.IntVar(&o.stopAfter, "stop-after", 0, "stop at the first difference beyond N; counts are then lower bounds (stopped_early) (0 = never stop)")
	fs.Float64Var(&o.maxLoad, "max-load", 0, "pause between ranges/batches while a side's load is above this: PostgreSQL active backends, MariaDB Threads_running (0 = no limit)")
	fs.Int64Var(&o.rowsPerSecond, "rows-per-second", 0, "read at most this many rows per second per side (0 = no limit)")
	fs.StringVar(&o.sourceReplica, "source-replica", "", "read the source from this replica (PostgreSQL standby, MariaDB/MySQL replica) instead of --source; refused if it is not one; its lag is reported")
	fs.DurationVar(&o.maxReplicaLag, "max-replica-lag", 0, "pause between ranges/batches while the --source-replica lags more than this (0 = no limit)")
	fs.StringArrayVar(&o.window, "window", nil, `maintenance window "[DAYS ]HH:MM-HH:MM[ ZONE]", e.g. "Mon-Fri 01:00-05:00 Europe/Berlin" (repeatable; outside every window the run waits)`)
	fs.StringVar(&o.windowEnd, "window-end", "stop", "when the window closes mid-run: stop (report what was read; counts are lower bounds) or pause until the next window")
	fs.StringVar(&o.outsideWindow, "outside-window", "wait", "with --pairs, a pair outside its window: wait for it, or skip it (reported as skipped)")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up after this long (0 = no limit)")
	fs.DurationVar(&o.settle, "settle", 0, "re-check differing rows after this delay and drop those that converged")
	fs.StringVar(&o.partitionBy, "partition-by", "", "also compare count and checksum per COL:day|hour|month")
	fs.StringVar(&o.diffFile, "diff-file", "", "write every differing row to this file: JSON lines, or CSV when it ends in .csv")
	fs.StringVar(&o.pairs, "pairs", "", "YAML file listing table pairs to reconcile in parallel")
	fs.BoolVar(&o.record, "record", true, "record the run in the state store (--state)")
	incrementalFlags(fs, &o.incr)
	flagRange(fs, "float-digits", 1, "17")
}

// spec turns flags into a reconcile.Spec.
func (o *reconcileOptions) spec() (reconcile.Spec, error) {
	s := reconcile.Spec{
		Source: o.source, Sink: o.sink, Table: o.table, SinkTable: o.sinkTable,
		Key: o.key, Columns: o.columns, ExcludeColumns: o.exclude,
		SourceWhere: o.where, SinkWhere: o.where,
		TimestampPrecision: o.tsPrecision, FloatDigits: o.floatDigits, FloatTolerance: o.floatTolerance,
		Mode: o.mode, SourceMode: o.sourceMode, SinkMode: o.sinkMode, MaxDiffs: o.maxDiffs, StopAfter: o.stopAfter,
		Timeout: o.timeout, Settle: o.settle, PartitionBy: o.partitionBy,
		MaxLoad: o.maxLoad, RowsPerSecond: o.rowsPerSecond,
		SourceReplica: o.sourceReplica, MaxReplicaLag: o.maxReplicaLag,
		Window: o.window, WindowEnd: o.windowEnd, Clock: o.clock,
	}
	if err := checkOutsideWindow(o.outsideWindow); err != nil {
		return s, err
	}
	if err := columnsConflict(o.columns, o.exclude); err != nil {
		return s, err
	}
	var err error
	if s.Incremental, err = o.incr.incremental(nil, "", "", "", nil); err != nil {
		return s, err
	}
	if err := o.incrNeedsRecord(s); err != nil {
		return s, err
	}
	if o.sourceWhere != "" {
		s.SourceWhere = o.sourceWhere
	}
	if o.sinkWhere != "" {
		s.SinkWhere = o.sinkWhere
	}
	if len(o.normalize) > 0 {
		s.Normalize = map[string]string{}
		for _, n := range o.normalize {
			col, opts, ok := strings.Cut(n, ":")
			if !ok || col == "" {
				return s, usageError{fmt.Errorf("--normalize %q: write COLUMN:OPTIONS, e.g. email:trim,casefold", n)}
			}
			s.Normalize[col] = opts
		}
	}
	return s, nil
}

func runReconcile(ctx context.Context, g *globals, o *reconcileOptions) error {
	if o.pairs != "" {
		return runReconcilePairs(ctx, g, o)
	}
	if (o.source == "" && o.sourceReplica == "") || o.sink == "" || o.table == "" {
		return usageError{fmt.Errorf("reconcile needs --source, --sink and --table (or --pairs FILE); --source-replica may stand for --source")}
	}
	if o.outsideWindow == "skip" {
		return cdcops.Errorf(cdcops.EINVALID, "leave --outside-window out (a single run waits for its window), or list the table in a --pairs file", "--outside-window skip applies to --pairs only")
	}
	spec, err := o.spec()
	if err != nil {
		return err
	}
	if err := spec.Validate(); err != nil { // before anything is opened or written
		return err
	}
	out, err := openRunOutputs(ctx, g, o)
	if err != nil {
		return err
	}
	defer out.close()
	if err := out.loadCheckpoint(ctx, &spec); err != nil {
		return err
	}
	keys := &runKeys{}
	spec.DiffSink = out.sink(keys, "")
	var rows, estimate atomic.Int64
	spec.Progress = func(r, e int64) { rows.Store(r); estimate.Store(e) }
	stop := g.startProgress("reconcile "+spec.Table, func() string { return progressBar(rows.Load(), estimate.Load(), "rows") })
	spec.Logger = g.log
	started := time.Now()
	rep, err := reconcile.Run(ctx, spec)
	stop()
	if cerr := out.finishDiffs(err); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	out.recordRun(ctx, started, rep, keys)
	out.saveCheckpoint(ctx, spec, rep)
	if err := g.print(rep, rep.WriteTable); err != nil {
		return err
	}
	if differs(rep) {
		return exitStatus(1)
	}
	return nil
}

// columnsConflict refuses a column that is both compared and excluded.
func columnsConflict(columns, exclude []string) error {
	for _, c := range columns {
		src, _, _ := strings.Cut(c, ":")
		for _, x := range exclude {
			if strings.EqualFold(strings.TrimSpace(src), strings.TrimSpace(x)) {
				return cdcops.Errorf(cdcops.EINVALID, "name a column in --columns or in --exclude-columns, not both",
					"column %s is both in --columns and in --exclude-columns", x)
			}
		}
	}
	return nil
}
