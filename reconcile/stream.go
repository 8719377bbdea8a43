package reconcile

import (
	"bytes"
	"context"
	"database/sql"
	"math/big"
	"strconv"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile/dialect"
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

// nextField splits the first length-prefixed field off b; field is nil
// for NULL ("N").
func nextField(b []byte) (field, rest []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	if b[0] == 'N' {
		return nil, b[1:], true
	}
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return nil, nil, false
	}
	n, err := strconv.Atoi(string(b[:i]))
	if err != nil || i+1+n > len(b) {
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
func (s *side) produce(ctx context.Context, r keyRange, cmp keyCmp, out chan<- []srow) error {
	defer close(out)
	q, args := s.streamSQL(r, 0)
	s.queries.Add(1)
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return s.queryErr("read", err)
	}
	defer rows.Close()
	arena := make([]byte, 0, arenaBytes)
	batch := make([]srow, 0, batchRows)
	var prev []byte
	var raw sql.RawBytes
	n := int64(0)
	for rows.Next() {
		if err := rows.Scan(&raw); err != nil {
			return s.queryErr("read", err)
		}
		if len(arena)+len(raw) > cap(arena) {
			arena = make([]byte, 0, max(arenaBytes, len(raw)))
		}
		start := len(arena)
		arena = append(arena, raw...)
		text := arena[start:len(arena):len(arena)]
		kl, ok := keyPrefixLen(text, s.nKeys)
		if !ok {
			if len(text) > 0 && text[0] == 'N' {
				return nullKey(s, 0)
			}
			return cdcops.Errorf(cdcops.EINTERNAL, "", "%s: malformed canonical row %q", s.name, truncate(text))
		}
		row := srow{text: text, keyLen: kl}
		if prev != nil {
			switch c := cmp.compare(prev, row.key()); {
			case c == 0:
				row.dup = true
			case c > 0:
				return cdcops.Errorf(cdcops.EINTERNAL, "the key's collation or type orders rows differently from cdcops's binary order; pass --key with another column or report this",
					"%s returned keys out of order: %q after %q", s.name, truncate(row.key()), truncate(prev))
			}
		}
		prev = row.key()
		batch = append(batch, row)
		if len(batch) == batchRows {
			n += int64(len(batch))
			s.rows.Add(int64(len(batch)))
			select {
			case out <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]srow, 0, batchRows)
		}
	}
	if err := rows.Err(); err != nil {
		return s.queryErr("read", err)
	}
	if len(batch) > 0 {
		s.rows.Add(int64(len(batch)))
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
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
