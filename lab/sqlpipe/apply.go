package sqlpipe

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops/sqlconn"
)

// Item is one decoded event bound for a sink table.
type Item struct {
	Table string
	Event Decoded
	// Index is the caller's index of the record, returned in Failures.
	Index int
}

// Failure is an item the sink database refused.
type Failure struct {
	Index int
	Err   error
}

// Applier applies change events to sink tables idempotently: upsert by
// key for c/u/r, delete by key for d and tombstones.
type Applier struct {
	db  *sqlconn.DB
	sql map[string]string // cached statements by table+columns
}

// NewApplier applies to db.
func NewApplier(db *sqlconn.DB) *Applier { return &Applier{db: db, sql: map[string]string{}} }

// Apply applies items in one transaction. Only the last event per key
// matters (every event carries the full row), so earlier ones are
// skipped. If the transaction fails, items are retried one by one and the
// ones the database refuses come back as failures; err is set only when
// the database itself is unusable.
func (a *Applier) Apply(ctx context.Context, items []Item) ([]Failure, error) {
	items = lastPerKey(items)
	if len(items) == 0 {
		return nil, nil
	}
	if err := a.applyTx(ctx, items); err == nil {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var failed []Failure
	for _, it := range items {
		if err := a.applyTx(ctx, []Item{it}); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			failed = append(failed, Failure{Index: it.Index, Err: err})
		}
	}
	if len(failed) == len(items) {
		if err := a.db.PingContext(ctx); err != nil {
			return nil, fmt.Errorf("sink database %s: %w", a.db.Name, err)
		}
	}
	return failed, nil
}

func (a *Applier) applyTx(ctx context.Context, items []Item) error {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for _, it := range items {
		q, args, err := a.statement(it)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("apply %s to %s (%s): %w", it.Event.Op, it.Table, keyString(it.Event.Key), err)
		}
	}
	return tx.Commit()
}

func (a *Applier) statement(it Item) (string, []any, error) {
	e := a.db.Engine
	if err := checkIdent("table", it.Table); err != nil {
		return "", nil, err
	}
	cols := it.Event.After
	if it.Event.Op == "d" {
		cols = nil
	}
	var sig strings.Builder
	sig.WriteString(it.Table)
	sig.WriteString(it.Event.Op)
	for _, c := range it.Event.Key {
		sig.WriteString("|k:" + c.Name)
	}
	for _, c := range cols {
		sig.WriteString("|" + c.Name)
	}
	args := make([]any, 0, len(cols)+len(it.Event.Key))
	if cols == nil {
		for _, c := range it.Event.Key {
			args = append(args, c.Value)
		}
	} else {
		for _, c := range cols {
			args = append(args, c.Value)
		}
	}
	if q, ok := a.sql[sig.String()]; ok {
		return q, args, nil
	}
	for _, c := range append(append([]Column{}, it.Event.Key...), cols...) {
		if err := checkIdent("column", c.Name); err != nil {
			return "", nil, err
		}
	}
	t := quote(e, it.Table)
	var q string
	if cols == nil {
		conds := make([]string, len(it.Event.Key))
		for i, c := range it.Event.Key {
			conds[i] = quote(e, c.Name) + " = " + ph(e, i+1)
		}
		q = "DELETE FROM " + t + " WHERE " + strings.Join(conds, " AND ")
	} else {
		isKey := map[string]bool{}
		var keyNames []string
		for _, c := range it.Event.Key {
			isKey[c.Name] = true
			keyNames = append(keyNames, quote(e, c.Name))
		}
		names, marks, sets := make([]string, len(cols)), make([]string, len(cols)), []string{}
		for i, c := range cols {
			names[i], marks[i] = quote(e, c.Name), ph(e, i+1)
			if isKey[c.Name] {
				continue
			}
			if e == sqlconn.MySQL {
				sets = append(sets, names[i]+" = VALUES("+names[i]+")")
			} else {
				sets = append(sets, names[i]+" = excluded."+names[i])
			}
		}
		q = "INSERT INTO " + t + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
		switch {
		case e == sqlconn.MySQL && len(sets) == 0:
			q += " ON DUPLICATE KEY UPDATE " + names[0] + " = " + names[0]
		case e == sqlconn.MySQL:
			q += " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
		case len(sets) == 0:
			q += " ON CONFLICT (" + strings.Join(keyNames, ", ") + ") DO NOTHING"
		default:
			q += " ON CONFLICT (" + strings.Join(keyNames, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
		}
	}
	a.sql[sig.String()] = q
	return q, args, nil
}

// lastPerKey keeps the last item per table and key, in batch order.
func lastPerKey(items []Item) []Item {
	last := make(map[string]int, len(items))
	for i, it := range items {
		last[it.Table+"\x00"+keyString(it.Event.Key)] = i
	}
	if len(last) == len(items) {
		return items
	}
	out := make([]Item, 0, len(last))
	for i, it := range items {
		if last[it.Table+"\x00"+keyString(it.Event.Key)] == i {
			out = append(out, it)
		}
	}
	return out
}
