package reconcile

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// The fast integer-text order must agree with numeric order, and fall
// back (ok=false) on anything that is not canonical integer text.
func TestCompareIntTextAgreesWithNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []int64{0, 1, -1, 9, 10, -10, 99, 100, 1 << 62, -(1 << 62), 9223372036854775807, -9223372036854775808}
	for range 2000 {
		vals = append(vals, r.Int64()>>r.IntN(63)*int64(1-2*r.IntN(2)))
	}
	for _, x := range vals {
		for _, y := range vals[:50] {
			want := 0
			switch {
			case x < y:
				want = -1
			case x > y:
				want = 1
			}
			got := compareField(dialect.ClassInt, []byte(strconv.FormatInt(x, 10)), []byte(strconv.FormatInt(y, 10)))
			if got != want {
				t.Fatalf("compare(%d, %d) = %d, want %d", x, y, got, want)
			}
		}
	}
	for _, bad := range []string{"", "-", "007", "-0", "+1", "1.5", "1e3"} {
		if _, ok := compareIntText([]byte(bad), []byte("1")); ok {
			t.Errorf("compareIntText accepted %q", bad)
		}
	}
}

func TestNextFieldRejectsMalformedPrefixes(t *testing.T) {
	for _, in := range []string{"", ":", "3:ab", "x:1", "12345678901:a"} {
		if _, _, ok := nextField([]byte(in)); ok {
			t.Errorf("nextField(%q) ok", in)
		}
	}
	f, rest, ok := nextField([]byte("3:abcN"))
	if !ok || string(f) != "abc" || string(rest) != "N" {
		t.Errorf("nextField = %q %q %v", f, rest, ok)
	}
}
