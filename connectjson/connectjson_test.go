package connectjson

import (
	"bytes"
	"testing"
)

// Test vectors from spec §3.3 (verified against Java's Utils.murmur2).
func TestMurmur2PartitionVectors(t *testing.T) {
	tests := []struct {
		key       string
		murmur    int32
		partition int32
	}{
		{`["inventory-connector",{"server":"dbserver1"}]`, -1922584362, 11},
		{`["inventory-connector",{"server":"server1"}]`, -964217915, 8},
		{`["kafka",{"server":"tutorial"}]`, 576262106, 6},
		{`["sqlserver-connector",{"server":"server1","database":"testDB"}]`, 1527529947, 22},
	}
	for _, tt := range tests {
		if got := int32(murmur2([]byte(tt.key))); got != tt.murmur {
			t.Errorf("murmur2(%s) = %d, want %d", tt.key, got, tt.murmur)
		}
		if got := Partition([]byte(tt.key), 25); got != tt.partition {
			t.Errorf("Partition(%s) = %d, want %d", tt.key, got, tt.partition)
		}
	}
}

// Key order must be Java HashMap iteration order (spec §3.4), whatever
// order the fields were added in.
func TestHashMapOrder(t *testing.T) {
	tests := []struct {
		name string
		obj  Object
		want string
	}{
		{"sqlserver", Object{{"database", "testDB"}, {"server", "server1"}}, `{"server":"server1","database":"testDB"}`},
		{"sqlserver inserted in order", Object{{"server", "server1"}, {"database", "testDB"}}, `{"server":"server1","database":"testDB"}`},
		{"sink partition", Object{{"kafka_topic", "t"}, {"kafka_partition", int64(0)}}, `{"kafka_partition":0,"kafka_topic":"t"}`},
		{"legacy mongo", Object{{"server_id", "p"}, {"rs", "rs0"}}, `{"rs":"rs0","server_id":"p"}`},
		{"single key", Object{{"server", "dbserver1"}}, `{"server":"dbserver1"}`},
		{"empty", Object{}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Encode = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHashMapOrderAfterResize(t *testing.T) {
	// 13 keys force a resize to 32 buckets; every key must still appear once
	// and the order must not depend on insertion order of distinct buckets.
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"}
	order := javaHashMapOrder(keys)
	seen := map[int]bool{}
	for _, i := range order {
		seen[i] = true
	}
	if len(order) != len(keys) || len(seen) != len(keys) {
		t.Fatalf("order %v is not a permutation of %d keys", order, len(keys))
	}
	// Single-char keys hash to their code point, so buckets are ordered by it.
	for n := 1; n < len(order); n++ {
		if keys[order[n-1]] > keys[order[n]] {
			t.Fatalf("keys out of bucket order: %v", order)
		}
	}
}

func TestJacksonEscaping(t *testing.T) {
	got, err := Encode("a\"b\\c\n\t\r\b\f\x01\x1f</>&\u2028é")
	if err != nil {
		t.Fatal(err)
	}
	want := `"a\"b\\c\n\t\r\b\f\u0001\u001F</>&` + "\u2028é\""
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestJavaDouble(t *testing.T) {
	tests := map[float64]string{
		1:       "1.0",
		1.5:     "1.5",
		1e20:    "1.0E20",
		1.25e-5: "1.25E-5",
		0.001:   "0.001",
		1e7:     "1.0E7",
		1234567: "1234567.0",
		-2.5:    "-2.5",
	}
	for f, want := range tests {
		got, err := javaDouble(f)
		if err != nil || got != want {
			t.Errorf("javaDouble(%v) = %q, %v; want %q", f, got, err, want)
		}
	}
}

func TestNormalizeNumbers(t *testing.T) {
	got, err := Normalize([]byte(` {"pos" : 154, "ratio": 1e2, "f": 2.50} `))
	if err != nil {
		t.Fatal(err)
	}
	// String.hashCode spread: "pos" → bucket 5, "f" → 6, "ratio" → 15 of 16.
	if want := `{"pos":154,"f":2.5,"ratio":100.0}`; string(got) != want {
		t.Errorf("Normalize = %s, want %s", got, want)
	}
}

func TestParseOffsetKey(t *testing.T) {
	ns, part, err := ParseOffsetKey([]byte(`["sqlserver-connector",{"server":"server1","database":"testDB"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if ns != "sqlserver-connector" || len(part) != 2 || part[0].Key != "server" {
		t.Fatalf("got %q %v", ns, part)
	}
	again, _ := OffsetKey(ns, part)
	if !bytes.Equal(again, []byte(`["sqlserver-connector",{"server":"server1","database":"testDB"}]`)) {
		t.Errorf("round trip changed bytes: %s", again)
	}
	for _, bad := range []string{`{}`, `["a"]`, `[1,{}]`, `["a",[]]`, `["a",{},3]`, `not json`, `["a",{}] x`} {
		if _, _, err := ParseOffsetKey([]byte(bad)); err == nil {
			t.Errorf("ParseOffsetKey(%s) accepted a malformed key", bad)
		}
	}
}

func TestValidateFlat(t *testing.T) {
	if err := ValidateFlat(Object{{"lsn", int64(1)}, {"s", "x"}, {"b", true}, {"n", nil}}); err != nil {
		t.Errorf("flat map rejected: %v", err)
	}
	if err := ValidateFlat(Object{{"nested", Object{}}}); err == nil {
		t.Error("nested map accepted")
	}
}

// FuzzParseOffsetKey: parsing never panics, and any key it accepts
// re-encodes to something it accepts again with the same namespace.
func FuzzParseOffsetKey(f *testing.F) {
	for _, s := range []string{
		`["inventory-connector",{"server":"dbserver1"}]`,
		`["sqlserver-connector",{"server":"server1","database":"testDB"}]`,
		`["mongo",{"rs":"rs0","server_id":"p"}]`,
		`["x",{"a":1.5,"b":null,"c":true}]`,
		`["\u00e9\n",{}]`,
		`[1,2]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, part, err := ParseOffsetKey(data)
		if err != nil {
			return
		}
		enc, err := OffsetKey(ns, part)
		if err != nil {
			return // e.g. NaN cannot appear; other encode errors are fine
		}
		ns2, _, err := ParseOffsetKey(enc)
		if err != nil || ns2 != ns {
			t.Fatalf("re-encoded key %q does not parse back: %v", enc, err)
		}
	})
}

func TestParseObject(t *testing.T) {
	o, err := ParseObject([]byte(`{"lsn":5,"file":"f"}`))
	if err != nil || len(o) != 2 || o[0].Key != "lsn" || o[0].Value != int64(5) {
		t.Fatalf("ParseObject = %v, %v", o, err)
	}
	for _, bad := range []string{``, `[1]`, `"x"`, `null`, `{"a":`} {
		if o, err := ParseObject([]byte(bad)); err == nil || o != nil {
			t.Errorf("ParseObject(%q) = %v, %v; want an error", bad, o, err)
		}
	}
}
