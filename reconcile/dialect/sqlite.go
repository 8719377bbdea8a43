package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// SQLite is the SQLite dialect; its canonical forms and sums are Go
// functions registered with modernc.org/sqlite (see sqlitefuncs.go).
type SQLite struct{}

func (SQLite) Engine() sqlconn.Engine { return sqlconn.SQLite }

func (SQLite) Quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

func (s SQLite) QuoteTable(ref cdcops.TableRef) string {
	if ref.Schema == "" || ref.Schema == "main" {
		return s.Quote(ref.Name)
	}
	return s.Quote(ref.Schema) + "." + s.Quote(ref.Name)
}

func (s SQLite) Describe(ctx context.Context, q Querier, ref cdcops.TableRef) (*Table, error) {
	schema := ref.Schema
	if schema == "" {
		schema = "main"
	}
	var dbs []string
	rows, err := q.QueryContext(ctx, "SELECT name FROM pragma_database_list")
	if err != nil {
		return nil, fmt.Errorf("look up table %s: %w", ref, err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		dbs = append(dbs, n)
	}
	rows.Close()
	known := false
	for _, d := range dbs {
		known = known || d == schema
	}
	if !known {
		return nil, notFound(ref, "SQLite")
	}
	t := &Table{Ref: cdcops.TableRef{Schema: schema}}
	// sqlite_schema compares names case-insensitively, as SQLite itself does.
	err = q.QueryRowContext(ctx, "SELECT name FROM "+s.Quote(schema)+".sqlite_master WHERE type IN ('table','view') AND name = ? COLLATE NOCASE", ref.Name).Scan(&t.Ref.Name)
	if err == sql.ErrNoRows {
		return nil, notFound(ref, "SQLite")
	}
	if err != nil {
		return nil, fmt.Errorf("look up table %s: %w", ref, err)
	}
	cols, err := q.QueryContext(ctx, "SELECT name, lower(type), pk FROM pragma_table_info(?, ?) ORDER BY cid", t.Ref.Name, schema)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", ref, err)
	}
	defer cols.Close()
	var pk []struct {
		name string
		pos  int
	}
	for cols.Next() {
		var c Column
		var pos int
		if err := cols.Scan(&c.Name, &c.Type, &pos); err != nil {
			return nil, err
		}
		c.Kind, c.Scale = sqliteKind(c.Type)
		t.Columns = append(t.Columns, c)
		if pos > 0 {
			pk = append(pk, struct {
				name string
				pos  int
			}{c.Name, pos})
		}
	}
	if err := cols.Err(); err != nil {
		return nil, err
	}
	t.PK = make([]string, len(pk))
	for _, p := range pk {
		t.PK[p.pos-1] = p.name
	}
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+s.QuoteTable(t.Ref)).Scan(&t.EstRows); err != nil {
		return nil, fmt.Errorf("count %s: %w", ref, err)
	}
	return t, nil
}

var scaleRE = regexp.MustCompile(`\(\s*\d+\s*,\s*(\d+)\s*\)`)

// sqliteKind reads a declared type the way SQLite's affinity rules do,
// refined by the names people use for dates, booleans and UUIDs.
func sqliteKind(t string) (Kind, int) {
	switch {
	case strings.HasPrefix(t, "bool"), strings.HasPrefix(t, "tinyint(1)"):
		return KindBool, 0
	case strings.Contains(t, "int"):
		return KindInt, 0
	case strings.Contains(t, "uuid"):
		return KindUUID, 0
	case strings.Contains(t, "json"):
		return KindJSON, 0
	case strings.HasPrefix(t, "timestamptz"), strings.Contains(t, "with time zone"):
		return KindTimestampTZ, 0
	case strings.HasPrefix(t, "datetime"), strings.HasPrefix(t, "timestamp"):
		return KindTimestamp, 0
	case t == "date":
		return KindDate, 0
	case strings.Contains(t, "char"), strings.Contains(t, "clob"), strings.Contains(t, "text"):
		return KindText, 0
	case strings.Contains(t, "blob"), strings.Contains(t, "binary"), strings.Contains(t, "bytea"):
		return KindBinary, 0
	case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"):
		return KindFloat, 0
	case strings.Contains(t, "dec"), strings.Contains(t, "numeric"):
		if m := scaleRE.FindStringSubmatch(t); m != nil {
			s, _ := strconv.Atoi(m[1])
			return KindDecimal, s
		}
		return KindDecimal, -1
	}
	return KindOther, 0
}

func (s SQLite) Canon(col Column, f Format) string {
	c := s.Quote(col.Name)
	switch f.Class {
	case ClassInt:
		return "CAST(" + c + " AS TEXT)"
	case ClassBool:
		return "CASE WHEN " + c + " IS NULL THEN NULL WHEN " + c + " <> 0 THEN '1' ELSE '0' END"
	case ClassDecimal:
		return "cdcops_dec(" + c + ", " + strconv.Itoa(f.Scale) + ")"
	case ClassText:
		e := "CAST(" + c + " AS TEXT)"
		if f.Trim {
			e = "trim(" + e + ", ' ')"
		}
		if f.Casefold {
			e = "lower(" + e + ")"
		}
		return e
	case ClassUUID:
		return "lower(" + c + ")"
	case ClassDate:
		return "cdcops_ts(" + c + ", -1)"
	case ClassTimestamp:
		return "cdcops_ts(" + c + ", " + strconv.Itoa(f.TSDigits) + ")"
	case ClassBinary:
		return "CASE WHEN " + c + " IS NULL THEN NULL ELSE lower(hex(" + c + ")) END" // hex(NULL) is ''
	}
	return "CAST(" + c + " AS TEXT)"
}

func (SQLite) Row(canons []string, _ []int) string { return "cdcops_row(" + join(canons, ", ") + ")" }

func (s SQLite) KeyOrder(col Column, f Format) string {
	if numericKey(col, f) {
		return s.Quote(col.Name)
	}
	return "(" + s.Canon(col, f) + ") COLLATE BINARY"
}

func (SQLite) Param(_ int, col Column, f Format) string {
	if numericKey(col, f) && f.Class == ClassDecimal {
		return "CAST(? AS REAL)"
	}
	return "?"
}

func (SQLite) Checksum(row, from, where string) string {
	return "SELECT count(*), cdcops_md5sum(" + row + ", 0), cdcops_md5sum(" + row + ", 1) FROM " + from + whereClause(where)
}

func (SQLite) GroupChecksum(group, row, from, where string) string {
	return "SELECT " + group + " AS g, count(*), cdcops_md5sum(" + row + ", 0), cdcops_md5sum(" + row + ", 1) FROM " + from + whereClause(where) + " GROUP BY g"
}

func (SQLite) BucketExpr(string, []int64) (string, bool) { return "", false }

// Snapshot makes the connection read-only (query_only: a --where can
// never write) and opens a read transaction.
func (SQLite) Snapshot(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
		return nil, fmt.Errorf("make connection read-only: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return nil, fmt.Errorf("start snapshot: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		_, _ = conn.ExecContext(context.Background(), "PRAGMA query_only = 0")
	}, nil
}

func (SQLite) Boundaries(keyCanons, keyOrder []string, from, where string, step int64) string {
	return boundaries(keyCanons, keyOrder, from, where, step)
}
