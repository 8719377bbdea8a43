package repair

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/sqlconn"
)

// ApplyOptions say why a fix is applied and where its way back goes.
type ApplyOptions struct {
	Reason       string // required: recorded in the audit entry
	RollbackFile string // required: written before the first statement
	// Audit records the entry after the apply (and after a failed one);
	// its error fails the apply's report, never the data already written.
	Audit func(context.Context, AuditEntry) error
}

// AuditEntry is what an applied repair leaves in the audit trail.
type AuditEntry struct {
	Time         time.Time `json:"time"`
	Action       string    `json:"action"` // "repair.apply"
	Target       string    `json:"target"` // the sink table
	Sink         string    `json:"sink"`   // redacted DSN
	Reason       string    `json:"reason"`
	Inserts      int       `json:"inserts"`
	Updates      int       `json:"updates"`
	Deletes      int       `json:"deletes"`
	Batches      int       `json:"batches"`
	Committed    int       `json:"committed"` // batches committed
	RollbackFile string    `json:"rollback_file"`
	Equal        bool      `json:"equal"` // the touched keys compared equal afterwards
	Error        string    `json:"error,omitempty"`
}

// Applied is the outcome of Apply.
type Applied struct {
	Committed int               // batches committed
	Verify    *reconcile.Report // the touched keys re-reconciled
}

// Apply writes the rollback script, then runs each batch in its own
// transaction, checking every statement touched exactly the rows it
// should (else that batch is rolled back and Apply stops), then
// re-reconciles the touched keys and records the audit entry.
func (f *Fix) Apply(ctx context.Context, spec Spec, opts ApplyOptions) (*Applied, error) {
	if opts.Reason == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, `pass --reason "why this repair" (it goes into the audit trail)`, "--apply needs --reason")
	}
	if opts.RollbackFile == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --rollback-file F", "no rollback file given")
	}
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if err := f.writeFile(opts.RollbackFile, "rollback (restores the pre-image of every touched row)", f.Rollback); err != nil {
		return nil, err
	}
	out := &Applied{}
	entry := AuditEntry{Time: time.Now().UTC(), Action: "repair.apply", Target: f.SinkTable, Sink: cdcops.RedactDSN(spec.Sink),
		Reason: opts.Reason, Inserts: f.Inserts, Updates: f.Updates, Deletes: f.Deletes, Batches: len(f.Batches), RollbackFile: opts.RollbackFile}
	err := f.run(ctx, spec.Sink, f.Batches, true, &out.Committed)
	if err == nil {
		out.Verify, err = reconcile.Run(ctx, spec.checkSpec(f.Keys))
	}
	entry.Committed = out.Committed
	if out.Verify != nil {
		entry.Equal = out.Verify.Equal
	}
	if err != nil {
		entry.Error = err.Error()
	}
	if opts.Audit != nil {
		if aerr := opts.Audit(ctx, entry); aerr != nil && err == nil {
			err = fmt.Errorf("record the audit entry (the repair itself was applied): %w", aerr)
		}
	}
	return out, err
}

// RunRollback applies the rollback batches through the driver (for
// engines whose client is not installed); the script is the same SQL.
func (f *Fix) RunRollback(ctx context.Context, sink string) error {
	var n int
	return f.run(ctx, sink, f.Rollback, false, &n)
}

func (f *Fix) run(ctx context.Context, dsn string, batches []Batch, check bool, committed *int) error {
	db, err := sqlconn.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the sink is reachable", "sink: connect: %v", err)
	}
	defer conn.Close()
	for _, st := range f.w.Session() {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("sink: %s: %w", st, err)
		}
	}
	for i, b := range batches {
		if err := f.runBatch(ctx, conn, b, check); err != nil {
			return &cdcops.Error{Code: cdcops.ErrorCodeOf(err), Msg: fmt.Sprintf("batch %d of %d rolled back (%d committed before it)", i+1, len(batches), *committed),
				Hint: "the rollback script undoes the committed batches; run reconcile again to see the sink now", Err: err}
		}
		*committed++
	}
	return nil
}

func (f *Fix) runBatch(ctx context.Context, conn *sql.Conn, b Batch, check bool) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the sink is healthy", "begin: %v", err)
	}
	defer tx.Rollback()
	for _, st := range b.Stmts {
		res, err := tx.ExecContext(ctx, st.SQL)
		if err != nil {
			return cdcops.Errorf(cdcops.EUNAVAILABLE, "the statement is in the --sql-file output; check the sink's constraints and permissions",
				"%s failed: %s", st.Kind, cdcops.RedactDSN(err.Error()))
		}
		if !check {
			continue
		}
		n, err := res.RowsAffected()
		if err != nil {
			continue
		}
		if n != st.Rows && !(lenient(f.Engine, st.Kind) && n <= 2*st.Rows) {
			return cdcops.Errorf(cdcops.ECONFLICT, "the sink changed since repair read it (the pipeline may be catching up); reconcile and repair again",
				"%s touched %d rows, expected %d", st.Kind, n, st.Rows)
		}
	}
	if err := tx.Commit(); err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the sink is healthy", "commit: %v", err)
	}
	return nil
}

// WriteSQL writes the fix's forward statements as a script.
func (f *Fix) WriteSQL(path string) error { return f.writeFile(path, "fix", f.Batches) }

// writeFile writes a script durably (synced) so it exists before anything
// changes.
func (f *Fix) writeFile(path, title string, batches []Batch) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return cdcops.Errorf(cdcops.EINVALID, "pick a writable path", "create %s: %v", dir, err)
		}
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return cdcops.Errorf(cdcops.EINVALID, "pick a writable path", "write %s: %v", path, err)
	}
	if err := f.WriteScript(fh, title, batches); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
