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

// AddPlan stores a new plan.
func (s *Store) AddPlan(ctx context.Context, p *cdcops.Plan) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO plans (id, created, kind, status, body) VALUES ("+s.phs(5)+")",
		p.ID, p.Created.UTC().Format(time.RFC3339Nano), p.Kind, p.Status, string(body))
	if err != nil {
		return fmt.Errorf("store plan %s: %w", p.ID, err)
	}
	return nil
}

// UpdatePlan rewrites a stored plan (its status, pre-change snapshot, ...).
func (s *Store) UpdatePlan(ctx context.Context, p *cdcops.Plan) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, "UPDATE plans SET status = "+s.ph(1)+", body = "+s.ph(2)+" WHERE id = "+s.ph(3), p.Status, string(body), p.ID)
	if err != nil {
		return fmt.Errorf("update plan %s: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return planNotFound(p.ID)
	}
	return nil
}

func planNotFound(id string) error {
	return cdcops.Errorf(cdcops.ENOTFOUND, "`cdcops plans list` shows the stored plans (check --state)", "no plan %q", id)
}

// Plan loads one plan with its approvals.
func (s *Store) Plan(ctx context.Context, id string) (*cdcops.Plan, error) {
	var body string
	err := s.db.QueryRowContext(ctx, "SELECT body FROM plans WHERE id = "+s.ph(1), id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, planNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", id, err)
	}
	var p cdcops.Plan
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return nil, cdcops.Errorf(cdcops.ECORRUPT, "the state store was edited by hand or damaged", "plan %s: %v", id, err)
	}
	if p.Approvals, err = s.Approvals(ctx, id); err != nil {
		return nil, err
	}
	return &p, nil
}

// Plans lists plans, newest first, at most limit (0 = 100).
func (s *Store) Plans(ctx context.Context, limit int) ([]*cdcops.Plan, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT id FROM plans ORDER BY created DESC, id DESC LIMIT %d", limit))
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*cdcops.Plan, 0, len(ids))
	for _, id := range ids {
		p, err := s.Plan(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// AddApproval records an approval; a second one by the same person is
// refused (ECONFLICT).
func (s *Store) AddApproval(ctx context.Context, a cdcops.Approval) error {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM plan_approvals WHERE plan_id = "+s.ph(1)+" AND approver = "+s.ph(2), a.PlanID, a.By).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return cdcops.Errorf(cdcops.ECONFLICT, "another person must approve", "%s already approved plan %s", a.By, a.PlanID)
	}
	_, err := s.db.ExecContext(ctx, "INSERT INTO plan_approvals (plan_id, approver, at, reason, ticket) VALUES ("+s.phs(5)+")",
		a.PlanID, a.By, a.At.UTC().Format(time.RFC3339Nano), a.Reason, a.Ticket)
	if err != nil {
		return fmt.Errorf("record approval: %w", err)
	}
	return nil
}

// Approvals lists a plan's approvals, oldest first.
func (s *Store) Approvals(ctx context.Context, planID string) ([]cdcops.Approval, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT approver, at, reason, ticket FROM plan_approvals WHERE plan_id = "+s.ph(1)+" ORDER BY id", planID)
	if err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	defer rows.Close()
	out := []cdcops.Approval{}
	for rows.Next() {
		a := cdcops.Approval{PlanID: planID}
		var at string
		if err := rows.Scan(&a.By, &at, &a.Reason, &a.Ticket); err != nil {
			return nil, err
		}
		a.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddStep journals one step of an apply or rollback.
func (s *Store) AddStep(ctx context.Context, r cdcops.StepRecord) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO plan_steps (plan_id, run, connector, step, status, at, detail) VALUES ("+s.phs(7)+")",
		r.PlanID, r.Run, r.Connector, r.Step, r.Status, r.At.UTC().Format(time.RFC3339Nano), r.Detail)
	if err != nil {
		return fmt.Errorf("journal step %s of plan %s: %w", r.Step, r.PlanID, err)
	}
	return nil
}

// Steps returns a plan's journal for run ("" = every run), oldest first.
func (s *Store) Steps(ctx context.Context, planID, run string) ([]cdcops.StepRecord, error) {
	q := "SELECT run, connector, step, status, at, detail FROM plan_steps WHERE plan_id = " + s.ph(1)
	args := []any{planID}
	if run != "" {
		q += " AND run = " + s.ph(2)
		args = append(args, run)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer rows.Close()
	out := []cdcops.StepRecord{}
	for rows.Next() {
		r := cdcops.StepRecord{PlanID: planID}
		var at string
		if err := rows.Scan(&r.Run, &r.Connector, &r.Step, &r.Status, &at, &r.Detail); err != nil {
			return nil, err
		}
		r.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClearSteps forgets a run's journal (a fresh rollback after a finished one).
func (s *Store) ClearSteps(ctx context.Context, planID, run string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM plan_steps WHERE plan_id = "+s.ph(1)+" AND run = "+s.ph(2), planID, run)
	return err
}
