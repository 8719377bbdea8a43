package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
)

// errCommandTimeout is the cause of the context of a command that hit
// the global --timeout.
var errCommandTimeout = errors.New("command timed out")

// boundCommand puts the whole command under the global --timeout. A
// command with its own --timeout flag (connectors stop …, reconcile, lab
// demo) keeps its own meaning and is not bounded twice.
func (g *globals) boundCommand(cmd *cobra.Command) {
	if g.timeout <= 0 || cmd.Flags().Lookup("timeout") != cmd.Root().PersistentFlags().Lookup("timeout") {
		return
	}
	ctx, cancel := context.WithTimeoutCause(cmd.Context(), g.timeout, errCommandTimeout)
	g.cmdCtx, g.cancel = ctx, cancel
	cmd.SetContext(ctx)
}

func (g *globals) cancelTimeout() {
	if g.cancel != nil {
		g.cancel()
	}
}

// timedOut reports that the command's --timeout expired.
func (g *globals) timedOut() bool {
	return g.cmdCtx != nil && errors.Is(context.Cause(g.cmdCtx), errCommandTimeout)
}
