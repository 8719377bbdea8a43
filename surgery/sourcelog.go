package surgery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/sqlconn"
)

// SourceCheck says where the source database is, for the check that the
// target position still exists in its log.
type SourceCheck struct {
	DSN   string // --source; "" = derive from the connector's database.* settings
	Force bool   // --force: go on (with --reason) although the log is gone
}

// checkSourceLog asks the source database whether the planned positions
// are still in its log (PostgreSQL: the slot's restart_lsn and
// wal_status; MySQL/MariaDB: SHOW BINARY LOGS and gtid_purged). Gone
// refuses the plan (ECONFLICT, exit 3) unless Force with a reason. The
// result, and which DSN was used, go into the plan's preconditions.
func checkSourceLog(ctx context.Context, env Env, req Request, p *cdcops.Plan, cur map[string]*Current) error {
	for i := range p.Connectors {
		pc := &p.Connectors[i]
		if pc.Type == cdcops.ConnectorSink {
			continue
		}
		c := cur[pc.Name]
		k := debezium.KindOfClass(c.Class)
		if k != debezium.Postgres && k != debezium.MySQL {
			continue
		}
		dsn, from := req.Source.DSN, "--source"
		if dsn == "" {
			dsn, from = derivedDSN(k, c.Config)
		}
		name := "source log of " + pc.Name + " still holds the target"
		if dsn == "" {
			p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, OK: false, Detail: "not checked: " + from})
			continue
		}
		gone, detail, err := sourceLogGone(ctx, k, dsn, c, pc.Changes)
		via := fmt.Sprintf(" (source %s, from %s)", cdcops.RedactDSN(dsn), from)
		if err != nil {
			p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, OK: false, Detail: "not checked: " + err.Error() + via})
			continue
		}
		if gone != "" {
			if !req.Source.Force || req.Reason == "" {
				return cdcops.Errorf(cdcops.ECONFLICT, "offsets cannot bring back expired logs: restore the sink another way (re-snapshot); --force --reason overrides",
					"refusing %s of %s: %s%s", p.Kind, pc.Name, gone, via)
			}
			p.Flags = append(p.Flags, "FORCED past a missing source log: "+gone)
			p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, OK: false, Detail: "GONE, forced: " + gone + via})
			continue
		}
		p.Preconditions = append(p.Preconditions, cdcops.Check{Name: name, OK: true, Detail: detail + via})
	}
	return nil
}

// derivedDSN builds a DSN from Debezium's database.* settings; the config
// cdcops sees is redacted, so a password-protected source cannot be derived.
func derivedDSN(k debezium.Kind, cfg map[string]string) (string, string) {
	host, user := cfg["database.hostname"], cfg["database.user"]
	if host == "" || user == "" {
		return "", "no --source and the connector has no database.hostname/database.user"
	}
	if pw, ok := cfg["database.password"]; ok && pw != "" {
		return "", "the connector's database.password is not readable by cdcops (redacted); pass --source DSN"
	}
	u := url.URL{User: url.User(user), Host: host}
	switch k {
	case debezium.Postgres:
		u.Scheme, u.Path = "postgres", "/"+cfg["database.dbname"]
		if p := cfg["database.port"]; p != "" {
			u.Host += ":" + p
		}
	default:
		u.Scheme, u.Path = "mysql", "/"
		if p := cfg["database.port"]; p != "" {
			u.Host += ":" + p
		}
	}
	return u.String(), "the connector's database.* settings"
}

func sourceLogGone(ctx context.Context, k debezium.Kind, dsn string, c *Current, changes []cdcops.PlanChange) (gone, detail string, err error) {
	db, err := sqlconn.Open(ctx, dsn)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	if k == debezium.Postgres {
		return pgSlotCheck(ctx, db.DB, c, changes)
	}
	return binlogCheck(ctx, db.DB, changes)
}

func pgSlotCheck(ctx context.Context, db *sql.DB, c *Current, changes []cdcops.PlanChange) (string, string, error) {
	slot := orDefault(c.Config["slot.name"], "debezium")
	var restart, status sql.NullString
	err := db.QueryRowContext(ctx, "SELECT restart_lsn::text, wal_status FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&restart, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Sprintf("replication slot %q does not exist: Debezium would create a new one at the current WAL position, so nothing before it can be replayed", slot), "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("read slot %s: %v", slot, err)
	}
	if status.String == "lost" {
		return fmt.Sprintf("slot %q has wal_status lost: the WAL it needed was removed", slot), "", nil
	}
	r, err := debezium.ParsePGLSN(restart.String)
	if err != nil {
		return "", "", err
	}
	for _, ch := range changes {
		o := objOrNil(ch.After)
		v, _ := o.Get("lsn")
		lsn, ok := v.(int64)
		if !ok {
			continue
		}
		if lsn < r {
			return fmt.Sprintf("target LSN %s is older than slot %q restart_lsn %s (%d bytes): that WAL may already be recycled", debezium.PGLSN(lsn), slot, restart.String, r-lsn), "", nil
		}
	}
	return "", fmt.Sprintf("slot %q restart_lsn %s, wal_status %s: target not older", slot, restart.String, status.String), nil
}

func binlogCheck(ctx context.Context, db *sql.DB, changes []cdcops.PlanChange) (string, string, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return "", "", fmt.Errorf("SHOW BINARY LOGS: %v", err)
	}
	files := map[string]bool{}
	var list []string
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return "", "", err
		}
		name := fmt.Sprintf("%s", vals[0])
		files[name] = true
		list = append(list, name)
	}
	rows.Close()
	var purged sql.NullString
	// MySQL has gtid_purged; MariaDB has no such variable (its GTIDs are
	// checked through the binlog files that hold them).
	_ = db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_purged").Scan(&purged)
	for _, ch := range changes {
		o := objOrNil(ch.After)
		if f, ok := o.Get("file"); ok {
			if s, _ := f.(string); s != "" && !files[s] {
				return fmt.Sprintf("binlog %s is no longer on the server (SHOW BINARY LOGS has %s): it was purged", s, strings.Join(list, ", ")), "", nil
			}
		}
		if g, ok := o.Get("gtids"); ok && purged.String != "" {
			target, err1 := debezium.ParseGTIDSet(fmt.Sprint(g))
			p, err2 := debezium.ParseGTIDSet(purged.String)
			if err1 == nil && err2 == nil {
				if missing := p.Subtract(target); len(missing) > 0 {
					return fmt.Sprintf("GTIDs %s are purged but not in the target set: the connector would need them", missing), "", nil
				}
			}
		}
	}
	return "", fmt.Sprintf("binlogs %s present", strings.Join(list, ", ")), nil
}
