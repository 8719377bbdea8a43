package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cdcops/cdcops"
)

// RunKey is one differing key of a recorded reconcile run.
type RunKey struct {
	Kind string            `json:"kind"` // missing, extra, changed, duplicate
	Key  map[string]string `json:"key"`  // key column → canonical value
}

// AddReconcileRunKeys stores the differing keys of run id, in one
// transaction.
func (s *Store) AddReconcileRunKeys(ctx context.Context, id int64, keys []RunKey) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO reconcile_run_keys (run_id, kind, key_json) VALUES ("+s.phs(3)+")")
	if err != nil {
		return fmt.Errorf("record run keys: %w", err)
	}
	defer stmt.Close()
	for _, k := range keys {
		b, err := json.Marshal(k.Key)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, id, k.Kind, string(b)); err != nil {
			return fmt.Errorf("record run keys: %w", err)
		}
	}
	return tx.Commit()
}

// ReconcileRunKeys returns the differing keys recorded for run id.
func (s *Store) ReconcileRunKeys(ctx context.Context, id int64) ([]RunKey, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT kind, key_json FROM reconcile_run_keys WHERE run_id = "+s.ph(1), id)
	if err != nil {
		return nil, fmt.Errorf("read run keys: %w", err)
	}
	defer rows.Close()
	var out []RunKey
	for rows.Next() {
		var k RunKey
		var body string
		if err := rows.Scan(&k.Kind, &body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &k.Key); err != nil {
			return nil, cdcops.Errorf(cdcops.ECORRUPT, "the state store was edited; run reconcile again", "run %d has an unreadable key: %v", id, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ReconcileRun returns one recorded run; a missing id is ENOTFOUND.
func (s *Store) ReconcileRun(ctx context.Context, id int64) (*ReconcileRun, error) {
	var r ReconcileRun
	var started, summary string
	var eq int
	err := s.db.QueryRowContext(ctx, "SELECT id, "+runCols+" FROM reconcile_runs WHERE id = "+s.ph(1), id).Scan(&r.ID, &started, &r.ElapsedMS,
		&r.Source, &r.Sink, &r.SourceTable, &r.SinkTable, &eq, &r.SourceRows, &r.SinkRows, &r.Missing, &r.Extra, &r.Changed, &r.Duplicates, &summary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "list runs with `cdcops reconcile history`", "reconcile run %d not found in %s", id, s.Name())
	}
	if err != nil {
		return nil, fmt.Errorf("read reconcile run: %w", err)
	}
	r.Started, _ = time.Parse(time.RFC3339Nano, started)
	r.Equal = eq == 1
	r.Summary = json.RawMessage(summary)
	return &r, nil
}
