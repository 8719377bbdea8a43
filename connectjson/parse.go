package connectjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Parse decodes JSON into Values (see Value), keeping object keys in their
// order in the input; a repeated key keeps its first position and its last
// value, as HashMap.put does. Integral numbers become int64, others float64
// (-0.0 reads as 0.0, as the worker's BigDecimal reading gives it).
func Parse(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("connectjson: trailing data after JSON value")
	}
	return v, nil
}

// ParseObject is Parse for data that must be a JSON object, such as an
// offset or a partition map.
func ParseObject(data []byte) (Object, error) {
	v, err := Parse(data)
	if err != nil {
		return nil, err
	}
	o, ok := v.(Object)
	if !ok {
		return nil, fmt.Errorf("connectjson: not a JSON object: %.40s", data)
	}
	return o, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("connectjson: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj Object
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("connectjson: %w", err)
				}
				key, _ := kt.(string)
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				obj = obj.Set(key, v)
			}
			_, err := dec.Token() // '}'
			if obj == nil {
				obj = Object{}
			}
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
		return nil, fmt.Errorf("connectjson: unexpected %v", t)
	case json.Number:
		return parseNumber(string(t))
	default: // string, bool, nil
		return t, nil
	}
}

func parseNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("connectjson: integer %s does not fit in a Java long", s)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("connectjson: number %s: %w", s, err)
	}
	if f == 0 {
		// The worker reads floats as BigDecimal, which has no -0.0.
		f = 0
	}
	return f, nil
}
