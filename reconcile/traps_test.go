package reconcile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/sqlconn"
)

func ts(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestTraps runs every trap of the spec's list on every engine pair, in
// both modes. A missed or an invented difference fails the trap.
func TestTraps(t *testing.T) {
	en := newEngines(t)
	for _, tr := range trapList() {
		t.Run(tr.name, func(t *testing.T) { runTrap(t, en, tr) })
	}
}

// trapList is the spec's trap list (repair's acceptance test reuses it).
func trapList() []trap {
	text := col{"v", "text", "varchar(100)", "TEXT"}
	return []trap{
		{
			name: "null vs empty vs NULL string", cols: []col{idCol, text}, pk: []string{"id"},
			src:  [][]any{{1, nil}, {2, ""}, {3, "NULL"}, {4, nil}, {5, ""}, {6, "NULL"}, {7, "N"}},
			dst:  [][]any{{1, ""}, {2, "NULL"}, {3, nil}, {4, nil}, {5, ""}, {6, "NULL"}, {7, nil}},
			want: map[string]string{"1": "changed", "2": "changed", "3": "changed", "7": "changed"},
		},
		{
			name:     "fields shifting across a separator",
			cols:     []col{idCol, {"a", "text", "varchar(20)", "TEXT"}, {"b", "text", "varchar(20)", "TEXT"}, {"x", "int", "int", "INTEGER"}, {"y", "int", "int", "INTEGER"}},
			pk:       []string{"id"},
			src:      [][]any{{1, "x0", "y", 1, 11}, {2, "a|b", "c", 1, 1}, {3, "1:", "", 2, 2}, {4, "same", "same", 3, 3}},
			dst:      [][]any{{1, "x", "0y", 11, 1}, {2, "a", "b|c", 1, 1}, {3, "1", ":", 2, 2}, {4, "same", "same", 3, 3}},
			want:     map[string]string{"1": "changed", "2": "changed", "3": "changed"},
			wantCols: map[string]int64{"a": 3, "b": 3, "x": 1, "y": 1},
		},
		{
			name: "duplicated identical rows", cols: []col{idCol, text}, key: []string{"id"},
			src:  [][]any{{1, "a"}, {2, "b"}, {3, "c"}},
			dst:  [][]any{{1, "a"}, {1, "a"}, {2, "b"}, {3, "c"}, {5, "e"}, {5, "e"}},
			want: map[string]string{"1": "duplicate", "5": "extra+duplicate"},
		},
		{
			name: "an even number of rows changed the same way", cols: []col{idCol, text}, pk: []string{"id"},
			src:  [][]any{{1, "a"}, {2, "a"}, {3, "a"}, {4, "a"}, {5, "a"}, {6, "a"}},
			dst:  [][]any{{1, "b"}, {2, "b"}, {3, "a"}, {4, "a"}, {5, "b"}, {6, "b"}},
			want: map[string]string{"1": "changed", "2": "changed", "5": "changed", "6": "changed"},
		},
		{
			name: "timestamps at different precisions truncate to ms",
			cols: []col{idCol, {"at", "timestamp(6)", "datetime(3)", "TIMESTAMP"}}, pk: []string{"id"},
			src:  [][]any{{1, ts("2024-03-01 12:00:00.123456")}, {2, ts("2024-03-01 12:00:00.999999")}, {3, ts("2024-03-01 12:00:00")}},
			dst:  [][]any{{1, ts("2024-03-01 12:00:00.123")}, {2, ts("2024-03-01 12:00:00.998")}, {3, ts("2024-03-01 12:00:00")}},
			want: map[string]string{"2": "changed"},
			spec: func(s *reconcile.Spec) { s.TimestampPrecision = "ms" },
		},
		{
			name: "timestamps at different precisions differ at us",
			cols: []col{idCol, {"at", "timestamp(6)", "datetime(6)", "TIMESTAMP"}}, pk: []string{"id"},
			src:  [][]any{{1, ts("2024-03-01 12:00:00.123456")}, {2, ts("2024-03-01 12:00:00.5")}},
			dst:  [][]any{{1, ts("2024-03-01 12:00:00.123")}, {2, ts("2024-03-01 12:00:00.5")}},
			want: map[string]string{"1": "changed"},
		},
		{
			name: "instants in other session time zones",
			cols: []col{idCol, {"at", "timestamptz", "timestamp(6)", "TIMESTAMP"}}, pk: []string{"id"},
			src:  [][]any{{1, pe{"2024-03-01 14:00:00+02", "2024-03-01 12:00:00", "2024-03-01T14:00:00+02:00"}}, {2, pe{"2024-03-01 09:30:00-05", "2024-03-01 14:30:00", "2024-03-01 14:30:00Z"}}},
			dst:  [][]any{{1, pe{"2024-03-01 12:00:00+00", "2024-03-01 12:00:00", "2024-03-01 12:00:00"}}, {2, pe{"2024-03-01 15:30:00+00", "2024-03-01 15:30:00", "2024-03-01 15:30:00"}}},
			want: map[string]string{"2": "changed"},
			// cdcops's own sessions start in other zones: it must read in UTC anyway.
			spec: func(s *reconcile.Spec) { s.Source, s.Sink = inZone(s.Source), inZone(s.Sink) },
		},
		{
			name: "date vs timestamp",
			cols: []col{idCol, {"d", "date", "datetime", "TEXT"}}, pk: []string{"id"},
			src:  [][]any{{1, pe{"2024-01-02", "2024-01-02 00:00:00", "2024-01-02"}}, {2, pe{"2024-01-03", "2024-01-03 10:00:00", "2024-01-03"}}, {3, pe{"2024-01-04", "2024-01-04 00:00:00", "2024-01-04"}}},
			dst:  [][]any{{1, pe{"2024-01-02", "2024-01-02 00:00:00", "2024-01-02"}}, {2, pe{"2024-01-03", "2024-01-03 00:00:00", "2024-01-03"}}, {3, pe{"2024-01-05", "2024-01-05 00:00:00", "2024-01-05"}}},
			want: map[string]string{"3": "changed"},
			skip: func(a, b sqlconn.Engine) string {
				if a == sqlconn.MySQL && b == sqlconn.SQLite {
					return "both sides are timestamps here; covered by the other pairs"
				}
				return ""
			},
		},
		{
			name: "numeric(12,2) vs double",
			cols: []col{idCol, {"amount", "numeric(12,2)", "double", "REAL"}}, pk: []string{"id"},
			src:  [][]any{{1, pe{"1.10", 1.1, 1.1}}, {2, pe{"2.50", 2.5, 2.5}}, {3, pe{"3.10", 3.1, 3.1}}, {4, pe{"1234567890.12", 1234567890.12, 1234567890.12}}},
			dst:  [][]any{{1, pe{"1.10", 1.1, 1.1}}, {2, pe{"2.50", 2.5, 2.5}}, {3, pe{"3.20", 3.2, 3.2}}, {4, pe{"1234567890.12", 1234567890.12, 1234567890.12}}},
			want: map[string]string{"3": "changed"},
		},
		{
			name: "negative zero",
			cols: []col{idCol, {"n", "numeric(10,2)", "decimal(10,2)", "REAL"}, {"f", "float8", "double", "REAL"}}, pk: []string{"id"},
			src:  [][]any{{1, pe{"0.00", 0.0, 0.0}, 0.0}, {2, pe{"-0.001", -0.001, -0.001}, 0.5}, {3, pe{"0.00", 0.0, 0.0}, 1.0}},
			dst:  [][]any{{1, pe{"-0.00", negZero(), negZero()}, negZero()}, {2, pe{"0.00", 0.0, 0.0}, 0.5}, {3, pe{"0.01", 0.01, 0.01}, 1.0}},
			want: map[string]string{"3": "changed"},
		},
		{
			name: "boolean vs tinyint(1)",
			cols: []col{idCol, {"b", "boolean", "tinyint(1)", "BOOLEAN"}}, pk: []string{"id"},
			src:  [][]any{{1, true}, {2, false}, {3, true}, {4, nil}, {5, false}},
			dst:  [][]any{{1, true}, {2, false}, {3, false}, {4, false}, {5, nil}},
			want: map[string]string{"3": "changed", "4": "changed", "5": "changed"},
		},
		{
			name: "uuid case, as key and value",
			cols: []col{{"u", "uuid", "char(36)", "TEXT"}, {"ref", "uuid", "char(36)", "UUID"}}, pk: []string{"u"},
			src: [][]any{
				{pe{"0e8a5b3c-1111-4aaa-8bbb-0123456789ab", "0E8A5B3C-1111-4AAA-8BBB-0123456789AB", "0E8A5B3C-1111-4AAA-8BBB-0123456789AB"}, pe{"a0000000-0000-4000-8000-00000000000a", "A0000000-0000-4000-8000-00000000000A", "a0000000-0000-4000-8000-00000000000A"}},
				{pe{"ffffffff-2222-4aaa-8bbb-0123456789ab", "FFFFFFFF-2222-4AAA-8BBB-0123456789AB", "ffffffff-2222-4aaa-8bbb-0123456789ab"}, nil},
				{pe{"5aaaaaaa-3333-4aaa-8bbb-0123456789ab", "5AAAAAAA-3333-4AAA-8BBB-0123456789AB", "5aaaaaaa-3333-4aaa-8bbb-0123456789AB"}, pe{"b0000000-0000-4000-8000-00000000000b", "b0000000-0000-4000-8000-00000000000b", "B0000000-0000-4000-8000-00000000000B"}},
			},
			dst: [][]any{
				{pe{"0e8a5b3c-1111-4aaa-8bbb-0123456789ab", "0e8a5b3c-1111-4aaa-8bbb-0123456789ab", "0e8a5b3c-1111-4aaa-8bbb-0123456789AB"}, pe{"a0000000-0000-4000-8000-00000000000a", "a0000000-0000-4000-8000-00000000000A", "A0000000-0000-4000-8000-00000000000A"}},
				{pe{"ffffffff-2222-4aaa-8bbb-0123456789ab", "ffffffff-2222-4aaa-8bbb-0123456789AB", "FFFFFFFF-2222-4AAA-8BBB-0123456789AB"}, nil},
				{pe{"5aaaaaaa-3333-4aaa-8bbb-0123456789ab", "5aaaaaaa-3333-4aaa-8bbb-0123456789ab", "5AAAAAAA-3333-4AAA-8BBB-0123456789AB"}, pe{"c0000000-0000-4000-8000-00000000000c", "c0000000-0000-4000-8000-00000000000c", "C0000000-0000-4000-8000-00000000000C"}},
			},
			want: map[string]string{"5aaaaaaa-3333-4aaa-8bbb-0123456789ab": "changed"},
			// MariaDB CHAR(36) and SQLite TEXT do not say they hold UUIDs; a user says so.
			spec: func(s *reconcile.Spec) { s.Normalize = map[string]string{"u": "as=uuid", "ref": "as=uuid"} },
		},
		{
			name: "keys that sort differently under collations",
			cols: []col{{"k", `text COLLATE "en-US-x-icu"`, "varchar(20) COLLATE utf8mb4_unicode_ci", "TEXT COLLATE NOCASE"}, text}, pk: []string{"k"},
			src:  [][]any{{"a-b", "1"}, {"ab", "2"}, {"B", "3"}, {"a", "4"}, {"é", "5"}, {"f", "6"}, {"Z", "7"}, {"zz", "8"}, {"-", "9"}, {"_x", "10"}, {"a b", "12"}},
			dst:  [][]any{{"a-b", "1"}, {"ab", "2"}, {"B", "3"}, {"a", "4"}, {"é", "55"}, {"f", "6"}, {"Z", "7"}, {"-", "9"}, {"_x", "10"}, {"Ω", "11"}, {"a b", "12"}},
			want: map[string]string{"é": "changed", "zz": "missing", "Ω": "extra"},
		},
		{
			name: "gaps and skew in keys", cols: []col{idCol, text}, pk: []string{"id"},
			src:  gappy(false),
			dst:  gappy(true),
			want: map[string]string{"2": "missing", "1000003": "changed", "999999999999": "extra", "-5": "changed"},
		},
		{
			name: "empty source", cols: []col{idCol, text}, pk: []string{"id"},
			dst:  [][]any{{1, "a"}, {2, "b"}},
			want: map[string]string{"1": "extra", "2": "extra"},
		},
		{
			name: "empty sink", cols: []col{idCol, text}, pk: []string{"id"},
			src:  [][]any{{1, "a"}, {2, "b"}},
			want: map[string]string{"1": "missing", "2": "missing"},
		},
		{
			name: "both empty", cols: []col{idCol, text}, pk: []string{"id"},
			want: map[string]string{},
		},
		{
			name: "identifiers that need quoting", table: `Order Items`,
			cols: []col{{"Id", "bigint", "bigint", "INTEGER"}, {"select", "text", "text", "TEXT"}, {"Mixed Case", "int", "int", "INTEGER"}, {`we"ird`, "text", "text", "TEXT"}},
			pk:   []string{"Id"},
			src:  [][]any{{1, "a", 1, "q"}, {2, "b", 2, "r"}},
			dst:  [][]any{{1, "a", 1, "q"}, {2, "b", 3, "r"}},
			want: map[string]string{"2": "changed"}, wantCols: map[string]int64{"Mixed Case": 1},
		},
		{
			name: "unicode and control characters", cols: []col{idCol, text}, pk: []string{"id"},
			src:  [][]any{{1, "tab\there\nnl\r"}, {2, "caf\u00e9"}, {3, "emoji 🎉"}, {4, "back\\slash 'q' \"d\""}, {5, "\x01\x1f"}},
			dst:  [][]any{{1, "tab\there\nnl\r"}, {2, "cafe\u0301"}, {3, "emoji 🎉"}, {4, "back\\slash 'q' \"d\""}, {5, "\x01\x1e"}},
			want: map[string]string{"2": "changed", "5": "changed"},
		},
		{
			name: "composite keys",
			cols: []col{{"tenant", "text", "varchar(20)", "TEXT"}, idCol, text}, pk: []string{"tenant", "id"},
			src:  [][]any{{"acme", 1, "a"}, {"acme", 2, "b"}, {"beta", 1, "c"}, {"beta", 10, "d"}, {"Acme", 3, "e"}},
			dst:  [][]any{{"acme", 1, "a"}, {"acme", 2, "x"}, {"beta", 1, "c"}, {"beta", 9, "d"}, {"Acme", 3, "e"}},
			want: map[string]string{"acme,2": "changed", "beta,10": "missing", "beta,9": "extra"},
		},
	}
}

func negZero() float64 {
	z := 0.0
	return -z
}

// gappy is keys with huge gaps and a dense cluster; the sink variant
// drops, changes and adds rows in the sparse and dense parts.
func gappy(sink bool) [][]any {
	var rows [][]any
	add := func(id int64, v string) { rows = append(rows, []any{id, v}) }
	add(-5, "neg")
	if !sink {
		add(2, "two")
	}
	add(3, "three")
	for i := int64(1000000); i < 1000040; i++ {
		v := "dense"
		if sink && i == 1000003 {
			v = "changed"
		}
		add(i, v)
	}
	add(5000000000, "far")
	if sink {
		add(999999999999, "very far")
		rows[0][1] = "NEG"
	}
	return rows
}

// inZone sets a non-UTC session time zone through the DSN.
func inZone(dsn string) string {
	switch {
	case strings.HasPrefix(dsn, "postgres://"):
		return dsn + "&timezone=America/New_York"
	case strings.HasPrefix(dsn, "mysql://"):
		return dsn + "?time_zone=%27%2B05%3A30%27"
	}
	return dsn
}
