package realstack

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/lab/sqlpipe"
	"github.com/cdcops/cdcops/sqlconn"
)

// Connector classes of the fetched plugins.
const (
	PostgresClass = "io.debezium.connector.postgresql.PostgresConnector"
	MariaDBClass  = "io.debezium.connector.mariadb.MariaDbConnector"
	JDBCSinkClass = "io.debezium.connector.jdbc.JdbcSinkConnector"
)

// PipelineTable is the table under capture: the lab's demo customers table
// (sqlpipe), so `lab load` and `reconcile` work on it unchanged.
const PipelineTable = "customers"

// PipelineOptions say where to build a Debezium pipeline. Exactly one of
// Postgres and MariaDB is set.
type PipelineOptions struct {
	Connect   string // worker REST URL
	Bootstrap string // the worker's broker (MariaDB keeps its schema history there)
	Postgres  *Postgres
	MariaDB   *MariaDB
	// Name prefixes the databases (NAME_src, NAME_sink), connectors
	// (NAME-source, NAME-sink), topic prefix and replication slot; use
	// [a-z0-9_] and a unique name per test.
	Name string
	Rows int // rows in the source table before capture starts; default 20
	// SourceConfig is added to (and overrides) the source connector's
	// config, e.g. signal.* keys.
	SourceConfig map[string]string
}

// Pipeline is a Debezium source on a private database's customers table
// and the Debezium JDBC sink writing the change topic into a second
// database on the same server. -o json of `lab up --real` prints it.
type Pipeline struct {
	DB        string `json:"db"` // "postgres" or "mariadb"
	Source    string `json:"source_connector"`
	Sink      string `json:"sink_connector"`
	Topic     string `json:"topic"`
	Table     string `json:"table"`
	SourceDSN string `json:"source_dsn"`
	SinkDSN   string `json:"sink_dsn"`
	Slot      string `json:"slot,omitempty"` // PostgreSQL replication slot
}

