package surgery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
)

// Request is what an offsets change command asks for.
type Request struct {
	Kind  string
	Names []string
	All   bool // restore: every connector in the snapshot that Connect knows

	Snapshot string // restore
	// Target, when set, is the restore's snapshot itself (one materialised
	// from the offsets journal for --to-time) instead of a vault id.
	Target    *cdcops.Snapshot
	Position  string // rewind (sources): LSN X/Y, file:pos, GTID set, SCN, ...
	Time      string // rewind (sinks): RFC3339 or YYYY-MM-DDTHH:MM:SS[.sss] (UTC)
	Partition string // rewind: limit to this partition map (JSON); skip: TOPIC:P
	Count     int64  // skip: records to skip (default 1)

	Read  string // topic (default) or rest
	Write string // rest, topic or signal; "" (or "offsets") = rest when Connect ≥ 3.6, else topic

	// PauseDownstream pauses the running non-idempotent sinks that read a
	// changed source's topics for the apply, instead of needing Reason.
	PauseDownstream bool
	// ExactCounts makes a reset plan count(*) the tables it re-snapshots
	// instead of taking the planner's estimate.
	ExactCounts bool

	Reason            string
	Ticket            string
	Actor             string
	ApprovalsRequired int
	// AllowNewPartitions lets a restore add partitions the connector has
	// no offset for now although it has others.
	AllowNewPartitions bool
	Source             SourceCheck
}

// changeFunc computes one connector's changes and the flags they raise.
type changeFunc func(c *Current) ([]cdcops.PlanChange, []string, error)

// MakePlan computes a plan for req from the live offsets. It stores
// nothing; Store does.
func MakePlan(ctx context.Context, env Env, req Request) (*cdcops.Plan, error) {
	if req.Read == "" {
		req.Read = "topic"
	}
	if req.Read != "topic" && req.Read != "rest" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "", "--read %q: use topic or rest", req.Read)
	}
	if req.Write == "offsets" {
		req.Write = ""
	}
	if req.Write != "" && req.Write != "topic" && req.Write != "rest" && req.Write != "signal" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "", "--via %q: use rest (PATCH /offsets), topic (exact bytes to the offsets topic) or, for rewinds of MySQL/MariaDB, signal (set-binlog-position)", req.Write)
	}
	if req.Write == "signal" && req.Kind != cdcops.PlanRewind {
		return nil, cdcops.Errorf(cdcops.EINVALID, "use --via rest or --via topic", "--via signal is for offsets rewind only")
	}
	var fn changeFunc
	var err error
	var send *cdcops.SignalSend
	switch req.Kind {
	case cdcops.PlanRestore:
		fn, err = restoreChanges(ctx, env, &req)
	case cdcops.PlanRewind:
		if req.Write == "signal" {
			send = &cdcops.SignalSend{}
			fn, err = signalChanges(ctx, env, req, send)
		} else {
			fn, err = rewindChanges(ctx, env, req)
		}
	case cdcops.PlanSkip:
		fn, err = skipChanges(ctx, env, req)
	case cdcops.PlanReset:
		fn = resetChanges
	default:
		return nil, cdcops.Errorf(cdcops.EINVALID, "", "unknown plan kind %q", req.Kind)
	}
	if err != nil {
		return nil, err
	}
	if len(req.Names) == 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "", "name a connector")
	}
	caps, err := env.Connect.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	write := req.Write
	if write == "" {
		write = "topic"
		if caps.AlterOffsets {
			write = "rest"
		}
	}
	if write == "signal" {
		send.RollbackVia = "topic"
		if caps.AlterOffsets {
			send.RollbackVia = "rest"
		}
	}
	if write == "rest" && !caps.AlterOffsets {
		return nil, cdcops.Errorf(cdcops.EINVALID, "use --via topic to write the offsets topic directly",
			"Kafka Connect %s has no PATCH /connectors/{name}/offsets (needs 3.6)", caps.Version)
	}
	cur, _, err := env.read(ctx, req.Names, req.Read)
	if err != nil {
		return nil, err
	}
	p := &cdcops.Plan{
		ID: newPlanID(), Kind: req.Kind, Status: cdcops.PlanPlanned, Created: time.Now().UTC().Truncate(time.Millisecond),
		CreatedBy: req.Actor, Reason: req.Reason, Ticket: req.Ticket, Target: target(req), Read: req.Read, Write: write,
		Flags: []string{}, ApprovalsRequired: req.ApprovalsRequired, Approvals: []cdcops.Approval{},
	}
	var problems []string
	for _, n := range req.Names {
		c := cur[n]
		if c.Type == "" {
			return nil, cdcops.Errorf(cdcops.ENOTFOUND, "`cdcops connectors list` shows the connectors", "connector %q is not known to Kafka Connect at %s", n, env.Connect.URL())
		}
		st, err := env.Connect.Status(ctx, n)
		if err != nil {
			return nil, err
		}
		changes, flags, err := fn(c)
		if err != nil {
			return nil, fmt.Errorf("plan %s for %s: %w", req.Kind, n, err)
		}
		for _, ch := range changes {
			for _, msg := range validateAfter(c, ch.Partition, ch.After) {
				problems = append(problems, fmt.Sprintf("%s %s: %s", n, ch.Partition, msg))
			}
		}
		p.Flags = append(p.Flags, flags...)
		if len(changes) > 0 {
			p.Connectors = append(p.Connectors, cdcops.PlanConnector{Name: n, Type: c.Type, Class: c.Class, Group: c.Group, Changes: changes, StateAtPlan: st.Connector.State})
		}
	}
	if len(problems) > 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "fix the target; nothing was stored or written",
			"refusing: the new offsets would not load in the connector: %s", strings.Join(problems, "; "))
	}
	if len(p.Connectors) == 0 {
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "`cdcops offsets show NAME` shows the current offsets", "nothing to change: the offsets already are %s", p.Target)
	}
	if send != nil {
		send.ID = "cdcops-" + p.ID
		p.Signal = send
	}
	if err := planDownstream(ctx, env, req.PauseDownstream, p); err != nil {
		return nil, err
	}
	if p.Kind == cdcops.PlanReset {
		resnapshot(ctx, env, req, p, cur)
	}
	if len(p.Flags) > 0 && req.Reason == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "say why with --reason TEXT (recorded in the plan and the audit log)",
			"this change is unsafe and needs --reason: %s", strings.Join(p.Flags, "; "))
	}
	bound := map[string]*Current{}
	for _, n := range Names(p) {
		bound[n] = cur[n]
	}
	p.BaseSHA256 = baseHash(bound)
	if err := checkSourceLog(ctx, env, req, p, cur); err != nil {
		return nil, err
	}
	p.Preconditions = append(preconditions(p, caps), p.Preconditions...)
	p.Checklist = Checklist(ctx, env, p)
	p.Steps = stepNames(p)
	p.Rollback = fmt.Sprintf("`cdcops plans rollback %s --reason TEXT`: stop, write the pre-change snapshot taken by the apply back (same key bytes and partitions), read back, resume", p.ID)
	return p, nil
}

