package surgery

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/snapshots"
)

// Checklist is the playbooks' pre-flight list, each item checked by
// cdcops against the systems (never ticked by hand): a validated backup,
// downstream sinks paused or idempotent, monitoring reachable, approvals
// in place, the rollback snapshot verified.
func Checklist(ctx context.Context, env Env, p *cdcops.Plan) []cdcops.Check {
	names := Names(p)
	var out []cdcops.Check
	out = append(out, backupCheck(ctx, env, names))
	out = append(out, downstreamChecks(ctx, env, p)...)
	mon := cdcops.Check{Name: "monitoring reachable (Kafka Connect REST)", OK: true}
	if info, err := env.Connect.ServerInfo(ctx); err != nil {
		mon.OK, mon.Detail = false, err.Error()
	} else {
		mon.Detail = "Kafka Connect " + info.Version + " answers at " + cdcops.RedactDSN(env.Connect.URL())
	}
	out = append(out, mon)
	out = append(out, ApprovalCheck(p))
	rb := cdcops.Check{Name: "rollback snapshot verified", Detail: "taken and verified by the apply before anything is written"}
	if p.PreChangeSnapshot != "" && env.Vault != nil {
		rb.OK, rb.Detail = verifySnapshot(ctx, env, p.PreChangeSnapshot)
	}
	out = append(out, rb)
	return out
}

// ApprovalCheck counts a plan's approvals against the rule it was made
// under: required people in all, the author counting as one.
func ApprovalCheck(p *cdcops.Plan) cdcops.Check {
	need := p.ApprovalsRequired - 1
	if need < 0 {
		need = 0
	}
	var by []string
	for _, a := range p.Approvals {
		by = append(by, a.By)
	}
	c := cdcops.Check{Name: "approvals in place", OK: len(p.Approvals) >= need}
	c.Detail = fmt.Sprintf("%d of %d approval(s) by someone other than the author %s", len(p.Approvals), need, p.CreatedBy)
	if len(by) > 0 {
		c.Detail += " (" + strings.Join(by, ", ") + ")"
	}
	return c
}

func verifySnapshot(ctx context.Context, env Env, id string) (bool, string) {
	sum, err := env.Vault.Resolve(ctx, id)
	if err != nil {
		return false, err.Error()
	}
	res, err := snapshots.Verify(ctx, env.Vault, sum)
	if err != nil {
		return false, err.Error()
	}
	if !res.OK {
		return false, fmt.Sprintf("snapshot %s fails verification: %s", id, strings.Join(res.Problems, "; "))
	}
	return true, fmt.Sprintf("snapshot %s verified (%d records, sha256 and content)", id, res.Records)
}

func backupCheck(ctx context.Context, env Env, names []string) cdcops.Check {
	c := cdcops.Check{Name: "validated backup exists"}
	if env.Vault == nil {
		c.Detail = "no vault"
		return c
	}
	list, err := env.Vault.List(ctx)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	for i := len(list) - 1; i >= 0; i-- {
		s := list[i]
		all := true
		for _, n := range names {
			all = all && slices.Contains(s.Connectors, n)
		}
		if all {
			c.OK, c.Detail = verifySnapshot(ctx, env, s.ID)
			return c
		}
	}
	c.Detail = "no snapshot in " + env.Vault.URL() + " holds " + strings.Join(names, ", ") + " (the apply takes one anyway; `cdcops offsets backup` makes one now)"
	return c
}

// downstream is one changed source and the sink connectors reading its
// topics (topic.prefix.*, or the lab's lab.topic).
type downstream struct {
	source, topics string
	unknown        bool // the source has no topic.prefix: its topics are unknown
	sinks          []sinkState
}

type sinkState struct {
	name, state string
	idempotent  bool // insert.mode=upsert or cdcops.idempotent=true
}

// exposed: RUNNING and not idempotent, so a replay reaches it again.
func (s sinkState) exposed() bool { return s.state == cdcops.StateRunning && !s.idempotent }

