package dialect

import (
	"context"
	"database/sql"

	"strconv"

	"github.com/cdcops/cdcops"
)

// ChangeTracker is what incremental re-checks need from an engine: the
// rows changed since a watermark of an updated_at column, found through
// the column's own values, and what the catalog says about them.
type ChangeTracker interface {
	// MaxChanged returns the column's largest value at or below the
	// database's clock plus a day (a future-dated row must not push the
	// watermark past every later change), as text the same engine reads
	// back with Since; "" when no row has a value. future counts the
	// rows above that cap and nulls the rows without a value.
	MaxChanged(ctx context.Context, q Querier, from, where string, args []any, col Column) (max string, future, nulls int64, err error)
	// Since is the condition "col is at or after the watermark text in
	// parameter i, minus margin microseconds" (margin computed by cdcops,
	// never user text).
	Since(col Column, i int, marginMicros int64) string
	// LeadingIndex says whether an index of the table starts with col,
	// so that Since is a range scan rather than a table scan.
	LeadingIndex(ctx context.Context, q Querier, ref cdcops.TableRef, col Column) (bool, error)
	// Deletes is the catalog's running count of rows deleted from the
	// table (statistics, possibly a second behind); ok is false when the
	// engine keeps none.
	Deletes(ctx context.Context, q Querier, ref cdcops.TableRef) (n int64, ok bool, err error)
}

func andWhere(w, cond string) string {
	if w == "" {
		return cond
	}
	return w + " AND " + cond
}

func (p Postgres) MaxChanged(ctx context.Context, q Querier, from, where string, args []any, col Column) (string, int64, int64, error) {
	c := p.Quote(col.Name)
	capped := c + " <= now() + interval '1 day'"
	var max sql.NullString
	var future, nulls int64
	err := q.QueryRowContext(ctx, "SELECT (SELECT max("+c+")::text FROM "+from+whereClause(andWhere(where, capped))+"), "+
		"(SELECT count(*) FROM "+from+whereClause(andWhere(where, c+" > now() + interval '1 day'"))+"), "+
		"(SELECT count(*) FROM "+from+whereClause(andWhere(where, c+" IS NULL"))+")", args...).Scan(&max, &future, &nulls)
	return max.String, future, nulls, err
}

func (p Postgres) Since(col Column, i int, marginMicros int64) string {
	return p.Quote(col.Name) + " >= CAST($" + strconv.Itoa(i) + " AS " + col.Type + ") - interval '" + strconv.FormatInt(marginMicros, 10) + " microseconds'"
}

func (p Postgres) LeadingIndex(ctx context.Context, q Querier, ref cdcops.TableRef, col Column) (bool, error) {
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = CAST($1 AS regclass) AND a.attname = $2 AND i.indisvalid AND i.indpred IS NULL)`, p.QuoteTable(ref), col.Name).Scan(&ok)
	return ok, err
}

func (p Postgres) Deletes(ctx context.Context, q Querier, ref cdcops.TableRef) (int64, bool, error) {
	var n sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT n_tup_del FROM pg_stat_all_tables WHERE relid = CAST($1 AS regclass)", p.QuoteTable(ref)).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return n.Int64, err == nil && n.Valid, err
}

func (m MySQL) MaxChanged(ctx context.Context, q Querier, from, where string, args []any, col Column) (string, int64, int64, error) {
	c := m.Quote(col.Name)
	var max sql.NullString
	var future, nulls int64
	// One query per value: each takes the same placeholders in order.
	if err := q.QueryRowContext(ctx, "SELECT CAST(max("+c+") AS CHAR) FROM "+from+whereClause(andWhere(where, c+" <= NOW(6) + INTERVAL 1 DAY")), args...).Scan(&max); err != nil {
		return "", 0, 0, err
	}
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+from+whereClause(andWhere(where, c+" > NOW(6) + INTERVAL 1 DAY")), args...).Scan(&future); err != nil {
		return "", 0, 0, err
	}
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+from+whereClause(andWhere(where, c+" IS NULL")), args...).Scan(&nulls)
	return max.String, future, nulls, err
}

func (m MySQL) Since(col Column, _ int, marginMicros int64) string {
	return m.Quote(col.Name) + " >= CAST(? AS DATETIME(6)) - INTERVAL " + strconv.FormatInt(marginMicros, 10) + " MICROSECOND"
}

func (m MySQL) LeadingIndex(ctx context.Context, q Querier, ref cdcops.TableRef, col Column) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ? AND SEQ_IN_INDEX = 1`, ref.Schema, ref.Name, col.Name).Scan(&n)
	return n > 0, err
}

// Deletes: MariaDB keeps no per-table delete counter by default
// (TABLE_STATISTICS needs userstat=1 and counts changes, not deletes).
func (m MySQL) Deletes(context.Context, Querier, cdcops.TableRef) (int64, bool, error) {
	return 0, false, nil
}
