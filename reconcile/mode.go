package reconcile

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

// sampleRows is auto mode's sample: small, so that on a slow link the
// measurement itself moves little (about 60 KB per side and round for a
// 7-column table; two rounds).
const sampleRows = 500

// remoteRTT is the round trip from which a link counts as remote.
const remoteRTT = 2 * time.Millisecond

// fastLink is the sample throughput (bytes per second) from which a link
// counts as fast.
const fastLink = 30e6

// throughput is bytes over d, in bytes per second.
func throughput(bytes int64, d time.Duration) float64 {
	return float64(bytes) / max(d.Seconds(), 1e-6)
}

// chooseMode decides, per side, whether it streams or pushes down, and
// names the run's mode: stream (both stream, merge-compare), pushdown (both
// aggregate in SQL) or mixed (range aggregates from SQL on one side and
// from Go on the other). In auto it measures, on each side, reading a
// sample of canonical rows against checksumming the same sample in the
// database, and a side streams unless reading is more than 1.5× slower.
func (e *engine) chooseMode(ctx context.Context) (string, string, error) {
	s := e.spec
	want := [2]string{first(s.SourceMode, s.Mode), first(s.SinkMode, s.Mode)}
	reason := "requested"
	var t [2][2]time.Duration
	var moved [2]int64
	var rtt [2]time.Duration
	if want[0] == "auto" || want[1] == "auto" {
		g, gctx := errgroup.WithContext(ctx)
		for i, sd := range []*side{e.src, e.dst} {
			if want[i] != "auto" {
				continue
			}
			g.Go(func() (err error) {
				rtt[i] = sd.rtt // timed when the snapshot began
				// Best of two samples: one stall on a busy machine must not
				// flip a fast link to pushdown. A remote link that carried
				// the first at under half the fast rate is slow: the second
				// would move as many bytes again to say so.
				for round := range 2 {
					before := sd.net.total()
					st, ck, err := sd.measure(gctx, e.cmp)
					if err != nil {
						return err
					}
					if round == 0 || st < t[i][0] {
						t[i][0], moved[i] = st, sd.net.total()-before
					}
					if round == 0 || ck < t[i][1] {
						t[i][1] = ck
					}
					if round == 0 && rtt[i] >= remoteRTT && throughput(moved[i], t[i][0]-rtt[i]) < fastLink/2 {
						break
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return "", "", err
		}
		est := max(e.src.table.EstRows, e.dst.table.EstRows)
		reason = fmt.Sprintf("sample of %d rows: source stream %s vs checksum %s (round trip %s), sink stream %s vs checksum %s (round trip %s); streaming would move about %s for ~%d rows, pushdown about 16 bytes per bucket of ~1,000 rows",
			sampleRows, t[0][0].Round(time.Millisecond), t[0][1].Round(time.Millisecond), rtt[0].Round(100*time.Microsecond),
			t[1][0].Round(time.Millisecond), t[1][1].Round(time.Millisecond), rtt[1].Round(100*time.Microsecond),
			humanBytes((moved[0]+moved[1])*max(est, 1)/sampleRows), est)
	}
	// Per row, net of one round trip (the sample's fixed cost): a side
	// streams unless reading a row costs more than 1.5× checksumming it.
	perRow := func(d, rtt time.Duration) float64 { return float64(max(d-rtt, 0)) / sampleRows }
	var stream, push [2]float64
	for i := range want {
		stream[i], push[i] = perRow(t[i][0], rtt[i]), perRow(t[i][1], rtt[i])
	}
	for i := range want {
		if want[i] == "auto" {
			want[i] = "stream"
			// A link that carries the sample at fastLink or more is a fast
			// one (streaming matches the raw scan there) whatever the noise.
			fast := moved[i] == 0 || throughput(moved[i], t[i][0]-rtt[i]) >= fastLink
			// A remote link (a round trip of remoteRTT or more) that is not
			// fast pushes down even when the small sample's times are
			// within noise of each other: there the bytes decide.
			if (stream[i] > 1.5*push[i] || rtt[i] >= remoteRTT) && !fast {
				want[i] = "pushdown"
			}
		}
	}
	// Mixed streams one whole table: where one side's link made it push
	// down, the other pushes down too unless its checksums are far slower.
	for i, o := range []int{1, 0} {
		if want[i] == "pushdown" && first(s.SourceMode, s.Mode) == "auto" && first(s.SinkMode, s.Mode) == "auto" && want[o] == "stream" && push[o] <= 3*stream[o] {
			want[o] = "pushdown"
			reason += "; " + []string{"source", "sink"}[o] + " pushes down too, so no table crosses the slow link"
		}
	}
	for i, sd := range []*side{e.src, e.dst} {
		sd.push = want[i] == "pushdown"
	}
	e.rep.SourceMode, e.rep.SinkMode = want[0], want[1]
	switch {
	case want[0] == want[1]:
		return want[0], reason, nil
	default:
		return "mixed", reason, nil
	}
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return "auto"
}

// measure times streaming and checksumming one sample of the table.
func (s *side) measure(ctx context.Context, cmp keyCmp) (stream, checksum time.Duration, err error) {
	before := s.rows.Load()
	start := time.Now()
	ch := make(chan []srow, 8)
	done := make(chan struct{})
	go func() {
		for range ch {
		}
		close(done)
	}()
	err = s.produceN(ctx, keyRange{}, sampleRows, cmp, ch)
	<-done
	if err != nil {
		return 0, 0, err
	}
	stream = time.Since(start)
	s.rows.Store(before)
	w, args := s.pred(keyRange{})
	from := "(SELECT * FROM " + s.from
	if w != "" {
		from += " WHERE " + w
	}
	from += " LIMIT " + fmt.Sprint(sampleRows) + ") cdcops_sample"
	start = time.Now()
	var a agg
	if err := s.conn.QueryRowContext(ctx, s.d.Checksum(s.row, from, ""), args...).Scan(&a.Count, &a.Hi, &a.Lo); err != nil {
		return 0, 0, s.queryErr("sample checksum", err)
	}
	s.queries.Add(1)
	return stream, time.Since(start), nil
}
