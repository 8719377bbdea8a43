package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"sync"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// errStop ends a comparison early once --max-diffs differences are found.
var errStop = errors.New("max-diffs reached")

// collector accumulates differences; safe for concurrent use.
type collector struct {
	mu       sync.Mutex
	p        *plan
	keyNames []string
	rep      *Report
	max      int
	listCap  int
	sink     func(Difference)
	keys     [][]byte // canonical key prefixes of differing rows, for --settle
	keepKeys bool
}

func (c *collector) stopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max > 0 && c.rep.Total() >= int64(c.max)
}

func (c *collector) add(d Difference, key []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.rep.Total() >= int64(c.max) {
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
	if c.sink != nil {
		c.sink(d)
	}
	if len(c.rep.Differences) < c.listCap {
		short := d
		short.Source, short.Sink = nil, nil
		c.rep.Differences = append(c.rep.Differences, short)
	}
	if c.keepKeys {
		c.keys = append(c.keys, append([]byte(nil), key...))
	}
	if c.max > 0 && c.rep.Total() >= int64(c.max) {
		c.rep.StoppedEarly = true
		return errStop
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
func (c *collector) merge(ctx context.Context, cmp keyCmp, src, dst <-chan []srow) error {
	a, b := &cursor{ch: src}, &cursor{ch: dst}
	for {
		ra, okA := a.peek(ctx)
		rb, okB := b.peek(ctx)
		if err := ctx.Err(); err != nil {
			return err
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
