package sqlpipe

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops/sqlconn"
)

// FaultLogTable records, in the sink database, what a sink fault did, so
// the process that injected the fault (a test, `cdcops lab fault`) can
// read it back, and a restarted task does not repeat it.
const FaultLogTable = "cdcops_lab_faults"

// FaultAction is one thing a sink fault did.
type FaultAction struct {
	FaultID string `json:"fault_id"`
	N       int    `json:"n"`
	Kind    string `json:"kind"` // drop or corrupt
	Table   string `json:"table"`
	Key     string `json:"key"`
	Detail  string `json:"detail"`
}

type sinkFault struct {
	db      *sqlconn.DB
	cfg     sinkConfig
	done    int // actions already taken (this and earlier runs)
	pending []FaultAction
}

func ensureFaultLog(ctx context.Context, db *sqlconn.DB) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+FaultLogTable+` (fault_id VARCHAR(64) NOT NULL, n INT NOT NULL,
  kind VARCHAR(16) NOT NULL, table_name VARCHAR(64) NOT NULL, record_key VARCHAR(400) NOT NULL, detail VARCHAR(400) NOT NULL,
  PRIMARY KEY (fault_id, n))`)
	if err != nil {
		return fmt.Errorf("create %s in %s: %w", FaultLogTable, db.Name, err)
	}
	return nil
}

func loadSinkFault(ctx context.Context, db *sqlconn.DB, cfg sinkConfig) (*sinkFault, error) {
	if err := ensureFaultLog(ctx, db); err != nil {
		return nil, err
	}
	acts, err := FaultActions(ctx, db, cfg.faultID)
	if err != nil {
		return nil, err
	}
	return &sinkFault{db: db, cfg: cfg, done: len(acts)}, nil
}

func (f *sinkFault) total() int { return f.cfg.dropEvents + f.cfg.corruptRows }

// apply drops or corrupts it while the fault has budget; true = dropped.
func (f *sinkFault) apply(it *Item) bool {
	if f.done+len(f.pending) >= f.total() {
		return false
	}
	act := FaultAction{FaultID: f.cfg.faultID, N: f.done + len(f.pending) + 1, Table: it.Table, Key: keyString(it.Event.Key)}
	if f.cfg.dropEvents > 0 {
		act.Kind, act.Detail = "drop", "op="+it.Event.Op
		f.pending = append(f.pending, act)
		return true
	}
	if it.Event.Op == "d" {
		return false
	}
	for i, c := range it.Event.After {
		if c.Name != f.cfg.corruptCol {
			continue
		}
		var bad any
		switch v := c.Value.(type) {
		case int64:
			bad = -v - 1
		case float64:
			bad = -v - 1
		case string:
			bad = "corrupted"
			if v == "corrupted" {
				bad = "CORRUPTED"
			}
		default:
			return false // NULL or bool: nothing sensible to corrupt
		}
		after := append([]Column(nil), it.Event.After...)
		after[i].Value = bad
		it.Event.After = after
		act.Kind, act.Detail = "corrupt", fmt.Sprintf("%s: %v -> %v", c.Name, c.Value, bad)
		f.pending = append(f.pending, act)
		return false
	}
	return false
}

// flush records what this Put did, after the batch was applied.
func (f *sinkFault) flush(ctx context.Context) error {
	for _, a := range f.pending {
		_, err := f.db.ExecContext(ctx, "INSERT INTO "+FaultLogTable+" (fault_id, n, kind, table_name, record_key, detail) VALUES ("+
			strings.Join([]string{ph(f.db.Engine, 1), ph(f.db.Engine, 2), ph(f.db.Engine, 3), ph(f.db.Engine, 4), ph(f.db.Engine, 5), ph(f.db.Engine, 6)}, ", ")+")",
			a.FaultID, a.N, a.Kind, a.Table, a.Key, a.Detail)
		if err != nil {
			return fmt.Errorf("record fault action: %w", err)
		}
	}
	f.done += len(f.pending)
	f.pending = f.pending[:0]
	return nil
}

// FaultActions reads what the sink fault id has done so far.
func FaultActions(ctx context.Context, db *sqlconn.DB, faultID string) ([]FaultAction, error) {
	rows, err := db.QueryContext(ctx, "SELECT fault_id, n, kind, table_name, record_key, detail FROM "+FaultLogTable+
		" WHERE fault_id = "+ph(db.Engine, 1)+" ORDER BY n", faultID)
	if err != nil {
		if isMissingTable(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read %s: %w", FaultLogTable, err)
	}
	defer rows.Close()
	var out []FaultAction
	for rows.Next() {
		var a FaultAction
		if err := rows.Scan(&a.FaultID, &a.N, &a.Kind, &a.Table, &a.Key, &a.Detail); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func isMissingTable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "no such table") || strings.Contains(s, "does not exist") || strings.Contains(s, "doesn't exist")
}