// StartPipeline creates the source and sink databases and the customers
// table (with Rows rows) unless they exist, creates or updates both
// connectors, and returns once both run.
func StartPipeline(ctx context.Context, o PipelineOptions) (*Pipeline, error) {
	if (o.Postgres == nil) == (o.MariaDB == nil) {
		return nil, fmt.Errorf("pipeline: set exactly one of Postgres and MariaDB")
	}
	if o.Rows == 0 {
		o.Rows = 20
	}
	p := &Pipeline{Source: o.Name + "-source", Sink: o.Name + "-sink", Table: PipelineTable}
	var source, sink map[string]string
	var err error
	if o.Postgres != nil {
		p.DB, p.Slot = "postgres", o.Name+"_slot"
		p.Topic = o.Name + ".public." + PipelineTable
		if p.SourceDSN, err = o.Postgres.EnsureDatabase(ctx, o.Name+"_src"); err != nil {
			return nil, err
		}
		if p.SinkDSN, err = o.Postgres.EnsureDatabase(ctx, o.Name+"_sink"); err != nil {
			return nil, err
		}
		source = map[string]string{
			"connector.class":             PostgresClass,
			"database.hostname":           "127.0.0.1",
			"database.port":               strconv.Itoa(o.Postgres.Port()),
			"database.user":               "postgres",
			"database.dbname":             o.Name + "_src",
			"topic.prefix":                o.Name,
			"plugin.name":                 "pgoutput",
			"slot.name":                   p.Slot,
			"publication.name":            o.Name + "_pub",
			"publication.autocreate.mode": "filtered",
			"table.include.list":          "public." + PipelineTable,
		}
		sink = map[string]string{
			"connection.url":      o.Postgres.JDBCURL(o.Name + "_sink"),
			"connection.username": "postgres",
		}
	} else {
		p.DB = "mariadb"
		p.Topic = o.Name + "." + o.Name + "_src." + PipelineTable
		if p.SourceDSN, err = o.MariaDB.EnsureDatabase(ctx, o.Name+"_src"); err != nil {
			return nil, err
		}
		if p.SinkDSN, err = o.MariaDB.EnsureDatabase(ctx, o.Name+"_sink"); err != nil {
			return nil, err
		}
		source = map[string]string{
			"connector.class":       MariaDBClass,
			"database.hostname":     "127.0.0.1",
			"database.port":         strconv.Itoa(o.MariaDB.Port()),
			"database.user":         DebeziumUser,
			"database.password":     DebeziumPassword,
			"database.server.id":    strconv.Itoa(10000 + int(time.Now().UnixNano()%50000)),
			"topic.prefix":          o.Name,
			"database.include.list": o.Name + "_src",
			"table.include.list":    o.Name + "_src." + PipelineTable,
			"schema.history.internal.kafka.bootstrap.servers": o.Bootstrap,
			"schema.history.internal.kafka.topic":             o.Name + "-schema-history",
		}
		sink = map[string]string{
			"connection.url":      o.MariaDB.JDBCURL(o.Name + "_sink"),
			"connection.username": "root",
		}
	}
	source["tasks.max"] = "1"
	for k, v := range o.SourceConfig {
		source[k] = v
	}
	for k, v := range map[string]string{
		"connector.class":        JDBCSinkClass,
		"tasks.max":              "1",
		"topics":                 p.Topic,
		"insert.mode":            "upsert",
		"primary.key.mode":       "record_key",
		"delete.enabled":         "true",
		"schema.evolution":       "basic",
		"collection.name.format": PipelineTable,
	} {
		sink[k] = v
	}
	if err := seedTables(ctx, p, o.Rows); err != nil {
		return nil, err
	}
	c := connect.New(o.Connect, connect.WithPollInterval(250*time.Millisecond))
	for _, cc := range []struct {
		name string
		cfg  map[string]string
	}{{p.Source, source}, {p.Sink, sink}} {
		if _, _, err := c.PutConfig(ctx, cc.name, cc.cfg); err != nil {
			return nil, fmt.Errorf("create connector %s: %w", cc.name, err)
		}
	}
	for _, n := range []string{p.Source, p.Sink} {
		if _, err := c.WaitFor(ctx, n, connect.Running, 3*time.Minute); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// seedTables creates customers on both sides (the sink's too, so its
// column types equal the source's) and inserts rows into an empty source.
func seedTables(ctx context.Context, p *Pipeline, rows int) error {
	for _, dsn := range []string{p.SourceDSN, p.SinkDSN} {
		db, err := sqlconn.Open(ctx, dsn)
		if err != nil {
			return err
		}
		err = sqlpipe.CreateDemoSchema(ctx, db)
		if err == nil && dsn == p.SourceDSN {
			var n int
			if err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+PipelineTable).Scan(&n); err == nil && n == 0 {
				_, err = sqlpipe.Load(ctx, db, sqlpipe.LoadOptions{Tables: []string{PipelineTable}, Changes: rows, InsertOnly: true, Seed: 1})
			}
		}
		db.Close()
		if err != nil {
			return fmt.Errorf("pipeline tables in %s: %w", cdcops.RedactDSN(dsn), err)
		}
	}
	return nil
}

// WaitSynced waits until the sink table has as many rows as the source
// table, a sign the change stream caught up (reconcile proves equality).
func (p *Pipeline) WaitSynced(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	src, err := sqlconn.Open(ctx, p.SourceDSN)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := sqlconn.Open(ctx, p.SinkDSN)
	if err != nil {
		return err
	}
	defer dst.Close()
	q := "SELECT COUNT(*) FROM " + PipelineTable
	var a, b int
	for {
		errA := src.QueryRowContext(ctx, q).Scan(&a)
		errB := dst.QueryRowContext(ctx, q).Scan(&b)
		if errA == nil && errB == nil && a == b {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sink %s has %d rows, source %d, after %s (%v %v)", p.Sink, b, a, timeout, errA, errB)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
