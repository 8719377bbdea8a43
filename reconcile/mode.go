package reconcile

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

const sampleRows = 20000

// chooseMode picks stream or pushdown. In auto mode it measures, on each
// side, reading a sample of canonical rows against checksumming the same
// sample in the database, and streams when reading is no slower than 1.5×
// the checksum on both sides: streaming then costs one pass with no
// second look at differing ranges.
func (e *engine) chooseMode(ctx context.Context) (string, string, error) {
	switch e.spec.Mode {
	case "stream", "pushdown":
		return e.spec.Mode, "requested", nil
	}
	var t [2][2]time.Duration
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() (err error) {
			t[i][0], t[i][1], err = s.measure(gctx, e.cmp)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return "", "", err
	}
	reason := fmt.Sprintf("sample of %d rows: source stream %s vs checksum %s, sink stream %s vs checksum %s",
		sampleRows, t[0][0].Round(time.Millisecond), t[0][1].Round(time.Millisecond), t[1][0].Round(time.Millisecond), t[1][1].Round(time.Millisecond))
	for _, st := range t {
		if st[0] > st[1]*3/2+5*time.Millisecond {
			return "pushdown", reason, nil
		}
	}
	return "stream", reason, nil
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
