package reconcile

import (
	"context"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// The checksum tree narrows to exactly the planted rows, with negative,
// gappy keys and with keys spread so wide that the tree must hand over to
// the balanced-range plan; PostgreSQL → PostgreSQL uses the typed hash,
// which must still see NULL vs ” and a one-column change.
func TestChecksumTreeFindsPlantedRows(t *testing.T) {
	ctx := context.Background()
	for name, extra := range map[string]string{
		"narrow": "(-700, 'a', 1), (-5, 'b', 2)",
		"wide":   "(-9223372036854775000, 'a', 1), (9223372036854775000, 'b', 2)",
	} {
		t.Run(name, func(t *testing.T) {
			src, dst := testenv.Postgres(t), testenv.Postgres(t)
			for i, dsn := range []string{src, dst} {
				db := testenv.Open(t, dsn)
				stmts := []string{
					"CREATE TABLE t (id bigint PRIMARY KEY, v text, n int)",
					"INSERT INTO t SELECT g * 3, 'v' || g, g % 7 FROM generate_series(1, 20000) g",
					"INSERT INTO t VALUES " + extra,
				}
				if i == 1 {
					stmts = append(stmts,
						"DELETE FROM t WHERE id IN (300, 45000)",
						"UPDATE t SET n = n + 1 WHERE id = 999",
						"UPDATE t SET v = '' WHERE id = 30000",
						"INSERT INTO t VALUES (31, 'x', 1)")
				} else {
					stmts = append(stmts, "UPDATE t SET v = NULL WHERE id = 30000")
				}
				for _, q := range stmts {
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			}
			found := map[string]string{}
			rep, err := Run(ctx, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown", DiffSink: func(d Difference) { found[d.Key["id"]] = d.Kind }})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"300": Missing, "45000": Missing, "999": Changed, "30000": Changed, "31": Extra}
			if len(found) != len(want) || rep.SourceRows != 20002 || rep.SinkRows != 20001 {
				t.Fatalf("found %v (rows %d/%d), want %v (rows 20002/20001)", found, rep.SourceRows, rep.SinkRows, want)
			}
			for k, kind := range want {
				if found[k] != kind {
					t.Errorf("key %s: got %q, want %q", k, found[k], kind)
				}
			}
		})
	}
}
