package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/audit"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/repair"
	"github.com/cdcops/cdcops/sqlconn"
	"github.com/cdcops/cdcops/state"
)

// repairOptions are the flags of `cdcops repair`.
type repairOptions struct {
	source, sink          string
	table, sinkTable      string
	key, columns, exclude []string
	normalize             []string
	tsPrecision           string
	fromDiff              string
	fromRun               int64
	upsert                bool
	batch                 int
	sqlFile               string
	apply                 bool
	reason, ticket        string
	rollbackFile          string
	signal                string
	connector             string
	timeout               time.Duration
}

func newRepairCmd(g *globals) *cobra.Command {
	opts := &repairOptions{}
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Fix the drift reconcile found: exact SQL for the sink with a rollback script, or a Debezium re-snapshot of just those keys",
		Long: `Takes the differing keys of a reconcile run (--from-diff FILE or --from-run ID),
re-reads them on both sides now (a stale diff is never trusted) and fixes the
sink: INSERT the missing rows, UPDATE only the differing columns, DELETE the
extra rows (or the engine's native upsert with --upsert), with literals exact
for the sink's engine, in batches.

By default nothing changes: the SQL is printed (or written to --sql-file).
--apply --reason TEXT first writes a rollback script that restores the
pre-image of every touched row (runnable by psql, mariadb or sqlite3), then
runs one transaction per batch, re-reconciles the touched keys and records
an audit entry. --signal source|kafka instead asks the Debezium source
connector to re-read exactly those keys (execute-snapshot, INCREMENTAL, with
additional-conditions) and waits until the sink converges.

Exit codes: 0 done (and equal after --apply/--signal), 1 still different,
2 usage error, 3 runtime failure. See docs/repair.md.`,
		Example: `  cdcops reconcile --source postgres://db1/shop --sink mysql://dw/shop --table orders --diff-file drift.jsonl
  cdcops repair --source postgres://db1/shop --sink mysql://dw/shop --table orders --from-diff drift.jsonl
  cdcops repair --source … --sink … --table orders --from-run 42 --sql-file fix.sql
  cdcops repair --source … --sink … --table orders --from-diff drift.jsonl --apply --reason "OPS-7: sink lost 3 rows"
  cdcops repair --source … --sink … --table orders --from-diff drift.jsonl --signal source --connector inventory -o json`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runRepair(cmd.Context(), g, opts) },
	}
	repairFlags(cmd.Flags(), opts)
	return cmd
}

func repairFlags(fs *pflag.FlagSet, o *repairOptions) {
	fs.StringVar(&o.source, "source", "", "source DSN: postgres://…, mysql://… or sqlite://PATH")
	fs.StringVar(&o.sink, "sink", "", "sink DSN (the side repair writes)")
	fs.StringVar(&o.table, "table", "", "source table (default: the run's, with --from-run)")
	fs.StringVar(&o.sinkTable, "sink-table", "", "sink table (default: --table)")
	fs.StringSliceVar(&o.key, "key", nil, "key columns (default: the primary key)")
	fs.StringSliceVar(&o.columns, "columns", nil, "columns, as for reconcile (col or source_col:sink_col)")
	fs.StringSliceVar(&o.exclude, "exclude-columns", nil, "columns left alone")
	fs.StringArrayVar(&o.normalize, "normalize", nil, "COL:as=CLASS, as given to reconcile (only as= is allowed: values are written exactly)")
	fs.StringVar(&o.tsPrecision, "timestamp-precision", "us", "precision the check after --apply/--signal compares timestamps at")
	fs.StringVar(&o.fromDiff, "from-diff", "", "the keys: a file written by `reconcile --diff-file` (JSON lines or .csv)")
	fs.Int64Var(&o.fromRun, "from-run", 0, "the keys: a recorded reconcile run (see `reconcile history`)")
	fs.BoolVar(&o.upsert, "upsert", false, "write missing and changed rows with the engine's upsert (ON CONFLICT / ON DUPLICATE KEY UPDATE)")
	fs.IntVar(&o.batch, "batch", 200, "keys per batch (one transaction each)")
	fs.StringVar(&o.sqlFile, "sql-file", "", "write the fix SQL here instead of printing it")
	fs.BoolVar(&o.apply, "apply", false, "apply the fix to the sink (needs --reason)")
	fs.StringVar(&o.reason, "reason", "", "why: recorded in the audit log (required with --apply and --signal)")
	fs.StringVar(&o.ticket, "ticket", "", "ticket id recorded in the audit log")
	fs.StringVar(&o.rollbackFile, "rollback-file", "", "where --apply writes the rollback script (default: under the state directory)")
	fs.StringVar(&o.signal, "signal", "", "source or kafka: send Debezium an incremental snapshot signal of the drifted keys instead of SQL")
	fs.StringVar(&o.connector, "connector", "", "the Debezium source connector (with --signal)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long --signal waits for the sink to converge")
}

