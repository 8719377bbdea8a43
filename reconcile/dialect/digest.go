package dialect

import (
	"strconv"
	"strings"
)

// Digester computes one level of the checksum tree in a single query that
// returns a single row: the level's row count and one packed value, per
// non-empty bucket in ascending order: the bucket number (4 bytes big
// endian, 8 when Wide), its row count (4 bytes, when Counts) and an
// 8-byte digest. The
// digest is the first 8 bytes of md5 over the bucket's canonical rows
// concatenated in key order: each row's encoding is self-delimiting, so
// equal digests of different row sequences need an md5 collision, and
// there is one md5 per bucket instead of one per row (with the hex-to-int
// conversion each row needed, most of MariaDB's cost).
type Digester interface {
	Digest(group, key, row, from, where string, pk Packing) string
	// DigestRow is the row encoding digests hash, cheaper than Row and
	// as unambiguous: integer and decimal texts (digits, '-', '.', NaN,
	// Infinity — never a comma) end with ',' instead of carrying their
	// length, NULL being "N,"; every other field is framed as Row frames
	// it (without the NULL mark where the text cannot be NULL: a value's
	// text is the same either way). Both sides of a digest comparison
	// use it, so it never has to agree with the Go encoding.
	DigestRow(cols []Column, canons []string, formats []Format) string
	// DigestCheck is run right after Digest; a non-zero result says the
	// digest may be incomplete (MariaDB cuts GROUP_CONCAT at
	// group_concat_max_len with only a warning). "" when nothing can cut.
	DigestCheck() string
}

// LateralDigester computes Digest's packed value bucket by bucket:
// buckets is a FROM item giving bucket numbers b.g, and from/where
// select one bucket's rows by a key range on b.g (a lateral reference),
// in key order: they are concatenated as they come. (Rows out of order
// could only make a bucket differ and be read row by row: equal digests
// still mean equal row sequences.)
type LateralDigester interface {
	Digester
	LateralDigest(buckets, key, row, from, where string, pk Packing) string
}

// RangeDigester computes Digest's packed value for the buckets 0..last of
// width from origin as one range query per bucket (a UNION ALL over a
// common table expression of the row texts): each bucket is read through
// the primary key in key order and its rows concatenated as read, with no
// GROUP BY sort of the whole table and no sort per bucket (MariaDB, where
// those two sorts were half the level's time). For a primary key, and
// for the top level only: the query text grows with the buckets.
type RangeDigester interface {
	Digester
	RangeDigest(key string, origin, width, last int64, row, from, where string, pk Packing) string
}

// Packing is the shape of a packed digest's entries.
type Packing struct {
	Wide   bool // 8-byte bucket numbers
	Counts bool // with each bucket's row count (else Count is -1)
	// Dense: the 8-byte digests of all Buckets buckets in order, nothing
	// else (an empty bucket is 8 zero bytes): half the bytes of numbered
	// and counted entries, so twice the top-level buckets for the same
	// bytes. Only the lateral and range digests produce it.
	Dense   bool
	Buckets int64
}

// pgZeroDigest stands for an empty bucket in a dense packing; a bucket of
// rows digesting to it would count as empty, a 64-bit coincidence.
const pgZeroDigest = `\x0000000000000000`

// DigestEntry is one bucket of a packed digest.
type DigestEntry struct {
	Bucket int64
	Count  int64
	Hash   string // 8 bytes
}

// ParseDigest splits a packed digest; ok is false when its length or its
// counts (when packed) do not add up to total (a cut or garbled value).
// A dense one gives its non-empty buckets, with Count -1.
func ParseDigest(packed []byte, total int64, pk Packing) ([]DigestEntry, bool) {
	if pk.Dense {
		if int64(len(packed)) != 8*pk.Buckets {
			return nil, false
		}
		var out []DigestEntry
		for i := int64(0); i < pk.Buckets; i++ {
			if d := string(packed[8*i : 8*i+8]); d != "\x00\x00\x00\x00\x00\x00\x00\x00" {
				out = append(out, DigestEntry{Bucket: i, Count: -1, Hash: d})
			}
		}
		return out, true
	}
	idLen, cLen := 4, 0
	if pk.Wide {
		idLen = 8
	}
	if pk.Counts {
		cLen = 4
	}
	size := idLen + cLen + 8
	if len(packed)%size != 0 {
		return nil, false
	}
	out := make([]DigestEntry, 0, len(packed)/size)
	var sum int64
	for p := packed; len(p) > 0; p = p[size:] {
		e := DigestEntry{Count: -1}
		for _, b := range p[:idLen] {
			e.Bucket = e.Bucket<<8 | int64(b)
		}
		if pk.Counts {
			e.Count = 0
			for _, b := range p[idLen : idLen+cLen] {
				e.Count = e.Count<<8 | int64(b)
			}
			sum += e.Count
		}
		e.Hash = string(p[idLen+cLen : size])
		out = append(out, e)
	}
	return out, !pk.Counts || sum == total
}

