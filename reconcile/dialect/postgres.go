package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// Postgres is the PostgreSQL dialect.
type Postgres struct{}

func (Postgres) Engine() sqlconn.Engine { return sqlconn.Postgres }

func (Postgres) Quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

func (p Postgres) QuoteTable(ref cdcops.TableRef) string {
	if ref.Schema == "" {
		return p.Quote(ref.Name)
	}
	return p.Quote(ref.Schema) + "." + p.Quote(ref.Name)
}

// Describe looks the table up by exact name in the schema (or the search
// path), then case-insensitively when that finds exactly one table.
func (p Postgres) Describe(ctx context.Context, q Querier, ref cdcops.TableRef) (*Table, error) {
	const find = `SELECT c.oid, n.nspname, c.relname, greatest(c.reltuples, 0)::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','v','m','f')
  AND (CASE WHEN $3 THEN c.relname = $1 ELSE lower(c.relname) = lower($1) END)
  AND (CASE WHEN $2 = '' THEN n.nspname = ANY(current_schemas(false))
            WHEN $3 THEN n.nspname = $2 ELSE lower(n.nspname) = lower($2) END)
ORDER BY array_position(current_schemas(false), n.nspname::name) NULLS LAST`
	var oid int64
	t := &Table{}
	found := false
	for _, exact := range []bool{true, false} {
		rows, err := q.QueryContext(ctx, find, ref.Name, ref.Schema, exact)
		if err != nil {
			return nil, fmt.Errorf("look up table %s: %w", ref, err)
		}
		n := 0
		for rows.Next() {
			n++
			if n == 1 {
				if err := rows.Scan(&oid, &t.Ref.Schema, &t.Ref.Name, &t.EstRows); err != nil {
					rows.Close()
					return nil, err
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n == 1 || (n > 1 && exact) {
			found = true
			break
		}
		if n > 1 {
			return nil, cdcops.Errorf(cdcops.EINVALID, "write the table name with its exact case", "table name %s is ambiguous in the catalog", ref)
		}
	}
	if !found {
		return nil, notFound(ref, "PostgreSQL")
	}
	// Collation is recorded only when it is nondeterministic (equal
	// values with different bytes), which typed hashing must avoid.
	rows, err := q.QueryContext(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.atttypmod,
  coalesce((SELECT collname FROM pg_collation l WHERE l.oid = a.attcollation AND NOT l.collisdeterministic), ''), a.attnotnull
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", ref, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Column
		var typname string
		var typmod int
		if err := rows.Scan(&c.Name, &c.Type, &typname, &typmod, &c.Collation, &c.NotNull); err != nil {
			return nil, err
		}
		c.Kind, c.Scale = pgKind(typname, typmod)
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pk, err := q.QueryContext(ctx, `SELECT a.attname FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord`, oid)
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

func pgKind(typname string, typmod int) (Kind, int) {
	switch typname {
	case "int2", "int4", "int8", "oid":
		return KindInt, 0
	case "bool":
		return KindBool, 0
	case "numeric":
		if typmod < 4 {
			return KindDecimal, -1
		}
		return KindDecimal, (typmod - 4) & 0xffff
	case "float4", "float8":
		return KindFloat, 0
	case "text", "varchar", "bpchar", "name", "citext":
		return KindText, 0
	case "uuid":
		return KindUUID, 0
	case "date":
		return KindDate, 0
	case "timestamp":
		return KindTimestamp, 0
	case "timestamptz":
		return KindTimestampTZ, 0
	case "bytea":
		return KindBinary, 0
	case "json", "jsonb":
		return KindJSON, 0
	}
	return KindOther, 0
}

func (p Postgres) Canon(col Column, f Format) string {
	c := p.Quote(col.Name)
	utc := c
	if col.Kind == KindTimestampTZ {
		utc = "(" + c + " AT TIME ZONE 'UTC')"
	}
	switch f.Class {
	case ClassInt:
		if col.Kind == KindBool {
			return "(" + c + ")::int::text"
		}
		return "(" + c + ")::text"
	case ClassBool:
		if col.Kind == KindBool {
			return "CASE WHEN " + c + " THEN '1' WHEN NOT " + c + " THEN '0' END"
		}
		return "CASE WHEN " + c + " IS NULL THEN NULL WHEN " + c + " <> 0 THEN '1' ELSE '0' END"
	case ClassDecimal:
		if col.Kind == KindBool {
			c = "(" + c + ")::int"
		}
		if col.Kind == KindDecimal && col.Scale == f.Scale {
			return "(" + c + ")::text" // numeric(p,s) always prints s places
		}
		return "round((" + c + ")::numeric, " + strconv.Itoa(f.Scale) + ")::text"
	case ClassText:
		e := "(" + c + ")::text"
		if f.Trim {
			e = "btrim(" + e + ", ' ')"
		}
		if f.Casefold {
			e = "lower(" + e + ")"
		}
		return e
	case ClassUUID:
		return "lower((" + c + ")::text)"
	case ClassDate:
		switch col.Kind {
		case KindDate, KindTimestamp, KindTimestampTZ:
			return "to_char(" + utc + ", 'YYYY-MM-DD')"
		}
		return "left((" + c + ")::text, 10)"
	case ClassTimestamp:
		switch col.Kind {
		case KindDate, KindTimestamp, KindTimestampTZ:
		default:
			utc = "(" + c + ")::timestamp"
		}
		if f.TSDigits <= 0 {
			return "to_char(" + utc + ", 'YYYY-MM-DD HH24:MI:SS')"
		}
		e := "to_char(" + utc + ", 'YYYY-MM-DD HH24:MI:SS.US')"
		if f.TSDigits < 6 {
			e = "left(" + e + ", " + strconv.Itoa(tsLen(f.TSDigits)) + ")"
		}
		return e
	case ClassBinary:
		if col.Kind == KindBinary {
			return "encode(" + c + ", 'hex')"
		}
		return "encode(convert_to((" + c + ")::text, 'UTF8'), 'hex')"
	}
	return "(" + c + ")::text"
}

func (Postgres) Row(canons []string, fixed []int) string {
	parts := make([]string, len(canons))
	for i, e := range canons {
		if fixed[i] > 0 {
			parts[i] = "COALESCE('" + strconv.Itoa(fixed[i]) + ":' || " + e + ", 'N')"
			continue
		}
		parts[i] = "COALESCE(octet_length(" + e + ")::text || ':' || " + e + ", 'N')"
	}
	return join(parts, " || ")
}

func (p Postgres) KeyOrder(col Column, f Format) string {
	if numericKey(col, f) {
		return p.Quote(col.Name)
	}
	return "(" + p.Canon(col, f) + `) COLLATE "C"`
}

func (Postgres) Param(i int, col Column, f Format) string {
	ph := "$" + strconv.Itoa(i)
	if numericKey(col, f) {
		if f.Class == ClassInt {
			return ph + "::bigint"
		}
		return ph + "::numeric"
	}
	return ph + `::text COLLATE "C"`
}

const pgHalves = `count(*), coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint), 0)::text, coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint), 0)::text`

// Checksum computes md5 once per row in a subquery; OFFSET 0 keeps the
// planner from inlining it twice into the two sums.
func (Postgres) Checksum(row, from, where string) string {
	return "SELECT " + pgHalves + " FROM (SELECT md5(" + row + ") AS h FROM " + from + whereClause(where) + " OFFSET 0) s"
}

func (Postgres) GroupChecksum(group, row, from, where string) string {
	return "SELECT g, " + pgHalves + " FROM (SELECT " + group + " AS g, md5(" + row + ") AS h FROM " + from + whereClause(where) + " OFFSET 0) s GROUP BY g"
}

func (Postgres) BucketExpr(key string, bounds []int64) (string, bool) {
	return "width_bucket(" + key + ", '{" + int64List(bounds) + "}'::bigint[])", true
}

func (Postgres) Snapshot(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return nil, fmt.Errorf("start snapshot: %w", err)
	}
	// Text-format reads (RawFetcher) rely on these output settings.
	if _, err := conn.ExecContext(ctx, "SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL bytea_output = 'hex'; SET LOCAL extra_float_digits = 1"); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return nil, fmt.Errorf("set session output formats: %w", err)
	}
	// JIT compiling cost 0.1-0.3 s per query here, more than most tree
	// levels take to run (PostgreSQL 11+ has the setting).
	if _, err := conn.ExecContext(ctx, "SELECT set_config('jit', 'off', true) FROM pg_settings WHERE name = 'jit'"); err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		return nil, fmt.Errorf("turn off JIT: %w", err)
	}
	return func() { _, _ = conn.ExecContext(context.Background(), "ROLLBACK") }, nil
}

func (Postgres) Boundaries(keyCanons, keyOrder []string, from, where string, step int64) string {
	return boundaries(keyCanons, keyOrder, from, where, step)
}

func boundaries(keyCanons, keyOrder []string, from, where string, step int64) string {
	sel := make([]string, len(keyCanons))
	outer := make([]string, len(keyCanons))
	for i, k := range keyCanons {
		sel[i] = k + " AS k" + strconv.Itoa(i)
		outer[i] = "k" + strconv.Itoa(i)
	}
	return "SELECT " + join(outer, ", ") + " FROM (SELECT " + join(sel, ", ") + ", row_number() OVER (ORDER BY " + join(keyOrder, ", ") +
		") AS rn FROM " + from + whereClause(where) + ") x WHERE rn % " + strconv.FormatInt(step, 10) + " = 0 ORDER BY rn"
}

func whereClause(w string) string {
	if w == "" {
		return ""
	}
	return " WHERE " + w
}

// numericKey says a key column is ordered by its number, not its text.
func numericKey(col Column, f Format) bool {
	return (f.Class == ClassInt || f.Class == ClassDecimal) && (col.Kind == KindInt || col.Kind == KindDecimal)
}

var errNoRows = errors.New("no rows")

func int64List(v []int64) string {
	parts := make([]string, len(v))
	for i, b := range v {
		parts[i] = strconv.FormatInt(b, 10)
	}
	return join(parts, ",")
}
