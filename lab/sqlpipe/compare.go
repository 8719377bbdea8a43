package sqlpipe

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// Comparison is the row-by-row result of comparing a source table with a
// sink table.
type Comparison struct {
	Table       string   `json:"table"`
	SourceRows  int      `json:"source_rows"`
	SinkRows    int      `json:"sink_rows"`
	Missing     []string `json:"missing,omitempty"` // keys in source, not in sink
	Extra       []string `json:"extra,omitempty"`   // keys in sink, not in source
	Changed     []string `json:"changed,omitempty"` // keys whose columns differ
	MissingN    int      `json:"missing_count"`
	ExtraN      int      `json:"extra_count"`
	ChangedN    int      `json:"changed_count"`
	Differences int      `json:"differences"`
}

// Equal reports whether the tables hold the same rows.
func (c Comparison) Equal() bool { return c.Differences == 0 }

const maxListed = 20

// Compare reads every row of table on both sides, each column cast to
// text in SQL, ordered by primary key, and compares them row by row. The
// column list and key come from the source table. It is the lab's own
// check (the reconcile package is the product's).
func Compare(ctx context.Context, src, sink *sqlconn.DB, table, sinkTable string) (Comparison, error) {
	c := Comparison{Table: table}
	ti, err := describe(ctx, src, table)
	if err != nil {
		return c, err
	}
	if sinkTable == "" {
		sinkTable = table
	}
	if err := checkIdent("table", sinkTable); err != nil {
		return c, err
	}
	a, err := textRows(ctx, src, table, ti)
	if err != nil {
		return c, err
	}
	b, err := textRows(ctx, sink, sinkTable, ti)
	if err != nil {
		return c, err
	}
	c.SourceRows, c.SinkRows = len(a), len(b)
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && keyLess(a[i].key, b[j].key)):
			c.MissingN++
			c.Missing = appendCapped(c.Missing, a[i].keyText)
			i++
		case i >= len(a) || keyLess(b[j].key, a[i].key):
			c.ExtraN++
			c.Extra = appendCapped(c.Extra, b[j].keyText)
			j++
		default:
			if a[i].row != b[j].row {
				c.ChangedN++
				c.Changed = appendCapped(c.Changed, a[i].keyText)
			}
			i++
			j++
		}
	}
	c.Differences = c.MissingN + c.ExtraN + c.ChangedN
	return c, nil
}

func appendCapped(s []string, v string) []string {
	if len(s) < maxListed {
		return append(s, v)
	}
	return s
}

type textRow struct {
	key     []sql.NullInt64
	keyText string
	row     string
}

// keyLess orders integer keys; the lab compares integer-keyed tables.
func keyLess(a, b []sql.NullInt64) bool {
	for i := range a {
		if a[i].Int64 != b[i].Int64 {
			return a[i].Int64 < b[i].Int64
		}
	}
	return false
}

func textRows(ctx context.Context, db *sqlconn.DB, table string, ti TableInfo) ([]textRow, error) {
	e := db.Engine
	castTo := "TEXT"
	if e == sqlconn.MySQL {
		castTo = "CHAR"
	}
	sel := make([]string, 0, len(ti.Key)+len(ti.Columns))
	order := make([]string, len(ti.Key))
	for i, k := range ti.Key {
		sel = append(sel, "CAST("+quote(e, k)+" AS SIGNED)")
		if e != sqlconn.MySQL {
			sel[i] = quote(e, k)
		}
		order[i] = fmt.Sprint(i + 1)
	}
	for _, c := range ti.Columns {
		sel = append(sel, "CAST("+quote(e, c)+" AS "+castTo+")")
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + quote(e, table) + " ORDER BY " + strings.Join(order, ", ")
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("compare: read %s in %s: %w", table, db.Name, err)
	}
	defer rows.Close()
	var out []textRow
	keys := make([]sql.NullInt64, len(ti.Key))
	vals := make([]sql.NullString, len(ti.Columns))
	dest := make([]any, 0, len(keys)+len(vals))
	for i := range keys {
		dest = append(dest, &keys[i])
	}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("compare: read %s (integer keys only): %w", table, err)
		}
		var r textRow
		r.key = append([]sql.NullInt64(nil), keys...)
		var kt, rt strings.Builder
		for i, k := range keys {
			if i > 0 {
				kt.WriteByte(',')
			}
			fmt.Fprintf(&kt, "%s=%d", ti.Key[i], k.Int64)
		}
		for _, v := range vals {
			if v.Valid {
				rt.WriteString("'" + v.String + "'")
			} else {
				rt.WriteString("NULL")
			}
			rt.WriteByte('\x1f')
		}
		r.keyText, r.row = kt.String(), rt.String()
		out = append(out, r)
	}
	return out, rows.Err()
}

// WaitInSync compares every table until the sink equals the source or
// timeout passes; it returns the last comparisons either way.
func WaitInSync(ctx context.Context, src, sink *sqlconn.DB, tables []string, timeout time.Duration) ([]Comparison, error) {
	deadline := time.Now().Add(timeout)
	for {
		var out []Comparison
		equal := true
		for _, t := range tables {
			c, err := Compare(ctx, src, sink, t, "")
			if err != nil {
				return nil, err
			}
			out = append(out, c)
			equal = equal && c.Equal()
		}
		if equal {
			return out, nil
		}
		if !time.Now().Before(deadline) {
			return out, cdcops.Errorf(cdcops.ECORRUPT, "check the connectors' status; `cdcops lab fault clear` removes injected faults",
				"sink did not match source within %s: %s", timeout, describeComparisons(out))
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func describeComparisons(cs []Comparison) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s: source %d rows, sink %d rows, %d missing, %d extra, %d changed",
			c.Table, c.SourceRows, c.SinkRows, c.MissingN, c.ExtraN, c.ChangedN))
	}
	return strings.Join(parts, "; ")
}
