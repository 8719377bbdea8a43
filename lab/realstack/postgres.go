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
	globs := []string{"/usr/lib/postgresql/*/bin"}
	initdb, err := findBinary("initdb", globs...)
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, pgHint)
	}
	postgres, err := findBinary("postgres", filepath.Dir(initdb))
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, pgHint)
	}
	su, err := lookupServerUser("postgres")
	if err != nil {
		return nil, err
	}
	data, err := prepareDataDir(o.Dir, "data", su)
	if err != nil {
		return nil, err
	}
	port, err := portOr(o.Port)
	if err != nil {
		return nil, err
	}
	log := filepath.Join(o.Dir, "postgres.log")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		cmd := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
		asUser(cmd, su)
		if _, err := runTool(ctx, "initdb", cmd, log); err != nil {
			return nil, err
		}
	}
	return runPostgres(ctx, postgres, data, port, log, su)
}

// runPostgres starts the server on a prepared data dir (a new cluster or a
// base backup) and waits until it answers.
func runPostgres(ctx context.Context, postgres, data string, port int, log string, su *serverUser) (*Postgres, error) {
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
