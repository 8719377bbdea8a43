package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ReconcileRun is one recorded `cdcops reconcile` run. Source and Sink
// must already be redacted; Summary is the report's JSON.
type ReconcileRun struct {
	ID          int64           `json:"id"`
	Started     time.Time       `json:"started"`
	ElapsedMS   int64           `json:"elapsed_ms"`
	Source      string          `json:"source"`
	Sink        string          `json:"sink"`
	SourceTable string          `json:"source_table"`
	SinkTable   string          `json:"sink_table"`
	Equal       bool            `json:"equal"`
	SourceRows  int64           `json:"source_rows"`
	SinkRows    int64           `json:"sink_rows"`
	Missing     int64           `json:"missing"`
	Extra       int64           `json:"extra"`
	Changed     int64           `json:"changed"`
	Duplicates  int64           `json:"duplicates"`
	Summary     json.RawMessage `json:"summary,omitempty"`
}

const runCols = "started, elapsed_ms, source, sink, source_table, sink_table, equal, source_rows, sink_rows, missing, extra, changed, duplicates, summary"

// AddReconcileRun stores r and returns its id.
func (s *Store) AddReconcileRun(ctx context.Context, r ReconcileRun) (int64, error) {
	summary := string(r.Summary)
	if summary == "" {
		summary = "{}"
	}
	eq := 0
	if r.Equal {
		eq = 1
	}
	var id int64
	err := s.db.QueryRowContext(ctx, "INSERT INTO reconcile_runs ("+runCols+") VALUES ("+s.phs(14)+") RETURNING id",
		r.Started.UTC().Format(time.RFC3339Nano), r.ElapsedMS, r.Source, r.Sink, r.SourceTable, r.SinkTable, eq,
		r.SourceRows, r.SinkRows, r.Missing, r.Extra, r.Changed, r.Duplicates, summary).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record reconcile run: %w", err)
	}
	return id, nil
}

// ReconcileRuns lists the newest runs first, optionally for one source
// table, at most limit (0 = 50).
func (s *Store) ReconcileRuns(ctx context.Context, table string, limit int) ([]ReconcileRun, error) {
	if limit <= 0 {
		limit = 50
	}
	q := "SELECT id, " + runCols + " FROM reconcile_runs"
	args := []any{}
	if table != "" {
		q += " WHERE source_table = " + s.ph(1) + " OR sink_table = " + s.ph(2)
		args = append(args, table, table)
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list reconcile runs: %w", err)
	}
	defer rows.Close()
	var out []ReconcileRun
	for rows.Next() {
		var r ReconcileRun
		var started, summary string
		var eq int
		if err := rows.Scan(&r.ID, &started, &r.ElapsedMS, &r.Source, &r.Sink, &r.SourceTable, &r.SinkTable, &eq,
			&r.SourceRows, &r.SinkRows, &r.Missing, &r.Extra, &r.Changed, &r.Duplicates, &summary); err != nil {
			return nil, err
		}
		r.Started, _ = time.Parse(time.RFC3339Nano, started)
		r.Equal = eq == 1
		r.Summary = json.RawMessage(summary)
		out = append(out, r)
	}
	return out, rows.Err()
}
