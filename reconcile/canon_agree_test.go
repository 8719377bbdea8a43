package reconcile

import (
	"context"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// readAll streams a side's rows and returns their canonical texts.
// plannedSide is a side of dsn with its snapshot begun and its SQL built
// for table compared with itself under spec; closed when t ends.
func plannedSide(t *testing.T, dsn, table string, spec *Spec) *side {
	t.Helper()
	ctx := context.Background()
	s, err := openSide(ctx, "source", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	if err := s.begin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.describe(ctx, table); err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(spec, s.table, s.table)
	if err != nil {
		t.Fatal(err)
	}
	s.setPlan(p, "")
	return s
}

func readAll(t *testing.T, s *side) []string {
	t.Helper()
	ch := make(chan []srow, 4)
	var out []string
	done := make(chan struct{})
	go func() {
		for b := range ch {
			for _, r := range b {
				out = append(out, string(r.text))
			}
		}
		close(done)
	}()
	err := s.produce(context.Background(), keyRange{}, keyCmp{}, ch)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoAndSQLCanonicalFormsAgree: streaming renders PostgreSQL and MariaDB
// columns in Go, pushdown checksums render them in SQL; both must produce
// the same bytes for every value, or the two modes could disagree.
func TestGoAndSQLCanonicalFormsAgree(t *testing.T) {
	cases := map[string]struct {
		dsn   string
		stmts []string
		spec  Spec
	}{
		"postgres": {testenv.Postgres(t), []string{
			`CREATE TABLE t (id int PRIMARY KEY, d4 numeric(10,4), d numeric, f float8, f4 real, b boolean, u uuid, dt date, ts timestamp(6), tz timestamptz, tx text, bin bytea, j jsonb, i2 smallint)`,
			`INSERT INTO t VALUES
 (1, 3.1450, 1.005, 0.1, 0.25, true, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2024-02-29', '2024-02-29 23:59:59.999999', '2024-01-01 00:00:00+05', 'x', '\x00ff', '{"b":1,"a":2}', -3),
 (2, -0.0040, -0.5, -0.0, 1e-7, false, NULL, '1970-01-01', '2024-01-01 00:00:00', '2024-06-01 12:30:00.5-02', '', '\x', '[]', 0),
 (3, NULL, 12345678901234567890.123456, 1e300, NULL, NULL, NULL, NULL, '1999-12-31 23:59:59.000001', NULL, NULL, NULL, NULL, NULL),
 (4, 9.9999, 0.004999, 2.5, 3.5, true, NULL, '0001-01-01', '2000-01-01 00:00:00.1', '2000-01-01 00:00:00.123456+00', 'NULL', '\x41', 'null', 1)`}, Spec{}},
		"mysql": {testenv.MySQL(t), []string{
			`CREATE TABLE t (id int PRIMARY KEY, d4 decimal(10,4), d decimal(30,8), f double, f4 float, b tinyint(1), u char(36), dt date, ts datetime(6), tz timestamp(3) NULL, tx varchar(10), bin varbinary(10), j json, i2 smallint, y year)`,
			`SET time_zone = '+02:00'`,
			`INSERT INTO t VALUES
 (1, 3.1450, 1.005, 0.1, 0.25, 1, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2024-02-29', '2024-02-29 23:59:59.999999', '2024-01-01 00:00:00', 'x', X'00ff', '{"b":1,"a":2}', -3, 2024),
 (2, -0.0040, -0.5, -0.0, 1e-7, 0, NULL, '1970-01-01', '2024-01-01 00:00:00', '2024-06-01 12:30:00.5', '', X'', '[]', 0, NULL),
 (3, NULL, 1234567890123456.12345678, 1e300, NULL, NULL, NULL, NULL, '1999-12-31 23:59:59.000001', NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 9.9999, 0.004999, 2.5, 3.5, 2, NULL, '0001-01-01', '2000-01-01 00:00:00.1', '2000-01-01 00:00:00.123', 'NULL', X'41', 'null', 1, 1999)`}, Spec{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.Open(t, c.dsn)
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range c.stmts {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			conn.Close()
			for _, precision := range []string{"s", "ms", "us"} {
				for _, norm := range []map[string]string{nil, {"d": "scale=2", "tx": "trim,casefold", "u": "as=uuid", "ts": "as=date", "i2": "as=bool", "f": "scale=3"}} {
					s := plannedSide(t, c.dsn, "t", &Spec{TimestampPrecision: precision, Normalize: norm})
					if s.rawExprs == nil {
						t.Fatalf("%s: expected Go rendering for every column", name)
					}
					goRows := readAll(t, s)
					s.rawExprs, s.rawCanon = nil, nil
					sqlRows := readAll(t, s)
					if len(goRows) != 4 || len(goRows) != len(sqlRows) {
						t.Fatalf("rows: go %d, sql %d", len(goRows), len(sqlRows))
					}
					for i := range goRows {
						if goRows[i] != sqlRows[i] {
							t.Errorf("precision %s, normalize %v, row %d:\n go  %q\n sql %q", precision, norm, i+1, goRows[i], sqlRows[i])
						}
					}
					// The aggregates' row (a derived table on PostgreSQL) must
					// hash the same bytes as well.
					row, from, where, refs := s.aggSource("", s.keyOrd[0])
					q := "SELECT " + row + " FROM " + from + whereClause(where) + " ORDER BY " + refs[0]
					var aggRows []string
					if err := s.readSQL(ctx, q, nil, 1, func(v [][]byte) error { aggRows = append(aggRows, string(v[0])); return nil }); err != nil {
						t.Fatal(err)
					}
					for i := range goRows {
						if i >= len(aggRows) || goRows[i] != aggRows[i] {
							t.Errorf("aggregate row: precision %s, normalize %v, row %d:\n go  %q\n agg %q", precision, norm, i+1, goRows[i], aggRows)
						}
					}
					s.close()
				}
			}
		})
	}
}
