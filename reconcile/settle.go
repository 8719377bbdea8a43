package reconcile

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

const maxSettleKeys = 100000

// settleHook runs when the settle delay starts (tests fix rows there).
var settleHook func()

func itoa(n int) string { return strconv.Itoa(n) }

// settle waits, then re-reads every differing key on both sides in fresh
// snapshots and keeps only the rows that still differ: rows that were in
// flight through the pipeline converge and are dropped.
func (e *engine) settle(ctx context.Context) error {
	keys := uniqueKeys(e.col.keys)
	if len(keys) > maxSettleKeys {
		e.rep.Notes = append(e.rep.Notes, fmt.Sprintf("--settle skipped: %d differing keys (limit %d)", len(keys), maxSettleKeys))
		return nil
	}
	if settleHook != nil {
		settleHook()
	}
	select {
	case <-time.After(e.spec.Settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, s := range []*side{e.src, e.dst} {
		s.end()
		s.end = nil
		if err := s.begin(ctx); err != nil {
			return err
		}
	}
	old := *e.rep
	fresh := &Report{Columns: map[string]int64{}, Differences: []Difference{}}
	for c := range old.Columns {
		fresh.Columns[c] = 0
	}
	e.col = &collector{p: e.p, rep: fresh, listCap: e.col.listCap, keyNames: e.col.keyNames}
	before := [2]int64{e.src.rows.Load(), e.dst.rows.Load()}
	const batch = 500
	for i := 0; i < len(keys); i += batch {
		if err := e.recheck(ctx, keys[i:min(i+batch, len(keys))]); err != nil {
			return err
		}
	}
	after := [2]int64{e.src.rows.Load() - before[0], e.dst.rows.Load() - before[1]}
	// Rows present per side among the re-checked keys, before and after.
	e.rep.SourceRows += after[0] - (old.Missing + old.Changed + countDup(old, "source"))
	e.rep.SinkRows += after[1] - (old.Extra + old.Changed + countDup(old, "sink"))
	e.rep.Settled = old.Total() - fresh.Total()
	e.rep.Missing, e.rep.Extra, e.rep.Changed, e.rep.Duplicates = fresh.Missing, fresh.Extra, fresh.Changed, fresh.Duplicates
	e.rep.Columns, e.rep.Differences = fresh.Columns, fresh.Differences
	return nil
}

func countDup(r Report, side string) int64 {
	n := int64(0)
	for _, d := range r.Differences {
		if d.Kind == Duplicate && d.Side == side {
			n++
		}
	}
	return n
}

func uniqueKeys(keys [][]byte) [][]byte {
	seen := map[string]bool{}
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[string(k)] {
			seen[string(k)] = true
			out = append(out, k)
		}
	}
	return out
}

// recheck merge-compares the rows of a set of keys.
func (e *engine) recheck(ctx context.Context, keys [][]byte) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srcCh, dstCh := make(chan []srow, 2), make(chan []srow, 2)
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		out := srcCh
		if i == 1 {
			out = dstCh
		}
		g.Go(func() error { return s.produceKeys(gctx, keys, e.cmp, out) })
	}
	mergeErr := e.col.merge(gctx, e.cmp, srcCh, dstCh)
	if err := g.Wait(); err != nil {
		return err
	}
	return mergeErr
}

// produceKeys streams the rows of the given keys in key order.
func (s *side) produceKeys(ctx context.Context, keys [][]byte, cmp keyCmp, out chan<- []srow) error {
	var ors []string
	var args []any
	for _, k := range keys {
		vals, _ := fields(k, s.nKeys)
		conds := make([]string, s.nKeys)
		for i, v := range vals {
			val := ""
			if v != nil {
				val = *v
			}
			conds[i] = s.keyOrd[i] + " = " + s.d.Param(len(args)+1, s.cols[i], s.formats[i])
			args = append(args, s.arg(i, val))
		}
		ors = append(ors, "("+strings.Join(conds, " AND ")+")")
	}
	saved, savedArgs := s.where, s.whereArgs
	s.whereArgs = args
	if saved != "" {
		s.where = saved + " AND (" + strings.Join(ors, " OR ") + ")"
	} else {
		s.where = "(" + strings.Join(ors, " OR ") + ")"
	}
	defer func() { s.where, s.whereArgs = saved, savedArgs }()
	return s.produce(ctx, keyRange{}, cmp, out)
}
