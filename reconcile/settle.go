package reconcile

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const maxSettleKeys = 100000

// settleHook runs when the settle delay starts (tests fix rows there).
var settleHook func()

func itoa(n int) string { return strconv.Itoa(n) }

// settle waits, then re-reads every differing key on both sides in fresh
// snapshots and keeps only the rows that still differ: rows that were in
// flight through the pipeline converge and are dropped.
//
// Row counts are corrected by what the re-checked keys held on each side
// before and after: both are read the same way (produceKeys), on the old
// snapshot and then on the fresh one, so a key re-checked for a duplicate
// counts its matching rows on both reads alike.
func (e *engine) settle(ctx context.Context) error {
	if e.col.tooMany {
		e.rep.Notes = append(e.rep.Notes, fmt.Sprintf("--settle skipped: more than %d differing keys", maxSettleKeys))
		return nil
	}
	keys := e.col.keyList
	if len(keys) == 0 {
		return nil
	}
	beforeRows, err := e.countKeys(ctx, keys)
	if err != nil {
		return err
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
	for i := 0; i < len(keys); i += settleBatch {
		if err := e.recheck(ctx, keys[i:min(i+settleBatch, len(keys))]); err != nil {
			return err
		}
	}
	after := [2]int64{e.src.rows.Load() - before[0], e.dst.rows.Load() - before[1]}
	e.rep.SourceRows += after[0] - beforeRows[0]
	e.rep.SinkRows += after[1] - beforeRows[1]
	e.rep.Settled = old.Total() - fresh.Total()
	e.rep.Missing, e.rep.Extra, e.rep.Changed, e.rep.Duplicates = fresh.Missing, fresh.Extra, fresh.Changed, fresh.Duplicates
	e.rep.Columns, e.rep.Differences = fresh.Columns, fresh.Differences
	return nil
}

const settleBatch = 500

// countKeys reads the rows of keys on both sides in the current snapshots
// and returns how many each side holds.
func (e *engine) countKeys(ctx context.Context, keys [][]byte) ([2]int64, error) {
	var n [2]int64
	for i, s := range []*side{e.src, e.dst} {
		start := s.rows.Load()
		for j := 0; j < len(keys); j += settleBatch {
			out := make(chan []srow, 2)
			errc := make(chan error, 1)
			go func() { errc <- s.produceKeys(ctx, keys[j:min(j+settleBatch, len(keys))], e.cmp, out) }()
			for range out {
			}
			if err := <-errc; err != nil {
				return n, err
			}
		}
		n[i] = s.rows.Load() - start
	}
	return n, nil
}

// recheck merge-compares the rows of a set of keys.
func (e *engine) recheck(ctx context.Context, keys [][]byte) error {
	return e.mergeBoth(ctx, func(ctx context.Context, s *side, out chan<- []srow) error {
		return s.produceKeys(ctx, keys, e.cmp, out)
	})
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
