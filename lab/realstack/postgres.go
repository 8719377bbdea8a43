package realstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/cdcops/cdcops/sqlconn"
)

// PostgresOptions configure StartPostgres.
type PostgresOptions struct {
	Dir  string // the cluster goes into Dir/data, its log into Dir/postgres.log (required)
	Port int    // 0 = a free port
}

// Postgres is a private PostgreSQL cluster for Debezium: wal_level=logical,
// trust auth for user postgres on 127.0.0.1, no durability (a test bed).
type Postgres struct {
	port int
	p    *proc
}

const pgHint = "install PostgreSQL server binaries (apt-get install -y postgresql)"

// StartPostgres runs initdb (first time) and postgres on 127.0.0.1, ready
// once SELECT 1 answers. As root the server runs as user postgres.
func StartPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	e, err := preparePostgres(o, "initdb")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(e.data, "PG_VERSION")); err != nil {
		cmd := exec.Command(e.tool, "-D", e.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
		asUser(cmd, e.su)
		if _, err := runTool(ctx, "initdb", cmd, e.log); err != nil {
			return nil, err
		}
	}
	return runPostgres(ctx, e)
}

// pgEnv is what a server start needs: the tool that fills the data dir
// (initdb, pg_basebackup), the server binary next to it, the user it runs
// as, its data dir, port and log.
type pgEnv struct {
	tool, postgres, data, log string
	port                      int
	su                        *serverUser
}

func preparePostgres(o PostgresOptions, tool string) (pgEnv, error) {
	var e pgEnv
	var err error
	if e.tool, err = findBinary(tool, "/usr/lib/postgresql/*/bin"); err != nil {
		return e, fmt.Errorf("%v: %s", err, pgHint)
	}
	if e.postgres, err = findBinary("postgres", filepath.Dir(e.tool)); err != nil {
		return e, fmt.Errorf("%v: %s", err, pgHint)
	}
	if e.su, err = lookupServerUser("postgres"); err != nil {
		return e, err
	}
	if e.data, err = prepareDataDir(o.Dir, "data", e.su); err != nil {
		return e, err
	}
	if e.port, err = portOr(o.Port); err != nil {
		return e, err
	}
	e.log = filepath.Join(o.Dir, "postgres.log")
	return e, nil
}

// runPostgres starts the server on a prepared data dir (a new cluster or a
// base backup) and waits until it answers.
func runPostgres(ctx context.Context, e pgEnv) (*Postgres, error) {
	postgres, data, port, log, su := e.postgres, e.data, e.port, e.log, e.su
	cmd := exec.Command(postgres, "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+data,
		"-c", "wal_level=logical",
		"-c", "max_wal_senders=10",
		"-c", "max_replication_slots=10",
		"-c", "shared_buffers=32MB",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off")
	asUser(cmd, su)
	p, err := startProc("postgres", cmd, log)
	if err != nil {
		return nil, err
	}
	p.term = syscall.SIGINT // fast shutdown: SIGTERM would wait for Debezium's connections
	pg := &Postgres{port: port, p: p}
	if err := waitReady(ctx, p, 60*time.Second, "postgres", pg.ping); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return pg, nil
}

func (pg *Postgres) ping(ctx context.Context) error {
	db, err := sqlconn.Open(ctx, pg.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

// Port is the TCP port on 127.0.0.1.
func (pg *Postgres) Port() int { return pg.port }

// DSN is the postgres:// DSN of the postgres database (user postgres, no password).
func (pg *Postgres) DSN() string { return pg.DSNFor("postgres") }

// DSNFor is the DSN of database db on this cluster.
func (pg *Postgres) DSNFor(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, db)
}

// JDBCURL is the JDBC URL of database db, for the Debezium JDBC sink.
func (pg *Postgres) JDBCURL(db string) string {
	return fmt.Sprintf("jdbc:postgresql://127.0.0.1:%d/%s", pg.port, db)
}

// CreateDatabase creates database name and returns its DSN.
func (pg *Postgres) CreateDatabase(ctx context.Context, name string) (string, error) {
	return pg.createDatabase(ctx, name, false)
}

// EnsureDatabase is CreateDatabase that keeps an existing database.
func (pg *Postgres) EnsureDatabase(ctx context.Context, name string) (string, error) {
	return pg.createDatabase(ctx, name, true)
}

func (pg *Postgres) createDatabase(ctx context.Context, name string, keep bool) (string, error) {
	db, err := sqlconn.Open(ctx, pg.DSN())
	if err != nil {
		return "", err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 && keep {
		return pg.DSNFor(name), nil
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return pg.DSNFor(name), nil
}

// PID is the postmaster's process id (also its process group).
func (pg *Postgres) PID() int { return pg.p.cmd.Process.Pid }

// Close stops the server (fast shutdown; SIGKILL after 10s).
func (pg *Postgres) Close() error {
	pg.p.stop(10 * time.Second)
	return nil
}
