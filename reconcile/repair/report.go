package repair

import (
	"fmt"
	"io"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
)

// Report is the outcome of `cdcops repair`; its JSON form is stable
// (docs/repair.md).
type Report struct {
	Action       string            `json:"action"` // plan (dry run), apply or signal
	Source       string            `json:"source"` // redacted
	Sink         string            `json:"sink"`
	SourceTable  string            `json:"source_table"`
	SinkTable    string            `json:"sink_table"`
	SinkEngine   string            `json:"sink_engine"`
	Keys         int               `json:"keys"`      // drifted keys asked for
	Differing    int64             `json:"differing"` // of those, still differing when re-read
	Inserts      int               `json:"inserts"`
	Updates      int               `json:"updates"`
	Deletes      int               `json:"deletes"`
	Skipped      []Skipped         `json:"skipped"`
	Batches      int               `json:"batches"`
	Statements   int               `json:"statements"`
	SQL          string            `json:"sql,omitempty"` // the fix, when printed (no --sql-file)
	SQLFile      string            `json:"sql_file,omitempty"`
	RollbackFile string            `json:"rollback_file,omitempty"`
	Committed    int               `json:"committed"` // batches committed by --apply
	Equal        *bool             `json:"equal,omitempty"`
	Verify       *reconcile.Report `json:"verify,omitempty"` // the touched keys re-reconciled after apply or signal
	Signal       *SignalResult     `json:"signal,omitempty"`
	AuditSeq     int64             `json:"audit_seq,omitempty"`
}

// NewReport describes a planned fix.
func (f *Fix) NewReport(spec Spec, action string) *Report {
	return &Report{
		Action: action, Source: cdcops.RedactDSN(spec.Source), Sink: cdcops.RedactDSN(spec.Sink),
		SourceTable: f.Now.SourceTable, SinkTable: f.Now.SinkTable, SinkEngine: string(f.Engine),
		Keys: len(f.Keys), Differing: f.Now.Total(), Inserts: f.Inserts, Updates: f.Updates, Deletes: f.Deletes,
		Skipped: append([]Skipped{}, f.Skipped...), Batches: len(f.Batches), Statements: countStmts(f.Batches),
	}
}

// WriteTable prints the report for a person (w: a tabwriter).
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "repair\t%s\t%s → %s (%s)\n", r.Action, r.SourceTable, r.SinkTable, r.SinkEngine)
	fmt.Fprintf(w, "keys\t%d asked, %d still differing now\n", r.Keys, r.Differing)
	fmt.Fprintf(w, "fix\t%d inserts, %d updates, %d deletes in %d statements, %d batches\n", r.Inserts, r.Updates, r.Deletes, r.Statements, r.Batches)
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped\t%v\t%s\n", s.Key, s.Reason)
	}
	if r.SQLFile != "" {
		fmt.Fprintf(w, "sql file\t%s\n", r.SQLFile)
	}
	if r.RollbackFile != "" {
		fmt.Fprintf(w, "rollback\t%s\n", r.RollbackFile)
	}
	if r.Action == "apply" {
		fmt.Fprintf(w, "committed\t%d of %d batches\n", r.Committed, r.Batches)
	}
	if r.Signal != nil {
		s := r.Signal
		fmt.Fprintf(w, "signal\t%s channel, %d signals, ids %s\n", s.Channel, len(s.IDs), strings.Join(s.IDs, " "))
		if s.NotBySignal > 0 {
			fmt.Fprintf(w, "not by signal\t%d extra rows (a snapshot cannot delete them; use repair --apply)\n", s.NotBySignal)
		}
		fmt.Fprintf(w, "waited\t%d ms, snapshot seen in offsets: %v\n", s.WaitedMS, s.SnapshotSeen)
	}
	if r.Equal != nil {
		v := "still DIFFERENT"
		if *r.Equal {
			v = "EQUAL"
		}
		fmt.Fprintf(w, "after\t%s\n", v)
	}
	if r.AuditSeq > 0 {
		fmt.Fprintf(w, "audit\tentry %d\n", r.AuditSeq)
	}
}

// SQLText is the fix as the script --sql-file writes.
func (f *Fix) SQLText() string {
	var b strings.Builder
	_ = f.WriteScript(&b, "fix", f.Batches)
	return b.String()
}
