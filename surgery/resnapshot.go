package surgery

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/sqlconn"
)

// resnapshot names, for a reset of a source whose database can be
// reached, the tables the connector snapshots again and their rows
// (the planner's estimate unless ExactCounts), in the plan and its flag.
func resnapshot(ctx context.Context, env Env, req Request, p *cdcops.Plan, cur map[string]*Current) {
	for _, pc := range p.Connectors {
		c := cur[pc.Name]
		if pc.Type != cdcops.ConnectorSource || c == nil {
			continue
		}
		name := "tables " + pc.Name + " re-snapshots"
		mode := strings.ToLower(orDefault(c.Config["snapshot.mode"], "initial"))
		if mode == "never" || mode == "no_data" || mode == "schema_only" || mode == "recovery" {
			p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, OK: true, Detail: "none: snapshot.mode " + mode + " reads no rows"})
			continue
		}
		dsn, from := sourceDSN(req, c)
		if dsn == "" {
			p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, Detail: "not counted: " + from})
			continue
		}
		via := fmt.Sprintf(" (source %s, from %s)", cdcops.RedactDSN(dsn), from)
		rows, err := tableRows(ctx, dsn, c.Config, req.ExactCounts)
		if err != nil {
			p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, Detail: "not counted: " + cdcops.RedactDSN(err.Error()) + via})
			continue
		}
		p.Resnapshot = append(p.Resnapshot, rows...)
		sum := summarize(rows)
		p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, OK: true, Detail: sum + via})
		for i, f := range p.Flags {
			if strings.HasPrefix(f, "reset of "+pc.Name+" ") {
				p.Flags[i] = f + "; it re-reads " + sum
			}
		}
	}
}

// sourceDSN is --source, else the lab's database.url (when it holds no
// secret), else one derived from Debezium's database.* settings.
func sourceDSN(req Request, c *Current) (string, string) {
	if req.Source.DSN != "" {
		return req.Source.DSN, "--source"
	}
	if u := c.Config["database.url"]; u != "" && cdcops.RedactDSN(u) == u {
		return u, "the connector's database.url"
	}
	k := debezium.KindOfClass(effectiveClass(c))
	if k != debezium.Postgres && k != debezium.MySQL {
		return "", "no --source, and the connector's database is not known"
	}
	return derivedDSN(k, c.Config)
}

func summarize(rows []cdcops.TableRows) string {
	if len(rows) == 0 {
		return "no table: none matches the connector's include lists"
	}
	var total int64
	est := false
	parts := make([]string, len(rows))
	for i, r := range rows {
		total += r.Rows
		est = est || r.Estimate
		parts[i] = fmt.Sprintf("%s %d", r.Table, r.Rows)
	}
	kind := "count(*)"
	if est {
		kind = "estimate"
	}
	return fmt.Sprintf("%d table(s), %d rows (%s): %s", len(rows), total, kind, strings.Join(parts, ", "))
}

// tableRows lists the tables the connector captures with their rows:
// pg_class.reltuples / information_schema.TABLES.TABLE_ROWS as estimates
// (count(*) where PostgreSQL has none yet, or with exact), SQLite count(*).
func tableRows(ctx context.Context, dsn string, cfg map[string]string, exact bool) ([]cdcops.TableRows, error) {
	db, err := sqlconn.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var q string
	switch db.Engine {
	case sqlconn.Postgres:
		q = `SELECT n.nspname, c.relname, c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`
	case sqlconn.MySQL:
		q = `SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_ROWS, -1) FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'
AND (TABLE_SCHEMA = DATABASE() OR DATABASE() IS NULL AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')) ORDER BY 1, 2`
	default:
		q = `SELECT 'main', name, -1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 2`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	type tbl struct {
		schema, name string
		n            int64
	}
	var ts []tbl
	for rows.Next() {
		var t tbl
		if err := rows.Scan(&t.schema, &t.name, &t.n); err != nil {
			rows.Close()
			return nil, err
		}
		if captured(cfg, t.schema, t.name) {
			ts = append(ts, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]cdcops.TableRows, 0, len(ts))
	for _, t := range ts {
		r := cdcops.TableRows{Table: t.schema + "." + t.name, Rows: t.n, Estimate: true}
		if exact || t.n < 0 {
			q := "SELECT count(*) FROM " + quoteIdent(db.Engine, t.schema) + "." + quoteIdent(db.Engine, t.name)
			if err := db.QueryRowContext(ctx, q).Scan(&r.Rows); err != nil {
				return nil, fmt.Errorf("count %s: %w", r.Table, err)
			}
			r.Estimate = false
		}
		out = append(out, r)
	}
	return out, nil
}

// captured applies Debezium's table.include.list / table.exclude.list
// (regexes matched against the whole schema.table id, case-insensitively)
// and database/schema include lists; the lab's include list also names
// bare tables.
func captured(cfg map[string]string, schema, table string) bool {
	id := schema + "." + table
	match := func(list string, s ...string) bool {
		for _, pat := range strings.Split(list, ",") {
			pat = strings.TrimSpace(pat)
			if pat == "" {
				continue
			}
			re, err := regexp.Compile("(?i)^(?:" + pat + ")$")
			if err != nil {
				continue
			}
			for _, x := range s {
				if re.MatchString(x) {
					return true
				}
			}
		}
		return false
	}
	for _, k := range []string{"database.include.list", "schema.include.list"} {
		if l := cfg[k]; strings.TrimSpace(l) != "" && !match(l, schema) {
			return false
		}
	}
	if l := cfg["table.include.list"]; strings.TrimSpace(l) != "" && !match(l, id, table) {
		return false
	}
	return !match(cfg["table.exclude.list"], id, table)
}

func quoteIdent(e sqlconn.Engine, s string) string {
	if e == sqlconn.MySQL {
		return "`" + strings.ReplaceAll(s, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
