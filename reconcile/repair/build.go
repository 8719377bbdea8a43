package repair

import (
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
	"github.com/cdcops/cdcops/reconcile/dialect"
	"github.com/cdcops/cdcops/sqlconn"
)

// builder turns fresh differences into statements and their rollback.
type builder struct {
	f      *Fix
	w      dialect.Writer
	tbl    *dialect.Table
	cols   []column
	pre    map[string]native
	upsert bool
}

// batch builds one transaction and its rollback from up to BatchSize
// differences: deletes, then updates, then inserts (or one upsert).
func (b *builder) batch(diffs []reconcile.Difference) error {
	var fwdDel, fwdUpd, fwdIns []Stmt
	var backIns, backUpd, backDel []Stmt
	var delWhere []string
	var insRows, delRestore []string
	for _, d := range diffs {
		switch d.Kind {
		case reconcile.Missing:
			insRows = append(insRows, b.canonRow(d.Source))
			backIns = append(backIns, Stmt{SQL: "DELETE FROM " + b.f.SinkTable + " WHERE " + b.canonWhere(d.Key), Rows: 1, Kind: "delete"})
			b.f.Inserts++
		case reconcile.Changed:
			n, err := b.preImage(d)
			if err != nil {
				return err
			}
			where := b.nativeWhere(n)
			var set, undo []string
			for _, c := range b.cols {
				if c.key {
					continue
				}
				if _, differs := d.Columns[c.name]; !differs && !b.upsert {
					continue
				}
				set = append(set, b.w.Quote(c.sink.Name)+" = "+b.w.Literal(c.sink, c.class, d.Source[c.name]))
				undo = append(undo, b.w.Quote(c.sink.Name)+" = "+b.w.NativeLiteral(c.sink, n[c.sink.Name]))
			}
			if b.upsert {
				insRows = append(insRows, b.canonRow(d.Source))
			} else {
				fwdUpd = append(fwdUpd, Stmt{SQL: "UPDATE " + b.f.SinkTable + " SET " + strings.Join(set, ", ") + " WHERE " + where, Rows: 1, Kind: "update"})
			}
			backUpd = append(backUpd, Stmt{SQL: "UPDATE " + b.f.SinkTable + " SET " + strings.Join(undo, ", ") + " WHERE " + where, Rows: 1, Kind: "restore"})
			b.f.Updates++
		case reconcile.Extra:
			n, err := b.preImage(d)
			if err != nil {
				return err
			}
			where := b.nativeWhere(n)
			delWhere = append(delWhere, where)
			backDel = append(backDel, Stmt{SQL: "DELETE FROM " + b.f.SinkTable + " WHERE " + where, Rows: 0, Kind: "restore"})
			delRestore = append(delRestore, b.nativeRow(n))
			b.f.Deletes++
		}
	}
	if len(delWhere) > 0 {
		fwdDel = append(fwdDel, Stmt{SQL: "DELETE FROM " + b.f.SinkTable + " WHERE " + orList(delWhere), Rows: int64(len(delWhere)), Kind: "delete"})
	}
	if len(insRows) > 0 {
		st := Stmt{SQL: b.insertInto(b.compared()) + strings.Join(insRows, ",\n  "), Rows: int64(len(insRows)), Kind: "insert"}
		if b.upsert {
			st.SQL += "\n" + b.w.Upsert(b.quoted(true), b.quoted(false))
			st.Kind = "upsert"
		}
		fwdIns = append(fwdIns, st)
	}
	if len(delRestore) > 0 {
		all := make([]string, len(b.tbl.Columns))
		for i, c := range b.tbl.Columns {
			all[i] = c.Name
		}
		backDel = append(backDel, Stmt{SQL: b.insertInto(all) + strings.Join(delRestore, ",\n  "), Rows: int64(len(delRestore)), Kind: "restore"})
	}
	fwd := append(append(fwdDel, fwdUpd...), fwdIns...)
	if len(fwd) == 0 {
		return nil
	}
	b.f.Batches = append(b.f.Batches, Batch{Stmts: fwd})
	back := Batch{Stmts: append(append(backIns, backUpd...), backDel...)}
	b.f.Rollback = append([]Batch{back}, b.f.Rollback...)
	return nil
}

func (b *builder) preImage(d reconcile.Difference) (native, error) {
	var kv []string
	for _, c := range b.cols {
		if c.key {
			kv = append(kv, d.Key[c.name])
		}
	}
	n, ok := b.pre[keyID(kv)]
	if !ok {
		return nil, cdcops.Errorf(cdcops.ECONFLICT, "the sink changed while repair read it; run repair again",
			"sink row %v vanished before its pre-image was read", d.Key)
	}
	return n, nil
}

// compared is the sink names of the compared columns, keys first.
func (b *builder) compared() []string {
	out := make([]string, len(b.cols))
	for i, c := range b.cols {
		out[i] = c.sink.Name
	}
	return out
}

func (b *builder) quoted(keys bool) []string {
	var out []string
	for _, c := range b.cols {
		if c.key == keys {
			out = append(out, b.w.Quote(c.sink.Name))
		}
	}
	return out
}

func (b *builder) insertInto(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = b.w.Quote(n)
	}
	return "INSERT INTO " + b.f.SinkTable + " (" + strings.Join(q, ", ") + ") VALUES\n  "
}

// canonRow is the VALUES tuple of a source row, as the sink writes it.
func (b *builder) canonRow(row map[string]reconcile.Value) string {
	vals := make([]string, len(b.cols))
	for i, c := range b.cols {
		vals[i] = b.w.Literal(c.sink, c.class, row[c.name])
	}
	return "(" + strings.Join(vals, ", ") + ")"
}

// nativeRow is the VALUES tuple that restores a sink row exactly.
func (b *builder) nativeRow(n native) string {
	vals := make([]string, len(b.tbl.Columns))
	for i, c := range b.tbl.Columns {
		vals[i] = b.w.NativeLiteral(c, n[c.Name])
	}
	return "(" + strings.Join(vals, ", ") + ")"
}

// canonWhere matches a row by canonical key values (rows repair inserted).
func (b *builder) canonWhere(key map[string]string) string {
	var conds []string
	for _, c := range b.cols {
		if c.key {
			v := key[c.name]
			conds = append(conds, b.w.Quote(c.sink.Name)+" = "+b.w.Literal(c.sink, c.class, &v))
		}
	}
	return strings.Join(conds, " AND ")
}

// nativeWhere matches a sink row by its key exactly as stored, which the
// key's index serves.
func (b *builder) nativeWhere(n native) string {
	var conds []string
	for _, c := range b.cols {
		if c.key {
			conds = append(conds, b.w.Quote(c.sink.Name)+" = "+b.w.NativeLiteral(c.sink, n[c.sink.Name]))
		}
	}
	return strings.Join(conds, " AND ")
}

func orList(conds []string) string {
	if len(conds) == 1 {
		return conds[0]
	}
	return "(" + strings.Join(conds, ")\n   OR (") + ")"
}

// lenient says an engine may report fewer affected rows than matched:
// MariaDB counts only rows whose values changed, and 2 per upserted
// update.
func lenient(e sqlconn.Engine, kind string) bool {
	return e == sqlconn.MySQL && (kind == "update" || kind == "upsert" || kind == "restore")
}