// downstreamOf finds, for every changed source, the sinks reading its topics.
func downstreamOf(ctx context.Context, env Env, p *cdcops.Plan) ([]downstream, error) {
	var out []downstream
	var exp map[string]connect.Expanded
	for _, src := range p.Connectors {
		if src.Type != cdcops.ConnectorSource {
			continue
		}
		if exp == nil {
			var err error
			if exp, err = env.Connect.ListExpanded(ctx, connect.ExpandInfo, connect.ExpandStatus); err != nil {
				return nil, err
			}
		}
		if exp[src.Name].Info == nil {
			continue
		}
		cfg := exp[src.Name].Info.Config
		prefix := orDefault(cfg["topic.prefix"], cfg["database.server.name"])
		d := downstream{source: src.Name, topics: orDefault(cfg["lab.topic"], prefix+".*")}
		if prefix == "" && cfg["lab.topic"] == "" {
			d.unknown = true
			out = append(out, d)
			continue
		}
		for name, e := range exp {
			if e.Info == nil || e.Info.Type != cdcops.ConnectorSink || !readsPrefix(e.Info.Config, prefix, cfg["lab.topic"]) {
				continue
			}
			st := sinkState{name: name, idempotent: e.Info.Config["cdcops.idempotent"] == "true" || strings.EqualFold(e.Info.Config["insert.mode"], "upsert")}
			if e.Status != nil {
				st.state = e.Status.Connector.State
			}
			d.sinks = append(d.sinks, st)
		}
		slices.SortFunc(d.sinks, func(a, b sinkState) int { return strings.Compare(a.name, b.name) })
		out = append(out, d)
	}
	return out, nil
}

// downstreamChecks: a replay reaches the sinks again, which is only
// harmless when they are stopped/paused, idempotent, or paused by the
// apply (--pause-downstream).
func downstreamChecks(ctx context.Context, env Env, p *cdcops.Plan) []cdcops.Check {
	ds, err := downstreamOf(ctx, env, p)
	if err != nil {
		return []cdcops.Check{{Name: "downstream paused or idempotent", Detail: "not checked: " + err.Error()}}
	}
	var out []cdcops.Check
	for _, d := range ds {
		check := cdcops.Check{Name: "downstream of " + d.source + " paused or idempotent", OK: true}
		if d.unknown {
			check.OK, check.Detail = false, "not checked: the connector has no topic.prefix, so its topics are unknown"
			out = append(out, check)
			continue
		}
		var bad, paused, fine []string
		for _, s := range d.sinks {
			switch {
			case s.exposed() && slices.Contains(p.PauseDownstream, s.name):
				paused = append(paused, s.name)
			case s.exposed():
				bad = append(bad, s.name)
			default:
				fine = append(fine, fmt.Sprintf("%s (%s, idempotent %v)", s.name, s.state, s.idempotent))
			}
		}
		switch {
		case len(bad) > 0:
			check.OK = false
			check.Detail = "running and not idempotent: " + strings.Join(bad, ", ") + " — the replay reaches them again; --pause-downstream pauses them for the apply, or mark them cdcops.idempotent=true"
		case len(paused) > 0:
			check.Detail = "paused by the apply before the change and resumed after (--pause-downstream): " + strings.Join(append(paused, fine...), "; ")
		case len(fine) > 0:
			check.Detail = strings.Join(fine, "; ")
		default:
			check.Detail = "no sink connector reads " + d.topics
		}
		out = append(out, check)
	}
	return out
}

func readsPrefix(cfg map[string]string, prefix, exact string) bool {
	for _, t := range strings.Split(cfg["topics"], ",") {
		t = strings.TrimSpace(t)
		if t != "" && (prefix != "" && strings.HasPrefix(t, prefix+".") || t == exact) {
			return true
		}
	}
	if re := cfg["topics.regex"]; re != "" && prefix != "" {
		if r, err := regexp.Compile(re); err == nil && r.MatchString(prefix+".x") {
			return true
		}
	}
	return false
}
