package surgery

import (
	"context"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/scripted"
)

// Issue 11 build 3: a reset plan names the tables the connector will
// snapshot again (its include/exclude lists applied) and their rows, from
// the planner's statistics (labelled estimate) or count(*) with
// ExactCounts, on real PostgreSQL and MariaDB databases.
func TestResetPlanNamesResnapshotTables(t *testing.T) {
	ctx := context.Background()
	engines := []struct {
		name, dsn, schema, analyze string
	}{
		{"postgres", testenv.Postgres(t), "public", "ANALYZE t1"},
		{"mariadb", testenv.MySQL(t), "", "ANALYZE TABLE t1"},
	}
	f := newFixture(t)
	for i, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := testenv.Open(t, e.dsn)
			for _, q := range []string{"CREATE TABLE t1 (id INT PRIMARY KEY)", "CREATE TABLE t2 (id INT PRIMARY KEY)", "CREATE TABLE skipme (id INT PRIMARY KEY)",
				"INSERT INTO t1 VALUES (1),(2),(3),(4),(5)", "INSERT INTO t2 VALUES (1),(2),(3)", "INSERT INTO skipme VALUES (1)", e.analyze} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			schema := e.schema
			if schema == "" {
				if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&schema); err != nil {
					t.Fatal(err)
				}
			}
			name := "src-" + e.name
			cfg := map[string]string{"connector.class": scripted.SourceClass, "table.include.list": schema + `\.t.*,` + schema + `\.skipme`,
				"table.exclude.list": schema + `\.skipme`,
				scripted.KeyOffsets:  `[{"partition":{"server":"s` + string(rune('0'+i)) + `"},"offset":` + pgOffset + `}]`}
			if _, err := f.cc.Create(ctx, connect.CreateRequest{Name: name, Config: cfg}); err != nil {
				t.Fatal(err)
			}
			f.waitOffsets(t, name)
			f.stop(t, name)
			for _, exact := range []bool{false, true} {
				p, err := MakePlan(ctx, f.env, Request{Kind: cdcops.PlanReset, Names: []string{name}, Reason: "rebuild", Actor: "alice",
					Source: SourceCheck{DSN: e.dsn}, ExactCounts: exact})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]cdcops.TableRows{}
				for _, r := range p.Resnapshot {
					got[r.Table] = r
				}
				if len(got) != 2 || got[schema+".t1"].Rows != 5 || got[schema+".t2"].Rows != 3 && got[schema+".t2"].Estimate == false {
					t.Fatalf("exact=%v: resnapshot %+v, want %s.t1 5 and %s.t2 3 (skipme excluded)", exact, p.Resnapshot, schema, schema)
				}
				if exact && (got[schema+".t1"].Estimate || got[schema+".t2"].Rows != 3 || got[schema+".t2"].Estimate) {
					t.Errorf("--exact-counts: %+v, want count(*) for both", p.Resnapshot)
				}
				if !exact && !got[schema+".t1"].Estimate {
					t.Errorf("t1 (analyzed) not labelled an estimate: %+v", got[schema+".t1"])
				}
				flag := strings.Join(p.Flags, "; ")
				if !strings.Contains(flag, "2 table(s)") || !strings.Contains(flag, schema+".t1 5") {
					t.Errorf("reset flag does not name the tables: %s", flag)
				}
			}
		})
	}
}
