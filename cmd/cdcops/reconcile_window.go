package main

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
)

// The maintenance-window and replica keys of reconcile: what --pairs
// files add to the flags, and the skipping of pairs outside their window.

func checkOutsideWindow(v string) error {
	switch v {
	case "", "wait", "skip":
		return nil
	}
	return cdcops.Errorf(cdcops.EINVALID, "use --outside-window wait or skip (outside_window: in a pairs file)", "invalid --outside-window %q", v)
}

// differs is what exit status 1 means for a report: differences found. A
// run stopped by the end of its window without finding any is not equal
// (the rest was not read) but is no failure either: exit 0, window_closed.
func differs(r *reconcile.Report) bool {
	return r.Total() > 0 || (!r.Equal && !r.WindowClosed)
}

// windowList is a pairs-file window: one string or a list of them.
type windowList []string

func (w *windowList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*w = windowList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return fmt.Errorf("window: a string or a list of strings, e.g. \"Mon-Fri 01:00-05:00 Europe/Berlin\"")
	}
	*w = l
	return nil
}

// pairSkip is a pair left out because it was outside its window
// (--outside-window skip).
type pairSkip struct {
	Table    string `json:"table"`
	Reason   string `json:"reason"`
	NextOpen string `json:"next_open"` // RFC 3339 UTC
}

// skipOutside says why a pair is skipped now ("" = run it).
func skipOutside(spec reconcile.Spec, outside string, now time.Time) *pairSkip {
	if outside != "skip" {
		return nil
	}
	ws, err := reconcile.ParseWindows(spec.Window)
	if err != nil { // validated before
		return nil
	}
	open, next := ws.At(now)
	if open {
		return nil
	}
	return &pairSkip{Table: spec.Table, Reason: "outside the window (" + ws.String() + ")", NextOpen: next.UTC().Format(time.RFC3339)}
}

// parseLag reads a pairs file's max_replica_lag ("" = the flag's).
func parseLag(v string, table string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, cdcops.Errorf(cdcops.EINVALID, "write max_replica_lag as a duration, e.g. 30s or 2m", "pair %s: invalid max_replica_lag %q", table, v)
	}
	return d, nil
}
