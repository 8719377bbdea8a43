package reconcile

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// srow is one canonical row: the full text and the length of its key prefix.
type srow struct {
	text   []byte
	keyLen int
	dup    bool // same key as the previous row of this side
}

func (r srow) key() []byte { return r.text[:r.keyLen] }

const (
	batchRows  = 1024
	arenaBytes = 256 << 10
)

// keyCmp orders canonical key prefixes the way the databases order keys:
// numbers by value, everything else by bytes (binary collation).
type keyCmp struct{ classes []dialect.Class }

func (k keyCmp) compare(a, b []byte) int {
	if bytes.Equal(a, b) {
		return 0
	}
	for _, class := range k.classes {
		fa, ra, _ := nextField(a)
		fb, rb, _ := nextField(b)
		a, b = ra, rb
		if c := compareField(class, fa, fb); c != 0 {
			return c
		}
	}
	return 0
}

func compareField(class dialect.Class, a, b []byte) int {
	switch class {
	case dialect.ClassInt:
		if c, ok := compareIntText(a, b); ok {
			return c
		}
		x, errA := strconv.ParseInt(string(a), 10, 64)
		y, errB := strconv.ParseInt(string(b), 10, 64)
		if errA == nil && errB == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		fallthrough
	case dialect.ClassDecimal:
		x, okA := new(big.Rat).SetString(string(a))
		y, okB := new(big.Rat).SetString(string(b))
		if okA && okB {
			return x.Cmp(y)
		}
	}
	return bytes.Compare(a, b)
}

// compareIntText orders two canonical integer texts (optional '-', digits,
// no leading zeros) without parsing: by sign, then length, then bytes.
// ok is false for any other form.
func compareIntText(a, b []byte) (int, bool) {
	na, da, okA := intDigits(a)
	nb, db, okB := intDigits(b)
	if !okA || !okB {
		return 0, false
	}
	if na != nb {
		if na {
			return -1, true
		}
		return 1, true
	}
	c := len(da) - len(db)
	if c == 0 {
		c = bytes.Compare(da, db)
	}
	if na {
		c = -c
	}
	return max(-1, min(1, c)), true
}

func intDigits(b []byte) (neg bool, digits []byte, ok bool) {
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || (b[0] == '0' && (len(b) > 1 || neg)) {
		return false, nil, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false, nil, false
		}
	}
	return neg, b, true
}

// nextField splits the first length-prefixed field off b; field is nil
// for NULL ("N").
func nextField(b []byte) (field, rest []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	if b[0] == 'N' {
		return nil, b[1:], true
	}
	n, i := 0, 0
	for ; i < len(b) && b[i] != ':'; i++ {
		c := b[i]
		if c < '0' || c > '9' || i > 9 {
			return nil, nil, false
		}
		n = n*10 + int(c-'0')
	}
	if i == 0 || i == len(b) || i+1+n > len(b) {
		return nil, nil, false
	}
	return b[i+1 : i+1+n : i+1+n], b[i+1+n:], true
}

// fields decodes a canonical row into its n field values.
func fields(b []byte, n int) ([]Value, bool) {
	out := make([]Value, n)
	for i := 0; i < n; i++ {
		f, rest, ok := nextField(b)
		if !ok {
			return nil, false
		}
		if f != nil || (len(b) > 0 && b[0] != 'N') {
			s := string(f)
			out[i] = &s
		}
		b = rest
	}
	return out, len(b) == 0
}

// keyPrefixLen is the byte length of the first n fields.
func keyPrefixLen(b []byte, n int) (int, bool) {
	rest := b
	for i := 0; i < n; i++ {
		f, r, ok := nextField(rest)
		if !ok || (f == nil && rest[0] == 'N') {
			return 0, false
		}
		rest = r
	}
	return len(b) - len(rest), true
}

// produce streams the side's canonical rows of r, in key order, as
// batches on out. It checks the order the database returned against keyCmp
// so a collation mismatch can never silently become a wrong diff.
//
// Batches are recycled: a consumer may use the rows of a batch only until
// it receives the next one from out (the cursor and the range loops do
// exactly that; anything kept longer must be copied).
func (s *side) produce(ctx context.Context, r keyRange, cmp keyCmp, out chan<- []srow) error {
	return s.produceN(ctx, r, 0, cmp, out)
}

