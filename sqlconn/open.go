package sqlconn

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/cdcops/cdcops"
)

// Engine names a SQL engine family.
type Engine string

const (
	Postgres Engine = "postgres"
	MySQL    Engine = "mysql" // MariaDB and MySQL
	SQLite   Engine = "sqlite"
)

// DB is an open database with the engine it speaks.
type DB struct {
	*sql.DB
	Engine Engine
	// Name is the DSN with its password redacted, safe to print.
	Name string
}

// EngineOf returns the engine a DSN names, from its scheme.
func EngineOf(dsn string) (Engine, error) {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok {
		return "", badDSN(dsn)
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return Postgres, nil
	case "mysql", "mariadb":
		return MySQL, nil
	case "sqlite", "sqlite3", "file":
		return SQLite, nil
	}
	return "", badDSN(dsn)
}

func badDSN(dsn string) error {
	return cdcops.Errorf(cdcops.EINVALID,
		"use postgres://user@host:5432/db, mysql://user:pass@host:3306/db or sqlite://path/to/file.db",
		"unsupported database DSN %q", cdcops.RedactDSN(dsn))
}

// Open opens dsn and checks the server answers within ctx.
func Open(ctx context.Context, dsn string) (*DB, error) { return OpenWith(ctx, dsn, Options{}) }

// Options tune how Open reaches a server.
type Options struct {
	// Dial, when set, makes the network connections of PostgreSQL and
	// MySQL DSNs (e.g. to count the bytes they move); SQLite ignores it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ReadOnly is for readers that must change nothing (reconcile): a
	// SQLite file must exist and opens in SQLite's read-only mode, and a
	// MySQL connection refuses several statements in one query, so text
	// spliced into a query (--where) cannot smuggle in a DROP — DDL would
	// commit the READ ONLY transaction implicitly. PostgreSQL's extended
	// protocol already refuses a second statement.
	ReadOnly bool
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, o Options) (*DB, error) {
	engine, err := EngineOf(dsn)
	if err != nil {
		return nil, err
	}
	if engine == SQLite && o.ReadOnly {
		return openSQLiteReadOnly(ctx, dsn)
	}
	var db *sql.DB
	switch engine {
	case Postgres:
		cfg, perr := pgx.ParseConfig(dsn)
		if perr != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, "check the postgres:// DSN", "parse DSN %s: %v", cdcops.RedactDSN(dsn), cdcops.RedactDSN(perr.Error()))
		}
		// On a timeout or Ctrl-C send PostgreSQL a cancel request, so the
		// query stops on the server (pgx's default only drops the socket).
		cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
		}
		if o.Dial != nil {
			cfg.DialFunc = o.Dial
		}
		db = stdlib.OpenDB(*cfg)
	case MySQL:
		driverDSN, derr := MySQLDriverDSN(dsn)
		if derr != nil {
			return nil, derr
		}
		cfg, perr := mysql.ParseDSN(driverDSN)
		if perr != nil {
			return nil, badDSN(dsn)
		}
		if o.Dial != nil {
			cfg.DialFunc = o.Dial
		}
		cfg.MultiStatements = !o.ReadOnly
		conn, cerr := mysql.NewConnector(cfg)
		if cerr != nil {
			return nil, badDSN(dsn)
		}
		db = sql.OpenDB(killConnector{base: conn})
	case SQLite:
		db, err = sql.Open("sqlite", SQLitePath(dsn)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		if err == nil {
			db.SetMaxOpenConns(1) // one writer; avoids SQLITE_BUSY between our own connections
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cdcops.RedactDSN(dsn), err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "check that the database is running and the DSN's host, port, user and database are right",
			"connect to %s: %s", cdcops.RedactDSN(dsn), oneLine(cdcops.RedactDSN(err.Error())))
	}
	return &DB{DB: db, Engine: engine, Name: cdcops.RedactDSN(dsn)}, nil
}

// oneLine folds a driver's multi-line error (pgx lists every address it
// tried on its own line) into one line, so the CLI prints one error line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// SQLitePath returns the file path of a sqlite:// DSN.
func SQLitePath(dsn string) string {
	_, rest, _ := strings.Cut(dsn, "://")
	return rest
}

// MySQLDriverDSN turns mysql://user:pass@host:port/db?params into
// go-sql-driver's user:pass@tcp(host:port)/db?params.
func MySQLDriverDSN(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "", badDSN(dsn)
	}
	cfg := mysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr += ":3306"
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.Params = map[string]string{}
	for k, vs := range u.Query() {
		cfg.Params[k] = vs[len(vs)-1]
	}
	cfg.InterpolateParams = true
	cfg.MultiStatements = true
	cfg.AllowNativePasswords = true
	return cfg.FormatDSN(), nil
}
