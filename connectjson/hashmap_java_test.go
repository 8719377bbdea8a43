package connectjson_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
)

// TestHashMapOrderMatchesJava makes the local JDK the oracle: the delta's
// J1 vector plus seeded random maps (many with 9+ keys in one bucket, up to
// 48 keys, i.e. below treeification) must iterate as java.util.HashMap does.
func TestHashMapOrderMatchesJava(t *testing.T) {
	prog := testenv.CompileJava(t, "", filepath.Join("testdata", "HashMapOrder.java"))
	var cases [][]string
	var collides []bool
	cases = append(cases, []string{"f9", "f40", "f51", "f62", "f73", "f84", "f95", "f101", "f112"})
	collides = append(collides, true)
	rng := rand.New(rand.NewPCG(9, 64))
	for n := 0; n < 300; n++ {
		size := 1 + rng.IntN(48)
		collide := rng.IntN(2) == 0 // half the maps: 9-20 keys chosen to share a 16-bucket
		if collide {
			size = 9 + rng.IntN(12)
		}
		seen := map[string]bool{}
		var keys []string
		for len(keys) < size {
			k := fmt.Sprintf("k%d", rng.IntN(5000))
			if h := stringHash(k); collide && (h^h>>16)&15 != 3 || seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, k)
		}
		cases = append(cases, keys)
		collides = append(collides, collide)
	}
	var in bytes.Buffer
	for _, c := range cases {
		in.WriteString(strings.Join(c, "\t") + "\n")
	}
	cmd := prog.Command("HashMapOrder")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java HashMapOrder: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("java printed %d lines for %d maps", len(lines), len(cases))
	}
	checked, collided := 0, 0
	for i, c := range cases {
		if connectjson.JavaHashMapTreeifies(c) {
			continue
		}
		checked++
		if collides[i] {
			collided++
		}
		if got, want := encodedOrder(t, c), strings.Split(lines[i], "\t"); !slices.Equal(got, want) {
			t.Errorf("map %d (%d keys):\n  go %v\njava %v", i, len(c), got, want)
		}
	}
	if checked < 200 || collided < 30 {
		t.Errorf("only %d maps checked, %d with 9+ keys sharing a bucket: the vectors no longer test resizing", checked, collided)
	}
	t.Logf("%d maps agree with java.util.HashMap (%d with 9+ keys sharing a 16-bucket); %d treeified ones skipped", checked, collided, len(cases)-checked)
}

// encodedOrder is the key order connectjson.Encode writes for keys put in
// that order.
func encodedOrder(t *testing.T, keys []string) []string {
	t.Helper()
	obj := connectjson.Object{}
	for _, k := range keys {
		obj = append(obj, connectjson.Field{Key: k, Value: true})
	}
	b, err := connectjson.Encode(obj)
	if err != nil {
		t.Fatal(err)
	}
	back, err := connectjson.ParseObject(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range back {
		out = append(out, f.Key)
	}
	return out
}

// stringHash is String.hashCode for ASCII keys, only to pick keys that
// share a bucket (the order itself comes from Java).
func stringHash(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h = 31*h + uint32(s[i])
	}
	return h
}
