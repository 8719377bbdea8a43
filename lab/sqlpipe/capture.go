package sqlpipe

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops/sqlconn"
)

// Change is one captured row change. Before/After are the row images as
// JSON objects (nil when absent: no before on insert, no after on delete).
type Change struct {
	Pos    int64
	Table  string
	Op     string // c, u, d; r for snapshot reads
	Before json.RawMessage
	After  json.RawMessage
	TsMs   int64
}

// Install creates the changelog table and the capture triggers on tables
// (idempotent: triggers are replaced, so a changed column list is picked
// up). It returns the tables' descriptions.
func Install(ctx context.Context, db *sqlconn.DB, tables []string) ([]TableInfo, error) {
	infos := make([]TableInfo, 0, len(tables))
	for _, t := range tables {
		ti, err := describe(ctx, db, t)
		if err != nil {
			return nil, err
		}
		infos = append(infos, ti)
	}
	var stmts []string
	switch db.Engine {
	case sqlconn.Postgres:
		stmts = append(stmts, `CREATE TABLE IF NOT EXISTS `+ChangelogTable+` (pos BIGSERIAL PRIMARY KEY, tbl TEXT NOT NULL, op CHAR(1) NOT NULL, before TEXT, after TEXT, ts_ms BIGINT NOT NULL)`,
			`CREATE OR REPLACE FUNCTION cdcops_capture() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO `+ChangelogTable+` (tbl, op, before, after, ts_ms) VALUES (TG_TABLE_NAME, 'c', NULL, row_to_json(NEW)::text, `+nowMillis(db.Engine)+`);
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO `+ChangelogTable+` (tbl, op, before, after, ts_ms) VALUES (TG_TABLE_NAME, 'u', row_to_json(OLD)::text, row_to_json(NEW)::text, `+nowMillis(db.Engine)+`);
  ELSE
    INSERT INTO `+ChangelogTable+` (tbl, op, before, after, ts_ms) VALUES (TG_TABLE_NAME, 'd', row_to_json(OLD)::text, NULL, `+nowMillis(db.Engine)+`);
  END IF;
  RETURN NULL;
END $f$`)
		for _, ti := range infos {
			trg := quote(db.Engine, "cdcops_capture_"+ti.Name)
			stmts = append(stmts, `CREATE OR REPLACE TRIGGER `+trg+` AFTER INSERT OR UPDATE OR DELETE ON `+quote(db.Engine, ti.Name)+` FOR EACH ROW EXECUTE FUNCTION cdcops_capture()`)
		}
	case sqlconn.MySQL:
		stmts = append(stmts, `CREATE TABLE IF NOT EXISTS `+ChangelogTable+` (pos BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, tbl VARCHAR(64) NOT NULL, op CHAR(1) NOT NULL, `+"`before`"+` LONGTEXT, `+"`after`"+` LONGTEXT, ts_ms BIGINT NOT NULL) ENGINE=InnoDB`)
		stmts = append(stmts, triggerStmts(db.Engine, infos)...)
	default:
		stmts = append(stmts, `CREATE TABLE IF NOT EXISTS `+ChangelogTable+` (pos INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL, before TEXT, after TEXT, ts_ms INTEGER NOT NULL)`)
		stmts = append(stmts, triggerStmts(db.Engine, infos)...)
	}
	// Triggers are replaced atomically (CREATE OR REPLACE; SQLite: one
	// transaction), so a restarting source never leaves a window in which
	// changes are not captured.
	if err := execAtomically(ctx, db, stmts); err != nil {
		return nil, fmt.Errorf("install change capture in %s: %w", db.Name, err)
	}
	return infos, nil
}

