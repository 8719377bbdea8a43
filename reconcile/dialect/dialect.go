package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// Kind is the family of a column's declared type on one engine.
type Kind int

const (
	KindOther Kind = iota
	KindInt
	KindBool
	KindDecimal
	KindFloat
	KindText
	KindUUID
	KindDate
	KindTimestamp   // without time zone: read as stored
	KindTimestampTZ // an instant: rendered in UTC
	KindBinary
	KindJSON
)

var kindNames = [...]string{"other", "int", "bool", "decimal", "float", "text", "uuid", "date", "timestamp", "timestamptz", "binary", "json"}

func (k Kind) String() string { return kindNames[k] }

// Column is one column as the catalog describes it.
type Column struct {
	Name      string `json:"name"`
	Type      string `json:"type"` // catalog type, lower case
	Kind      Kind   `json:"-"`
	Scale     int    `json:"-"` // decimal places of a decimal column
	Collation string `json:"-"`
	NotNull   bool   `json:"-"` // declared NOT NULL
}

// Table is a table found in the catalog, with its columns in order.
type Table struct {
	Ref     cdcops.TableRef
	Columns []Column
	PK      []string // primary key columns in key order; empty when none
	EstRows int64    // the catalog's row estimate (may be stale)
}

// Column returns the named column, matching exactly first, then ignoring case.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}

// Class is how a compared column pair is rendered: one class per pair,
// chosen from both sides' kinds, so both engines produce the same text.
type Class int

const (
	ClassText Class = iota
	ClassInt
	ClassBool
	ClassDecimal
	ClassFloat
	ClassUUID
	ClassDate
	ClassTimestamp
	ClassBinary
	ClassJSON
)

var classNames = [...]string{"text", "int", "bool", "decimal", "float", "uuid", "date", "timestamp", "binary", "json"}

func (c Class) String() string { return classNames[c] }

// Format says how one column is rendered to canonical text.
type Format struct {
	Class    Class
	Scale    int  // ClassDecimal: fixed decimal places
	TSDigits int  // ClassTimestamp: 0, 3 or 6 fractional digits (truncated)
	Trim     bool // ClassText: strip leading/trailing spaces
	Casefold bool // ClassText: lower case
}

// Querier is what dialects run catalog queries on.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Dialect is the SQL one engine needs for reconciliation.
type Dialect interface {
	Engine() sqlconn.Engine
	// Quote quotes one identifier; it never fails, whatever the name holds.
	Quote(ident string) string
	// QuoteTable quotes a table found by Describe.
	QuoteTable(ref cdcops.TableRef) string
	// Describe finds a table in the catalog: a missing table is ENOTFOUND.
	Describe(ctx context.Context, q Querier, ref cdcops.TableRef) (*Table, error)
	// Canon is the SQL text expression of a column in format f (NULL stays NULL).
	Canon(col Column, f Format) string
	// Row is the length-prefixed encoding of canonical texts: each field is
	// "<bytes>:<text>" or "N" for NULL, concatenated with no separator.
	// fixed[i] > 0 says field i always renders to that many bytes (see
	// FixedLen), so its length need not be computed.
	Row(canons []string, fixed []int) string
	// KeyOrder is the expression a key column is ordered and ranged by:
	// the raw column for numbers, the canonical text in binary collation else.
	KeyOrder(col Column, f Format) string
	// Param is the i-th (1-based) bind parameter, cast for a key column.
	Param(i int, col Column, f Format) string
	// Checksum returns a query giving count, sum of high and sum of low
	// signed 64-bit halves of md5(row) over the rows of from+where.
	Checksum(row, from, where string) string
	// GroupChecksum is Checksum per value of group: rows of (group, count,
	// sum high, sum low).
	GroupChecksum(group, row, from, where string) string
	// BucketExpr maps a scalar integer key to its range number in one
	// expression: the count of bounds (ascending) that are <= key. ok is
	// false when the engine has no such form.
	BucketExpr(key string, bounds []int64) (expr string, ok bool)
	// Snapshot prepares a connection for consistent reads and returns the
	// statements to end it.
	Snapshot(ctx context.Context, conn *sql.Conn) (end func(), err error)
	// Boundaries returns a query selecting the key texts of every step-th
	// row in key order: the balanced range boundaries.
	Boundaries(keyCanons, keyOrder []string, from, where string, step int64) string
}

// For returns the dialect of an engine.
func For(e sqlconn.Engine) (Dialect, error) {
	switch e {
	case sqlconn.Postgres:
		return Postgres{}, nil
	case sqlconn.MySQL:
		return MySQL{}, nil
	case sqlconn.SQLite:
		RegisterSQLiteFunctions()
		return SQLite{}, nil
	}
	return nil, fmt.Errorf("no reconcile dialect for engine %q", e)
}

func notFound(ref cdcops.TableRef, where string) error {
	return cdcops.Errorf(cdcops.ENOTFOUND, "check the table name and the DSN's database; names are matched exactly, then case-insensitively",
		"table %s not found in %s", ref, where)
}

// tsLen is the length of a canonical timestamp at d fractional digits.
func tsLen(d int) int {
	if d <= 0 {
		return 19
	}
	return 20 + d
}

func join(parts []string, sep string) string { return strings.Join(parts, sep) }

// FixedLen is the byte length every non-NULL value of format f renders
// to, or 0 when it varies: booleans, dates and timestamps (years
// 0001–9999, the range every engine here shares).
func FixedLen(f Format) int {
	switch f.Class {
	case ClassBool:
		return 1
	case ClassDate:
		return 10
	case ClassTimestamp:
		return tsLen(f.TSDigits)
	}
	return 0
}
