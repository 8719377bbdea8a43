package connectjson

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encode writes v as Connect's JsonConverter would (see package doc).
func Encode(v any) ([]byte, error) {
	var b []byte
	return appendValue(b, v)
}

// OffsetKey builds the offsets-topic key [namespace, partition] exactly as
// Connect's OffsetStorageWriter does.
func OffsetKey(namespace string, partition Object) ([]byte, error) {
	return Encode([]any{namespace, partition})
}

// Normalize parses JSON and writes it back as Connect would store it, the
// same round trip the worker applies to offsets PATCHed through REST.
func Normalize(data []byte) ([]byte, error) {
	v, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return Encode(v)
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		s, err := javaDouble(x)
		if err != nil {
			return nil, err
		}
		return append(b, s...), nil
	case string:
		return appendString(b, x), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case Object:
		keys := make([]string, len(x))
		for i, f := range x {
			keys[i] = f.Key
		}
		b = append(b, '{')
		for n, i := range javaHashMapOrder(keys) {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendString(b, x[i].Key)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, x[i].Value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	default:
		return nil, fmt.Errorf("connectjson: cannot encode %T", v)
	}
}

const hexDigits = "0123456789ABCDEF"

// appendString quotes s the way Jackson does: short escapes for " \ \b \f
// \n \r \t, \u00XX (upper-case hex) for other control characters, each
// UTF-16 surrogate of a character beyond U+FFFF as \uXXXX (Jackson's
// UTF8JsonGenerator escapes surrogates rather than combining them), and
// everything else (including < > & / U+2028 and the rest of non-ASCII) raw.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0xF0 { // the lead byte of a 4-byte UTF-8 sequence: beyond the BMP
			if r, n := utf8.DecodeRuneInString(s[i:]); n == 4 {
				hi, lo := utf16.EncodeRune(r)
				b = appendEscape(b, hi)
				b = appendEscape(b, lo)
				i += n - 1
				continue
			}
		}
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = appendEscape(b, rune(c))
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// appendEscape writes \uXXXX for a UTF-16 code unit, upper-case hex.
func appendEscape(b []byte, u rune) []byte {
	return append(b, '\\', 'u', hexDigits[u>>12&0xF], hexDigits[u>>8&0xF], hexDigits[u>>4&0xF], hexDigits[u&0xF])
}

// javaDouble formats f like Java's Double.toString (which Jackson uses):
// plain notation with at least one fractional digit for 1e-3 <= |f| < 1e7,
// otherwise d.dddE±n; the shortest digits that round-trip.
func javaDouble(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("connectjson: %v is not valid in an offset", f)
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0", nil
		}
		return "0.0", nil
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s, nil
	}
	// 'E' with shortest digits gives e.g. 1.2345E+20 or 1E-05.
	s := strconv.FormatFloat(f, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, err := strconv.Atoi(exp)
	if err != nil {
		return "", err
	}
	return mant + "E" + strconv.Itoa(e), nil
}