// execAtomically runs stmts in one transaction. SQLite's starts with
// BEGIN IMMEDIATE: a deferred transaction that reads the schema and then
// writes fails with SQLITE_BUSY when another connection wrote in between,
// instead of waiting for the lock.
func execAtomically(ctx context.Context, db *sqlconn.DB, stmts []string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	begin := "BEGIN"
	if db.Engine == sqlconn.SQLite {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// triggerStmts builds per-table row triggers for MariaDB and SQLite, which
// have no generic row-to-JSON; the column list is spelled out.
func triggerStmts(e sqlconn.Engine, infos []TableInfo) []string {
	var out []string
	ins := func(op, before, after string) string {
		return "INSERT INTO " + ChangelogTable + " (tbl, op, " + quote(e, "before") + ", " + quote(e, "after") + ", ts_ms) VALUES ('%s', '" + op + "', " + before + ", " + after + ", " + nowMillis(e) + ")"
	}
	for _, ti := range infos {
		for _, ev := range []struct{ suffix, event, op, before, after string }{
			{"ins", "INSERT", "c", "NULL", rowJSON(e, ti, "NEW")},
			{"upd", "UPDATE", "u", rowJSON(e, ti, "OLD"), rowJSON(e, ti, "NEW")},
			{"del", "DELETE", "d", rowJSON(e, ti, "OLD"), "NULL"},
		} {
			name := quote(e, "cdcops_"+ti.Name+"_"+ev.suffix)
			body := fmt.Sprintf(ins(ev.op, ev.before, ev.after), ti.Name)
			if e == sqlconn.MySQL {
				out = append(out, "CREATE OR REPLACE TRIGGER "+name+" AFTER "+ev.event+" ON "+quote(e, ti.Name)+" FOR EACH ROW "+body)
			} else {
				// SQLite has no CREATE OR REPLACE TRIGGER; Install runs
				// these in one transaction so no change slips between them.
				out = append(out, "DROP TRIGGER IF EXISTS "+name,
					"CREATE TRIGGER "+name+" AFTER "+ev.event+" ON "+quote(e, ti.Name)+" FOR EACH ROW BEGIN "+body+"; END")
			}
		}
	}
	return out
}

// MaxPos is the newest position in the changelog (0 when empty).
func MaxPos(ctx context.Context, db *sqlconn.DB) (int64, error) {
	var p sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(pos) FROM "+ChangelogTable).Scan(&p); err != nil {
		return 0, fmt.Errorf("read changelog position: %w", err)
	}
	return p.Int64, nil
}

// ReadChanges returns up to limit changes with pos > after, in pos order,
// restricted to tables (all when empty).
func ReadChanges(ctx context.Context, db *sqlconn.DB, after int64, limit int, tables []string) ([]Change, error) {
	e := db.Engine
	q := "SELECT pos, tbl, op, " + quote(e, "before") + ", " + quote(e, "after") + ", ts_ms FROM " + ChangelogTable + " WHERE pos > " + ph(e, 1)
	args := []any{after}
	if len(tables) > 0 {
		marks := make([]string, len(tables))
		for i, t := range tables {
			marks[i] = ph(e, i+2)
			args = append(args, t)
		}
		q += " AND tbl IN (" + strings.Join(marks, ", ") + ")"
	}
	q += fmt.Sprintf(" ORDER BY pos LIMIT %d", limit)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read changelog: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var before, after sql.NullString
		if err := rows.Scan(&c.Pos, &c.Table, &c.Op, &before, &after, &c.TsMs); err != nil {
			return nil, fmt.Errorf("read changelog: %w", err)
		}
		c.Before, c.After = rawJSON(before), rawJSON(after)
		out = append(out, c)
	}
	return out, rows.Err()
}

func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}

// SnapshotTable reads every row of a table as a JSON image, in key order.
func SnapshotTable(ctx context.Context, db *sqlconn.DB, ti TableInfo) ([]json.RawMessage, error) {
	keys := make([]string, len(ti.Key))
	for i, k := range ti.Key {
		keys[i] = "t." + quote(db.Engine, k)
	}
	q := "SELECT " + rowJSON(db.Engine, ti, "t") + " FROM " + quote(db.Engine, ti.Name) + " t ORDER BY " + strings.Join(keys, ", ")
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", ti.Name, err)
	}
	defer rows.Close()
	var out []json.RawMessage
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", ti.Name, err)
		}
		out = append(out, json.RawMessage(s))
	}
	return out, rows.Err()
}
