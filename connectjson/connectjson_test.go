package connectjson

import (
	"bytes"
	"slices"
	"strings"
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

// Orders a JDK 17 HashMap gives (checked with testdata/HashMapOrder.java;
// TestHashMapOrderMatchesJava re-checks them against the local JDK). Each
// differs from both insertion and sorted order.
var hashMapVectors = []struct {
	name      string
	keys      []string // insertion order
	javaOrder []string
}{
	{
		// 13 keys: the 13th put passes the threshold (12) and resizes to 32.
		name: "resize at 13 keys",
		keys: []string{"lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec", "messageType", "xmin", "transaction_id",
			"transaction_data_collection_order_public.a", "transaction_data_collection_order_public.b",
			"transaction_data_collection_order_public.c", "transaction_data_collection_order_public.d",
			"transaction_data_collection_order_public.e"},
		javaOrder: []string{"transaction_id", "lsn_proc", "xmin", "lsn_commit", "lsn", "txId",
			"transaction_data_collection_order_public.e", "transaction_data_collection_order_public.c",
			"transaction_data_collection_order_public.d", "messageType",
			"transaction_data_collection_order_public.a", "transaction_data_collection_order_public.b", "ts_usec"},
	},
	{
		// Delta J1 [checked locally]: 9 keys in bucket 3 of 16; the 9th put
		// makes treeifyBin resize to 32, which moves f9 behind the others.
		name:      "treeify resize at 9 keys in one bin",
		keys:      []string{"f9", "f40", "f51", "f62", "f73", "f84", "f95", "f101", "f112"},
		javaOrder: []string{"f40", "f51", "f62", "f73", "f84", "f95", "f101", "f112", "f9"},
	},
}

func javaOrderOf(keys []string) []string {
	var out []string
	for _, i := range javaHashMapOrder(keys) {
		out = append(out, keys[i])
	}
	return out
}

func TestHashMapOrderAfterResize(t *testing.T) {
	for _, v := range hashMapVectors {
		sorted := slices.Sorted(slices.Values(v.keys))
		if slices.Equal(v.javaOrder, v.keys) || slices.Equal(v.javaOrder, sorted) {
			t.Fatalf("%s: vector cannot tell Java order from insertion or sorted order", v.name)
		}
		if got := javaOrderOf(v.keys); !slices.Equal(got, v.javaOrder) {
			t.Errorf("%s:\n got %v\nwant %v", v.name, got, v.javaOrder)
		}
		obj := Object{}
		for _, k := range v.keys {
			obj = append(obj, Field{k, int64(1)})
		}
		b, err := Encode(obj)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"` + strings.Join(v.javaOrder, `":1,"`) + `":1}`; string(b) != want {
			t.Errorf("%s: Encode = %s, want %s", v.name, b, want)
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

// Jackson's UTF8JsonGenerator escapes each UTF-16 surrogate of a
// character outside the BMP (\uD83D\uDE00 for U+1F600, upper-case hex)
// instead of writing its four UTF-8 bytes; real Connect 4.4.0 and 3.9.1
// workers wrote exactly this for a PATCHed partition and offset
// (TestRealRESTAndTopicWritesAgree). In a key it changes the bytes a
// lookup needs and the murmur2 partition.
func TestJacksonEscapesSupplementaryCharacters(t *testing.T) {
	got, err := Encode("a😀b\U0010FFFF☃é")
	if err != nil {
		t.Fatal(err)
	}
	if want := `"a\uD83D\uDE00b\uDBFF\uDFFF` + "☃é\""; string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	key, err := OffsetKey("c", Object{{Key: "server", Value: "p😀"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `["c",{"server":"p\uD83D\uDE00"}]`; string(key) != want {
		t.Errorf("key %s, want %s", key, want)
	}
	// Read back, the escapes are the character again.
	if v, err := Parse(key); err != nil || v.([]any)[1].(Object)[0].Value != "p😀" {
		t.Errorf("Parse(%s) = %v, %v", key, v, err)
	}
}

// The worker reads JSON floats as BigDecimal (JsonConverter's
// USE_BIG_DECIMAL_FOR_FLOATS), which has no negative zero: a PATCHed -0.0
// is stored as 0.0 (seen on the real workers).
func TestNormalizeNegativeZero(t *testing.T) {
	got, err := Normalize([]byte(`{"e":-0.0,"f":-0e5,"g":-0}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"e":0.0,"f":0.0,"g":0}`; string(got) != want {
		t.Errorf("Normalize = %s, want %s", got, want)
	}
}
