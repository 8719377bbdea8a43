package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cdcops/cdcops"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs // first signal: stop gracefully
		cancel()
		<-sigs // second signal: give up now
		os.Exit(130)
	}()
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs one cdcops command line and returns its exit code: 0 success,
// 1 differences found or a check failed, 2 usage or configuration error,
// 3 runtime failure. Tests call it directly.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainWith(ctx, args, stdin, stdout, stderr, os.Getenv)
}

// mainWith is Main with the environment given (tests set CDCOPS_USER).
func mainWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	g.cancelTimeout()
	if err == nil {
		return 0
	}
	var exit exitStatus
	if errors.As(err, &exit) {
		return int(exit)
	}
	code := cdcops.ErrorCodeOf(err)
	if isUsageError(err) {
		code = cdcops.EINVALID
	}
	msg := oneLine(usageMessage(err))
	hint := oneLine(cdcops.HintOf(err))
	rc := code.ExitCode()
	switch {
	case ctx.Err() != nil:
		code, rc = cdcops.EUNAVAILABLE, 130
		msg, hint = "interrupted: "+msg, "nothing more was started; run the command again to finish"
	case g.timedOut():
		code, rc = cdcops.EUNAVAILABLE, cdcops.EUNAVAILABLE.ExitCode()
		msg = fmt.Sprintf("timed out after %s (--timeout): %s", g.timeout, msg)
		hint = "raise --timeout, or check that the systems it talks to answer"
	case hint == "" && code == cdcops.EINVALID:
		hint = fmt.Sprintf("run `%s --help` for usage and examples", commandPath(root, args))
	}
	fmt.Fprintln(stderr, "Error:", msg)
	if hint != "" {
		fmt.Fprintln(stderr, "Hint:", hint)
	}
	if wantsJSON(g, args) {
		printJSONError(stdout, code, msg, hint, rc)
	}
	return rc
}

// exitStatus ends a command with a code and no error message, for results
// that were already printed (e.g. "differences found" exits 1).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
