package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// checkpointsTable keeps what `reconcile --incremental` leaves for its
// next run of a table pair: per-range counts and checksums and the
// updated_at watermarks (body, reconcile's Checkpoint JSON).
const checkpointsTable = `CREATE TABLE reconcile_checkpoints (
  id      %ID%,
  pair    TEXT NOT NULL,
  at      TEXT NOT NULL,
  full_check INTEGER NOT NULL,
  body    TEXT NOT NULL
)`

// checkpointsKept is how many checkpoints of a pair stay (the newest).
const checkpointsKept = 3

// AddCheckpoint stores a checkpoint of pair and drops all but the newest
// few of that pair, in one transaction.
func (s *Store) AddCheckpoint(ctx context.Context, pair string, at time.Time, full bool, body []byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	f := 0
	if full {
		f = 1
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO reconcile_checkpoints (pair, at, full_check, body) VALUES ("+s.phs(4)+")",
		pair, at.UTC().Format(time.RFC3339Nano), f, string(body)); err != nil {
		return fmt.Errorf("store reconcile checkpoint: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM reconcile_checkpoints WHERE pair = %s AND id NOT IN
  (SELECT id FROM (SELECT id FROM reconcile_checkpoints WHERE pair = %s ORDER BY id DESC LIMIT %d) newest)`, s.ph(1), s.ph(2), checkpointsKept), pair, pair); err != nil {
		return fmt.Errorf("prune reconcile checkpoints: %w", err)
	}
	return tx.Commit()
}

// LatestCheckpoint returns the newest checkpoint body of pair, or nil
// when there is none.
func (s *Store) LatestCheckpoint(ctx context.Context, pair string) ([]byte, error) {
	var body string
	err := s.db.QueryRowContext(ctx, "SELECT body FROM reconcile_checkpoints WHERE pair = "+s.ph(1)+" ORDER BY id DESC LIMIT 1", pair).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read reconcile checkpoint: %w", err)
	}
	return []byte(body), nil
}

// CountCheckpoints is how many checkpoints of pair are stored.
func (s *Store) CountCheckpoints(ctx context.Context, pair string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM reconcile_checkpoints WHERE pair = "+s.ph(1), pair).Scan(&n)
	return n, err
}
