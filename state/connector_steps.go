package state

import (
	"context"
	"fmt"
	"time"

	"github.com/cdcops/cdcops"
)

// ConnectorSteps lists every journaled plan step of connector, oldest
// first, for the offsets journal to tell which writes a plan made.
func (s *Store) ConnectorSteps(ctx context.Context, connector string) ([]cdcops.StepRecord, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT plan_id, run, step, status, at, detail FROM plan_steps WHERE connector = "+s.ph(1)+" ORDER BY id", connector)
	if err != nil {
		return nil, fmt.Errorf("read plan steps of %s: %w", connector, err)
	}
	defer rows.Close()
	var out []cdcops.StepRecord
	for rows.Next() {
		r := cdcops.StepRecord{Connector: connector}
		var at string
		if err := rows.Scan(&r.PlanID, &r.Run, &r.Step, &r.Status, &at, &r.Detail); err != nil {
			return nil, err
		}
		r.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, r)
	}
	return out, rows.Err()
}
