package sqlpipe_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// Bad connector configs are refused with EINVALID before anything runs;
// names that could smuggle SQL into DDL or triggers never get through.
func TestValidateRefusesBadConfig(t *testing.T) {
	good := map[string]string{"database.url": "sqlite:///tmp/x.db", "topic.prefix": "lab", "table.include.list": "customers,main.orders"}
	if err := (sqlpipe.SqlSource{}).Validate(good); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for name, mod := range map[string]func(map[string]string){
		"no db":           func(c map[string]string) { delete(c, "database.url") },
		"no prefix":       func(c map[string]string) { delete(c, "topic.prefix") },
		"bad prefix":      func(c map[string]string) { c["topic.prefix"] = "lab prefix" },
		"injected table":  func(c map[string]string) { c["table.include.list"] = "customers; DROP TABLE orders" },
		"quoted table":    func(c map[string]string) { c["table.include.list"] = `"cust""omers"` },
		"snapshot mode":   func(c map[string]string) { c["snapshot.mode"] = "sometimes" },
		"poll interval":   func(c map[string]string) { c["poll.interval.ms"] = "-5" },
		"no tables":       func(c map[string]string) { c["table.include.list"] = " , " },
		"three-part name": func(c map[string]string) { c["table.include.list"] = "a.b.c" },
	} {
		cfg := map[string]string{}
		for k, v := range good {
			cfg[k] = v
		}
		mod(cfg)
		err := (sqlpipe.SqlSource{}).Validate(cfg)
		if cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
			t.Errorf("%s: got %v, want an EINVALID error", name, err)
		}
	}
	sink := map[string]string{"connection.url": "sqlite:///tmp/y.db", "table.name.format": "${table}; DROP TABLE x"}
	if err := (sqlpipe.SqlSink{}).Validate(sink); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		t.Errorf("sink table format injection: got %v", err)
	}
	sink["table.name.format"] = "copy_${table}"
	sink["cdcops.fault.drop.events"] = "3"
	if err := (sqlpipe.SqlSink{}).Validate(sink); err == nil || !strings.Contains(err.Error(), "cdcops.fault.id") {
		t.Errorf("drop fault without id: got %v", err)
	}
}

func TestTableFor(t *testing.T) {
	for _, tc := range []struct{ format, topic, want string }{
		{"${table}", "lab.public.customers", "customers"},
		{"copy_${table}", "lab.main.orders", "copy_orders"},
		{"${topic}", "lab.shop.orders", "lab_shop_orders"},
		{"${schema}_${table}", "lab.shop.orders", "shop_orders"},
	} {
		got, err := sqlpipe.TableFor(tc.format, tc.topic)
		if err != nil || got != tc.want {
			t.Errorf("TableFor(%q, %q) = %q, %v; want %q", tc.format, tc.topic, got, err, tc.want)
		}
	}
}

// Decode refuses what the sink cannot apply, so it goes to ReportErrant.
func TestDecodeRefusesGarbage(t *testing.T) {
	for name, kv := range map[string][2]string{
		"no key":        {"", `{"op":"c","after":{"id":1}}`},
		"key not json":  {"xx", `{"op":"c","after":{"id":1}}`},
		"value garbage": {`{"id":1}`, "\x00\x01poison"},
		"unknown op":    {`{"id":1}`, `{"op":"x","after":{"id":1}}`},
		"no after":      {`{"id":1}`, `{"op":"u","after":null}`},
		"key col gone":  {`{"id":1}`, `{"op":"c","after":{"name":"a"}}`},
	} {
		if _, err := sqlpipe.Decode([]byte(kv[0]), []byte(kv[1])); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	d, err := sqlpipe.Decode([]byte(`{"id":7}`), nil)
	if err != nil || d.Op != "d" || d.Key[0].Value != int64(7) {
		t.Fatalf("tombstone: %+v %v", d, err)
	}
	d, err = sqlpipe.Decode([]byte(`{"id":7}`), []byte(`{"op":"u","after":{"id":7,"name":"x","n":1.5,"m":null}}`))
	if err != nil || d.Op != "u" || len(d.After) != 4 || d.After[0].Name != "id" && d.After[0].Name != "m" {
		t.Fatalf("update: %+v %v", d, err)
	}
}

// The same seed on the same starting rows makes the same changes.
func TestLoadIsReproducible(t *testing.T) {
	ctx := context.Background()
	var states [3]string
	for i, seed := range []uint64{42, 42, 43} {
		db := testenv.Open(t, testenv.SQLite(t))
		if err := sqlpipe.CreateDemoSchema(ctx, db); err != nil {
			t.Fatal(err)
		}
		res, err := sqlpipe.Load(ctx, db, sqlpipe.LoadOptions{Tables: sqlpipe.DemoTables, Changes: 500, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if res.Changes != 500 || res.Inserts+res.Updates+res.Deletes != 500 {
			t.Fatalf("result %+v", res)
		}
		var sb strings.Builder
		for _, table := range sqlpipe.DemoTables {
			rows, err := db.QueryContext(ctx, "SELECT * FROM "+table+" ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					sb.WriteString(fmtAny(v) + "|")
				}
				sb.WriteByte('\n')
			}
			rows.Close()
		}
		states[i] = sb.String()
	}
	if states[0] != states[1] {
		t.Fatal("seed 42 twice gave different tables")
	}
	if states[0] == states[2] {
		t.Fatal("seeds 42 and 43 gave the same tables")
	}
}

func fmtAny(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}
