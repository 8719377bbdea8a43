package monitor

import "time"

// commit is one observed committed offset of a sink partition, with the
// lag at the time it was seen (end offset then − offset, floored at 0), as
// Burrow stores each commit (core/internal/storage/inmemory.go).
type commit struct {
	offset int64
	at     time.Time
	lag    int64
}

// ring is a fixed-size window, oldest first once full.
type ring[T any] struct {
	buf  []T
	next int
	full bool
}

func newRing[T any](n int) ring[T] { return ring[T]{buf: make([]T, n)} }

func (r *ring[T]) push(v T) {
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

func (r *ring[T]) len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// at returns the i-th element, 0 = oldest.
func (r *ring[T]) at(i int) T {
	if !r.full {
		return r.buf[i]
	}
	return r.buf[(r.next+i)%len(r.buf)]
}

func (r *ring[T]) last() (T, bool) {
	var zero T
	if r.len() == 0 {
		return zero, false
	}
	return r.at(r.len() - 1), true
}

// evaluate applies Burrow's rules (core/internal/evaluator/caching.go,
// calculatePartitionStatus) to one partition's window of commits and
// recent end offsets. A window that is not full is OK: the rules need
// history (Burrow's minimum-complete).
func evaluate(commits *ring[commit], ends *ring[int64], currentLag, allowedLag int64, now time.Time) Status {
	// Rule 1: caught up (within allowed-lag, for EOS topics whose lag
	// never reaches 0) is OK, nothing else checked.
	if currentLag <= allowedLag {
		return OK
	}
	n := commits.len()
	if n == 0 || !commits.full {
		return OK
	}
	first, last := commits.at(0), commits.at(n-1)
	// Rule 2: no commit for longer than the window spans, and not caught
	// up in any recent end-offset sample (the idle-partition guard:
	// a partition that had nothing to consume is not stopped).
	if now.Sub(last.at) > last.at.Sub(first.at) && !recentlyCaughtUp(ends, last.offset) {
		return STOP
	}
	// Rule 3 (before 4, Burrow PR #716): the offset went backwards and no
	// later commit reached the pre-rewind offset again.
	for i := 1; i < n; i++ {
		prev, cur := commits.at(i-1), commits.at(i)
		if cur.offset < prev.offset {
			recovered := false
			for j := i + 1; j < n; j++ {
				if commits.at(j).offset >= prev.offset {
					recovered = true
					break
				}
			}
			if !recovered {
				return REWIND
			}
			break
		}
	}
	// Rule 4: any commit within allowed-lag in the window means OK.
	for i := 0; i < n; i++ {
		if commits.at(i).lag <= allowedLag {
			return OK
		}
	}
	if first.offset == last.offset {
		return STALL
	}
	for i := 1; i < n; i++ {
		if commits.at(i).lag < commits.at(i-1).lag {
			return OK
		}
	}
	return WARN
}

// recentlyCaughtUp reports whether any recent end offset was at or below
// the last committed offset (Burrow's checkIfRecentLagZero).
func recentlyCaughtUp(ends *ring[int64], offset int64) bool {
	for i := 0; i < ends.len(); i++ {
		if ends.at(i) <= offset {
			return true
		}
	}
	return false
}
