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

// RowHash for PostgreSQL: hash_record_extended (PostgreSQL 14+) combines
// each column's own extended hash (NULLs included). Types whose equality
// is looser than their text (citext, nondeterministic collations) or that
// have no hash (json, geometric, domains) are refused.
func (p Postgres) RowHash(cols []Column, seed int) (string, bool) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		switch c.Kind {
		case KindInt, KindBool, KindDecimal, KindFloat, KindUUID, KindDate, KindTimestamp, KindTimestampTZ, KindBinary:
		case KindText:
			if c.Type == "citext" || c.Collation != "" {
				return "", false
			}
		case KindJSON:
			if c.Type != "jsonb" {
				return "", false
			}
		default:
			return "", false
		}
		parts[i] = p.Quote(c.Name)
	}
	return "hash_record_extended(ROW(" + join(parts, ", ") + "), " + strconv.Itoa(seed) + ")", true
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
