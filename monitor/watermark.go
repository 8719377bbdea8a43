package monitor

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// sinkMax returns max(column) of table as a time; a table with no rows
// gives the zero time.
func sinkMax(ctx context.Context, db *sqlconn.DB, table, column string) (time.Time, error) {
	ref, err := cdcops.ParseTableRef(table)
	if err != nil {
		return time.Time{}, err
	}
	d, err := dialect.For(db.Engine)
	if err != nil {
		return time.Time{}, err
	}
	var v any
	q := fmt.Sprintf("SELECT max(%s) FROM %s", d.Quote(column), d.QuoteTable(ref))
	if err := db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("watermark of %s in %s: %w", table, db.Name, err)
	}
	return asTime(v)
}

// asTime reads what drivers return for a timestamp column: time.Time
// (pgx), text or bytes (MySQL without parseTime, SQLite), or epoch numbers
// (seconds, milliseconds or microseconds, told apart by size).
func asTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x.UTC(), nil
	case []byte:
		return asTime(string(x))
	case int64:
		switch {
		case x > 1e14:
			return time.UnixMicro(x).UTC(), nil
		case x > 1e11:
			return time.UnixMilli(x).UTC(), nil
		}
		return time.Unix(x, 0).UTC(), nil
	case float64:
		return asTime(int64(x))
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return asTime(n)
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("cannot read %q as a time", x)
	}
	return time.Time{}, fmt.Errorf("cannot read a %T as a time", v)
}

// evalWatermark compares the source offset's time with the sink's newest
// change: a gap beyond the budget means the sink is behind the source by
// more than the pipeline promises.
func evalWatermark(table string, source, sink time.Time, budget time.Duration) *Watermark {
	w := &Watermark{Table: table, BudgetMS: budget.Milliseconds()}
	if !source.IsZero() {
		w.SourceTime = &source
	}
	if !sink.IsZero() {
		w.SinkTime = &sink
	}
	if !source.IsZero() {
		gap := source.Sub(sink)
		if sink.IsZero() {
			gap = 0 // empty sink table: nothing to compare yet
		}
		w.GapMS = max(gap.Milliseconds(), 0)
		w.Breach = gap > budget
	}
	return w
}
