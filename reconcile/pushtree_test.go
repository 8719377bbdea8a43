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
					"ANALYZE t", // the tree sizes its buckets by the row estimate
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
				exec(t, db, stmts...)
			}
			rep, found := diffsByID(t, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown"})
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

// PostgreSQL → MariaDB through the packed digests (md5 over each bucket's
// rows in key order, numbers comma-terminated): several tree levels, and
// the values a cheaper framing could confuse — NULL vs the text "N", NULL
// vs 0, digits shifted between adjacent numbers, a decimal's last digit.
func TestDigestTreeFindsPlantedRowsAcrossEngines(t *testing.T) {
	src, dst := testenv.Postgres(t), testenv.MySQL(t)
	pg, my := testenv.Open(t, src), testenv.Open(t, dst)
	exec(t, pg,
		"CREATE TABLE t (id bigint PRIMARY KEY, a int, b int, v text, d numeric(10,2))",
		"INSERT INTO t SELECT g * 2, g % 10, g % 7, 'v' || g, g / 100.0 FROM generate_series(1, 30000) g",
		"UPDATE t SET a = NULL WHERE id = 1000",
		"UPDATE t SET v = NULL WHERE id = 2000",
	)
	exec(t, my,
		"CREATE TABLE t (id bigint PRIMARY KEY, a int, b int, v text, d decimal(10,2))",
		"INSERT INTO t SELECT seq * 2, seq % 10, seq % 7, CONCAT('v', seq), seq / 100.0 FROM seq_1_to_30000",
		"UPDATE t SET a = 0 WHERE id = 1000",         // NULL vs 0
		"UPDATE t SET v = 'N' WHERE id = 2000",       // NULL vs 'N'
		"UPDATE t SET a = 11, b = 5 WHERE id = 22",   // two numbers changed at once
		"UPDATE t SET d = d + 0.01 WHERE id = 40000", // last digit
		"DELETE FROM t WHERE id IN (4, 59998)",       // missing at both ends
		"INSERT INTO t VALUES (7, 1, 1, 'x', 1.00)",  // extra, odd key
		"UPDATE t SET a = 1, b = 14 WHERE id = 1400", // '0,0,' vs '1,14,'
	)
	rep, found := diffsByID(t, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown"})
	want := map[string]string{"1000": Changed, "2000": Changed, "22": Changed, "40000": Changed, "4": Missing, "59998": Missing, "7": Extra, "1400": Changed}
	if len(found) != len(want) || rep.SourceRows != 30000 || rep.SinkRows != 29999 {
		t.Fatalf("found %v (rows %d/%d), want %v (rows 30000/29999)", found, rep.SourceRows, rep.SinkRows, want)
	}
	for k, kind := range want {
		if found[k] != kind {
			t.Errorf("key %s: got %q, want %q", k, found[k], kind)
		}
	}
}

// PostgreSQL → PostgreSQL XORs a typed hash per row: values swapped
// between two rows of one bucket or between two columns of one row, a
// NULL, and each hashed type must still show, and 1.0 = 1.00 must not.
func TestTypedHashSeesSwaps(t *testing.T) {
	src, dst := testenv.Postgres(t), testenv.Postgres(t)
	for i, dsn := range []string{src, dst} {
		db := testenv.Open(t, dsn)
		stmts := []string{
			`CREATE TABLE t (id int PRIMARY KEY, a text NOT NULL, b text, n numeric(10,2), f boolean NOT NULL, g boolean, d date, z timestamptz, y bytea, j jsonb, s smallint)`,
			`INSERT INTO t SELECT g, 'a' || g, 'b' || g, g, g % 2 = 0, g % 3 = 0, DATE '2024-01-01' + g, TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * interval '1 second',
			  decode(lpad(to_hex(g), 8, '0'), 'hex'), jsonb_build_object('k', g), g % 100 FROM generate_series(1, 5000) g`,
		}
		if i == 1 {
			stmts = append(stmts,
				"UPDATE t SET a = CASE id WHEN 12 THEN 'a13' ELSE 'a12' END WHERE id IN (12, 13)", // swapped between rows of a bucket
				"UPDATE t SET a = b, b = a WHERE id = 20",                                         // swapped between columns
				"UPDATE t SET s = NULL WHERE id = 30",
				"UPDATE t SET f = NOT f WHERE id = 40",
				"UPDATE t SET g = NULL WHERE id = 41",
				"UPDATE t SET d = d + 1 WHERE id = 50",
				"UPDATE t SET z = z + interval '1 microsecond' WHERE id = 60",
				"UPDATE t SET y = y || '\\x00'::bytea WHERE id = 70",
				"UPDATE t SET j = '{\"k\": 0}' WHERE id = 80",
				"UPDATE t SET n = 1.0 WHERE id = 1", // the same value as 1.00
			)
		}
		stmts = append(stmts, "ANALYZE t") // the tree sizes its buckets by the row estimate
		exec(t, db, stmts...)
	}
	_, found := diffsByID(t, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown"})
	for _, k := range []string{"12", "13", "20", "30", "40", "41", "50", "60", "70", "80"} {
		if found[k] != Changed {
			t.Errorf("key %s: got %q, want changed", k, found[k])
		}
	}
	if len(found) != 10 {
		t.Errorf("found %v, want exactly 10 changed rows", found)
	}
}

// A NOT NULL column's digest field has no NULL mark; its values must still
// differ from NULLs and from the other side's nullable column's values.
func TestDigestNotNullFields(t *testing.T) {
	src, dst := testenv.Postgres(t), testenv.MySQL(t)
	pg, my := testenv.Open(t, src), testenv.Open(t, dst)
	exec(t, pg,
		"CREATE TABLE t (id bigint PRIMARY KEY, s text NOT NULL, n int NOT NULL, b boolean NOT NULL, d numeric(6,2) NOT NULL)",
		"INSERT INTO t SELECT g, 's' || g, g % 10, g % 2 = 0, g / 10.0 FROM generate_series(1, 20000) g",
		"UPDATE t SET s = 'N', n = 0 WHERE id = 100",
		"ANALYZE t",
	)
	exec(t, my,
		"CREATE TABLE t (id bigint PRIMARY KEY, s text, n int, b tinyint(1), d decimal(6,2))",
		"INSERT INTO t SELECT seq, CONCAT('s', seq), seq % 10, seq % 2 = 0, seq / 10.0 FROM seq_1_to_20000",
		"UPDATE t SET s = NULL, n = 0 WHERE id = 100", // 'N' vs NULL
		"UPDATE t SET n = NULL WHERE id = 200",        // 0 vs NULL
		"UPDATE t SET b = NULL WHERE id = 300",
		"UPDATE t SET d = NULL WHERE id = 400",
		"UPDATE t SET s = 's5', n = 50 WHERE id = 500", // 's500',0 vs 's5',50
	)
	_, found := diffsByID(t, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown"})
	for _, k := range []string{"100", "200", "300", "400", "500"} {
		if found[k] != Changed {
			t.Errorf("key %s: got %q, want changed", k, found[k])
		}
	}
	if len(found) != 5 {
		t.Errorf("found %v, want exactly 5 changed rows", found)
	}
}

// MariaDB's top level reads each bucket through the primary key and
// concatenates its rows as read, without a sort: rows stored in descending
// insertion order (MyISAM keeps that order) and a covering secondary index
// in another order must not make buckets differ (each would then be read
// row by row). Exactly the planted rows are found.
func TestDigestReadsBucketsInKeyOrder(t *testing.T) {
	for _, engine := range []string{"InnoDB", "MyISAM"} {
		t.Run(engine, func(t *testing.T) {
			src, dst := testenv.Postgres(t), testenv.MySQL(t)
			pg, my := testenv.Open(t, src), testenv.Open(t, dst)
			exec(t, pg,
				"CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20) NOT NULL)",
				"INSERT INTO t SELECT g, 'v' || ((g * 7919) % 20011) FROM generate_series(-300, 20000) g",
				"ANALYZE t",
			)
			exec(t, my,
				"CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20) NOT NULL, KEY by_v (v)) ENGINE="+engine,
				"INSERT INTO t SELECT seq, CONCAT('v', (seq * 7919) % 20011) FROM seq_20000_to_1_step_1",
				"INSERT INTO t SELECT -seq, CONCAT('v', (-seq * 7919) % 20011) FROM seq_0_to_300",
				"UPDATE t SET v = 'changed' WHERE id = 777",
				"DELETE FROM t WHERE id = 15000",
			)
			rep, found := diffsByID(t, Spec{Source: src, Sink: dst, Table: "t", Mode: "pushdown"})
			if len(found) != 2 || found["777"] != Changed || found["15000"] != Missing {
				t.Fatalf("found %v, want 777 changed and 15000 missing", found)
			}
			// Two differences: at most two buckets per tree level.
			if rep.RangesDiffering > 10 {
				t.Fatalf("%d buckets differed for 2 differences: rows were concatenated out of key order", rep.RangesDiffering)
			}
		})
	}
}

// diffsByID runs spec and returns its report and each differing row's kind
// by its id.
func diffsByID(t *testing.T, spec Spec) (*Report, map[string]string) {
	t.Helper()
	found := map[string]string{}
	spec.DiffSink = func(d Difference) { found[d.Key["id"]] = d.Kind }
	rep, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return rep, found
}
