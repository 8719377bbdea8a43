package kafka

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/cdcops/cdcops/connectjson"
)

// KeyNamespace returns the connector name of an offsets-topic key and
// whether the key is the [string, object] array Connect reads; it agrees
// with connectjson.ParseOffsetKey (FuzzKeyNamespace checks that) but skips
// building the partition map, which matters when a backup holds 50,000
// keys. Unusual keys fall back to the full parser.
func KeyNamespace(key []byte) (string, bool) {
	if ns, ok, sure := fastNamespace(key); sure {
		return ns, ok
	}
	ns, _, err := connectjson.ParseOffsetKey(key)
	return ns, err == nil
}

// fastNamespace handles compact keys with an escape-free namespace, the
// shape Connect writes; sure=false means "ask the full parser".
func fastNamespace(key []byte) (ns string, ok, sure bool) {
	if len(key) < 6 || key[0] != '[' || key[1] != '"' || key[len(key)-1] != ']' {
		return "", false, false
	}
	end := bytes.IndexByte(key[2:], '"')
	if end < 0 {
		return "", false, false
	}
	name := key[2 : 2+end]
	for _, c := range name {
		if c == '\\' || c < 0x20 {
			return "", false, false
		}
	}
	if !utf8.Valid(name) {
		return "", false, false
	}
	rest := key[2+end+1:]
	if len(rest) < 4 || rest[0] != ',' || rest[1] != '{' {
		return "", false, false
	}
	// rest = ,{...}]  — the object must close exactly before the final ']'.
	obj := rest[1 : len(rest)-1]
	if closeOf(obj) != len(obj)-1 || !json.Valid(obj) {
		return "", false, false
	}
	return string(name), true, true
}

// closeOf returns the index of the brace that closes the object starting
// at obj[0], or -1.
func closeOf(obj []byte) int {
	depth, inStr := 0, false
	for i := 0; i < len(obj); i++ {
		c := obj[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
