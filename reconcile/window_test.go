package reconcile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
)

func TestParseWindowsRefusesBadSyntax(t *testing.T) {
	for _, bad := range []string{"", "Mon-Fri", "Mon-Fri 01:00", "Mon-Fri 1-5", "Mon-Fri 01:00-05:00 Mars/Olympus",
		"Mo-Fr 01:00-05:00", "01:00-01:00", "24:00-05:00", "01:60-05:00", "01:00-24:30", "Mon 01:00-05:00 UTC extra", "01:00-05:00 Local"} {
		_, err := ParseWindows([]string{bad})
		if cdcops.ErrorCodeOf(err) != cdcops.EINVALID || cdcops.HintOf(err) == "" {
			t.Errorf("%q: err %v (code %s), want invalid with a hint", bad, err, cdcops.ErrorCodeOf(err))
		}
	}
}

func TestWindowsAt(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string, loc *time.Location) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		windows []string
		now     time.Time
		open    bool
		until   time.Time
	}{
		// 2026-12-07 is a Monday.
		{[]string{"Mon-Fri 01:00-05:00 Europe/Berlin"}, at("2026-12-07 00:30", berlin), false, at("2026-12-07 01:00", berlin)},
		{[]string{"Mon-Fri 01:00-05:00 Europe/Berlin"}, at("2026-12-07 01:00", berlin), true, at("2026-12-07 05:00", berlin)},
		{[]string{"Mon-Fri 01:00-05:00 Europe/Berlin"}, at("2026-12-07 05:00", berlin), false, at("2026-12-08 01:00", berlin)},
		{[]string{"Mon-Fri 01:00-05:00 Europe/Berlin"}, at("2026-12-11 06:00", berlin), false, at("2026-12-14 01:00", berlin)},  // Friday → Monday
		{[]string{"Mon-Fri 01:00-05:00 Europe/Berlin"}, at("2026-12-07 00:30", time.UTC), true, at("2026-12-07 05:00", berlin)}, // 01:30 in Berlin
		// Overnight: opens on the listed day, closes the next.
		{[]string{"Sat 22:00-02:00"}, at("2026-12-13 01:00", time.UTC), true, at("2026-12-13 02:00", time.UTC)},
		{[]string{"Sat 22:00-02:00"}, at("2026-12-14 01:00", time.UTC), false, at("2026-12-19 22:00", time.UTC)},
		// Fri-Mon wraps over the weekend; a list of days.
		{[]string{"Fri-Mon 00:00-24:00"}, at("2026-12-08 12:00", time.UTC), false, at("2026-12-11 00:00", time.UTC)},
		{[]string{"Sat,Sun 00:00-24:00"}, at("2026-12-12 12:00", time.UTC), true, at("2026-12-14 00:00", time.UTC)}, // touching days merge
		// Two windows that touch count as one opening.
		{[]string{"20:00-22:00", "22:00-23:30"}, at("2026-12-07 21:00", time.UTC), true, at("2026-12-07 23:30", time.UTC)},
		// Daylight saving: on 2026-03-29 Berlin skips 02:00-03:00, the
		// window still closes at 05:00 local (3 hours of real time).
		{[]string{"01:00-05:00 Europe/Berlin"}, at("2026-03-29 01:30", berlin), true, at("2026-03-29 05:00", berlin)},
	} {
		ws, err := ParseWindows(tc.windows)
		if err != nil {
			t.Fatal(err)
		}
		open, until := ws.At(tc.now)
		if open != tc.open || !until.Equal(tc.until) {
			t.Errorf("%q at %s: open=%v until %s; want %v until %s", tc.windows, tc.now, open, until, tc.open, tc.until)
		}
	}
}

// A run started outside its window waits for it (holding nothing open),
// then compares everything.
func TestWindowWaitsForTheStart(t *testing.T) {
	src, dst := plantDiffs(t, 3000, 5)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clock := testenv.NewStepClock(time.Date(2026, 12, 7, 0, 30, 0, 0, berlin), 0)
	rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: "stream",
		Window: []string{"Mon-Fri 01:00-05:00 Europe/Berlin"}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing != 5 || rep.StoppedEarly || rep.WindowClosed || rep.WaitedMS != (30*time.Minute).Milliseconds() ||
		len(rep.Waits) != 1 || !strings.Contains(rep.Waits[0], "outside the window") {
		t.Fatalf("missing=%d stopped_early=%v window_closed=%v waited_ms=%d waits=%q; want 5 found after a 30 min wait",
			rep.Missing, rep.StoppedEarly, rep.WindowClosed, rep.WaitedMS, rep.Waits)
	}
}

