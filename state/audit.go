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

// AppendAudit adds one entry to the audit chain in a transaction: seal
// gets the next sequence number and the previous entry's hash ("" for the
// first) and returns the entry with its Hash set.
func (s *Store) AppendAudit(ctx context.Context, seal func(seq int64, prev string) cdcops.AuditEntry) (cdcops.AuditEntry, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return cdcops.AuditEntry{}, err
	}
	defer tx.Rollback()
	var seq int64
	var prev string
	row := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
	if err := row.Scan(&seq, &prev); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return cdcops.AuditEntry{}, fmt.Errorf("read audit chain: %w", err)
	}
	e := seal(seq+1, prev)
	body, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO audit_log (seq, at, body, prev_hash, hash) VALUES ("+s.phs(5)+")",
		e.Seq, e.At.UTC().Format(time.RFC3339Nano), string(body), e.PrevHash, e.Hash); err != nil {
		return e, fmt.Errorf("append audit entry: %w", err)
	}
	return e, tx.Commit()
}

// Audit returns the whole chain, oldest first.
func (s *Store) Audit(ctx context.Context) ([]cdcops.AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, body, prev_hash, hash FROM audit_log ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	out := []cdcops.AuditEntry{}
	for rows.Next() {
		var seq int64
		var body, prev, hash string
		if err := rows.Scan(&seq, &body, &prev, &hash); err != nil {
			return nil, err
		}
		var e cdcops.AuditEntry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			// Keep a damaged row visible to verify instead of hiding it.
			e = cdcops.AuditEntry{Action: "unreadable"}
		}
		// The columns are what the chain links; the body is what is hashed.
		e.Seq, e.PrevHash, e.Hash = seq, prev, hash
		out = append(out, e)
	}
	return out, rows.Err()
}
