package dialect

import (
	"strconv"
	"strings"
)

// Optional dialect features for fast pushdown.

// Splitter is implemented by dialects that evaluate an expression once per
// reference: CanonParts splits a column's canonical text into an inner
// expression, computed once per row in a derived table, and the outer
// expression over its alias. The row's length prefixes then cost a
// lookup, not a second conversion.
type Splitter interface {
	CanonParts(col Column, f Format) (inner string, outer func(alias string) string)
}

// Divider maps an integer key to its bucket of a checksum tree level:
// floor((key - origin) / width), for key >= origin.
type Divider interface {
	Div(key string, origin, width int64) string
}

// TypedHasher is implemented by dialects that can hash a row's typed
// values directly (no text rendering at all). It is used only when both
// sides are that engine: RowHash returns a 64-bit hash expression of the
// columns for a seed, or ok false when a column's type cannot be hashed
// soundly. Sound here means: equal hashes input implies equal canonical
// text (the typed equality is at least as strict), so a typed hash can
// only flag extra ranges for a row-level look, never hide a difference.
type TypedHasher interface {
	RowHash(cols []Column, seed int) (expr string, ok bool)
	// GroupRowHash is GroupChecksum's shape over two row hashes.
	GroupRowHash(group, h1, h2, from, where string) string
	// TypedDigest is Digester.Digest's packed shape over one row hash.
	TypedDigest(group, h, from, where string, pk Packing) string
	// LateralTypedDigest is TypedDigest bucket by bucket (buckets and
	// where as in LateralDigester), for a key with an index.
	LateralTypedDigest(buckets, h, from, where string, pk Packing) string
}

func (Postgres) GroupRowHash(group, h1, h2, from, where string) string {
	return "SELECT g, count(*), coalesce(sum(h1), 0)::text, coalesce(sum(h2), 0)::text FROM (SELECT " + group + " AS g, " +
		h1 + " AS h1, " + h2 + " AS h2 FROM " + from + whereClause(where) + " OFFSET 0) s GROUP BY g"
}

func (Postgres) Div(key string, origin, width int64) string {
	return "((" + key + " - " + strconv.FormatInt(origin, 10) + ") / " + strconv.FormatInt(width, 10) + ")"
}

func (MySQL) Div(key string, origin, width int64) string {
	return "((" + key + " - " + strconv.FormatInt(origin, 10) + ") DIV " + strconv.FormatInt(width, 10) + ")"
}

// RowHash for PostgreSQL: each column's own extended hash function (the
// one its type's default hash opclass uses, so equal values hash alike),
// a seed per column so that values swapped between columns differ, NULL
// as a constant of its own, XORed and mixed once more by
// hashint8extended: without that last, non-linear step a bucket's XOR
// would not see values swapped between two of its rows. About half the
// cost of hash_record_extended(ROW(...)), which builds a record per row;
// NOT NULL columns go without the coalesce (a function call per value).
// Types whose equality is looser than their text (citext, nondeterministic
// collations) or that have no hash (json, geometric, domains) are refused.
func (p Postgres) RowHash(cols []Column, seed int) (string, bool) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		colSeed := uint64(seed*1000 + i + 1)
		h, ok := pgColumnHash(c, p.Quote(c.Name), colSeed)
		if !ok {
			return "", false
		}
		parts[i] = h
		if !c.NotNull {
			// NULL as a constant of its own: a collision with a value's
			// hash is as likely as any other 64-bit collision.
			parts[i] = "coalesce(" + h + ", " + pgInt64(splitmix(colSeed^0x5bd1e995)) + ")"
		}
	}
	return "hashint8extended(" + join(parts, " # ") + ", " + strconv.Itoa(seed) + ")", true
}

// splitmix is a 64-bit mixer for the constants standing for values that
// are not hashed by a function (NULL, true, false).
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// pgInt64 is a bigint literal of x's bits.
func pgInt64(x uint64) string { return strconv.FormatInt(int64(x), 10) }

// pgColumnHash is the extended hash of column expression q with a seed.
func pgColumnHash(c Column, q string, seed uint64) (string, bool) {
	fn := ""
	switch c.Kind {
	case KindInt:
		fn = map[string]string{"smallint": "hashint2extended", "integer": "hashint4extended", "bigint": "hashint8extended", "oid": "hashoidextended"}[c.Type]
	case KindBool:
		// Two constants: no function call per row.
		return "CASE WHEN " + q + " THEN " + pgInt64(splitmix(seed)) + " WHEN NOT " + q + " THEN " + pgInt64(splitmix(^seed)) + " END", true
	case KindDecimal:
		fn = "hash_numeric_extended"
	case KindFloat:
		fn = map[string]string{"real": "hashfloat4extended", "double precision": "hashfloat8extended"}[c.Type]
	case KindText:
		switch {
		case c.Type == "citext" || c.Collation != "":
		case c.Type == "text" || strings.HasPrefix(c.Type, "character varying"):
			fn = "hashtextextended"
		case strings.HasPrefix(c.Type, "character"):
			fn = "hashbpcharextended"
		case c.Type == "name":
			fn = "hashnameextended"
		}
	case KindUUID:
		fn = "uuid_hash_extended"
	case KindDate:
		fn, q = "timestamp_hash_extended", "("+q+")::timestamp"
	case KindTimestamp:
		fn = "timestamp_hash_extended"
	case KindTimestampTZ:
		fn, q = "timestamp_hash_extended", "("+q+" AT TIME ZONE 'UTC')"
	case KindBinary:
		// bytea's hash function takes an internal argument; a one-field
		// record reaches it.
		fn, q = "hash_record_extended", "ROW("+q+")"
	case KindJSON:
		if c.Type == "jsonb" {
			fn = "jsonb_hash_extended"
		}
	}
	if fn == "" {
		return "", false
	}
	return fn + "(" + q + ", " + strconv.FormatUint(seed, 10) + ")", true
}

// CanonParts for PostgreSQL: timestamps are read with the fast ::text
// output (ISO in the session's UTC) and padded to the fixed digits in the
// outer expression, instead of to_char, which costs more than the rest of
// the row together.
func (p Postgres) CanonParts(col Column, f Format) (string, func(string) string) {
	if f.Class == ClassTimestamp && (col.Kind == KindTimestamp || col.Kind == KindTimestampTZ) {
		c := p.Quote(col.Name)
		if col.Kind == KindTimestampTZ {
			c = "(" + c + " AT TIME ZONE 'UTC')"
		}
		n := tsLen(f.TSDigits)
		return "(" + c + ")::text", func(a string) string {
			if f.TSDigits <= 0 {
				return "left(" + a + ", 19)"
			}
			// "YYYY-MM-DD HH:MM:SS" has no fraction when it is zero; the
			// others drop trailing zeros: append what is missing of
			// ".000000" (a third of the CASE/rpad it replaced).
			padded := a + " || substr('.000000', length(" + a + ") - 18)"
			if n == 26 {
				return "(" + padded + ")"
			}
			return "left(" + padded + ", " + strconv.Itoa(n) + ")"
		}
	}
	return p.Canon(col, f), func(a string) string { return a }
}
