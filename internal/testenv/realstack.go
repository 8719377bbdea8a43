package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdcops/cdcops/lab/realstack"
)

// The real stack is expensive (a JVM takes ~10 s and ~400 MB), so each part
// starts once per test binary, on first use, and is shared by its tests;
// RunMain stops them all when the binary's tests are done. Tests sharing
// them use unique connector, topic and database names (UniqueName).
var real struct {
	mu      sync.Mutex
	main    bool // RunMain is in charge of stopping
	dir     string
	broker  *realstack.Broker
	workers map[string]*realstack.Worker
	pg      *realstack.Postgres
	mdb     *realstack.MariaDB
	failed  map[string]error // a part that failed to start is not retried
}

// RunMain runs the tests and then stops every real-stack part they started
// (workers before the broker), also on Ctrl-C. A package that uses
// RealKafka, RealConnect, RealPostgres or RealMariaDB must have
//
//	func TestMain(m *testing.M) { testenv.RunMain(m) }
func RunMain(m *testing.M) {
	real.mu.Lock()
	real.main = true
	real.mu.Unlock()
	realstack.KillOnSignal()
	code := m.Run()
	StopReal()
	os.Exit(code)
}

// StopReal stops every real-stack part started so far (RunMain calls it).
func StopReal() {
	real.mu.Lock()
	defer real.mu.Unlock()
	for v, w := range real.workers {
		w.Close()
		delete(real.workers, v)
	}
	if real.broker != nil {
		real.broker.Close()
	}
	if real.pg != nil {
		real.pg.Close()
	}
	if real.mdb != nil {
		real.mdb.Close()
	}
	real.broker, real.pg, real.mdb = nil, nil, nil
	if real.dir != "" {
		os.RemoveAll(real.dir)
		real.dir = ""
	}
}

