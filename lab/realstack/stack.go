package realstack

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// StackOptions configure StartStack, what `cdcops lab up --real` runs.
type StackOptions struct {
	Cache       Cache
	Dir         string // one subdirectory per server; reused by the next start
	DB          string // "postgres" (default) or "mariadb"
	KafkaPort   int    // 0 = a free port
	ConnectPort int    // 0 = a free port
	// Progress gets one line per step (and the fetch's output on a first run).
	Progress io.Writer
}

// Stack is a broker, a Connect 4.4.0 worker, a private database and a
// Debezium pipeline on it, started together and stopped together.
type Stack struct {
	Broker   *Broker
	Worker   *Worker
	Postgres *Postgres // set when DB is postgres
	MariaDB  *MariaDB  // set when DB is mariadb
	Pipeline *Pipeline
	closers  closers
}

// StackGroup is the worker's group.id in a stack: fixed, so a stack
// restarted on the same Dir finds its connectors again.
const StackGroup = "cdcops-lab"

// StartStack fetches what is missing, then starts every part in order and
// the pipeline (name "lab"). On any failure it stops what it started.
func StartStack(ctx context.Context, o StackOptions) (s *Stack, err error) {
	if o.DB == "" {
		o.DB = "postgres"
	}
	if o.DB != "postgres" && o.DB != "mariadb" {
		return nil, fmt.Errorf("real stack database %q: want postgres or mariadb", o.DB)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	// Only what this stack runs: a first start fetches less.
	need := []string{Kafka44, DebeziumJDBC, DebeziumPostgres}
	if o.DB == "mariadb" {
		need[2] = DebeziumMariaDB
	}
	if m := o.Cache.Missing(need...); len(m) > 0 {
		fmt.Fprintf(o.Progress, "first run: fetching %v from Maven Central into %s (1-3 minutes) ...\n", m, o.Cache)
		if err := o.Cache.Fetch(ctx, o.Progress, m...); err != nil {
			return nil, err
		}
	}
	s = &Stack{}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	step := func(what string, f func() error) error {
		t0 := time.Now()
		fmt.Fprintf(o.Progress, "starting %s ...\n", what)
		if err := f(); err != nil {
			return err
		}
		fmt.Fprintf(o.Progress, "%s ready in %.1fs\n", what, time.Since(t0).Seconds())
		return nil
	}
	// Stop order is the reverse: worker before broker (a worker whose
	// broker is gone hangs on SIGTERM), the database last.
	err = step("private "+o.DB, func() (err error) {
		if o.DB == "postgres" {
			s.Postgres, err = StartPostgres(ctx, PostgresOptions{Dir: filepath.Join(o.Dir, "postgres")})
			if err == nil {
				s.closers = append(s.closers, s.Postgres.Close)
			}
			return err
		}
		s.MariaDB, err = StartMariaDB(ctx, MariaDBOptions{Dir: filepath.Join(o.Dir, "mariadb")})
		if err == nil {
			s.closers = append(s.closers, s.MariaDB.Close)
		}
		return err
	})
	if err != nil {
		return s, err
	}
	err = step("kafka 4.4.0 broker", func() (err error) {
		s.Broker, err = StartBroker(ctx, BrokerOptions{Cache: o.Cache, Dir: filepath.Join(o.Dir, "kafka"), Port: o.KafkaPort})
		if err == nil {
			s.closers = append(s.closers, s.Broker.Close)
		}
		return err
	})
	if err != nil {
		return s, err
	}
	err = step("kafka connect 4.4.0 worker", func() (err error) {
		s.Worker, err = StartWorker(ctx, WorkerOptions{Cache: o.Cache, Version: Version44, Bootstrap: s.Broker.Addr(),
			Dir: filepath.Join(o.Dir, "connect"), Port: o.ConnectPort, GroupID: StackGroup})
		if err == nil {
			s.closers = append(s.closers, s.Worker.Close)
		}
		return err
	})
	if err != nil {
		return s, err
	}
	err = step("debezium pipeline", func() (err error) {
		s.Pipeline, err = StartPipeline(ctx, PipelineOptions{Connect: s.Worker.URL(), Bootstrap: s.Broker.Addr(),
			Postgres: s.Postgres, MariaDB: s.MariaDB, Name: "lab"})
		return err
	})
	return s, err
}

// Close stops every part, worker first.
func (s *Stack) Close() error {
	err := s.closers.close()
	s.closers = nil
	return err
}
