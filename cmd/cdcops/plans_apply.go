package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/surgery"
)

type applyFlags struct {
	Reason       string
	Ticket       string
	NoResume     bool
	WatchOffsets bool
	Timeout      time.Duration
	Parallel     int
}

func (f *applyFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Reason, "reason", "", "why (required; recorded in the audit log)")
	fs.StringVar(&f.Ticket, "ticket", "", "ticket id recorded in the audit log")
	fs.BoolVar(&f.NoResume, "no-resume", false, "leave the connectors STOPPED after the write")
	fs.BoolVar(&f.WatchOffsets, "watch-offsets", true, "after RUNNING, wait until offsets move on from the written ones")
	fs.DurationVar(&f.Timeout, "timeout", 2*time.Minute, "how long each wait may take (STOPPED, RUNNING, offsets moving)")
	fs.IntVar(&f.Parallel, "parallel", 8, "connectors handled at once")
}

// options turns the flags into surgery options; CDCOPS_CRASH_AFTER_STEP=N
// makes the process SIGKILL itself after the Nth journaled step (the
// crash tests use it).
func (f applyFlags) options(g *globals) surgery.ApplyOptions {
	o := surgery.ApplyOptions{Reason: f.Reason, Ticket: f.Ticket, Actor: g.actor(""), NoResume: f.NoResume,
		WatchOffsets: f.WatchOffsets, Timeout: f.Timeout, Parallel: f.Parallel}
	if n, err := strconv.Atoi(g.getenv("CDCOPS_CRASH_AFTER_STEP")); err == nil && n > 0 {
		o.AfterStep = func(i int, _ cdcops.StepRecord) {
			if i == n {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	return o
}

type plansApplyOptions struct {
	applyFlags
	ID         string
	Resume     bool
	BreakGlass bool
}

func newPlansApplyCmd(g *globals) *cobra.Command {
	var opts plansApplyOptions
	cmd := &cobra.Command{
		Use:   "apply ID --reason TEXT",
		Short: "Apply a plan: stop, check, back up, write, verify, resume, watch",
		Long: `Carries out a stored plan, journaling each step in the state store:
stop the connectors and wait for STOPPED with no tasks (sinks: and an empty
consumer group); refuse if the offsets moved since the plan was made
(re-plan); store a pre-change snapshot in the vault and verify it; write
(PATCH /offsets, or exact key bytes to the offsets topic into the partition
each key was read from); read back and compare byte for byte; resume; watch
until tasks are RUNNING and offsets move on. Exit 0 only then.
A killed apply continues with --resume; ` + "`plans rollback`" + ` undoes it. Applying
an applied plan changes nothing. Without the approvals the config requires
it is refused, unless --break-glass --reason (audited loudly).`,
		Example: `  cdcops plans apply plan-20261201-101500-3fa2c1 --reason "replay after sink outage" --ticket OPS-42
  cdcops plans apply plan-20261201-101500-3fa2c1 --resume --reason "continue after the crash"
  cdcops plans apply plan-20261201-101500-3fa2c1 --break-glass --reason "prod down, approver unreachable"`,
		Args: exactArgs(1, "a plan id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return runPlansApply(cmd.Context(), g, opts)
		},
	}
	opts.applyFlags.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&opts.Resume, "resume", false, "continue an interrupted apply from its journal")
	cmd.Flags().BoolVar(&opts.BreakGlass, "break-glass", false, "apply without the required approvals (needs --reason; recorded in the audit log)")
	return cmd
}

func runPlansApply(ctx context.Context, g *globals, o plansApplyOptions) error {
	env, done, err := g.surgeryEnv(ctx)
	if err != nil {
		return err
	}
	defer done()
	so := o.options(g)
	so.Resume, so.BreakGlass = o.Resume, o.BreakGlass
	if o.BreakGlass {
		fmt.Fprintf(g.stderr, "WARNING: BREAK-GLASS apply of %s by %s without the required approvals; recorded in the audit log (reason: %s)\n", o.ID, so.Actor, o.Reason)
	}
	res, err := surgery.Apply(ctx, env, o.ID, so)
	if err != nil {
		return err
	}
	return printResult(g, res)
}

func printResult(g *globals, res *surgery.Result) error {
	return g.print(res, func(w io.Writer) {
		for _, s := range res.Steps {
			fmt.Fprintf(w, "%-8s %-20s %-6s %s\n", s.Step, s.Connector, s.Status, s.Detail)
		}
		fmt.Fprintf(w, "plan %s: %s\n", res.Plan.ID, res.Message)
	})
}
