package repair

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// keysOf walks decoded JSON and collects every object key.
func keysOf(v any, out map[string]int) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out[k]++
			keysOf(e, out)
		}
	case []any:
		for _, e := range x {
			keysOf(e, out)
		}
	}
}

// Debezium ignores the singular "additional-condition" and snapshots the
// whole table: every signal cdcops sends uses the plural key only.
func TestSignalsNeverUseTheSingularConditionKey(t *testing.T) {
	cols := []keyCol{{name: "id", col: dialect.Column{Name: "id", Kind: dialect.KindInt}, class: dialect.ClassInt}}
	var keys []map[string]string
	for i := 1; i <= 2000; i += 3 {
		keys = append(keys, map[string]string{"id": fmt.Sprint(i)})
	}
	for _, w := range []dialect.Writer{dialect.Postgres{}, dialect.MySQL{}, dialect.SQLite{}} {
		signals := conditions(w, cols, keys, DataCollection("public", "orders"), 2048)
		if len(signals) < 2 {
			t.Fatalf("%d keys in %d signals; want them chunked to the 2048-byte data column", len(keys), len(signals))
		}
		for i, d := range signals {
			b, _ := json.Marshal(SignalRecord{ID: "x", Type: "execute-snapshot", Data: d})
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			keysOf(v, seen)
			if seen["additional-condition"] != 0 || seen["additional-conditions"] != 1 {
				t.Fatalf("signal %d keys %v: want additional-conditions once and never additional-condition\n%s", i, seen, b)
			}
			data, _ := json.Marshal(d)
			if len(data) > 2048 {
				t.Fatalf("signal %d data is %d bytes, over the data column's 2048", i, len(data))
			}
			if d.Type != "INCREMENTAL" || d.DataCollections[0] != `public\.orders` || d.Conditions[0].DataCollection != `public\.orders` {
				t.Fatalf("signal %d = %+v", i, d)
			}
		}
	}
}

// The filters select exactly the keys: every key lands in one filter,
// consecutive integers as ranges, composite keys as exact conjunctions.
func TestSignalFiltersSelectExactlyTheKeys(t *testing.T) {
	cols := []keyCol{{name: "id", col: dialect.Column{Name: "id", Kind: dialect.KindInt}, class: dialect.ClassInt}}
	keys := []map[string]string{{"id": "7"}, {"id": "3"}, {"id": "4"}, {"id": "5"}, {"id": "9"}, {"id": "5"}}
	got := conditions(dialect.Postgres{}, cols, keys, "t", 0)
	if len(got) != 1 || got[0].Conditions[0].Filter != `"id" BETWEEN 3 AND 5 OR "id" IN (7, 9)` {
		t.Fatalf("filter = %+v", got)
	}
	comp := []keyCol{
		{name: "tenant", col: dialect.Column{Name: "Tenant", Kind: dialect.KindText}, class: dialect.ClassText},
		{name: "id", col: dialect.Column{Name: "id", Kind: dialect.KindInt}, class: dialect.ClassInt},
	}
	got = conditions(dialect.MySQL{}, comp, []map[string]string{{"tenant": `o'brien\`, "id": "1"}}, "db\\.t", 0)
	if f := got[0].Conditions[0].Filter; f != "(`Tenant` = 'o''brien\\\\' AND `id` = 1)" {
		t.Fatalf("composite filter = %s", f)
	}
	if !strings.Contains(DataCollection("my.db", "t$1"), `my\.db\.t\$1`) {
		t.Fatalf("data collection not quoted: %s", DataCollection("my.db", "t$1"))
	}
}
