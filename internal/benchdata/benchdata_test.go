package benchdata

import "testing"

// The injected differences are deterministic, distinct, scattered and
// split evenly between missing, extra and changed.
func TestDiffs(t *testing.T) {
	a, b := Diffs(1_000_000, 1000), Diffs(1_000_000, 1000)
	if len(a) != 1000 {
		t.Fatalf("%d diffs", len(a))
	}
	kinds := map[string]int{}
	seen := map[int64]bool{}
	for i, d := range a {
		if d != b[i] {
			t.Fatal("not deterministic")
		}
		if seen[d.Key] {
			t.Fatalf("key %d twice", d.Key)
		}
		seen[d.Key] = true
		kinds[d.Kind]++
		if (d.Kind == "extra") != (d.Key%2 == 1) {
			t.Fatalf("%s row on key %d: extra rows use odd keys, others even", d.Kind, d.Key)
		}
	}
	if kinds["missing"] < 333 || kinds["extra"] < 333 || kinds["changed"] < 333 {
		t.Fatalf("kinds = %v", kinds)
	}
	if a[0].Key > 20_000 || a[len(a)-1].Key < 1_960_000 {
		t.Fatalf("not scattered: %d … %d", a[0].Key, a[len(a)-1].Key)
	}
	// each applies the diffs: rows-1/3 missing + 1/3 extra.
	n := 0
	if err := each(3000, Diffs(3000, 30), func(Row) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 3000 {
		t.Fatalf("sink variant has %d rows, want 3000 (10 missing, 10 extra)", n)
	}
}
