package main

import (
	"context"
	"fmt"
	"io"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/state"
	"github.com/cdcops/cdcops/surgery"
)

// newPlansCmd is the parent of the commands that review and carry out
// offset plans (made by offsets restore|rewind|skip|reset).
func newPlansCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plans",
		Short: "List, show, approve, apply and roll back offset change plans",
		Example: `  cdcops plans list
  cdcops plans show plan-20261201-101500-3fa2c1
  cdcops plans approve plan-20261201-101500-3fa2c1 --as alice
  cdcops plans apply plan-20261201-101500-3fa2c1 --reason "replay after sink outage" --ticket OPS-42
  cdcops plans rollback plan-20261201-101500-3fa2c1 --reason "wrong LSN"`,
	}
	cmd.AddCommand(newPlansListCmd(g), newPlansShowCmd(g), newPlansApproveCmd(g), newPlansApplyCmd(g), newPlansRollbackCmd(g))
	return cmd
}

// surgeryEnv opens what plans work on: Connect, Kafka, the vault and the
// state store. close releases them.
func (g *globals) surgeryEnv(ctx context.Context) (surgery.Env, func(), error) {
	v, err := g.openVault(ctx, "")
	if err != nil {
		return surgery.Env{}, nil, err
	}
	st, err := state.Open(ctx, g.stateURL)
	if err != nil {
		v.Close()
		return surgery.Env{}, nil, err
	}
	env := surgery.Env{Connect: g.connectClient(), Bootstrap: g.bootstrap, Vault: v, State: st, Log: g.log}
	return env, func() { st.Close(); v.Close() }, nil
}

// actor is who runs the command: --as, else CDCOPS_USER, else the OS user
// (until the server brings real identities).
func (g *globals) actor(as string) string {
	if as != "" {
		return as
	}
	if u := g.getenv("CDCOPS_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// planFlags are shared by the commands that make a plan.
type planFlags struct {
	DryRun bool
	Reason string
	Ticket string
	Via    string
	Read   string
	Source string
	Force  bool
	// PauseDownstream pauses running non-idempotent downstream sinks for
	// the apply instead of needing --reason for them.
	PauseDownstream bool
}

func (f *planFlags) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&f.DryRun, "dry-run", false, "print the plan; store nothing")
	fs.StringVar(&f.Reason, "reason", "", "why (required for unsafe changes: forward jumps, resets, skips)")
	fs.StringVar(&f.Ticket, "ticket", "", "ticket id recorded with the plan")
	fs.StringVar(&f.Via, "via", "", "how the change is made: offsets (the default: rest = PATCH /offsets on Connect ≥ 3.6, else topic = exact bytes to the offsets topic), rest, topic, or for rewinds of MySQL/MariaDB signal (Debezium's set-binlog-position)")
	fs.StringVar(&f.Read, "read", "topic", "read offsets from the offsets topics (topic) or GET /offsets (rest)")
	fs.StringVar(&f.Source, "source", "", "source database DSN for the log-retention check (default: derived from the connector's database.* settings)")
	fs.BoolVar(&f.Force, "force", false, "plan although the source log no longer holds the target (with --reason)")
	fs.BoolVar(&f.PauseDownstream, "pause-downstream", false, "pause the running, non-idempotent sinks that read the changed source's topics before the change and resume them after")
}

// makePlan computes, stores (unless --dry-run) and prints a plan.
func makePlan(ctx context.Context, g *globals, f planFlags, req surgery.Request) error {
	req.Reason, req.Ticket, req.Write, req.Read = f.Reason, f.Ticket, f.Via, f.Read
	req.Source = surgery.SourceCheck{DSN: f.Source, Force: f.Force}
	req.PauseDownstream = f.PauseDownstream
	req.Actor = g.actor("")
	req.ApprovalsRequired = g.cfg.Approvals.Required
	env, done, err := g.surgeryEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	p, err := surgery.MakePlan(ctx, env, req)
	if err != nil {
		return err
	}
	return g.storeAndPrint(ctx, env, p, f.DryRun)
}

// storeAndPrint stores a plan (unless dryRun) and prints it.
func (g *globals) storeAndPrint(ctx context.Context, env surgery.Env, p *cdcops.Plan, dryRun bool) error {
	if dryRun {
		p.Rollback = strings.ReplaceAll(p.Rollback, p.ID, "ID")
		p.ID, p.Status = "", "dry-run"
	} else if err := surgery.Store(ctx, env, p); err != nil {
		return err
	}
	return g.print(p, func(w io.Writer) {
		printPlan(w, p, nil)
		if dryRun {
			fmt.Fprintln(w, "(dry run: nothing stored)")
		} else {
			fmt.Fprintf(w, "next: cdcops plans apply %s --reason TEXT\n", p.ID)
		}
	})
}

// printPlan writes a plan for people: before → after per partition,
// flags, preconditions, checklist, steps, rollback, and the journal.
func printPlan(w io.Writer, p *cdcops.Plan, journal []cdcops.StepRecord) {
	id := p.ID
	if id == "" {
		id = "(not stored)"
	}
	fmt.Fprintf(w, "plan %s: %s → %s  [%s]\n", id, p.Kind, p.Target, p.Status)
	fmt.Fprintf(w, "  made %s by %s; read via %s, write via %s; bound to offsets %s\n", p.Created.Format(time.RFC3339), p.CreatedBy, p.Read, p.Write, short(p.BaseSHA256))
	if p.Reason != "" || p.Ticket != "" {
		fmt.Fprintf(w, "  reason: %s  ticket: %s\n", p.Reason, p.Ticket)
	}
	for _, c := range p.Connectors {
		fmt.Fprintf(w, "\n  %s (%s %s, %s when planned)\n", c.Name, c.Type, c.Class, c.StateAtPlan)
		for _, ch := range c.Changes {
			fmt.Fprintf(w, "    %s\n      before: %s\n      after:  %s\n", ch.Partition, orNone(ch.Before), orNone(ch.After))
			for _, d := range ch.Delta {
				fmt.Fprintf(w, "      Δ %s\n", d)
			}
		}
	}
	if len(p.Flags) > 0 {
		fmt.Fprintln(w, "\n  UNSAFE (needs --reason):")
		for _, f := range p.Flags {
			fmt.Fprintf(w, "    ! %s\n", f)
		}
	}
	printChecks(w, "preconditions", p.Preconditions)
	printChecks(w, "pre-flight checklist", p.Checklist)
	fmt.Fprintln(w, "\n  steps:")
	for i, s := range p.Steps {
		fmt.Fprintf(w, "    %d. %s\n", i+1, s)
	}
	fmt.Fprintf(w, "\n  rollback: %s\n", p.Rollback)
	if p.PreChangeSnapshot != "" {
		fmt.Fprintf(w, "  pre-change snapshot: %s\n", p.PreChangeSnapshot)
	}
	if len(journal) > 0 {
		fmt.Fprintln(w, "\n  journal:")
		for _, s := range journal {
			fmt.Fprintf(w, "    %s %-8s %-10s %-7s %-6s %s\n", s.At.Format(time.RFC3339), s.Run, s.Connector, s.Step, s.Status, s.Detail)
		}
	}
}

func printChecks(w io.Writer, title string, cs []cdcops.Check) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n  %s:\n", title)
	for _, c := range cs {
		mark := "[ok]"
		if !c.OK {
			mark = "[--]"
		}
		fmt.Fprintf(w, "    %s %s: %s\n", mark, c.Name, c.Detail)
	}
}

func orNone(b []byte) string {
	if b == nil || string(b) == "null" {
		return "(none)"
	}
	return string(b)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
