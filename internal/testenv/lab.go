package testenv

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/cdcops/cdcops/lab"
)

// Lab starts an in-process lab (kfake broker + Connect-compatible worker)
// on random 127.0.0.1 ports and closes it when the test ends. Set
// CDCOPS_TEST_LABLOG=1 to see the lab's logs on stderr.
func Lab(t testing.TB) *lab.Lab {
	t.Helper()
	return LabWith(t, lab.Options{})
}

// LabWith is Lab with options (e.g. a Dir to test restarts, a short FlushInterval).
func LabWith(t testing.TB, opts lab.Options) *lab.Lab {
	t.Helper()
	if opts.Logger == nil && os.Getenv("CDCOPS_TEST_LABLOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := lab.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start lab: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Logf("close lab: %v", err)
		}
	})
	return l
}
