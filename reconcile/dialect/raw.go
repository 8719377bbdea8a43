package dialect

import (
	"bytes"
	"encoding/hex"
	"strconv"
)

// Canonicalizer appends the canonical text of one non-NULL column value,
// given as the engine's text-protocol bytes, to dst. A nil Canonicalizer
// means the bytes already are the canonical text (readers copy them once).
type Canonicalizer func(dst, raw []byte) []byte

// RawFetcher is implemented by dialects whose streaming reads plain
// columns and renders them in Go — cheaper for the server than building
// the canonical text in SQL. Fetch returns the select expression and the
// Go rendering; ok is false when a column must use the SQL form.
type RawFetcher interface {
	Fetch(col Column, f Format) (expr string, canon Canonicalizer, ok bool)
}

// asIs marks values whose wire text is canonical.
var asIs Canonicalizer

func lowerASCII(dst, raw []byte) []byte {
	for _, c := range raw {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// textCanon renders text with the opt-in trim (spaces) and casefold.
func textCanon(f Format) Canonicalizer {
	if !f.Trim && !f.Casefold {
		return asIs
	}
	return func(dst, raw []byte) []byte {
		if f.Trim {
			raw = bytes.Trim(raw, " ")
		}
		if f.Casefold {
			return append(dst, bytes.ToLower(raw)...)
		}
		return append(dst, raw...)
	}
}

// boolCanon maps t/f/true/false/0/1/any integer to 0 or 1.
func boolCanon(dst, raw []byte) []byte {
	switch string(raw) {
	case "t", "true", "TRUE", "1":
		return append(dst, '1')
	case "f", "false", "FALSE", "0", "-0":
		return append(dst, '0')
	}
	if n, err := strconv.ParseFloat(string(raw), 64); err == nil && n == 0 {
		return append(dst, '0')
	}
	return append(dst, '1')
}

// intFromBool renders a boolean as 0/1 for the int class.
func intFromBool(dst, raw []byte) []byte { return boolCanon(dst, raw) }

// decimalCanon rounds a decimal text to scale places, half away from zero,
// with no "-0"; float text goes through 15 significant digits first.
func decimalCanon(scale int, fromFloat, fromBool bool) Canonicalizer {
	return func(dst, raw []byte) []byte {
		if fromBool {
			raw = boolCanon(nil, raw)
		}
		if fromFloat {
			v, err := strconv.ParseFloat(string(raw), 64)
			if err != nil {
				return append(dst, raw...)
			}
			s := DecimalText(v, scale)
			return append(dst, s.(string)...)
		}
		return RoundDecimal(dst, raw, scale)
	}
}

// RoundDecimal appends the decimal text raw rounded to scale places (half
// away from zero), without "-0". Non-decimal text is appended unchanged.
func RoundDecimal(dst, raw []byte, scale int) []byte {
	neg := len(raw) > 0 && raw[0] == '-'
	s := raw
	if neg || (len(s) > 0 && s[0] == '+') {
		s = s[1:]
	}
	intPart, frac, _ := bytes.Cut(s, []byte{'.'})
	if len(intPart) == 0 && len(frac) == 0 {
		return append(dst, raw...)
	}
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return append(dst, raw...)
		}
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return append(dst, raw...)
		}
	}
	// digits = intPart + frac[:scale] (padded), then round on frac[scale].
	digits := make([]byte, 0, len(intPart)+scale+1)
	digits = append(digits, '0') // room for a carry
	digits = append(digits, intPart...)
	for i := 0; i < scale; i++ {
		if i < len(frac) {
			digits = append(digits, frac[i])
		} else {
			digits = append(digits, '0')
		}
	}
	if len(frac) > scale && frac[scale] >= '5' {
		for i := len(digits) - 1; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
	}
	ip := digits[:len(digits)-scale]
	fp := digits[len(digits)-scale:]
	for len(ip) > 1 && ip[0] == '0' {
		ip = ip[1:]
	}
	zero := true
	for _, c := range digits {
		if c != '0' {
			zero = false
			break
		}
	}
	if neg && !zero {
		dst = append(dst, '-')
	}
	dst = append(dst, ip...)
	if scale > 0 {
		dst = append(dst, '.')
		dst = append(dst, fp...)
	}
	return dst
}

