package testenv

import (
	"context"
	"sync"
	"time"
)

// StepClock is a fake clock (reconcile.Clock) whose time moves by Step at
// every look and jumps over every sleep: a run crosses a maintenance
// window's end in microseconds, and a wait for a window costs nothing.
type StepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

// NewStepClock starts at now and moves by step at every Now.
func NewStepClock(now time.Time, step time.Duration) *StepClock {
	return &StepClock{now: now, step: step}
}

func (c *StepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

func (c *StepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}
