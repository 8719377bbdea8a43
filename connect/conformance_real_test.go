//go:build realstack_merged

// Remove the build line above once branch realstack (testenv.RealConnect,
// RealKafka, RealPostgres, RunMain) is in this tree: it is the one line
// that plugs the real workers into the conformance suite.

package connect_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/sqlconn"
)

// The real stack stops when this test binary's tests are done.
func TestMain(m *testing.M) { testenv.RunMain(m) }

func init() {
	realWorker = func(t *testing.T, version string) (string, string, string) {
		w := testenv.RealConnect(t, version)
		return w.URL(), testenv.RealKafka(t).Addr(), w.OffsetsTopic()
	}
	realSource = debeziumPostgresSource
	realSink = debeziumJDBCSink
}

// debeziumJDBCSink is the real workers' sink: the Debezium JDBC sink
// writing topic into a table of the conformance database.
func debeziumJDBCSink(e *env, topic string) map[string]string {
	pg := testenv.RealPostgres(e.t)
	debeziumPostgresSource(e) // creates the database once
	return map[string]string{
		"connector.class":        "io.debezium.connector.jdbc.JdbcSinkConnector",
		"tasks.max":              "1",
		"topics":                 topic,
		"connection.url":         pg.JDBCURL(realDB.name),
		"connection.username":    "postgres",
		"insert.mode":            "insert",
		"primary.key.mode":       "none",
		"schema.evolution":       "basic",
		"collection.name.format": "sink_" + strings.ReplaceAll(topic, "-", "_"),
	}
}

// realDB is the one database of this test binary that the real source
// connectors capture (a table, so Debezium has something to stream).
var realDB struct {
	once sync.Once
	name string
	err  error
}

// debeziumPostgresSource is the real workers' source connector: Debezium
// PostgreSQL 3.6.1 (pgoutput) on testenv.RealPostgres, with its own slot
// and publication, dropped when the connector stops.
func debeziumPostgresSource(e *env) map[string]string {
	pg := testenv.RealPostgres(e.t)
	realDB.once.Do(func() {
		realDB.name = testenv.UniqueName("conform")
		dsn, err := pg.CreateDatabase(context.Background(), realDB.name)
		if err != nil {
			realDB.err = err
			return
		}
		realDB.err = execSQL(dsn, "CREATE TABLE t (id int PRIMARY KEY, v text)")
	})
	if realDB.err != nil {
		e.t.Fatalf("conformance database: %v", realDB.err)
	}
	id := strings.ReplaceAll(name("dbz"), "-", "_")
	return map[string]string{
		"connector.class":             "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":                   "1",
		"database.hostname":           "127.0.0.1",
		"database.port":               strconv.Itoa(pg.Port()),
		"database.user":               "postgres",
		"database.dbname":             realDB.name,
		"topic.prefix":                id,
		"plugin.name":                 "pgoutput",
		"slot.name":                   id,
		"slot.drop.on.stop":           "true",
		"publication.name":            id + "_pub",
		"publication.autocreate.mode": "filtered",
		"table.include.list":          "public.t",
		"snapshot.mode":               "no_data",
	}
}

func execSQL(dsn, stmt string) error {
	ctx := context.Background()
	db, err := sqlconn.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
