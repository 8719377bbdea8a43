package kafka

import (
	"testing"

	"github.com/cdcops/cdcops/connectjson"
)

// FuzzKeyNamespace: the fast path agrees with the full offset-key parser.
func FuzzKeyNamespace(f *testing.F) {
	for _, s := range []string{
		`["inventory-connector",{"server":"dbserver1"}]`,
		`["sqlserver-connector",{"server":"server1","database":"testDB"}]`,
		`["a",{}]`, `["a",{},{}]`, `["a",{"x":"}"}]`, `["a\"b",{}]`, `["a",{"x":[1]}]`,
		`["a", {"x":1}]`, `["\xff",{}]`, `not json`, `["a","b"]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, key []byte) {
		ns, ok := KeyNamespace(key)
		wantNS, _, err := connectjson.ParseOffsetKey(key)
		if ok != (err == nil) || ok && ns != wantNS {
			t.Fatalf("KeyNamespace(%q) = %q,%v; parser: %q,%v", key, ns, ok, wantNS, err)
		}
	})
}
