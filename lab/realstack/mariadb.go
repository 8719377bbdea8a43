package realstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cdcops/cdcops/sqlconn"
)

// MariaDBOptions configure StartMariaDB.
type MariaDBOptions struct {
	Dir      string // the server's files go into Dir/data, its log into Dir/mariadb.log (required)
	Port     int    // 0 = a free port
	ServerID int    // server_id; default 1
}

// MariaDB is a private MariaDB server for Debezium: row binlog with FULL
// row image and GTIDs, root without a password on 127.0.0.1, and a
// replication user for the connector (DebeziumUser / DebeziumPassword).
type MariaDB struct {
	port int
	p    *proc
}

// The connector's account. A lab password, not a secret, but DSNs that
// carry it are still printed redacted.
const (
	DebeziumUser     = "debezium"
	DebeziumPassword = "dbz"
)

const mariadbHint = "install MariaDB server (apt-get install -y mariadb-server)"

// StartMariaDB runs mariadb-install-db (first time) and mariadbd on
// 127.0.0.1, ready once SELECT 1 answers, and creates the Debezium user.
// As root the server runs as user mysql. Socket and pid file stay inside
// the data dir: mariadbd aborts when it cannot write them.
func StartMariaDB(ctx context.Context, o MariaDBOptions) (*MariaDB, error) {
	mariadbd, err := findBinary("mariadbd", "/usr/sbin")
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, mariadbHint)
	}
	installDB, err := findBinary("mariadb-install-db")
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, mariadbHint)
	}
	if o.ServerID == 0 {
		o.ServerID = 1
	}
	su, err := lookupServerUser("mysql")
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
	log := filepath.Join(o.Dir, "mariadb.log")
	// As root both run as mysql through the kernel (not --user=mysql):
	// mariadbd's own setuid would clear the parent-death signal that kills
	// it should cdcops die without a Close.
	if _, err := os.Stat(filepath.Join(data, "mysql")); err != nil {
		cmd := exec.Command(installDB, "--no-defaults", "--datadir="+data, "--auth-root-authentication-method=normal", "--skip-test-db")
		asUser(cmd, su)
		if _, err := runTool(ctx, "mariadb-install-db", cmd, log); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(mariadbd, "--no-defaults", "--datadir="+data,
		"--port="+strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--socket="+filepath.Join(data, "m.sock"), "--pid-file="+filepath.Join(data, "m.pid"),
		"--log-bin="+filepath.Join(data, "binlog"), "--binlog-format=ROW", "--binlog-row-image=FULL",
		"--server-id="+strconv.Itoa(o.ServerID), "--log-slave-updates", "--gtid-strict-mode=ON",
		"--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2")
	asUser(cmd, su)
	p, err := startProc("mariadbd", cmd, log)
	if err != nil {
		return nil, err
	}
	m := &MariaDB{port: port, p: p}
	if err := waitReady(ctx, p, 60*time.Second, "mariadbd", m.ping); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	if err := m.createDebeziumUser(ctx); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return m, nil
}

func (m *MariaDB) ping(ctx context.Context) error {
	db, err := sqlconn.Open(ctx, m.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

// createDebeziumUser gives the connector what it needs, from localhost too:
// an anonymous ”@localhost would otherwise shadow debezium@'%' over 127.0.0.1.
func (m *MariaDB) createDebeziumUser(ctx context.Context) error {
	db, err := sqlconn.Open(ctx, m.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	for _, host := range []string{"localhost", "%"} {
		for _, q := range []string{
			fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s'", DebeziumUser, host, DebeziumPassword),
			fmt.Sprintf("GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR ON *.* TO '%s'@'%s'", DebeziumUser, host),
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("mariadb debezium user: %w", err)
			}
		}
	}
	return nil
}

// Port is the TCP port on 127.0.0.1.
func (m *MariaDB) Port() int { return m.port }

// DSN is the mysql:// DSN of the server as root (no password, no database).
func (m *MariaDB) DSN() string { return m.DSNFor("") }

// DSNFor is root's DSN of database db.
func (m *MariaDB) DSNFor(db string) string {
	return fmt.Sprintf("mysql://root@127.0.0.1:%d/%s", m.port, db)
}

// JDBCURL is the JDBC URL of database db, for the Debezium JDBC sink.
func (m *MariaDB) JDBCURL(db string) string {
	return fmt.Sprintf("jdbc:mariadb://127.0.0.1:%d/%s", m.port, db)
}

// CreateDatabase creates database name (utf8mb4, binary collation) and returns its DSN.
func (m *MariaDB) CreateDatabase(ctx context.Context, name string) (string, error) {
	return m.createDatabase(ctx, name, "")
}

// EnsureDatabase is CreateDatabase that keeps an existing database.
func (m *MariaDB) EnsureDatabase(ctx context.Context, name string) (string, error) {
	return m.createDatabase(ctx, name, "IF NOT EXISTS ")
}

func (m *MariaDB) createDatabase(ctx context.Context, name, ifNotExists string) (string, error) {
	db, err := sqlconn.Open(ctx, m.DSN())
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+ifNotExists+"`"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return m.DSNFor(name), nil
}

// PID is mariadbd's process id (also its process group).
func (m *MariaDB) PID() int { return m.p.cmd.Process.Pid }

// Close stops the server (SIGTERM, SIGKILL after 15s).
func (m *MariaDB) Close() error {
	m.p.stop(15 * time.Second)
	return nil
}

// StartMariaDBReplica starts a second private server (o.ServerID, default
// 2) replicating from primary with GTIDs (MASTER_USE_GTID=slave_pos, as
// the Debezium user) and waits until it has applied everything the
// primary had logged. Close stops it; the primary keeps running.
func StartMariaDBReplica(ctx context.Context, primary *MariaDB, o MariaDBOptions) (*MariaDB, error) {
	if o.ServerID == 0 {
		o.ServerID = 2
	}
	m, err := StartMariaDB(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := m.follow(ctx, primary); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (m *MariaDB) follow(ctx context.Context, primary *MariaDB) error {
	db, err := sqlconn.Open(ctx, m.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	// Its own setup is forgotten (RESET MASTER): under gtid_strict_mode
	// its GTIDs would otherwise collide with the primary's.
	for _, q := range []string{"RESET MASTER", "SET GLOBAL gtid_slave_pos = ''",
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', MASTER_USE_GTID=slave_pos",
			primary.Port(), DebeziumUser, DebeziumPassword),
		"START SLAVE"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mariadb replica: %s: %w", strings.SplitN(q, " MASTER_PASSWORD", 2)[0], err)
		}
	}
	return m.CatchUp(ctx, primary)
}

// CatchUp waits until the server has applied every transaction primary has
// logged so far (MASTER_GTID_WAIT, up to a minute).
func (m *MariaDB) CatchUp(ctx context.Context, primary *MariaDB) error {
	pdb, err := sqlconn.Open(ctx, primary.DSN())
	if err != nil {
		return err
	}
	defer pdb.Close()
	var pos string
	if err := pdb.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		return err
	}
	db, err := sqlconn.Open(ctx, m.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	var r int
	if err := db.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, 60)", pos).Scan(&r); err != nil {
		return err
	}
	if r != 0 {
		return fmt.Errorf("mariadb replica did not reach the primary's GTID position %s in 60 s; see SHOW SLAVE STATUS on port %d", pos, m.port)
	}
	return nil
}