func (Postgres) Digest(group, key, row, from, where string, pk Packing) string {
	return pgPack("substr(decode(md5(string_agg(r, '' ORDER BY k)), 'hex'), 1, 8)",
		"SELECT "+group+" AS g, "+key+" AS k, "+row+" AS r FROM "+from+whereClause(where), pk)
}

func (Postgres) DigestCheck() string { return "" }

func (Postgres) LateralDigest(buckets, key, row, from, where string, pk Packing) string {
	return pgLateralPack(buckets, "substr(decode(md5(string_agg(r, '')), 'hex'), 1, 8)",
		"SELECT "+key+" AS k, "+row+" AS r FROM "+from+whereClause(where), pk)
}

// LateralTypedDigest is TypedDigest bucket by bucket, as LateralDigest:
// per bucket an index range scan and a XOR, no hash table over the level.
func (Postgres) LateralTypedDigest(buckets, h, from, where string, pk Packing) string {
	return pgLateralPack(buckets, "int8send(bit_xor(h))", "SELECT "+h+" AS h FROM "+from+whereClause(where), pk)
}

// pgLateralPack packs digest (an aggregate over inner's rows) per bucket
// of the FROM item buckets; inner selects one bucket's rows through b.g.
func pgLateralPack(buckets, digest, inner string, pk Packing) string {
	entry, nonEmpty := pgPackedID(pk)+" || d", " WHERE x.c > 0"
	if pk.Dense {
		entry, nonEmpty = "coalesce(d, '"+pgZeroDigest+"'::bytea)", ""
	}
	return "SELECT coalesce(sum(c), 0)::bigint, coalesce(string_agg(" + entry + ", ''::bytea ORDER BY g), ''::bytea) FROM (SELECT b.g, x.c, x.d FROM " +
		buckets + " CROSS JOIN LATERAL (SELECT count(*) AS c, " + digest + " AS d FROM (" + inner + ") s) x" + nonEmpty + ") t"
}

// TypedDigest is Digest over a typed 64-bit row hash h (TypedHasher):
// the bucket's digest is the XOR of its rows' hashes — no order, no text,
// and equal for different row sets only by a 64-bit coincidence (rows of
// one bucket have distinct keys, so no row cancels another).
func (Postgres) TypedDigest(group, h, from, where string, pk Packing) string {
	return pgPack("int8send(bit_xor(h))", "SELECT "+group+" AS g, "+h+" AS h FROM "+from+whereClause(where), pk)
}

// pgPackedID is an entry's head: bucket number g, and count c when packed.
func pgPackedID(pk Packing) string {
	id := "int4send(g::int)"
	if pk.Wide {
		id = "int8send(g::bigint)"
	}
	if pk.Counts {
		id += " || int4send(c::int)"
	}
	return id
}

func pgPack(digest, inner string, pk Packing) string {
	return "SELECT coalesce(sum(c), 0)::bigint, coalesce(string_agg(" + pgPackedID(pk) + " || d, ''::bytea ORDER BY g), ''::bytea) FROM (SELECT g, count(*) AS c, " +
		digest + " AS d FROM (" + inner + " OFFSET 0) s GROUP BY g) t"
}

func (MySQL) Digest(group, key, row, from, where string, pk Packing) string {
	return "SELECT COALESCE(SUM(c), 0), COALESCE(GROUP_CONCAT(CONCAT(" + myPackedID(pk) + ", d) ORDER BY g SEPARATOR ''), '') FROM (SELECT " +
		group + " AS g, COUNT(*) AS c, UNHEX(LEFT(MD5(GROUP_CONCAT(" + row + " ORDER BY " + key + " SEPARATOR '')), 16)) AS d FROM " + from + whereClause(where) + " GROUP BY 1) t"
}

