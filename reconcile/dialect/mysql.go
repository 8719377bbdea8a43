package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// MySQL is the MariaDB / MySQL dialect.
type MySQL struct {
	// NoBackslashEscapes: the session's sql_mode treats backslashes as
	// plain characters in string literals (only Writer uses it).
	NoBackslashEscapes bool
}

func (MySQL) Engine() sqlconn.Engine { return sqlconn.MySQL }

func (MySQL) Quote(ident string) string { return "`" + strings.ReplaceAll(ident, "`", "``") + "`" }

func (m MySQL) QuoteTable(ref cdcops.TableRef) string {
	if ref.Schema == "" {
		return m.Quote(ref.Name)
	}
	return m.Quote(ref.Schema) + "." + m.Quote(ref.Name)
}

func (m MySQL) Describe(ctx context.Context, q Querier, ref cdcops.TableRef) (*Table, error) {
	// The first pass is exact (BINARY). The second compares LOWER() of both:
	// a plain TABLE_NAME = ? lets MariaDB look the name up as a file, which
	// is case-sensitive on Linux, so MixedCase asked as mixedcase was missed.
	const exactFind = `SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ? AND BINARY TABLE_NAME = BINARY ?`
	const foldFind = `SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES
WHERE LOWER(TABLE_SCHEMA) = LOWER(COALESCE(NULLIF(?, ''), DATABASE())) AND LOWER(TABLE_NAME) = LOWER(?)`
	t := &Table{}
	found := false
	for pass, find := range []string{exactFind, foldFind} {
		args := []any{ref.Schema, ref.Name, ref.Name}
		if pass == 1 {
			args = args[:2]
		}
		rows, err := q.QueryContext(ctx, find, args...)
		if err != nil {
			return nil, fmt.Errorf("look up table %s: %w", ref, err)
		}
		n := 0
		for rows.Next() {
			n++
			if err := rows.Scan(&t.Ref.Schema, &t.Ref.Name, &t.EstRows); err != nil {
				rows.Close()
				return nil, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n == 1 {
			found = true
			break
		}
		if n > 1 {
			return nil, cdcops.Errorf(cdcops.EINVALID, "write the table name with its exact case", "table name %s is ambiguous in the catalog", ref)
		}
	}
	if !found {
		return nil, notFound(ref, "MariaDB/MySQL")
	}
	// JSON columns are LONGTEXT with a json_valid(`col`) check. The checks
	// are read in a query of their own: a correlated subquery from COLUMNS
	// into CHECK_CONSTRAINTS crashed MariaDB 10.11 (KILL_SERVER in
	// information_schema) while other sessions created and dropped tables.
	checks, err := myChecks(ctx, q, t.Ref)
	if err != nil {
		return nil, fmt.Errorf("check constraints of %s: %w", ref, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT COLUMN_NAME, LOWER(COLUMN_TYPE), LOWER(DATA_TYPE), COALESCE(NUMERIC_SCALE, 0), COALESCE(COLLATION_NAME, ''), IS_NULLABLE = 'NO'
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, t.Ref.Schema, t.Ref.Name)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", ref, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Column
		var dataType string
		if err := rows.Scan(&c.Name, &c.Type, &dataType, &c.Scale, &c.Collation, &c.NotNull); err != nil {
			return nil, err
		}
		c.Kind = myKind(dataType, c.Type)
		for _, clause := range checks {
			if strings.Contains(clause, "json_valid(`"+strings.ReplaceAll(c.Name, "`", "``")+"`)") {
				c.Kind = KindJSON
			}
		}
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pk, err := q.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, t.Ref.Schema, t.Ref.Name)
	if err != nil {
		return nil, fmt.Errorf("primary key of %s: %w", ref, err)
	}
	defer pk.Close()
	for pk.Next() {
		var name string
		if err := pk.Scan(&name); err != nil {
			return nil, err
		}
		t.PK = append(t.PK, name)
	}
	return t, pk.Err()
}

func myKind(dataType, columnType string) Kind {
	switch dataType {
	case "tinyint":
		if strings.HasPrefix(columnType, "tinyint(1)") {
			return KindBool
		}
		return KindInt
	case "smallint", "mediumint", "int", "integer", "bigint", "year", "bit":
		return KindInt
	case "decimal", "numeric":
		return KindDecimal
	case "float", "double", "real":
		return KindFloat
	case "char", "varchar", "text", "tinytext", "mediumtext", "longtext", "enum", "set":
		return KindText
	case "uuid":
		return KindUUID
	case "date":
		return KindDate
	case "datetime":
		return KindTimestamp
	case "timestamp":
		return KindTimestampTZ
	case "binary", "varbinary", "blob", "tinyblob", "mediumblob", "longblob":
		return KindBinary
	case "json":
		return KindJSON
	}
	return KindOther
}

func (m MySQL) Canon(col Column, f Format) string {
	c := m.Quote(col.Name)
	switch f.Class {
	case ClassInt:
		if col.Kind == KindInt {
			return c // CONCAT and LENGTH read integers as their digits
		}
		return "CAST(" + c + " AS CHAR)"
	case ClassBool:
		return "CASE WHEN " + c + " IS NULL THEN NULL WHEN " + c + " <> 0 THEN '1' ELSE '0' END"
	case ClassDecimal:
		if col.Kind == KindDecimal && col.Scale == f.Scale {
			return c // already printed at this scale
		}
		s := f.Scale
		if s > 30 {
			s = 30
		}
		return "CAST(CAST(" + c + " AS DECIMAL(65," + strconv.Itoa(s) + ")) AS CHAR)"
	case ClassText:
		e := c
		if col.Kind != KindText {
			e = "CAST(" + c + " AS CHAR)"
		}
		if f.Trim {
			e = "TRIM(BOTH ' ' FROM " + e + ")"
		}
		if f.Casefold {
			e = "LOWER(" + e + ")"
		}
		return e
	case ClassUUID:
		return "LOWER(CAST(" + c + " AS CHAR))"
	case ClassDate:
		return "DATE_FORMAT(" + c + ", '%Y-%m-%d')"
	case ClassTimestamp:
		if (col.Kind == KindTimestamp || col.Kind == KindTimestampTZ) && col.Type == myTSType(col, f.TSDigits) {
			// A DATETIME(n) / TIMESTAMP(n) prints exactly n digits, as the
			// canonical form wants: no DATE_FORMAT per row.
			return "CAST(" + c + " AS CHAR)"
		}
		if f.TSDigits <= 0 {
			return "DATE_FORMAT(" + c + ", '%Y-%m-%d %H:%i:%s')"
		}
		e := "DATE_FORMAT(" + c + ", '%Y-%m-%d %H:%i:%s.%f')"
		if f.TSDigits < 6 {
			e = "LEFT(" + e + ", " + strconv.Itoa(tsLen(f.TSDigits)) + ")"
		}
		return e
	case ClassBinary:
		return "LOWER(HEX(" + c + "))"
	}
	return "CAST(" + c + " AS CHAR)"
}

func (MySQL) Row(canons []string, fixed []int) string {
	parts := make([]string, len(canons))
	for i, e := range canons {
		if fixed[i] > 0 {
			parts[i] = "COALESCE(CONCAT('" + strconv.Itoa(fixed[i]) + ":', " + e + "), 'N')"
			continue
		}
		parts[i] = "COALESCE(CONCAT(LENGTH(" + e + "), ':', " + e + "), 'N')"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "CONCAT(" + join(parts, ", ") + ")"
}

func (m MySQL) KeyOrder(col Column, f Format) string {
	if numericKey(col, f) {
		return m.Quote(col.Name)
	}
	if col.Kind == KindText && f == (Format{Class: ClassText}) && strings.HasSuffix(col.Collation, "_bin") {
		return m.Quote(col.Name) // already binary order, and the index serves it
	}
	return "CAST(" + m.Canon(col, f) + " AS BINARY)"
}

func (m MySQL) Param(_ int, col Column, f Format) string {
	if numericKey(col, f) {
		if f.Class == ClassInt {
			return "?"
		}
		return "CAST(? AS DECIMAL(65,30))"
	}
	if col.Kind == KindText && f == (Format{Class: ClassText}) && strings.HasSuffix(col.Collation, "_bin") {
		return "?"
	}
	return "CAST(? AS BINARY)"
}

const myHalves = `COUNT(*), COALESCE(SUM(CAST(CAST(CONV(SUBSTRING(h, 1, 16), 16, 10) AS UNSIGNED) AS SIGNED)), 0), COALESCE(SUM(CAST(CAST(CONV(SUBSTRING(h, 17, 16), 16, 10) AS UNSIGNED) AS SIGNED)), 0)`

func (MySQL) Checksum(row, from, where string) string {
	return "SELECT " + myHalves + " FROM (SELECT MD5(" + row + ") AS h FROM " + from + whereClause(where) + ") s"
}

func (MySQL) GroupChecksum(group, row, from, where string) string {
	return "SELECT g, " + myHalves + " FROM (SELECT " + group + " AS g, MD5(" + row + ") AS h FROM " + from + whereClause(where) + ") s GROUP BY g"
}

func (MySQL) BucketExpr(key string, bounds []int64) (string, bool) {
	return "INTERVAL(" + key + ", " + int64List(bounds) + ")", true
}

// Snapshot pins the session to UTC (TIMESTAMP columns render in the session
// zone) and opens a consistent-snapshot read-only transaction.
func (MySQL) Snapshot(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		return nil, fmt.Errorf("set session time zone: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION group_concat_max_len = 1073741824"); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return nil, fmt.Errorf("start snapshot: %w", err)
	}
	return func() { _, _ = conn.ExecContext(context.Background(), "ROLLBACK") }, nil
}

func (MySQL) Boundaries(keyCanons, keyOrder []string, from, where string, step int64) string {
	return boundaries(keyCanons, keyOrder, from, where, step)
}

// myTSType is the column type that prints n fractional digits.
func myTSType(col Column, n int) string {
	base := "datetime"
	if col.Kind == KindTimestampTZ {
		base = "timestamp"
	}
	if n <= 0 {
		return base
	}
	return base + "(" + strconv.Itoa(n) + ")"
}

// myChecks returns the table's check constraint clauses.
func myChecks(ctx context.Context, q Querier, ref cdcops.TableRef) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, ref.Schema, ref.Name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
