package snapshots

import (
	"os"
	"testing"

	"github.com/cdcops/cdcops/vault/snapfile"
)

// The golden v1 file (see vault/snapfile) also passes every record check.
func TestGoldenV1PassesChecks(t *testing.T) {
	data, err := os.ReadFile("../testdata/snapshot-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapfile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, w := Check(s)
	if len(p) > 0 {
		t.Errorf("golden fails checks: %q", p)
	}
	if len(w) != 1 {
		t.Errorf("want one warning (the malformed key), got %q", w)
	}
}
