package dialect

import "strconv"

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

// Hasher64 is implemented by dialects with a fast 64-bit hash of text;
// it replaces md5 when both sides are that engine (the hash only has to
// agree with itself within one run). The query has GroupChecksum's shape.
type Hasher64 interface {
	GroupHash64(group, row, from, where string) string
}

func (Postgres) Div(key string, origin, width int64) string {
	return "((" + key + " - " + strconv.FormatInt(origin, 10) + ") / " + strconv.FormatInt(width, 10) + ")"
}

func (MySQL) Div(key string, origin, width int64) string {
	return "((" + key + " - " + strconv.FormatInt(origin, 10) + ") DIV " + strconv.FormatInt(width, 10) + ")"
}

// GroupHash64 sums two seeded hashtextextended values (Jenkins lookup3,
// 64 bits each, int128 sums inside PostgreSQL) instead of md5 halves.
func (Postgres) GroupHash64(group, row, from, where string) string {
	return "SELECT g, count(*), coalesce(sum(hashtextextended(r, 0)), 0)::text, coalesce(sum(hashtextextended(r, 1)), 0)::text FROM (SELECT " +
		group + " AS g, " + row + " AS r FROM " + from + whereClause(where) + " OFFSET 0) s GROUP BY g"
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
			// others drop trailing zeros.
			return "left(CASE WHEN length(" + a + ") = 19 THEN " + a + " || '.000000' ELSE rpad(" + a + ", 26, '0') END, " + strconv.Itoa(n) + ")"
		}
	}
	return p.Canon(col, f), func(a string) string { return a }
}
