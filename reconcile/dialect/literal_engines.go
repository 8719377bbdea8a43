package dialect

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// PostgreSQL: literals assume standard_conforming_strings (Session pins
// it); text with control characters becomes an E'' string.

func (p Postgres) Literal(col Column, c Class, v *string) string {
	if v != nil && col.Kind == KindFloat && (*v == "NaN" || *v == "Infinity" || *v == "-Infinity") {
		return p.String(*v)
	}
	return canonLiteral(p, col, c, v)
}

func (Postgres) String(s string) string {
	if !controls(s) {
		return quoteSingle(s)
	}
	var b strings.Builder
	b.WriteString("E'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`''`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func (Postgres) boolLit(v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}

func (Postgres) bytesLit(b []byte) string { return "decode('" + hex.EncodeToString(b) + "', 'hex')" }

func (p Postgres) tsLit(col Column, ts string) string {
	if col.Kind == KindTimestampTZ {
		return p.String(ts + "+00")
	}
	return p.String(ts)
}

func (Postgres) defaultTSDigits() int { return 6 }

// Native reads every type as its text output, which PostgreSQL's input
// functions read back exactly (the read session sets UTC, hex bytea and
// full float digits: see NativeSession).
func (p Postgres) Native(col Column) string { return "(" + p.Quote(col.Name) + ")::text" }

func (p Postgres) NativeLiteral(col Column, v *string) string {
	switch {
	case v == nil:
		return "NULL"
	case numericKind(col.Kind) && numText.MatchString(*v):
		return *v
	case col.Kind == KindBool && (*v == "t" || *v == "f"):
		return p.boolLit(*v == "t")
	case col.Kind == KindBinary && strings.HasPrefix(*v, `\x`):
		return "decode('" + (*v)[2:] + "', 'hex')"
	}
	return p.String(*v)
}

func (Postgres) Upsert(key, set []string) string {
	if len(set) == 0 {
		return "ON CONFLICT (" + joinComma(key) + ") DO NOTHING"
	}
	parts := make([]string, len(set))
	for i, c := range set {
		parts[i] = c + " = EXCLUDED." + c
	}
	return "ON CONFLICT (" + joinComma(key) + ") DO UPDATE SET " + joinComma(parts)
}

func (Postgres) Session() []string {
	return []string{"SET client_encoding = 'UTF8'", "SET standard_conforming_strings = on", "SET TIME ZONE 'UTC'"}
}

func (Postgres) Begin() string { return "BEGIN" }

// NativeSession is what a connection reading Native values runs first.
func (Postgres) NativeSession() []string {
	return []string{"SET TIME ZONE 'UTC'", "SET bytea_output = 'hex'", "SET extra_float_digits = 3", "SET DateStyle = 'ISO, YMD'"}
}

// MariaDB / MySQL: backslashes are escapes unless the session's sql_mode
// has NO_BACKSLASH_ESCAPES (Session pins the mode the literals assume).
// Text with control characters other than tab, CR and LF is written as a
// utf8mb4 hex string, which reads the same in either mode.

func (m MySQL) Literal(col Column, c Class, v *string) string { return canonLiteral(m, col, c, v) }

func (m MySQL) String(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return "_utf8mb4 X'" + strings.ToUpper(hex.EncodeToString([]byte(s))) + "'"
		}
	}
	if m.NoBackslashEscapes {
		return quoteSingle(s)
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return "'" + r.Replace(s) + "'"
}

func (MySQL) boolLit(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

func (MySQL) bytesLit(b []byte) string { return "X'" + strings.ToUpper(hex.EncodeToString(b)) + "'" }

func (m MySQL) tsLit(_ Column, ts string) string { return m.String(ts) }

func (MySQL) defaultTSDigits() int { return 0 }

func (m MySQL) Native(col Column) string {
	c := m.Quote(col.Name)
	switch {
	case col.Kind == KindBinary:
		return "HEX(" + c + ")"
	case strings.HasPrefix(col.Type, "bit"):
		return "CAST(" + c + " + 0 AS CHAR)"
	case col.Kind == KindText || col.Kind == KindJSON:
		return c
	}
	return "CAST(" + c + " AS CHAR)"
}

func (m MySQL) NativeLiteral(col Column, v *string) string {
	switch {
	case v == nil:
		return "NULL"
	case col.Kind == KindBinary:
		return "X'" + *v + "'"
	case (numericKind(col.Kind) || col.Kind == KindBool) && numText.MatchString(*v):
		return *v
	}
	return m.String(*v)
}

func (MySQL) Upsert(key, set []string) string {
	if len(set) == 0 {
		set = key[:1]
	}
	parts := make([]string, len(set))
	for i, c := range set {
		parts[i] = c + " = VALUES(" + c + ")"
	}
	return "ON DUPLICATE KEY UPDATE " + joinComma(parts)
}

func (m MySQL) Session() []string {
	mode := "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))"
	if m.NoBackslashEscapes {
		mode = "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')"
	}
	return []string{"SET NAMES utf8mb4", "SET time_zone = '+00:00'", mode}
}

func (MySQL) Begin() string { return "START TRANSACTION" }

// NativeSession: TIMESTAMP columns read (and are written back) in UTC.
func (MySQL) NativeSession() []string { return []string{"SET time_zone = '+00:00'"} }

// SQLite: quote() gives each value as an exact literal of its storage
// class; control characters are spliced in with char().

func (s SQLite) Literal(col Column, c Class, v *string) string { return canonLiteral(s, col, c, v) }

func (SQLite) String(s string) string {
	if !controls(s) {
		return quoteSingle(s)
	}
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			if i > start {
				parts = append(parts, quoteSingle(s[start:i]))
			}
			parts = append(parts, fmt.Sprintf("char(%d)", c))
			start = i + 1
		}
	}
	if start < len(s) {
		parts = append(parts, quoteSingle(s[start:]))
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

func (SQLite) boolLit(v bool) string { return MySQL{}.boolLit(v) }

func (SQLite) bytesLit(b []byte) string { return MySQL{}.bytesLit(b) }

func (s SQLite) tsLit(_ Column, ts string) string { return s.String(ts) }

func (SQLite) defaultTSDigits() int { return -1 }

func (s SQLite) Native(col Column) string { return "quote(" + s.Quote(col.Name) + ")" }

func (SQLite) NativeLiteral(_ Column, v *string) string {
	if v == nil {
		return "NULL"
	}
	return *v
}

func (SQLite) Upsert(key, set []string) string { return Postgres{}.Upsert(key, set) }

func (SQLite) Session() []string { return nil }

func (SQLite) Begin() string { return "BEGIN" }

// NativeSession: nothing to pin.
func (SQLite) NativeSession() []string { return nil }
