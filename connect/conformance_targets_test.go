package connect_test

// One conformance suite, three workers: the client-facing cases run
// against every target below (forEachWorker), so a misreading shared by
// the client and the lab worker fails on the real ones. Cases named
// TestConformanceLab… use the lab's fault hooks or scripted connectors and
// run on the lab only.

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
)

// target is one worker the suite runs against; version keys expectations.
type target struct {
	name, version string
	start         func(t *testing.T) *env
}

var targets = []target{
	{"lab", "4.4.0", func(t *testing.T) *env { return newEnv(t) }},
	{"real-4.4.0", "4.4.0", func(t *testing.T) *env { return realEnv(t, "4.4.0") }},
	{"real-3.9.1", "3.9.1", func(t *testing.T) *env { return realEnv(t, "3.9.1") }},
}

// realWorker is where the real stack plugs in: a real Connect worker of
// version (its URL, its broker's address, its offsets topic). Until
// branch realstack is merged it reports the part missing; then
// conformance_real_test.go sets it (and realSource) and adds TestMain.
var realWorker = func(t *testing.T, version string) (url, kafka, offsetsTopic string) {
	testenv.Missing(t, "real Kafka Connect "+version, "merge branch realstack (testenv.RealConnect), then `scripts/realstack.sh fetch`")
	return "", "", ""
}

func realEnv(t *testing.T, version string) *env {
	t.Helper()
	url, kafka, topic := realWorker(t, version)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return &env{t: t, url: url, kafka: kafka, offsetsTopic: topic, version: version, real: true,
		c: connect.New(url, connect.WithPollInterval(100*time.Millisecond)), ctx: ctx}
}

// forEachWorker runs f as a subtest per target.
func forEachWorker(t *testing.T, f func(t *testing.T, e *env)) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			e := tg.start(t)
			e.version = tg.version
			f(t, e)
		})
	}
}

// expect holds every expectation that differs between the Connect
// versions the suite runs against (delta §1b), in one table.
type expect struct {
	health        bool   // GET /health (3.9+, KIP-1017)
	patchConfig   bool   // PATCH /connectors/{c}/config (3.8+)
	tasksConfig   bool   // GET /connectors/{c}/tasks-config (removed in 4.0)
	statusVersion bool   // "version" in connector/task status (4.1+, KIP-891)
	unknownClass  int    // status for an unknown connector.class: 500, 400 from 4.1
	noType        string // text for a config without connector.class (K7), "" = starts with "Connector config {"
}

var byVersion = map[string]expect{
	"3.9.1": {health: true, patchConfig: true, tasksConfig: true, statusVersion: false, unknownClass: 500, noType: ""},
	"4.4.0": {health: true, patchConfig: true, tasksConfig: false, statusVersion: true, unknownClass: 400, noType: "Connector config contains no connector type"},
}

func (e *env) expect() expect {
	x, ok := byVersion[e.version]
	if !ok {
		e.t.Fatalf("no expectations for Connect %s", e.version)
	}
	return x
}

// source is the config of a source connector that runs on e's worker:
// the lab's ScriptedSource with Debezium-PostgreSQL-shaped offsets, or on a
// real worker the connector realSource gives. Each case takes its
// connectors from here (or quietSource), so swapping the real connector is
// one place.
func (e *env) source(kv ...string) map[string]string { return e.sourceWith(pgOffsets, kv...) }

// quietSource is a source that writes no offsets of its own on the lab
// (ScriptedSource with none); a real source may write its own partition,
// which offsetsMap leaves out (realPartitionPrefix).
func (e *env) quietSource(kv ...string) map[string]string { return e.sourceWith("[]", kv...) }

func (e *env) sourceWith(labOffsets string, kv ...string) map[string]string {
	if !e.real {
		return sourceConfig(labOffsets, kv...)
	}
	m := realSource(e)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// realPartitionPrefix starts the partition key a real source writes for
// itself ({"server":"<topic.prefix>"}, topic.prefix = dbz_N); cases that
// check exact offsets use other partitions and ignore this one.
const realPartitionPrefix = `{"server":"dbz_`

// realSource is the source connector of the real workers: Debezium
// PostgreSQL needs testenv.RealPostgres (with the realstack merge); it
// reports the part missing until then.
var realSource = func(e *env) map[string]string {
	testenv.Missing(e.t, "a source connector for the real worker (Debezium PostgreSQL on testenv.RealPostgres)", "merge branch realstack")
	return nil
}

// sink is the config of a sink connector consuming topic on e's worker:
// the lab's ScriptedSink, or on a real worker the connector realSink gives
// (records are produced as schema+payload JSON, so a schema-needing sink
// such as the Debezium JDBC sink can write them).
func (e *env) sink(topic string, kv ...string) map[string]string {
	if !e.real {
		return sinkConfig(topic, kv...)
	}
	m := realSink(e, topic)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// realSink is the sink connector of the real workers (the Debezium JDBC
// sink with the realstack merge); it reports the part missing until then.
var realSink = func(e *env, topic string) map[string]string {
	testenv.Missing(e.t, "a sink connector for the real worker (Debezium JDBC sink on testenv.RealPostgres)", "merge branch realstack")
	return nil
}

// jsonKeys is the sorted key list of a JSON object body.
func jsonKeys(t *testing.T, what string, b []byte) []string {
	t.Helper()
	return sortedKeys(decodeJSON[map[string]json.RawMessage](t, what, b))
}