func runRepair(ctx context.Context, g *globals, o *repairOptions) error {
	if o.source == "" || o.sink == "" {
		return usageError{fmt.Errorf("repair needs --source and --sink")}
	}
	if (o.fromDiff == "") == (o.fromRun == 0) {
		return usageError{fmt.Errorf("repair needs the drifted keys: --from-diff FILE or --from-run ID (one of them)")}
	}
	if (o.apply || o.signal != "") && strings.TrimSpace(o.reason) == "" {
		return usageError{fmt.Errorf(`--apply and --signal need --reason "why" (it goes into the audit log)`)}
	}
	if o.apply && o.signal != "" {
		return usageError{fmt.Errorf("choose --apply (SQL) or --signal (re-snapshot), not both")}
	}
	spec := repair.Spec{Source: o.source, Sink: o.sink, Table: o.table, SinkTable: o.sinkTable, Key: o.key, Columns: o.columns,
		ExcludeColumns: o.exclude, TimestampPrecision: o.tsPrecision, Upsert: o.upsert, BatchSize: o.batch, Logger: g.log}
	for _, n := range o.normalize {
		col, opts, ok := strings.Cut(n, ":")
		if !ok || col == "" {
			return usageError{fmt.Errorf("--normalize %q: write COLUMN:as=CLASS", n)}
		}
		if spec.Normalize == nil {
			spec.Normalize = map[string]string{}
		}
		spec.Normalize[col] = opts
	}
	if err := repairKeys(ctx, g, o, &spec); err != nil {
		return err
	}
	if spec.Table == "" {
		return usageError{fmt.Errorf("repair needs --table")}
	}
	if o.signal != "" {
		return runRepairSignal(ctx, g, o, spec)
	}
	fix, err := repair.Plan(ctx, spec)
	if err != nil {
		return err
	}
	action := "plan"
	if o.apply {
		action = "apply"
	}
	rep := fix.NewReport(spec, action)
	if o.sqlFile != "" {
		if err := fix.WriteSQL(o.sqlFile); err != nil {
			return err
		}
		rep.SQLFile = o.sqlFile
	}
	if !o.apply {
		if o.sqlFile == "" {
			rep.SQL = fix.SQLText()
		}
		return g.print(rep, func(w io.Writer) {
			if rep.SQL != "" {
				fmt.Fprint(g.stdout, rep.SQL+"\n")
			}
			rep.WriteTable(w)
		})
	}
	rep.RollbackFile = o.rollbackFile
	if rep.RollbackFile == "" {
		rep.RollbackFile = defaultRollbackFile(g.stateURL, fix.Now.SinkTable)
	}
	store, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := fix.Apply(ctx, spec, repair.ApplyOptions{Reason: o.reason, RollbackFile: rep.RollbackFile,
		Audit: func(ctx context.Context, e repair.AuditEntry) error {
			seq, err := recordRepairAudit(ctx, g, store, o, e.Error, e)
			rep.AuditSeq = seq
			return err
		}})
	if applied != nil {
		rep.Committed, rep.Verify = applied.Committed, applied.Verify
		if applied.Verify != nil {
			eq := applied.Verify.Equal
			rep.Equal = &eq
		}
	}
	if err != nil {
		return err
	}
	return finishRepair(g, rep)
}