// A window that closes mid-run stops it between batches (default) — a
// report with lower-bound counts, not an error — or, with WindowEnd
// pause, pauses it until the next window and then finishes.
func TestWindowEndStopsOrPauses(t *testing.T) {
	src, dst := plantDiffs(t, 20000, 5)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2026, 12, 7, 4, 50, 0, 0, berlin) // 10 minutes before the end
	window := []string{"Mon-Fri 01:00-05:00 Europe/Berlin"}

	clock := testenv.NewStepClock(start, time.Minute)
	rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: "stream", Window: window, Clock: clock})
	if err != nil {
		t.Fatalf("a closed window is not a failure: %v", err)
	}
	if !rep.WindowClosed || !rep.StoppedEarly || rep.Missing > 5 || rep.RowsRead >= 40000 || !strings.Contains(strings.Join(rep.Notes, "\n"), "maintenance window closed") {
		t.Fatalf("stop: window_closed=%v stopped_early=%v missing=%d rows_read=%d notes=%q; want a marked stop part way",
			rep.WindowClosed, rep.StoppedEarly, rep.Missing, rep.RowsRead, rep.Notes)
	}

	clock = testenv.NewStepClock(start, time.Minute)
	rep, err = Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: "stream", Window: window, WindowEnd: "pause", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pause: waited %s, waits %q", time.Duration(rep.WaitedMS)*time.Millisecond, rep.Waits)
	if rep.WindowClosed || rep.StoppedEarly || rep.Missing != 5 || rep.WaitedMS != (20*time.Hour).Milliseconds() || len(rep.Waits) != 1 ||
		!strings.Contains(strings.Join(rep.Waits, "\n"), "paused until 2026-12-08T00:00:00Z") {
		t.Fatalf("pause: window_closed=%v missing=%d waited_ms=%d waits=%q; want all 5 found after one 20 h pause (05:00 to Tuesday 01:00 Berlin)",
			rep.WindowClosed, rep.Missing, rep.WaitedMS, rep.Waits)
	}
}

// The time spent waiting for the window is no allowance for the row rate:
// after it, --rows-per-second still paces (no burst of 30 minutes' rows).
func TestWindowWaitKeepsTheRowRate(t *testing.T) {
	src, dst := plantDiffs(t, 3000, 5)
	clock := testenv.NewStepClock(time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC), 0)
	rep, err := Run(context.Background(), Spec{Source: src, Sink: dst, Table: "t", Mode: "stream",
		Window: []string{"01:00-05:00"}, RowsPerSecond: 1000, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	paced := rep.WaitedMS - (30 * time.Minute).Milliseconds()
	if rep.Missing != 5 || paced <= 0 || !strings.Contains(strings.Join(rep.Waits, "\n"), "--rows-per-second 1000") {
		t.Fatalf("missing=%d waited_ms=%d waits=%q; want the window wait and then pacing", rep.Missing, rep.WaitedMS, rep.Waits)
	}
}

// The same on PostgreSQL in pushdown (the checksum tree waits between its
// levels): a window that closes at the first pause stops the run cleanly;
// with pause it resumes the next day and finds every planted difference.
func TestWindowEndPushdownPostgres(t *testing.T) {
	ctx := context.Background()
	src, dst := testenv.Postgres(t), testenv.Postgres(t)
	for dsn, qs := range map[string][]string{
		src: {"CREATE TABLE t (id bigint PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5000) g"},
		dst: {"CREATE TABLE t (id bigint PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5000) g WHERE g NOT IN (10, 2500, 4999)",
			"UPDATE t SET v = 'changed' WHERE id IN (7, 3000)"},
	} {
		db := testenv.Open(t, dsn)
		for _, q := range qs {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	window := []string{"Mon-Fri 01:00-05:00 UTC"}
	// Looks at 04:59:20 (the budget's start), 04:59:40 (the window check
	// before opening), 05:00:00 (the first pause: closed).
	start := time.Date(2026, 12, 7, 4, 59, 20, 0, time.UTC)
	rep, err := Run(ctx, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown", Window: window,
		Clock: testenv.NewStepClock(start, 20*time.Second)})
	if err != nil {
		t.Fatalf("a closed window is not a failure: %v", err)
	}
	if !rep.WindowClosed || !rep.StoppedEarly || rep.Equal {
		t.Fatalf("stop: window_closed=%v stopped_early=%v equal=%v; want a marked stop", rep.WindowClosed, rep.StoppedEarly, rep.Equal)
	}
	rep, err = Run(ctx, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown", Window: window, WindowEnd: "pause",
		Clock: testenv.NewStepClock(start, 20*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.WindowClosed || rep.Missing != 3 || rep.Changed != 2 || rep.Extra != 0 || rep.WaitedMS < (19*time.Hour).Milliseconds() {
		t.Fatalf("pause: window_closed=%v missing=%d changed=%d extra=%d waited_ms=%d; want 3, 2, 0 after a pause until Tuesday",
			rep.WindowClosed, rep.Missing, rep.Changed, rep.Extra, rep.WaitedMS)
	}
}