func (MySQL) DigestCheck() string { return "SELECT @@warning_count" }

// RangeDigest: rows out of key order would only make a bucket differ and
// be read row by row (equal digests still mean equal row sequences), and
// FORCE INDEX keeps each bucket's read on the primary key, in its order.
func (m MySQL) RangeDigest(key string, origin, width, last int64, row, from, where string, pk Packing) string {
	var b strings.Builder
	b.WriteString("WITH r AS (SELECT " + key + " AS k, " + row + " AS r FROM " + from + " FORCE INDEX (PRIMARY)" + whereClause(where) + ") ")
	entry, nonEmpty := "CONCAT("+myPackedID(pk)+", d)", " WHERE c > 0"
	if pk.Dense {
		entry, nonEmpty = "COALESCE(d, UNHEX('0000000000000000'))", ""
	}
	b.WriteString("SELECT COALESCE(SUM(c), 0), COALESCE(GROUP_CONCAT(" + entry + " ORDER BY g SEPARATOR ''), '') FROM (")
	for g := int64(0); g <= last; g++ {
		if g > 0 {
			b.WriteString(" UNION ALL ")
		}
		// Literal integers: computed here, never user text.
		lo := origin + g*width
		b.WriteString("SELECT " + strconv.FormatInt(g, 10) + " AS g, COUNT(*) AS c, UNHEX(LEFT(MD5(GROUP_CONCAT(r SEPARATOR '')), 16)) AS d FROM r WHERE k >= " +
			strconv.FormatInt(lo, 10) + " AND k < " + strconv.FormatInt(lo+width, 10))
	}
	b.WriteString(") t" + nonEmpty)
	return b.String()
}

// myPackedID is an entry's head: bucket number g, and count c when packed.
func myPackedID(pk Packing) string {
	n := 8
	if pk.Wide {
		n = 16
	}
	id := "UNHEX(LPAD(HEX(g), " + strconv.Itoa(n) + ", '0'))"
	if pk.Counts {
		id += ", UNHEX(LPAD(HEX(c), 8, '0'))"
	}
	return id
}

// terminated says a format's canonical text never holds a comma.
func terminated(f Format) bool { return f.Class == ClassInt || f.Class == ClassDecimal }

// neverNull says a column's canonical text cannot be NULL: it is declared
// NOT NULL and its class renders every value (date and time renderings
// can give NULL for values outside their range, e.g. infinity). Those
// fields skip the NULL mark, a tenth of a digest's cost per row.
func neverNull(c Column, f Format) bool {
	switch f.Class {
	case ClassInt, ClassDecimal, ClassText, ClassBool, ClassUUID:
		return c.NotNull
	}
	return false
}

func (p Postgres) DigestRow(cols []Column, canons []string, formats []Format) string {
	terms := digestTerms(cols, canons, formats, func(e string) string { return "octet_length(" + e + ")::text" },
		func(e string, fixed int) string { return p.Row([]string{e}, []int{fixed}) })
	return join(terms, " || ")
}

// DigestRow for MariaDB is one flat CONCAT: a nested CONCAT per field
// costs a buffer per field and row.
func (m MySQL) DigestRow(cols []Column, canons []string, formats []Format) string {
	terms := digestTerms(cols, canons, formats, func(e string) string { return "LENGTH(" + e + ")" },
		func(e string, fixed int) string { return m.Row([]string{e}, []int{fixed}) })
	return "CONCAT(" + join(terms, ", ") + ")"
}

// digestTerms is the digest row's framing, the same for every engine: the
// terms to concatenate, with the engine's byte length and Row framing.
func digestTerms(cols []Column, canons []string, formats []Format, length func(string) string, row func(string, int) string) []string {
	var terms []string
	for i, e := range canons {
		f, sure := formats[i], neverNull(cols[i], formats[i])
		switch {
		case terminated(f) && sure:
			terms = append(terms, e, "','")
		case terminated(f):
			terms = append(terms, "COALESCE("+e+", 'N')", "','")
		case sure && FixedLen(f) > 0:
			terms = append(terms, "'"+strconv.Itoa(FixedLen(f))+":'", e)
		case sure:
			terms = append(terms, length(e), "':'", e)
		default:
			terms = append(terms, row(e, FixedLen(f)))
		}
	}
	return terms
}
