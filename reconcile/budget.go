package reconcile

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cdcops/cdcops/sqlconn"
)

// budget keeps a run within --max-load and --rows-per-second: between
// ranges (pushdown) and between batches (stream) it pauses while a side's
// load is over the limit or reading runs ahead of the row rate, and it
// counts the time spent waiting. The load is read on a connection of its
// own: inside the snapshot transaction PostgreSQL would keep showing the
// activity as of the first look.
type budget struct {
	maxLoad float64
	rps     int64
	poll    time.Duration
	start   time.Time

	mu      sync.Mutex
	waited  time.Duration
	reasons []string
	checked time.Time
}

func newBudget(s *Spec) *budget {
	if s.MaxLoad <= 0 && s.RowsPerSecond <= 0 {
		return nil
	}
	poll := s.LoadPoll
	if poll <= 0 {
		poll = time.Second
	}
	return &budget{maxLoad: s.MaxLoad, rps: s.RowsPerSecond, poll: poll, start: time.Now()}
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

// wait pauses while the budget is exceeded. rows is what the side has
// read so far (for the row rate).
func (b *budget) wait(ctx context.Context, s *side) error {
	if b == nil {
		return nil
	}
	if b.rps > 0 {
		ahead := time.Duration(float64(s.rows.Load())/float64(b.rps)*float64(time.Second)) - time.Since(b.start)
		if ahead > 0 {
			b.note(ahead, fmt.Sprintf("%s: --rows-per-second %d", s.name, b.rps))
			if err := sleepCtx(ctx, ahead); err != nil {
				return err
			}
		}
	}
	if b.maxLoad <= 0 {
		return nil
	}
	b.mu.Lock()
	due := time.Since(b.checked) >= b.poll
	if due {
		b.checked = time.Now()
	}
	b.mu.Unlock()
	if !due {
		return nil
	}
	for {
		v, what, err := s.load(ctx)
		if err != nil || v <= b.maxLoad {
			return err
		}
		b.note(b.poll, fmt.Sprintf("%s: %s %.0f > --max-load %g", s.name, what, v, b.maxLoad))
		if err := sleepCtx(ctx, b.poll); err != nil {
			return err
		}
	}
}

func (b *budget) note(d time.Duration, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waited += d
	if len(b.reasons) < 10 && (len(b.reasons) == 0 || b.reasons[len(b.reasons)-1] != why) {
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