// timestampCanon renders "YYYY-MM-DD HH:MM:SS[.ffffff][+00]" text (or a
// date) at digits fractional digits, truncated; digits < 0 gives the date.
// The session is in UTC, so a zone suffix is "+00" and is dropped.
func timestampCanon(digits int) Canonicalizer {
	return func(dst, raw []byte) []byte {
		if len(raw) < 10 {
			return append(dst, raw...)
		}
		if digits < 0 {
			return append(dst, raw[:10]...)
		}
		if len(raw) == 10 { // a date: midnight
			dst = append(dst, raw...)
			dst = append(dst, " 00:00:00"...)
			if digits > 0 {
				dst = append(dst, '.')
				dst = append(dst, "000000"[:digits]...)
			}
			return dst
		}
		if len(raw) < 19 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:10]...)
		dst = append(dst, ' ')
		dst = append(dst, raw[11:19]...)
		if digits == 0 {
			return dst
		}
		rest := raw[19:]
		var frac []byte
		if len(rest) > 0 && rest[0] == '.' {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			frac = rest[1:i]
		}
		dst = append(dst, '.')
		for i := 0; i < digits; i++ {
			if i < len(frac) {
				dst = append(dst, frac[i])
			} else {
				dst = append(dst, '0')
			}
		}
		return dst
	}
}

func hexCanon(dst, raw []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, hex.EncodedLen(len(raw)))...)
	hex.Encode(dst[n:], raw)
	return dst
}

// pgByteaCanon turns PostgreSQL's "\x0a0b" bytea text into "0a0b".
func pgByteaCanon(dst, raw []byte) []byte {
	return append(dst, bytes.TrimPrefix(raw, []byte(`\x`))...)
}

// fetchCanon is the Go rendering shared by the engines' text protocols;
// ok is false for combinations left to SQL.
func fetchCanon(col Column, f Format, binaryHex Canonicalizer) (Canonicalizer, bool) {
	switch f.Class {
	case ClassInt:
		switch col.Kind {
		case KindInt:
			return asIs, true
		case KindBool:
			return intFromBool, true
		}
	case ClassBool:
		if col.Kind == KindBool || col.Kind == KindInt {
			return boolCanon, true
		}
	case ClassDecimal:
		switch col.Kind {
		case KindDecimal, KindInt:
			return decimalCanon(f.Scale, false, false), true
		case KindFloat:
			return decimalCanon(f.Scale, true, false), true
		case KindBool:
			return decimalCanon(f.Scale, false, true), true
		}
	case ClassFloat:
		if col.Kind == KindFloat || col.Kind == KindInt {
			return asIs, true
		}
	case ClassText:
		if col.Kind == KindText {
			return textCanon(f), true
		}
	case ClassUUID:
		if col.Kind == KindUUID || col.Kind == KindText {
			return lowerASCII, true
		}
	case ClassDate:
		switch col.Kind {
		case KindDate, KindTimestamp, KindTimestampTZ:
			return timestampCanon(-1), true
		}
	case ClassTimestamp:
		switch col.Kind {
		case KindDate, KindTimestamp, KindTimestampTZ:
			return timestampCanon(f.TSDigits), true
		}
	case ClassBinary:
		if col.Kind == KindBinary {
			return binaryHex, true
		}
	case ClassJSON:
		return asIs, true
	}
	return nil, false
}

// Fetch for PostgreSQL: plain columns in text format; the snapshot sets
// TimeZone UTC and DateStyle ISO so instants arrive as UTC ISO text.
func (p Postgres) Fetch(col Column, f Format) (string, Canonicalizer, bool) {
	c, ok := fetchCanon(col, f, pgByteaCanon)
	return p.Quote(col.Name), c, ok
}

// Fetch for MariaDB: plain columns over the text protocol; the snapshot
// sets time_zone +00:00 so TIMESTAMP columns arrive in UTC.
func (m MySQL) Fetch(col Column, f Format) (string, Canonicalizer, bool) {
	if f.Class == ClassFloat {
		// The text protocol writes 1e-07 where CAST(… AS CHAR) writes
		// 0.0000001; keep the SQL form so both modes hash the same bytes.
		return m.Canon(col, f), asIs, true
	}
	c, ok := fetchCanon(col, f, hexCanon)
	return m.Quote(col.Name), c, ok
}
