package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// budget keeps a run within --max-load, --max-replica-lag,
// --rows-per-second and its maintenance windows: between ranges (pushdown)
// and between batches (stream) it pauses while a side's load or the
// replica's lag is over the limit, reading runs ahead of the row rate or
// the window is closed, and it counts the time spent waiting. Load and lag
// are read on a connection of their own: inside the snapshot transaction
// PostgreSQL would keep showing the activity as of the first look.
type budget struct {
	maxLoad   float64
	maxLag    time.Duration
	rps       int64
	poll      time.Duration
	clock     Clock
	start     time.Time
	windows   Windows
	windowEnd string // stop or pause
	log       *slog.Logger

	mu          sync.Mutex
	waited      time.Duration
	reasons     []string
	checked     time.Time
	pausedUntil time.Time // the window opening a pause waits for
}

// errWindow ends a run whose maintenance window closed (--window-end stop).
var errWindow = errors.New("maintenance window closed")

func newBudget(s *Spec, log *slog.Logger) *budget {
	ws, _ := ParseWindows(s.Window) // validated
	if s.MaxLoad <= 0 && s.RowsPerSecond <= 0 && s.MaxReplicaLag <= 0 && len(ws) == 0 {
		return nil
	}
	poll := s.LoadPoll
	if poll <= 0 {
		poll = time.Second
	}
	clock := s.Clock
	if clock == nil {
		clock = realClock{}
	}
	return &budget{maxLoad: s.MaxLoad, maxLag: s.MaxReplicaLag, rps: s.RowsPerSecond, poll: poll,
		clock: clock, start: clock.Now(), windows: ws, windowEnd: s.WindowEnd, log: log}
}

func (s *Spec) validateBudget() error {
	if s.MaxLoad < 0 || s.RowsPerSecond < 0 || s.MaxReplicaLag < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "limits are 0 (none) or more", "negative load budget (--max-load %g, --rows-per-second %d, --max-replica-lag %s)", s.MaxLoad, s.RowsPerSecond, s.MaxReplicaLag)
	}
	if s.MaxReplicaLag > 0 && s.SourceReplica == "" {
		return cdcops.Errorf(cdcops.EINVALID, "read the source from a replica with --source-replica DSN, or leave --max-replica-lag out",
			"--max-replica-lag limits the lag of the replica read from, and there is none")
	}
	switch s.WindowEnd {
	case "", "stop", "pause":
	default:
		return cdcops.Errorf(cdcops.EINVALID, "use --window-end stop or pause", "invalid --window-end %q", s.WindowEnd)
	}
	_, err := ParseWindows(s.Window)
	return err
}

// load is the side's current load figure, in the unit --max-load uses.
func (s *side) load(ctx context.Context) (float64, string, error) {
	var q, what string
	switch s.d.Engine() {
	case sqlconn.Postgres:
		q, what = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()", "active backends"
	case sqlconn.MySQL:
		q, what = "SELECT VARIABLE_VALUE - 1 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_RUNNING'", "Threads_running"
	default:
		return 0, "", nil // a file: no server to spare
	}
	var v float64
	if err := s.db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return 0, what, s.queryErr("load", err)
	}
	return v, what, nil
}

// waitWindow waits, holding nothing open, until a window is open; the run
// calls it before it opens either side.
func (b *budget) waitWindow(ctx context.Context) error {
	if b == nil {
		return nil
	}
	now := b.clock.Now()
	open, next := b.windows.At(now)
	if open {
		return nil
	}
	b.note(next.Sub(now), fmt.Sprintf("outside the window (%s): waited until %s", b.windows, next.UTC().Format(time.RFC3339)))
	b.log.Info("reconcile waits for its maintenance window", "window", b.windows.String(), "opens", next.UTC().Format(time.RFC3339))
	if err := b.clock.Sleep(ctx, next.Sub(now)); err != nil {
		return err
	}
	b.shift(next.Sub(now))
	return nil
}

