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

// downstreamChecks finds sink connectors reading a changed source's
// topics (topic.prefix.*): a replay reaches them again, which is only
// harmless when they are stopped/paused or idempotent (upsert, or
// cdcops.idempotent=true in their config).
func downstreamChecks(ctx context.Context, env Env, p *cdcops.Plan) []cdcops.Check {
	var prefixes []string
	for _, c := range p.Connectors {
		if c.Type == cdcops.ConnectorSource {
			prefixes = append(prefixes, c.Name)
		}
	}
	if len(prefixes) == 0 {
		return nil
	}
	exp, err := env.Connect.ListExpanded(ctx, connect.ExpandInfo, connect.ExpandStatus)
	if err != nil {
		return []cdcops.Check{{Name: "downstream paused or idempotent", Detail: "not checked: " + err.Error()}}
	}
	var out []cdcops.Check
	for _, src := range p.Connectors {
		if src.Type != cdcops.ConnectorSource || exp[src.Name].Info == nil {
			continue
		}
		cfg := exp[src.Name].Info.Config
		prefix := orDefault(cfg["topic.prefix"], cfg["database.server.name"])
		check := cdcops.Check{Name: "downstream of " + src.Name + " paused or idempotent", OK: true}
		if prefix == "" && cfg["lab.topic"] == "" {
			check.OK, check.Detail = false, "not checked: the connector has no topic.prefix, so its topics are unknown"
			out = append(out, check)
			continue
		}
		var bad, fine []string
		for name, e := range exp {
			if e.Info == nil || e.Info.Type != cdcops.ConnectorSink || !readsPrefix(e.Info.Config, prefix, cfg["lab.topic"]) {
				continue
			}
			state := ""
			if e.Status != nil {
				state = e.Status.Connector.State
			}
			idem := e.Info.Config["cdcops.idempotent"] == "true" || strings.EqualFold(e.Info.Config["insert.mode"], "upsert")
			if state == cdcops.StateRunning && !idem {
				bad = append(bad, name)
			} else {
				fine = append(fine, fmt.Sprintf("%s (%s, idempotent %v)", name, state, idem))
			}
		}
		switch {
		case len(bad) > 0:
			check.OK = false
			check.Detail = "running and not idempotent: " + strings.Join(bad, ", ") + " — the replay reaches them again; pause them, or mark them cdcops.idempotent=true"
		case len(fine) > 0:
			check.Detail = strings.Join(fine, "; ")
		default:
			check.Detail = "no sink connector reads " + orDefault(cfg["lab.topic"], prefix+".*")
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
