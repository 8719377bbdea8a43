package journal_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/state"
)

// childEnv makes the test binary run as a bare journal process, so tests
// can SIGKILL a journal mid-stream as an operator's kill -9 would.
const childEnv = "CDCOPS_TEST_JOURNAL_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild journals bootstrap's offsets topic into store ("BOOTSTRAP STATEURL").
func runChild(spec string) int {
	var bootstrap, storeURL string
	if _, err := fmt.Sscan(spec, &bootstrap, &storeURL); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := state.Open(ctx, storeURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	kc, err := kafka.Dial(ctx, bootstrap)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	j, err := journal.New(ctx, journal.Options{Store: st, Kafka: kc, Topics: []string{offsetsTopic}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println("journal running")
	if err := j.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}
