package main

import (
	"time"

	"github.com/cdcops/cdcops"
)

// parseInstant reads a point in time given as RFC 3339 or as a duration
// ago ("90m", "2h30m"); "" is the zero time (no bound).
func parseInstant(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if t.After(now) {
			return time.Time{}, cdcops.Errorf(cdcops.EINVALID, "give a time in the past", "%s %s is in the future", flag, s)
		}
		return t.UTC(), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, cdcops.Errorf(cdcops.EINVALID, "use RFC 3339 (2026-12-01T02:13:00Z) or a duration ago (90m)", "%s %q is not a time", flag, s)
}