// shift moves the row rate's start past a pause, so that the rows not
// read while waiting do not come as one burst after it.
func (b *budget) shift(d time.Duration) {
	b.mu.Lock()
	b.start = b.start.Add(d)
	b.mu.Unlock()
}

// wait pauses while the budget is exceeded.
func (b *budget) wait(ctx context.Context, s *side) error {
	if b == nil {
		return nil
	}
	if now := b.clock.Now(); len(b.windows) > 0 {
		if open, next := b.windows.At(now); !open {
			if b.windowEnd != "pause" {
				return fmt.Errorf("%w at %s (%s)", errWindow, now.UTC().Format(time.RFC3339), b.windows)
			}
			// Both sides pause together: the first to see this closing
			// counts it, once.
			b.mu.Lock()
			first := !b.pausedUntil.Equal(next)
			b.pausedUntil = next
			b.mu.Unlock()
			if first {
				b.note(next.Sub(now), fmt.Sprintf("the window closed (%s): paused until %s", b.windows, next.UTC().Format(time.RFC3339)))
				b.log.Info("reconcile paused: its maintenance window closed", "window", b.windows.String(), "resumes", next.UTC().Format(time.RFC3339))
				b.shift(next.Sub(now))
			}
			if err := b.clock.Sleep(ctx, next.Sub(now)); err != nil {
				return err
			}
		}
	}
	if b.rps > 0 {
		b.mu.Lock()
		start := b.start
		b.mu.Unlock()
		ahead := time.Duration(float64(s.rows.Load())/float64(b.rps)*float64(time.Second)) - b.clock.Now().Sub(start)
		if ahead > 0 {
			b.note(ahead, fmt.Sprintf("%s: --rows-per-second %d", s.name, b.rps))
			if err := b.clock.Sleep(ctx, ahead); err != nil {
				return err
			}
		}
	}
	if b.maxLoad <= 0 && (b.maxLag <= 0 || s.replica == nil) {
		return nil
	}
	b.mu.Lock()
	now := b.clock.Now()
	due := now.Sub(b.checked) >= b.poll
	if due {
		b.checked = now
	}
	b.mu.Unlock()
	if !due {
		return nil
	}
	for {
		why, err := b.over(ctx, s)
		if err != nil || why == "" {
			return err
		}
		b.note(b.poll, why)
		if err := b.clock.Sleep(ctx, b.poll); err != nil {
			return err
		}
	}
}

// over says why the side is over its load or lag limit ("" = within).
func (b *budget) over(ctx context.Context, s *side) (string, error) {
	if b.maxLoad > 0 {
		v, what, err := s.load(ctx)
		if err != nil {
			return "", err
		}
		if v > b.maxLoad {
			return fmt.Sprintf("%s: %s above --max-load %g (now %.0f)", s.name, what, b.maxLoad, v), nil
		}
	}
	if b.maxLag > 0 && s.replica != nil {
		lag, known, err := s.replica.check(ctx, s)
		if err != nil {
			return "", err
		}
		// An unknown lag (replication stopped) does not pause: reading
		// does not make it worse, and the report shows the state.
		if known && lag > b.maxLag {
			return fmt.Sprintf("%s: replica lag above --max-replica-lag %s (now %s)", s.name, b.maxLag, lag.Round(time.Millisecond)), nil
		}
	}
	return "", nil
}

// note counts a wait. Reasons are kept by kind (the text before " (now"),
// the latest figure winning, so a long wait for one cause is one line.
func (b *budget) note(d time.Duration, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waited += d
	kind, _, _ := strings.Cut(why, " (now")
	for i, r := range b.reasons {
		if k, _, _ := strings.Cut(r, " (now"); k == kind {
			b.reasons[i] = why
			return
		}
	}
	if len(b.reasons) < 10 {
		b.reasons = append(b.reasons, why)
	}
}

func (b *budget) report(r *Report) {
	r.Waits = []string{}
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r.WaitedMS = b.waited.Milliseconds()
	r.Waits = append(r.Waits, b.reasons...)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