// produceN is produce reading at most limit rows (0 = all).
func (s *side) produceN(ctx context.Context, r keyRange, limit int, cmp keyCmp, out chan<- []srow) error {
	defer close(out)
	q, args := s.streamSQL(r, limit)
	s.queries.Add(1)
	b := newBatcher(ctx, s, cmp, out)
	b.unordered = limit > 0
	var err error
	switch {
	case s.rawExprs != nil && s.d.Engine() == sqlconn.Postgres:
		err = s.readPG(ctx, q, args, b.addFields)
	case s.rawExprs != nil && s.d.Engine() == sqlconn.MySQL:
		err = s.readDriver(ctx, q, args, len(s.rawExprs), b.addFields)
	case s.rawExprs != nil:
		err = s.readSQL(ctx, q, args, len(s.rawExprs), b.addFields)
	default:
		err = s.readSQL(ctx, q, args, 1, func(v [][]byte) error { return b.addText(v[0]) })
	}
	if err != nil {
		return err
	}
	return b.flush()
}

// readPG reads a query through pgx in text format, handing fn the wire
// bytes of each row (valid until the next row).
func (s *side) readPG(ctx context.Context, q string, args []any, fn func([][]byte) error) error {
	return s.conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected PostgreSQL driver connection %T", dc)
		}
		formats := make(pgx.QueryResultFormats, len(s.rawExprs)) // all text
		rows, err := pc.Conn().Query(ctx, q, append([]any{formats}, args...)...)
		if err != nil {
			return s.queryErr("read", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows.RawValues()); err != nil {
				return err
			}
		}
		return s.queryErr("read", rows.Err())
	})
}

// readDriver reads a query through the driver itself, skipping
// database/sql's per-value Scan: the MySQL driver hands out slices of its
// read buffer (integers parsed; they are printed back as digits).
func (s *side) readDriver(ctx context.Context, q string, args []any, n int, fn func([][]byte) error) error {
	return s.conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return s.readSQL(ctx, q, args, n, fn)
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		rows, err := qc.QueryContext(ctx, q, named)
		if err != nil {
			return s.queryErr("read", err)
		}
		defer rows.Close()
		dest := make([]driver.Value, n)
		vals := make([][]byte, n)
		var nums []byte
		for {
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					return nil
				}
				return s.queryErr("read", err)
			}
			nums = nums[:0]
			for i, v := range dest {
				switch v := v.(type) {
				case nil:
					vals[i] = nil
				case []byte:
					vals[i] = v
				case int64:
					start := len(nums)
					nums = strconv.AppendInt(nums, v, 10)
					vals[i] = nums[start:len(nums):len(nums)]
				case uint64:
					start := len(nums)
					nums = strconv.AppendUint(nums, v, 10)
					vals[i] = nums[start:len(nums):len(nums)]
				case float64, float32:
					// Only read raw for the decimal class, which parses the
					// text again: the shortest round-trip form is the same number.
					start := len(nums)
					if f, ok := v.(float32); ok {
						nums = strconv.AppendFloat(nums, float64(f), 'g', -1, 32)
					} else {
						nums = strconv.AppendFloat(nums, v.(float64), 'g', -1, 64)
					}
					vals[i] = nums[start:len(nums):len(nums)]
				case string:
					vals[i] = []byte(v)
				default:
					return fmt.Errorf("%s: unexpected driver value %T in column %d", s.name, v, i+1)
				}
			}
			if err := fn(vals); err != nil {
				return err
			}
		}
	})
}

// readSQL reads a query through database/sql without copying values.
func (s *side) readSQL(ctx context.Context, q string, args []any, n int, fn func([][]byte) error) error {
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return s.queryErr("read", err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, n)
	ptrs := make([]any, n)
	vals := make([][]byte, n)
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return s.queryErr("read", err)
		}
		for i, v := range raw {
			vals[i] = v
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return s.queryErr("read", rows.Err())
}

// slab is one reusable batch: its rows and the arena their texts live in.
type slab struct {
	rows  []srow
	arena []byte
}

// batcher copies rows into arenas and sends them in batches, reusing a
// ring of slabs so a long read allocates (and the GC scans) almost nothing.
type batcher struct {
	s     *side
	cmp   keyCmp
	out   chan<- []srow
	ctx   context.Context
	ring  []slab
	cur   int
	arena []byte
	batch []srow
	prev  []byte
	tmp   []byte
	// unordered: a sample read without ORDER BY; skip the order check.
	unordered bool
}