// RealCache is the jar cache: $CDCOPS_REALSTACK_CACHE or ~/.cache/cdcops/realstack.
func RealCache(t testing.TB) realstack.Cache {
	t.Helper()
	if d := os.Getenv("CDCOPS_REALSTACK_CACHE"); d != "" {
		return realstack.Cache(d)
	}
	c, err := realstack.DefaultCache()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RealJars returns the jar cache, skipping the test (failing it when CI is
// set) when java or the fetched jars are missing: for tests that start the
// real stack themselves (a `lab up --real` process, say).
func RealJars(t testing.TB) realstack.Cache {
	t.Helper()
	if _, err := exec.LookPath("java"); err != nil {
		Missing(t, "Java", "install a JDK 17+ (apt-get install -y openjdk-17-jre-headless maven), then "+realstack.FetchHint)
	}
	c := RealCache(t)
	if m := c.Missing(); len(m) > 0 {
		if _, err := exec.LookPath("mvn"); err != nil {
			Missing(t, "Maven (to fetch the real-stack jars)", "apt-get install -y maven, then "+realstack.FetchHint)
		}
		Missing(t, fmt.Sprintf("real-stack jars %v", m), realstack.FetchHint)
	}
	return c
}

// realPart starts a shared part once; the caller holds real.mu.
func realPart(t testing.TB, name string, start func(ctx context.Context, dir string) error) {
	t.Helper()
	if !real.main {
		t.Fatalf("%s: the real stack needs `func TestMain(m *testing.M) { testenv.RunMain(m) }` in this package, so it is stopped when the tests end", name)
	}
	if err := real.failed[name]; err != nil {
		t.Fatalf("%s did not start (earlier in this run): %v", name, err)
	}
	if real.dir == "" {
		d, err := os.MkdirTemp("", "cdcops-realstack-")
		if err != nil {
			t.Fatal(err)
		}
		// Database servers run as postgres/mysql and must reach their dirs.
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
		real.dir = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := start(ctx, filepath.Join(real.dir, name)); err != nil {
		if real.failed == nil {
			real.failed = map[string]error{}
		}
		real.failed[name] = err
		t.Fatalf("start %s: %v", name, err)
	}
}

// RealKafka is a real Kafka 4.4.0 KRaft broker on 127.0.0.1, shared by
// the tests of this binary.
func RealKafka(t testing.TB) *realstack.Broker {
	t.Helper()
	cache := RealJars(t)
	real.mu.Lock()
	defer real.mu.Unlock()
	return realKafkaLocked(t, cache)
}

func realKafkaLocked(t testing.TB, cache realstack.Cache) *realstack.Broker {
	t.Helper()
	if real.broker == nil {
		realPart(t, "kafka", func(ctx context.Context, dir string) (err error) {
			real.broker, err = realstack.StartBroker(ctx, realstack.BrokerOptions{Cache: cache, Dir: dir})
			return err
		})
	}
	return real.broker
}

// RealConnect is a real distributed Kafka Connect worker of version
// realstack.Version44 ("4.4.0") or realstack.Version39 ("3.9.1") with the
// Debezium plugins, on the shared RealKafka broker with its own group and
// internal topics; shared by the tests of this binary.
func RealConnect(t testing.TB, version string) *realstack.Worker {
	t.Helper()
	cache := RealJars(t)
	real.mu.Lock()
	defer real.mu.Unlock()
	if w := real.workers[version]; w != nil {
		return w
	}
	broker := realKafkaLocked(t, cache)
	realPart(t, "connect-"+version, func(ctx context.Context, dir string) error {
		w, err := realstack.StartWorker(ctx, realstack.WorkerOptions{
			Cache: cache, Version: version, Bootstrap: broker.Addr(), Dir: dir,
			GroupID: UniqueName("connect"),
		})
		if err != nil {
			return err
		}
		if real.workers == nil {
			real.workers = map[string]*realstack.Worker{}
		}
		real.workers[version] = w
		return nil
	})
	return real.workers[version]
}

// RealPostgres is a private PostgreSQL cluster with wal_level=logical for
// Debezium, on a free port; shared by the tests of this binary. Create
// databases on it with CreateDatabase(ctx, UniqueName(...)).
func RealPostgres(t testing.TB) *realstack.Postgres {
	t.Helper()
	if _, err := exec.LookPath("initdb"); err != nil && !hasGlob("/usr/lib/postgresql/*/bin/initdb") {
		Missing(t, "PostgreSQL server binaries (initdb)", "run `make services` (installs the Debian package postgresql)")
	}
	real.mu.Lock()
	defer real.mu.Unlock()
	if real.pg == nil {
		realPart(t, "postgres", func(ctx context.Context, dir string) (err error) {
			real.pg, err = realstack.StartPostgres(ctx, realstack.PostgresOptions{Dir: dir})
			return err
		})
	}
	return real.pg
}

// RealMariaDB is a private MariaDB with row binlog, FULL row image and
// GTIDs for Debezium, on a free port; shared by the tests of this binary.
func RealMariaDB(t testing.TB) *realstack.MariaDB {
	t.Helper()
	if _, err := exec.LookPath("mariadb-install-db"); err != nil {
		Missing(t, "MariaDB server (mariadb-install-db)", "run `make services` (installs the Debian package mariadb-server)")
	}
	real.mu.Lock()
	defer real.mu.Unlock()
	if real.mdb == nil {
		realPart(t, "mariadb", func(ctx context.Context, dir string) (err error) {
			real.mdb, err = realstack.StartMariaDB(ctx, realstack.MariaDBOptions{Dir: dir})
			return err
		})
	}
	return real.mdb
}

func hasGlob(g string) bool {
	m, _ := filepath.Glob(g)
	return len(m) > 0
}

// ProcessesMentioning lists "PID cmdline" of every process whose command
// line contains s (a lab dir, say): what a test of "no strays" checks.
func ProcessesMentioning(s string) []string {
	var out []string
	self := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, s) {
			out = append(out, fmt.Sprintf("%d %s", pid, cmd))
		}
	}
	return out
}

// RealPostgresReplica is a hot standby of RealPostgres made for this test
// (pg_basebackup -R, streaming over TCP, on a free port); it is stopped and
// its files removed when the test ends. Databases created on the primary
// appear on it once replayed.
func RealPostgresReplica(t testing.TB) *realstack.Postgres {
	t.Helper()
	primary := RealPostgres(t)
	dir, err := os.MkdirTemp("", "cdcops-pgreplica-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the server runs as postgres
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	replica, err := realstack.StartPostgresReplica(ctx, primary, realstack.PostgresOptions{Dir: dir})
	if err != nil {
		t.Fatalf("start PostgreSQL replica: %v", err)
	}
	t.Cleanup(func() { replica.Close() })
	return replica
}

// RealMariaDBReplica is a second private MariaDB replicating from
// RealMariaDB with GTIDs, made for this test and caught up with it; it is
// stopped and its files removed when the test ends.
func RealMariaDBReplica(t testing.TB) *realstack.MariaDB {
	t.Helper()
	primary := RealMariaDB(t)
	dir, err := os.MkdirTemp("", "cdcops-mdbreplica-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the server runs as mysql
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	replica, err := realstack.StartMariaDBReplica(ctx, primary, realstack.MariaDBOptions{Dir: dir})
	if err != nil {
		t.Fatalf("start MariaDB replica: %v", err)
	}
	t.Cleanup(func() { replica.Close() })
	return replica
}