func finishRepair(g *globals, rep *repair.Report) error {
	if err := g.print(rep, rep.WriteTable); err != nil {
		return err
	}
	if rep.Equal != nil && !*rep.Equal {
		return exitStatus(1)
	}
	return nil
}

func runRepairSignal(ctx context.Context, g *globals, o *repairOptions, spec repair.Spec) error {
	store, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := repair.Signal(ctx, spec, repair.SignalOptions{Channel: o.signal, Connect: g.connectClient(), Connector: o.connector,
		Bootstrap: g.bootstrap, Timeout: o.timeout})
	if rep != nil && rep.Signal != nil && len(rep.Signal.IDs) > 0 {
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		seq, aerr := recordRepairAudit(ctx, g, store, o, msg, rep.Signal)
		rep.AuditSeq = seq
		if aerr != nil && err == nil {
			err = aerr
		}
	}
	if err != nil {
		if rep != nil && rep.Signal != nil && len(rep.Signal.Checks) > 0 && len(rep.Signal.IDs) == 0 {
			_ = g.print(rep, rep.WriteTable) // which prerequisite failed
		}
		return err
	}
	return finishRepair(g, rep)
}

// recordRepairAudit appends the repair to the audit chain surgery keeps.
func recordRepairAudit(ctx context.Context, g *globals, store *state.Store, o *repairOptions, failure string, detail any) (int64, error) {
	body, err := json.Marshal(detail)
	if err != nil {
		return 0, err
	}
	result := "ok"
	if failure != "" {
		result = "failed: " + failure
	}
	action := "repair.apply"
	if o.signal != "" {
		action = "repair.signal"
	}
	e, err := audit.Record(ctx, store, cdcops.AuditEntry{Actor: g.actor(""), Action: action, Reason: o.reason, Ticket: o.ticket,
		Result: cdcops.RedactDSN(result), Detail: body})
	return e.Seq, err
}

// repairKeys fills spec.Keys (and the table, from a run) from the flags.
func repairKeys(ctx context.Context, g *globals, o *repairOptions, spec *repair.Spec) error {
	if o.fromDiff != "" {
		keys, err := repair.ReadDiffFile(o.fromDiff, o.key, o.table)
		if err != nil {
			return err
		}
		spec.Keys = keys
		return nil
	}
	store, err := state.Open(ctx, g.stateURL)
	if err != nil {
		return err
	}
	defer store.Close()
	run, err := store.ReconcileRun(ctx, o.fromRun)
	if err != nil {
		return err
	}
	if spec.Table == "" {
		spec.Table = run.SourceTable
		if spec.SinkTable == "" {
			spec.SinkTable = run.SinkTable
		}
	}
	keys, err := store.ReconcileRunKeys(ctx, o.fromRun)
	if err != nil {
		return err
	}
	if len(keys) == 0 && run.Missing+run.Extra+run.Changed+run.Duplicates > 0 {
		// Runs recorded before keys were stored: the summary's list, if whole.
		var rep reconcile.Report
		if err := json.Unmarshal(run.Summary, &rep); err != nil || int64(len(rep.Differences)) < rep.Total() {
			return cdcops.Errorf(cdcops.ENOTFOUND, "run reconcile again (runs now keep every differing key) or use --from-diff",
				"run %d does not hold all its differing keys", o.fromRun)
		}
		for _, d := range rep.Differences {
			keys = append(keys, state.RunKey{Kind: d.Kind, Key: d.Key})
		}
	}
	spec.Keys = make([]map[string]string, len(keys))
	for i, k := range keys {
		spec.Keys[i] = k.Key
	}
	return nil
}

// defaultRollbackFile is repairs/rollback-<table>-<time>.sql next to a
// SQLite state file, else under ./.cdcops.
func defaultRollbackFile(stateURL, table string) string {
	dir := "./.cdcops"
	if e, err := sqlconn.EngineOf(stateURL); err == nil && e == sqlconn.SQLite {
		dir = filepath.Dir(sqlconn.SQLitePath(stateURL))
	}
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, table)
	return filepath.Join(dir, "repairs", "rollback-"+safe+"-"+time.Now().UTC().Format("20060102T150405")+"-"+strconv.Itoa(int(time.Now().UnixNano()%1000))+".sql")
}