func newBatcher(ctx context.Context, s *side, cmp keyCmp, out chan<- []srow) *batcher {
	// A slab can be refilled once the consumer has received every newer
	// batch but the one it reads: out's capacity, the one being read, the
	// one being filled, plus one to spare.
	b := &batcher{s: s, cmp: cmp, out: out, ctx: ctx, ring: make([]slab, cap(out)+3), cur: -1}
	b.next()
	return b
}

// next moves to the following slab of the ring.
func (b *batcher) next() {
	b.cur = (b.cur + 1) % len(b.ring)
	sl := &b.ring[b.cur]
	if sl.rows == nil {
		sl.rows = make([]srow, 0, batchRows)
		sl.arena = make([]byte, 0, arenaBytes)
	}
	b.batch, b.arena = sl.rows[:0], sl.arena[:0]
}

// addFields renders one row of plain column values (nil = NULL) into the
// canonical length-prefixed text.
func (b *batcher) addFields(vals [][]byte) error {
	start := len(b.arena)
	keyLen := 0
	for i, v := range vals {
		if v == nil {
			if i < b.s.nKeys {
				return nullKey(b.s, i)
			}
			b.arena = append(b.arena, 'N')
			continue
		}
		if c := b.s.rawCanon[i]; c == nil {
			b.arena = strconv.AppendInt(b.arena, int64(len(v)), 10)
			b.arena = append(b.arena, ':')
			b.arena = append(b.arena, v...)
		} else {
			b.tmp = c(b.tmp[:0], v)
			b.arena = strconv.AppendInt(b.arena, int64(len(b.tmp)), 10)
			b.arena = append(b.arena, ':')
			b.arena = append(b.arena, b.tmp...)
		}
		if i == b.s.nKeys-1 {
			keyLen = len(b.arena) - start
		}
	}
	return b.push(b.arena[start:len(b.arena):len(b.arena)], keyLen)
}

// addText takes one row already rendered by SQL.
func (b *batcher) addText(raw []byte) error {
	start := len(b.arena)
	b.arena = append(b.arena, raw...)
	text := b.arena[start:len(b.arena):len(b.arena)]
	kl, ok := keyPrefixLen(text, b.s.nKeys)
	if !ok {
		if len(text) > 0 && text[0] == 'N' {
			return nullKey(b.s, 0)
		}
		return cdcops.Errorf(cdcops.EINTERNAL, "", "%s: malformed canonical row %q", b.s.name, truncate(text))
	}
	return b.push(text, kl)
}

func (b *batcher) push(text []byte, keyLen int) error {
	row := srow{text: text, keyLen: keyLen}
	if b.prev != nil && !b.unordered {
		switch c := b.cmp.compare(b.prev, row.key()); {
		case c == 0:
			row.dup = true
		case c > 0:
			return cdcops.Errorf(cdcops.EINTERNAL, "the key's collation or type orders rows differently from cdcops's binary order; pass --key with another column or report this",
				"%s returned keys out of order: %q after %q", b.s.name, truncate(row.key()), truncate(b.prev))
		}
	}
	b.prev = row.key()
	b.batch = append(b.batch, row)
	if len(b.batch) == batchRows || cap(b.arena)-len(b.arena) < 4096 {
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	if len(b.batch) == 0 {
		return nil
	}
	b.s.rows.Add(int64(len(b.batch)))
	// Keep a grown arena for the next round of this slab.
	b.ring[b.cur] = slab{rows: b.batch[:0], arena: b.arena[:0]}
	select {
	case b.out <- b.batch:
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
	b.next() // prev stays valid: its slab is not refilled before the ring turns
	return b.s.budget.wait(b.ctx, b.s)
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// cursor walks the batches of one side.
type cursor struct {
	ch    <-chan []srow
	batch []srow
	i     int
	done  bool
}

func (c *cursor) peek(ctx context.Context) (srow, bool) {
	for !c.done && c.i >= len(c.batch) {
		select {
		case b, ok := <-c.ch:
			if !ok {
				c.done = true
				return srow{}, false
			}
			c.batch, c.i = b, 0
		case <-ctx.Done():
			c.done = true
			return srow{}, false
		}
	}
	if c.done {
		return srow{}, false
	}
	return c.batch[c.i], true
}

func (c *cursor) next() { c.i++ }
