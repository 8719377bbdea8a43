package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // window zones resolve on machines without /usr/share/zoneinfo

	"github.com/cdcops/cdcops"
)

// Clock is the time source of every wait of the load budget: tests inject
// one whose Sleep advances time instead of passing it.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time                                   { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error { return sleepCtx(ctx, d) }

// Window is one maintenance window, "[DAYS ]HH:MM-HH:MM[ ZONE]": it opens
// at the start time on each listed day (every day when none are listed)
// and closes at the end time, on the next day when the end is not after
// the start. Times are wall-clock times in ZONE (an IANA name; UTC when
// left out), so a window keeps its local hours across daylight saving.
type Window struct {
	text       string
	days       [7]bool // by time.Weekday
	start, end int     // minutes after midnight; end may be 1440
	loc        *time.Location
}

// Windows is a list of windows; a run may read while any of them is open.
type Windows []Window

const windowHint = `write a window as "[DAYS ]HH:MM-HH:MM[ ZONE]", e.g. "Mon-Fri 01:00-05:00 Europe/Berlin", "Sat,Sun 00:00-24:00" or "22:00-02:00 UTC"`

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseWindows parses maintenance windows; none means always open.
func ParseWindows(texts []string) (Windows, error) {
	var ws Windows
	for _, t := range texts {
		w, err := parseWindow(t)
		if err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, windowHint, "invalid window %q: %v", t, err)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

func parseWindow(text string) (Window, error) {
	w := Window{text: strings.TrimSpace(text), loc: time.UTC}
	f := strings.Fields(text)
	if len(f) == 0 {
		return w, fmt.Errorf("empty")
	}
	if !strings.Contains(f[0], ":") { // days first
		if err := w.parseDays(f[0]); err != nil {
			return w, err
		}
		f = f[1:]
	} else {
		w.days = [7]bool{true, true, true, true, true, true, true}
	}
	if len(f) == 0 || len(f) > 2 {
		return w, fmt.Errorf("want days, a time range and a zone")
	}
	from, to, ok := strings.Cut(f[0], "-")
	if !ok {
		return w, fmt.Errorf("time range %q has no '-'", f[0])
	}
	var err error
	if w.start, err = clockMinutes(from, false); err != nil {
		return w, err
	}
	if w.end, err = clockMinutes(to, true); err != nil {
		return w, err
	}
	if w.start == w.end {
		return w, fmt.Errorf("the window opens and closes at %s (a whole day is 00:00-24:00)", from)
	}
	if len(f) == 2 {
		if w.loc, err = time.LoadLocation(f[1]); err != nil || f[1] == "Local" {
			return w, fmt.Errorf("unknown time zone %q (use an IANA name like Europe/Berlin, or UTC)", f[1])
		}
	}
	return w, nil
}

func (w *Window) parseDays(s string) error {
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok1 := weekdays[a]
		to, ok2 := weekdays[b]
		if !isRange {
			to, ok2 = from, ok1
		}
		if !ok1 || !ok2 {
			return fmt.Errorf("unknown day in %q (days are Mon Tue Wed Thu Fri Sat Sun, ranges like Mon-Fri, lists like Sat,Sun)", s)
		}
		for d := from; ; d = (d + 1) % 7 { // Fri-Mon wraps over the weekend
			w.days[d] = true
			if d == to {
				break
			}
		}
	}
	return nil
}

// clockMinutes parses HH:MM; 24:00 only as an end.
func clockMinutes(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("bad time %q (HH:MM, 00:00 to 24:00)", s)
	}
	return hh*60 + mm, nil
}

// String is the window as written.
func (w Window) String() string { return w.text }

// around returns the window's openings that start on the day before t's
// day through the next 7 days, as [start, end) intervals.
func (w Window) around(t time.Time) [][2]time.Time {
	lt := t.In(w.loc)
	var out [][2]time.Time
	for d := -1; d <= 7; d++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+d, 0, 0, 0, 0, w.loc)
		if !w.days[day.Weekday()] {
			continue
		}
		endDay := d
		if w.end <= w.start {
			endDay++
		}
		s := time.Date(lt.Year(), lt.Month(), lt.Day()+d, w.start/60, w.start%60, 0, 0, w.loc)
		e := time.Date(lt.Year(), lt.Month(), lt.Day()+endDay, w.end/60, w.end%60, 0, 0, w.loc)
		out = append(out, [2]time.Time{s, e})
	}
	return out
}

// At says whether t is inside a window. When it is, until is when the
// open time ends (windows that touch or overlap count as one); when not,
// until is when the next window opens.
func (ws Windows) At(t time.Time) (open bool, until time.Time) {
	if len(ws) == 0 {
		return true, time.Time{}
	}
	var spans [][2]time.Time
	for _, w := range ws {
		spans = append(spans, w.around(t)...)
	}
	until = t
	for grew := true; grew; { // extend through touching windows
		grew = false
		for _, s := range spans {
			if !s[0].After(until) && s[1].After(until) {
				until, open, grew = s[1], true, true
			}
		}
	}
	if open {
		return true, until
	}
	var next time.Time
	for _, s := range spans {
		if s[0].After(t) && (next.IsZero() || s[0].Before(next)) {
			next = s[0]
		}
	}
	return false, next
}

// String lists the windows as written.
func (ws Windows) String() string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.text
	}
	return strings.Join(parts, "; ")
}

// windowClosed marks the report of a run stopped by the end of its window
// (--window-end stop): what was read is reported, the counts are lower
// bounds, and it is not a failure.
func (e *engine) windowClosed(err error) bool {
	if !errors.Is(err, errWindow) {
		return false
	}
	e.rep.StoppedEarly, e.rep.WindowClosed = true, true
	e.rep.Notes = append(e.rep.Notes, err.Error()+": stopped between ranges; the counts are lower bounds; run again in the next window (or use --window-end pause)")
	return true
}
