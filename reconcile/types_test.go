package reconcile_test

import (
	"testing"

	"github.com/cdcops/cdcops/reconcile"
)

// typesCols are the same logical columns stored in different physical
// types per engine.
var typesCols = []col{
	idCol,
	{"amount", "numeric(12,2)", "double", "REAL"},
	{"price", "numeric(10,4)", "decimal(10,2)", "NUMERIC(10,2)"},
	{"qty", "int", "bigint", "INTEGER"},
	{"active", "boolean", "tinyint(1)", "BOOLEAN"},
	{"ref", "uuid", "char(36)", "TEXT"},
	{"born", "date", "datetime", "DATE"},
	{"seen", "timestamptz", "datetime(3)", "TEXT"},
	{"note", "varchar(50)", "text", "TEXT"},
	{"blob", "bytea", "varbinary(20)", "BLOB"},
	{"doc", "jsonb", "json", "TEXT"},
	{"ratio", "float8", "double", "REAL"},
	{"small", "real", "float", "REAL"},
}

func typesRows() [][]any {
	return [][]any{
		{1, pe{"10.50", 10.5, 10.5}, pe{"3.1400", "3.14", "3.14"}, 7, true, pe{"6f9619ff-8b86-d011-b42d-00c04fc964ff", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
			pe{"1990-05-17", "1990-05-17 00:00:00", "1990-05-17"}, pe{"2024-02-29 23:59:59.123456+00", "2024-02-29 23:59:59.123", "2024-02-29T23:59:59.123456Z"},
			"héllo", []byte{0, 1, 0xfe}, pe{`{"b": 1, "a": [1, 2]}`, `{"a":[1,2],"b":1}`, `{"a": [1,2], "b":1}`}, 0.1, pe{0.25, 0.25, 0.25}},
		{2, pe{"-0.01", -0.01, -0.01}, pe{"0.0000", "0.00", "0"}, 0, false, nil, nil, nil, "", []byte{}, nil, -1e-5, pe{1.5, 1.5, 1.5}},
		{3, nil, nil, nil, nil, nil, pe{"2000-01-01", "2000-01-01 00:00:00", "2000-01-01"}, pe{"1999-12-31 22:00:00-02", "2000-01-01 00:00:00", "2000-01-01 00:00:00"}, "NULL", nil, pe{`[]`, `[]`, `[]`}, 1e20, nil},
	}
}

// TestPhysicalTypesCompareEqual: identical data stored in different
// physical types on each engine compares equal, in both modes, with the
// options a user would set (millisecond timestamps; the UUID stored as
// text declared as a UUID).
func TestPhysicalTypesCompareEqual(t *testing.T) {
	en := newEngines(t)
	runTrap(t, en, trap{
		name: "physical types", cols: typesCols, pk: []string{"id"},
		src: typesRows(), dst: typesRows(), want: map[string]string{},
		spec: func(s *reconcile.Spec) {
			s.TimestampPrecision = "ms"
			s.Normalize = map[string]string{"ref": "as=uuid"}
		},
	})
	// Without floats and JSON (compared after fetch), the databases' and
	// Go's per-range count and md5 sums must agree exactly.
	exact := func(rows [][]any) [][]any {
		out := make([][]any, len(rows))
		for i, r := range rows {
			out[i] = append([]any(nil), r[:10]...)
		}
		return out
	}
	runTrap(t, en, trap{
		name: "physical types exact sums", cols: typesCols[:10], pk: []string{"id"},
		src: exact(typesRows()), dst: exact(typesRows()), want: map[string]string{}, exactSums: true,
		spec: func(s *reconcile.Spec) {
			s.TimestampPrecision = "ms"
			s.Normalize = map[string]string{"ref": "as=uuid"}
		},
	})
	// And a real change in each class is still seen.
	changed := typesRows()
	changed[0] = append([]any(nil), changed[0]...)
	changed[0][3] = 8 // qty
	changed[1] = append([]any(nil), changed[1]...)
	changed[1][4] = true // active
	changed[2] = append([]any(nil), changed[2]...)
	changed[2][8] = "null" // note
	runTrap(t, en, trap{
		name: "physical types changed", cols: typesCols, pk: []string{"id"},
		src: typesRows(), dst: changed, want: map[string]string{"1": "changed", "2": "changed", "3": "changed"},
		wantCols: map[string]int64{"qty": 1, "active": 1, "note": 1, "amount": 0, "seen": 0, "doc": 0},
		spec: func(s *reconcile.Spec) {
			s.TimestampPrecision = "ms"
			s.Normalize = map[string]string{"ref": "as=uuid"}
		},
	})
}
