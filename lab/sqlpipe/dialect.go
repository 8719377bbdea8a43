package sqlpipe

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// ChangelogTable is the trigger-maintained change log in the source database.
const ChangelogTable = "cdcops_changelog"

// identRE is what the lab accepts as a table or column name. Everything is
// also quoted, but refusing anything else keeps SQL injection out of DDL
// and trigger bodies, where parameters cannot be used.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func checkIdent(kind, name string) error {
	if !identRE.MatchString(name) {
		return cdcops.Errorf(cdcops.EINVALID, "lab table and column names are letters, digits and underscores, starting with a letter or underscore",
			"invalid %s name %q", kind, name)
	}
	return nil
}

// quote quotes an identifier already checked by checkIdent.
func quote(e sqlconn.Engine, name string) string {
	if e == sqlconn.MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// ph is the n-th (1-based) bind placeholder.
func ph(e sqlconn.Engine, n int) string {
	if e == sqlconn.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// TableInfo is what capture and apply need to know about a table.
type TableInfo struct {
	Name    string
	Columns []string // in table order
	Key     []string // primary key columns, in key order
}

// schemaName is the "<schema>" part of topic names: PostgreSQL's current
// schema, MariaDB's database, SQLite's "main".
func schemaName(ctx context.Context, db *sqlconn.DB) (string, error) {
	var q string
	switch db.Engine {
	case sqlconn.Postgres:
		q = "SELECT current_schema()"
	case sqlconn.MySQL:
		q = "SELECT DATABASE()"
	default:
		return "main", nil
	}
	var s sql.NullString
	if err := db.QueryRowContext(ctx, q).Scan(&s); err != nil {
		return "", fmt.Errorf("read schema name: %w", err)
	}
	if !s.Valid || s.String == "" {
		return "", cdcops.Errorf(cdcops.EINVALID, "name a database in the DSN", "the DSN %s selects no database", db.Name)
	}
	return s.String, nil
}

// describe reads a table's columns and primary key.
func describe(ctx context.Context, db *sqlconn.DB, table string) (TableInfo, error) {
	if err := checkIdent("table", table); err != nil {
		return TableInfo{}, err
	}
	ti := TableInfo{Name: table}
	type col struct {
		name  string
		keyNo int
	}
	var cols []col
	var rows *sql.Rows
	var err error
	switch db.Engine {
	case sqlconn.Postgres:
		rows, err = db.QueryContext(ctx, `
SELECT c.column_name, COALESCE(k.ordinal_position, 0)
FROM information_schema.columns c
LEFT JOIN information_schema.table_constraints tc
  ON tc.table_schema = c.table_schema AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY'
LEFT JOIN information_schema.key_column_usage k
  ON k.constraint_name = tc.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name
WHERE c.table_schema = current_schema() AND c.table_name = $1
ORDER BY c.ordinal_position`, table)
	case sqlconn.MySQL:
		rows, err = db.QueryContext(ctx, `
SELECT c.column_name, COALESCE(k.ordinal_position, 0)
FROM information_schema.columns c
LEFT JOIN information_schema.key_column_usage k
  ON k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name AND k.constraint_name = 'PRIMARY'
WHERE c.table_schema = DATABASE() AND c.table_name = ?
ORDER BY c.ordinal_position`, table)
	default:
		rows, err = db.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, table)
	}
	if err != nil {
		return ti, fmt.Errorf("describe table %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.name, &c.keyNo); err != nil {
			return ti, fmt.Errorf("describe table %s: %w", table, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return ti, fmt.Errorf("describe table %s: %w", table, err)
	}
	if len(cols) == 0 {
		return ti, cdcops.Errorf(cdcops.ENOTFOUND, "create the table first, or check table.include.list",
			"table %s not found in %s", table, db.Name)
	}
	maxKey := 0
	for _, c := range cols {
		if err := checkIdent("column", c.name); err != nil {
			return ti, err
		}
		ti.Columns = append(ti.Columns, c.name)
		if c.keyNo > maxKey {
			maxKey = c.keyNo
		}
	}
	ti.Key = make([]string, maxKey)
	for _, c := range cols {
		if c.keyNo > 0 {
			ti.Key[c.keyNo-1] = c.name
		}
	}
	if len(ti.Key) == 0 {
		return ti, cdcops.Errorf(cdcops.EINVALID, "the lab pipeline keys events by primary key; add one",
			"table %s has no primary key", table)
	}
	return ti, nil
}

// rowJSON is the SQL expression that renders a row (alias or NEW/OLD) as a
// JSON object text, the same way in triggers and in snapshot queries.
func rowJSON(e sqlconn.Engine, ti TableInfo, alias string) string {
	if e == sqlconn.Postgres {
		return "row_to_json(" + alias + ")::text"
	}
	fn := "json_object"
	if e == sqlconn.MySQL {
		fn = "JSON_OBJECT"
	}
	parts := make([]string, 0, 2*len(ti.Columns))
	for _, c := range ti.Columns {
		parts = append(parts, "'"+c+"'", alias+"."+quote(e, c))
	}
	return fn + "(" + strings.Join(parts, ", ") + ")"
}

// nowMillis is the SQL expression for the current time in epoch ms.
func nowMillis(e sqlconn.Engine) string {
	switch e {
	case sqlconn.Postgres:
		return "(extract(epoch from clock_timestamp()) * 1000)::bigint"
	case sqlconn.MySQL:
		return "CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}

var topicRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)
