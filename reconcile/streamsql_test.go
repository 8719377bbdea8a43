package reconcile

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// Many differing ranges are read back range by range: on PostgreSQL an
// index range scan per range (from about a million rows the planner
// otherwise flattens the lateral subquery and scans the whole index
// against all 256 ranges — minutes at 10M), on MariaDB a range read per
// UNION branch (no full scan); and exactly those ranges' rows come back,
// in key order.
func TestRangeReadsScanEachRangeByIndex(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct {
		dsn   string
		stmts []string
	}{
		"postgres": {testenv.Postgres(t), []string{
			"CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)",
			"INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000000) g",
			"ANALYZE t",
		}},
		"mariadb": {testenv.MySQL(t), []string{
			"CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20) NOT NULL)",
			"INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_200000",
			"ANALYZE TABLE t",
		}},
	} {
		t.Run(name, func(t *testing.T) {
			db := testenv.Open(t, c.dsn)
			exec(t, db, c.stmts...)
			s := plannedSide(t, c.dsn, "t", &Spec{})
			var rs []keyRange
			for i := int64(0); i < 256; i++ {
				lo := 1 + i*700
				rs = append(rs, keyRange{Lo: []string{strconv.FormatInt(lo, 10)}, Hi: []string{strconv.FormatInt(lo+10, 10)}})
			}
			q, args := s.streamSQL(keyRange{Or: rs}, 0)
			rows, err := s.conn.QueryContext(ctx, "EXPLAIN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				var line []string
				for _, v := range vals {
					if b, ok := v.([]byte); ok {
						v = string(b)
					}
					if v != nil {
						line = append(line, strings.TrimSpace(strings.ReplaceAll(toString(v), "\n", " ")))
					}
				}
				plan = append(plan, strings.Join(line, " "))
			}
			rows.Close()
			text := strings.Join(plan, "\n")
			switch name {
			case "postgres":
				if !strings.Contains(text, "Index Cond") || !strings.Contains(text, "_cdcops_r.lo") || strings.Contains(text, "Join Filter") {
					t.Fatalf("not an index range scan per range:\n%s", text)
				}
			case "mariadb":
				if strings.Contains(text, " t ALL") || strings.Count(text, " t range PRIMARY") != len(rs) {
					t.Fatalf("not a range read per branch:\n%s", text)
				}
			}
			got := readRanges(t, s, rs)
			if len(got) != 10*len(rs) {
				t.Fatalf("read %d rows, want %d", len(got), 10*len(rs))
			}
			for i, k := range got {
				if want := 1 + int64(i/10)*700 + int64(i%10); k != want {
					t.Fatalf("row %d: key %d, want %d (keys out of order or outside the ranges)", i, k, want)
				}
			}
		})
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// readRanges streams the OR'ed ranges and returns the rows' keys in the
// order they came.
func readRanges(t *testing.T, s *side, rs []keyRange) []int64 {
	t.Helper()
	ch := make(chan []srow, 4)
	var keys []int64
	done := make(chan struct{})
	go func() {
		for b := range ch {
			for _, r := range b {
				// The key field as the canonical row frames it: "len:digits".
				f := string(r.key())
				k, err := strconv.ParseInt(f[strings.IndexByte(f, ':')+1:], 10, 64)
				if err != nil {
					t.Errorf("key field %q: %v", f, err)
				}
				keys = append(keys, k)
			}
		}
		close(done)
	}()
	err := s.produce(context.Background(), keyRange{Or: rs}, keyCmp{}, ch)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
