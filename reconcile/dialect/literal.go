package dialect

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops/sqlconn"
)

// Writer is the SQL one engine needs to change rows exactly: literals
// for canonical values (what reconcile compares) and for native values
// (what a row held, read losslessly to restore it), upserts and the
// session a generated script runs in.
type Writer interface {
	Dialect
	// Literal renders v, a canonical text of class c (nil: NULL), as a
	// literal for col; a timestamp keeps col's fractional precision.
	Literal(col Column, c Class, v *string) string
	// Native is a select expression giving col's value as lossless text;
	// NativeLiteral turns that text (nil: NULL) back into a literal.
	Native(col Column) string
	NativeLiteral(col Column, v *string) string
	// NativeSession is what a connection reading Native values runs first.
	NativeSession() []string
	// String is s as a string literal, escaped for this engine.
	String(s string) string
	// Upsert is the clause after INSERT … VALUES that updates set on a
	// conflict on the key columns (all quoted already).
	Upsert(key, set []string) string
	// Session pins what literals rely on (encoding, escapes, time zone)
	// for a script run by the engine's own client.
	Session() []string
	// Begin starts a transaction in a script.
	Begin() string
}

// WriterFor returns the writer of q's engine; for MariaDB it reads the
// session's sql_mode, since NO_BACKSLASH_ESCAPES changes string literals.
func WriterFor(ctx context.Context, q Querier, e sqlconn.Engine) (Writer, error) {
	switch e {
	case sqlconn.Postgres:
		return Postgres{}, nil
	case sqlconn.MySQL:
		var mode string
		if err := q.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
			return nil, fmt.Errorf("read sql_mode: %w", err)
		}
		return MySQL{NoBackslashEscapes: strings.Contains(strings.ToUpper(mode), "NO_BACKSLASH_ESCAPES")}, nil
	case sqlconn.SQLite:
		RegisterSQLiteFunctions()
		return SQLite{}, nil
	}
	return nil, fmt.Errorf("no SQL writer for engine %q", e)
}

var (
	intText = regexp.MustCompile(`^[+-]?[0-9]+$`)
	numText = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	tsPrec  = regexp.MustCompile(`\(\s*(\d+)\s*\)`)
)

// lits are the per-engine pieces canonLiteral assembles.
type lits interface {
	String(s string) string
	boolLit(b bool) string
	bytesLit(b []byte) string
	// tsLit is a UTC timestamp text at the column's precision.
	tsLit(col Column, ts string) string
	// defaultTSDigits is the precision of a timestamp column declared
	// without one (-1: as given, trailing zeros dropped).
	defaultTSDigits() int
}

func canonLiteral(l lits, col Column, c Class, v *string) string {
	if v == nil {
		return "NULL"
	}
	s := *v
	if c == ClassBinary && col.Kind != KindBinary {
		if b, err := hex.DecodeString(s); err == nil {
			s = string(b) // binary on the other side: these are the bytes of the text
		}
	}
	switch col.Kind {
	case KindInt:
		if intText.MatchString(s) {
			return s
		}
	case KindDecimal, KindFloat:
		if numText.MatchString(s) {
			return s
		}
	case KindBool:
		switch s {
		case "1", "t", "true":
			return l.boolLit(true)
		case "0", "f", "false":
			return l.boolLit(false)
		}
	case KindBinary:
		if c == ClassBinary {
			if b, err := hex.DecodeString(s); err == nil {
				return l.bytesLit(b)
			}
		}
		return l.bytesLit([]byte(s))
	case KindTimestamp, KindTimestampTZ:
		if len(s) >= 19 && s[10] == ' ' {
			return l.tsLit(col, truncateTS(s, tsDigitsOf(col, l.defaultTSDigits())))
		}
	}
	return l.String(s)
}

// tsDigitsOf is a timestamp column's declared fractional precision.
func tsDigitsOf(col Column, def int) int {
	if m := tsPrec.FindStringSubmatch(col.Type); m != nil {
		n, _ := strconv.Atoi(m[1])
		return min(n, 6)
	}
	return def
}

// truncateTS cuts "YYYY-MM-DD HH:MM:SS[.ffffff]" to digits places; the
// engines would round, and reconcile truncates. digits < 0 keeps the
// fraction without trailing zeros.
func truncateTS(s string, digits int) string {
	base, frac, _ := strings.Cut(s, ".")
	if digits < 0 {
		frac = strings.TrimRight(frac, "0")
	} else {
		frac = (frac + "000000")[:digits]
	}
	if frac == "" {
		return base
	}
	return base + "." + frac
}

// controls says whether s holds a control character.
func controls(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func quoteSingle(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func numericKind(k Kind) bool { return k == KindInt || k == KindDecimal || k == KindFloat }

func joinComma(parts []string) string { return strings.Join(parts, ", ") }
