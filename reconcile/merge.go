package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"strconv"
	"sync"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// errStop ends a comparison early once --stop-after differences are found.
var errStop = errors.New("stop-after reached")

// collector accumulates differences; safe for concurrent use. Counts are
// always exact: listCap bounds only the differences kept in the report and
// handed to the sink, and the run stops early only when stopAfter is set.
type collector struct {
	mu        sync.Mutex
	p         *plan
	keyNames  []string
	rep       *Report
	stopAfter int // stop at the first difference beyond this many (0 = never)
	listCap   int // differences listed and sent to sink (0 = all)
	sent      int
	sink      func(Difference)
	keys      map[string]struct{} // differing keys (canonical prefixes), for --settle
	keyList   [][]byte
	keepKeys  bool
	tooMany   bool // more than maxSettleKeys differing keys: settle is skipped
}

func (c *collector) add(d Difference, key []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopAfter > 0 && c.rep.Total() >= int64(c.stopAfter) {
		// A difference beyond --stop-after exists: only now are the
		// counts known to be lower bounds.
		c.rep.StoppedEarly = true
		return errStop
	}
	switch d.Kind {
	case Missing:
		c.rep.Missing++
	case Extra:
		c.rep.Extra++
	case Changed:
		c.rep.Changed++
		for col := range d.Columns {
			c.rep.Columns[col]++
		}
	case Duplicate:
		c.rep.Duplicates++
	}
	if c.listCap == 0 || c.sent < c.listCap {
		c.sent++
		short := d
		short.Key = maps.Clone(d.Key) // the sink gets its own maps: it must not change the report
		short.Source, short.Sink = nil, nil
		c.rep.Differences = append(c.rep.Differences, short)
		if c.sink != nil {
			d.Key = maps.Clone(d.Key)
			c.sink(d)
		}
	}
	if c.keepKeys && !c.tooMany {
		if c.keys == nil {
			c.keys = map[string]struct{}{}
		}
		if _, seen := c.keys[string(key)]; !seen {
			if len(c.keys) >= maxSettleKeys {
				c.tooMany, c.keys, c.keyList = true, nil, nil // stop holding keys that will not be re-checked
			} else {
				c.keys[string(key)] = struct{}{}
				c.keyList = append(c.keyList, append([]byte(nil), key...))
			}
		}
	}
	return nil
}

// rowMap decodes a canonical row into column → value.
func (c *collector) rowMap(text []byte) map[string]Value {
	vals, ok := fields(text, len(c.p.cols))
	if !ok {
		return nil
	}
	m := make(map[string]Value, len(vals))
	for i, v := range vals {
		m[c.p.cols[i].Name] = v
	}
	return m
}

func (c *collector) keyMap(key []byte) map[string]string {
	vals, _ := fields(key, c.p.nKeys)
	m := make(map[string]string, len(vals))
	for i, v := range vals {
		if i < len(c.keyNames) && v != nil {
			m[c.keyNames[i]] = *v
		}
	}
	return m
}

// compareRows decides whether two rows with the same key differ, after
// the Go-side comparisons (float digits or tolerance, canonical JSON).
func (c *collector) compareRows(a, b []byte) (map[string]ColumnDiff, bool) {
	va, okA := fields(a, len(c.p.cols))
	vb, okB := fields(b, len(c.p.cols))
	if !okA || !okB {
		return map[string]ColumnDiff{"(row)": {Source: strp(string(a)), Sink: strp(string(b))}}, true
	}
	var out map[string]ColumnDiff
	for i := c.p.nKeys; i < len(c.p.cols); i++ {
		if equalValue(c.p.cols[i], va[i], vb[i]) {
			continue
		}
		if out == nil {
			out = map[string]ColumnDiff{}
		}
		out[c.p.cols[i].Name] = ColumnDiff{Source: va[i], Sink: vb[i]}
	}
	return out, out != nil
}

func strp(s string) *string { return &s }

func equalValue(cp colPair, a, b Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if *a == *b {
		return true
	}
	switch cp.Format.Class {
	case dialect.ClassFloat:
		x, errA := strconv.ParseFloat(*a, 64)
		y, errB := strconv.ParseFloat(*b, 64)
		if errA != nil || errB != nil {
			return false
		}
		if x == y {
			return true // also -0 == 0
		}
		if cp.Tolerance > 0 {
			return math.Abs(x-y) <= cp.Tolerance
		}
		return strconv.FormatFloat(x, 'g', cp.Digits, 64) == strconv.FormatFloat(y, 'g', cp.Digits, 64)
	case dialect.ClassJSON:
		ja, okA := canonicalJSON(*a)
		jb, okB := canonicalJSON(*b)
		return okA && okB && ja == jb
	}
	return false
}

// canonicalJSON re-encodes JSON with sorted keys and no whitespace.
func canonicalJSON(s string) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	out, err := json.Marshal(v)
	return string(out), err == nil
}

// merge compares two ordered row streams and records every difference.
// A producer closes its channel before its error reaches the errgroup, so
// when a stream ends, merge asks ended(side) for that producer's result
// before it takes the end as real: a failed read must never turn the other
// side's rows into differences.
func (c *collector) merge(ctx context.Context, cmp keyCmp, src, dst <-chan []srow, ended func(side int) error) error {
	a, b := &cursor{ch: src}, &cursor{ch: dst}
	checked := [2]bool{}
	for {
		ra, okA := a.peek(ctx)
		rb, okB := b.peek(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, ok := range []bool{okA, okB} {
			if !ok && !checked[i] {
				checked[i] = true
				if err := ended(i); err != nil {
					return err
				}
			}
		}
		switch {
		case !okA && !okB:
			return nil
		case okA && ra.dup:
			if err := c.add(Difference{Key: c.keyMap(ra.key()), Kind: Duplicate, Side: "source", Source: c.rowMap(ra.text)}, ra.key()); err != nil {
				return err
			}
			a.next()
			continue
		case okB && rb.dup:
			if err := c.add(Difference{Key: c.keyMap(rb.key()), Kind: Duplicate, Side: "sink", Sink: c.rowMap(rb.text)}, rb.key()); err != nil {
				return err
			}
			b.next()
			continue
		}
		var order int
		switch {
		case !okB:
			order = -1
		case !okA:
			order = 1
		case bytes.Equal(ra.text, rb.text):
			a.next()
			b.next()
			continue
		default:
			order = cmp.compare(ra.key(), rb.key())
		}
		var err error
		switch {
		case order < 0:
			err = c.add(Difference{Key: c.keyMap(ra.key()), Kind: Missing, Source: c.rowMap(ra.text)}, ra.key())
			a.next()
		case order > 0:
			err = c.add(Difference{Key: c.keyMap(rb.key()), Kind: Extra, Sink: c.rowMap(rb.text)}, rb.key())
			b.next()
		default:
			if cols, differ := c.compareRows(ra.text, rb.text); differ {
				err = c.add(Difference{Key: c.keyMap(ra.key()), Kind: Changed, Columns: cols, Source: c.rowMap(ra.text), Sink: c.rowMap(rb.text)}, ra.key())
			}
			a.next()
			b.next()
		}
		if err != nil {
			return err
		}
	}
}