func target(r Request) string {
	switch r.Kind {
	case cdcops.PlanRestore:
		if r.Target != nil && r.Target.Meta.AsOf != nil {
			at := "time " + r.Target.Meta.AsOf.UTC().Format(time.RFC3339Nano) + " (offsets journal)"
			if r.Snapshot != "" {
				at += ", snapshot " + r.Snapshot
			}
			return at
		}
		return "snapshot " + r.Snapshot
	case cdcops.PlanRewind:
		if r.Time != "" {
			return "time " + r.Time
		}
		return "position " + r.Position
	case cdcops.PlanSkip:
		return fmt.Sprintf("skip %d record(s) of %s", r.Count, r.Partition)
	case cdcops.PlanReset:
		return "reset (no offsets)"
	}
	return r.Kind
}

func newPlanID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "plan-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func preconditions(p *cdcops.Plan, caps connect.Capabilities) []cdcops.Check {
	var out []cdcops.Check
	out = append(out, cdcops.Check{Name: "new offsets valid for the connector class", OK: true, Detail: "checked as Debezium's loader reads them (integers, required fields, snapshot, partition server)"})
	for _, c := range p.Connectors {
		ok := c.StateAtPlan == cdcops.StateStopped
		d := "STOPPED: offsets are frozen, the plan stays current"
		if !ok {
			d = c.StateAtPlan + ": its offsets move until it is stopped, so applying will likely find the plan stale; run `cdcops connectors stop " + c.Name + "` and plan again"
		}
		out = append(out, cdcops.Check{Name: "connector " + c.Name + " stopped while planning", OK: ok, Detail: d})
	}
	switch p.Write {
	case "rest":
		out = append(out, cdcops.Check{Name: "write path", OK: true, Detail: "PATCH /connectors/{name}/offsets on Kafka Connect " + caps.Version.String()})
	case "signal":
		out = append(out, signalPreconditions(p)...)
	default:
		out = append(out, cdcops.Check{Name: "write path", OK: true, Detail: "exact key bytes to the offsets topic, into the partition each key was read from"})
	}
	return out
}

func stepNames(p *cdcops.Plan) []string {
	out := []string{
		"stop: PUT /stop, wait for STOPPED with no tasks (sinks: and an empty consumer group)",
		"check: offsets still hash to " + p.BaseSHA256[:12] + " (else refuse: re-plan)",
		"backup: pre-change snapshot of these connectors into the vault, verified",
	}
	if len(p.PauseDownstream) > 0 {
		out = append(out, pauseStepName(p))
	}
	if p.Signal != nil {
		out = append(out, signalStepNames(p)...)
	} else {
		out = append(out,
			"write: "+map[string]string{"rest": "PATCH /connectors/{name}/offsets", "topic": "exact bytes to the offsets topic / group commit"}[p.Write],
			"verify: read back ("+p.Read+") and compare byte for byte with the plan",
			"resume: PUT /resume (skipped with --no-resume)",
			"watch: tasks RUNNING and offsets moving on from the plan, or time out")
	}
	if len(p.PauseDownstream) > 0 {
		out = append(out, resumeStepName(p))
	}
	return out
}

// Names lists the plan's connectors.
func Names(p *cdcops.Plan) []string {
	out := make([]string, 0, len(p.Connectors))
	for _, c := range p.Connectors {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}
