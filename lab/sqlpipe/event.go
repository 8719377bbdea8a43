package sqlpipe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Source is the "source" block of a change event: where the change came
// from, with the changelog position (pos) as the replayable position.
type Source struct {
	Version   string `json:"version"`
	Connector string `json:"connector"`
	Name      string `json:"name"`
	TsMs      int64  `json:"ts_ms"`
	Snapshot  string `json:"snapshot"`
	DB        string `json:"db"`
	Schema    string `json:"schema"`
	Table     string `json:"table"`
	Pos       int64  `json:"pos"`
}

// Envelope is a Debezium-style change event value (schemas disabled).
type Envelope struct {
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	Source Source          `json:"source"`
	Op     string          `json:"op"`
	TsMs   int64           `json:"ts_ms"`
}

// EncodeKey builds the record key: a JSON object of the primary key
// columns, in key order, with the values exactly as in the row image.
func EncodeKey(key []string, image json.RawMessage) ([]byte, error) {
	var row map[string]json.RawMessage
	if err := json.Unmarshal(image, &row); err != nil {
		return nil, fmt.Errorf("row image is not a JSON object: %w", err)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range key {
		v, ok := row[k]
		if !ok {
			return nil, fmt.Errorf("row image lacks key column %s", k)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		if err := json.Compact(&b, v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Decoded is a change event as the sink needs it.
type Decoded struct {
	Op     string         // c, u, r, d; "d" also for tombstones
	Key    []Column       // primary key columns and values
	After  []Column       // nil for deletes; sorted by name
	Source Source         // zero for tombstones
	Image  map[string]any // After as a map, for faults and checks
}

// Column is one column value decoded from JSON: nil, bool, int64,
// float64 or string (objects and arrays are kept as JSON text).
type Column struct {
	Name  string
	Value any
}

// Decode parses a record key and value. A nil value is a tombstone, which
// deletes the key (like the JDBC sink with delete.enabled).
func Decode(key, value []byte) (Decoded, error) {
	var d Decoded
	if len(key) == 0 {
		return d, errors.New("record has no key; the lab sink needs the primary key as the record key")
	}
	km, err := decodeObject(key)
	if err != nil {
		return d, fmt.Errorf("record key: %w", err)
	}
	d.Key = sortedColumns(km)
	if len(d.Key) == 0 {
		return d, errors.New("record key is an empty object")
	}
	if value == nil {
		d.Op = "d"
		return d, nil
	}
	var env struct {
		After  json.RawMessage `json:"after"`
		Source Source          `json:"source"`
		Op     string          `json:"op"`
	}
	dec := json.NewDecoder(bytes.NewReader(value))
	if err := dec.Decode(&env); err != nil {
		return d, fmt.Errorf("record value is not a change event: %w", err)
	}
	d.Op, d.Source = env.Op, env.Source
	switch env.Op {
	case "d":
		return d, nil
	case "c", "u", "r":
	default:
		return d, fmt.Errorf("record value has unknown op %q", env.Op)
	}
	if len(env.After) == 0 || string(env.After) == "null" {
		return d, fmt.Errorf("%q event has no after image", env.Op)
	}
	am, err := decodeObject(env.After)
	if err != nil {
		return d, fmt.Errorf("after image: %w", err)
	}
	for _, k := range d.Key {
		if _, ok := am[k.Name]; !ok {
			return d, fmt.Errorf("after image lacks key column %s", k.Name)
		}
	}
	d.After, d.Image = sortedColumns(am), am
	return d, nil
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object: null")
	}
	return m, nil
}

func sortedColumns(m map[string]any) []Column {
	out := make([]Column, 0, len(m))
	for k, v := range m {
		out = append(out, Column{Name: k, Value: sqlValue(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sqlValue turns a decoded JSON value into a driver argument.
func sqlValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return v
}

// keyString is a stable identity of a key, for batching and reports.
func keyString(cols []Column) string {
	var b bytes.Buffer
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%v", c.Name, c.Value)
	}
	return b.String()
}
