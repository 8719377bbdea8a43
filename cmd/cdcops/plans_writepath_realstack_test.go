package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/realstack"
)

// Acceptance (issue 11), real stack: the same rewind plan applied through
// REST PATCH and through the direct offsets-topic write leaves the same
// offsets-topic state for the connector (kcat, last write wins: Kafka
// partition, key bytes, value bytes), for Debezium PostgreSQL and MariaDB
// on Connect 4.4.0 and 3.9.1. What the worker writes for the PATCH is the
// reference for our bytes. After each write GET /offsets shows the plan and
// the connector runs again; each rollback gives back the task's own bytes.
func TestRealRESTAndTopicWritesAgree(t *testing.T) {
	for _, version := range []string{realstack.Version44, realstack.Version39} {
		for _, db := range []string{"postgres", "mariadb"} {
			t.Run(db+"-"+version, func(t *testing.T) { realWritePathsAgree(t, db, version) })
		}
	}
}

func realWritePathsAgree(t *testing.T, db, version string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b, w, p, r := realPipelineOn(t, ctx, db, version) // source left STOPPED
	r = withState(t, r)
	cc := connect.New(w.URL(), connect.WithPollInterval(250*time.Millisecond))
	state := func() map[string]string { return connectorTopicState(t, b.Addr(), w.OffsetsTopic(), p.Source) }

	pre := state() // written by the Debezium task itself
	if len(pre) != 1 {
		t.Fatalf("kcat finds %d offsets keys of %s, want 1: %v", len(pre), p.Source, pre)
	}
	pos := earlierPosition(t, ctx, r, p)
	after := map[string]map[string]string{}
	for _, via := range []string{"rest", "topic"} {
		var plan cdcops.Plan
		mustJSON(t, r.run(0, "offsets", "rewind", p.Source, "--to-position", pos, "--via", via, "-o", "json"), &plan)
		if plan.Write != via || len(plan.Connectors) != 1 || len(plan.Connectors[0].Changes) != 1 {
			t.Fatalf("%s plan: write %q, %+v", via, plan.Write, plan.Connectors)
		}
		ch := plan.Connectors[0].Changes[0]
		r.run(0, "plans", "apply", plan.ID, "--reason", "write-path check ("+via+")", "--no-resume", "--timeout", "2m")
		after[via] = state()
		t.Logf("%s on %s via %s: %v", db, version, via, after[via])

		// The worker reads back what was planned.
		got, err := cc.Offsets(ctx, p.Source)
		if err != nil {
			t.Fatal(err)
		}
		// (-o json indents the plan; Normalize gives Connect's bytes.)
		if len(got.Offsets) != 1 || normalized(t, got.Offsets[0].Partition) != normalized(t, ch.Partition) ||
			normalized(t, got.Offsets[0].Offset) != normalized(t, ch.After) {
			t.Fatalf("via %s: GET /offsets %s, planned %s → %s", via, mustMarshal(t, got.Offsets), normalized(t, ch.Partition), normalized(t, ch.After))
		}
		// It runs from there, then stops again for the rollback.
		if err := cc.Resume(ctx, p.Source); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.WaitFor(ctx, p.Source, connect.Running, 2*time.Minute); err != nil {
			t.Fatalf("via %s: %v", via, err)
		}
		r.run(0, "connectors", "stop", p.Source)
		if _, err := cc.WaitFor(ctx, p.Source, connect.Stopped, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		r.run(0, "plans", "rollback", plan.ID, "--reason", "undo the write-path check", "--no-resume", "--timeout", "2m")
		if back := state(); fmt.Sprint(back) != fmt.Sprint(pre) {
			t.Fatalf("via %s: rollback left %v, the task had written %v", via, back, pre)
		}
	}
	if fmt.Sprint(after["rest"]) != fmt.Sprint(after["topic"]) {
		t.Fatalf("%s on Connect %s: REST PATCH left %v\ntopic write left %v", db, version, after["rest"], after["topic"])
	}
	if fmt.Sprint(after["rest"]) == fmt.Sprint(pre) {
		t.Fatal("the rewind changed nothing")
	}
	if db == "postgres" { // one connector per worker version is enough
		probeWorkerBytes(t, ctx, cc, b.Addr(), w.OffsetsTopic(), p.Source)
	}
}

// connectorTopicState is last-write-wins over a kcat dump of the offsets
// topic for the connector's keys: exact key → "partition N value".
func connectorTopicState(t *testing.T, bootstrap, topic, name string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, rec := range testenv.KcatDump(t, bootstrap, topic) {
		if !strings.HasPrefix(rec.Key, `["`+name+`",`) {
			continue
		}
		if rec.Value == nil {
			delete(m, rec.Key)
			continue
		}
		m[rec.Key] = fmt.Sprintf("partition %d %s", rec.Partition, rec.Value)
	}
	return m
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func normalized(t *testing.T, raw []byte) string {
	t.Helper()
	n, err := connectjson.Normalize(raw)
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return string(n)
}

// earlierPosition is a rewind target the source still holds: the slot's
// restart_lsn (PostgreSQL) or five transactions back in each GTID domain
// (MariaDB); it must differ from the current offset.
func earlierPosition(t *testing.T, ctx context.Context, r *realRun, p *realstack.Pipeline) string {
	t.Helper()
	var show showResult
	mustJSON(t, r.run(0, "offsets", "show", p.Source, "-o", "json"), &show)
	if len(show.Offsets) != 1 {
		t.Fatalf("offsets show: %+v", show)
	}
	if p.DB == "postgres" {
		raw, _ := field(show.Offsets[0], "lsn")
		lsn, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			t.Fatalf("lsn %q: %v", raw, err)
		}
		restart := queryOne(t, ctx, p.SourceDSN, "SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1", p.Slot)
		at, _ := strconv.ParseInt(queryOne(t, ctx, p.SourceDSN, "SELECT ($1::pg_lsn - '0/0'::pg_lsn)::text", restart), 10, 64)
		if at >= lsn {
			t.Fatalf("slot restart_lsn %s is not before the offset's lsn %d", restart, lsn)
		}
		return restart
	}
	raw, _ := field(show.Offsets[0], "gtids")
	var gtids string
	if err := json.Unmarshal([]byte(raw), &gtids); err != nil {
		t.Fatalf("gtids %q: %v", raw, err)
	}
	var out []string
	for _, g := range strings.Split(gtids, ",") {
		f := strings.Split(strings.TrimSpace(g), "-")
		n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if len(f) != 3 || err != nil || n < 6 {
			t.Fatalf("offset gtids %q: want domain-server-seq with seq > 5", gtids)
		}
		out = append(out, fmt.Sprintf("%s-%s-%d", f[0], f[1], n-5))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// workerBytesProbes are offsets whose bytes Java decides: HashMap order of
// many keys and of multi-key partitions, number forms (doubles, longs at
// the limits, exponents, -0.0), string escapes and characters beyond the
// BMP; each in its own partition. jdkDependent marks doubles whose
// Double.toString changed with JDK 19 (JDK-4511638: before it, large
// integral doubles and subnormals get extra digits): cdcops writes the
// shortest form, as JDK 19+ does, and cannot know the worker's JDK, so for
// those only the value read back must be the same.
var workerBytesProbes = []struct {
	partition, offset string
	jdkDependent      bool
}{
	{`{"server":"p1","database":"d"}`, `{"txId":5,"ratio":1.5,"lsn":7,"file":"a\"b","snapshot":true,"none":null}`, false},
	{`{"z":"p2","y":"x","w":"v","u":"t","s":"r","q":"p","o":"n","m":"l","k":"j","i":"h","g":"f","e":"d","c":"b"}`, `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13}`, false},
	{`{"server":"p3 é ☃ 😀 <>&/ \u2028"}`, `{"s":"tab\t nl\n cr\r bs\\ q\" ctl\u0001\u001f del\u007f é\u00e9 😀\ud83d\ude00 /\/"}`, false},
	{`{"server":"p4"}`, `{"max":9223372036854775807,"min":-9223372036854775808,"zero":0,"neg":-1}`, false},
	{`{"server":"p5"}`, `{"a":0.001,"b":1.0E-4,"c":9999999.0,"d":1.0E7,"e":-0.0,"f":0.1,"g":1e3,"h":1E+2,"i":123456.789e-3,"k":1.7976931348623157E308,"l":9.007199254740993E15}`, false},
	{`{"server":"p6"}`, `{"a":4.6556453769347664E16,"b":1.47605851605087488E18,"c":2.7716997368512185E25,"j":5e-324,"m":1.58E-322}`, true},
	{`{"server":"p7","n":1.5}`, `{"pos":3}`, false},
}

// probeWorkerBytes PATCHes the probes to the stopped connector and compares
// what the worker wrote (kcat: partition, key, value) with what the direct
// topic write would write: connectjson's key, Normalize'd value and murmur2
// partition.
func probeWorkerBytes(t *testing.T, ctx context.Context, cc *connect.Client, bootstrap, topic, name string) {
	t.Helper()
	var body cdcops.ConnectorOffsets
	type ours struct {
		partition    int32
		value        string
		jdkDependent bool
	}
	want := map[string]ours{}
	for _, pr := range workerBytesProbes {
		body.Offsets = append(body.Offsets, cdcops.ConnectorOffset{Partition: json.RawMessage(pr.partition), Offset: json.RawMessage(pr.offset)})
		part, err := connectjson.ParseObject([]byte(pr.partition))
		if err != nil {
			t.Fatal(err)
		}
		key, err := connectjson.OffsetKey(name, part)
		if err != nil {
			t.Fatal(err)
		}
		value, err := connectjson.Normalize([]byte(pr.offset))
		if err != nil {
			t.Fatalf("probe %s: connectjson cannot normalize %s: %v", pr.partition, pr.offset, err)
		}
		want[string(key)] = ours{connectjson.Partition(key, 25), string(value), pr.jdkDependent}
	}
	if _, err := cc.AlterOffsets(ctx, name, body); err != nil {
		t.Fatalf("PATCH probes: %v", err)
	}
	got := map[string][2]string{} // key → partition, value as the worker wrote them
	for _, rec := range testenv.KcatDump(t, bootstrap, topic) {
		if strings.HasPrefix(rec.Key, `["`+name+`",`) && rec.Value != nil {
			got[rec.Key] = [2]string{fmt.Sprint(rec.Partition), string(rec.Value)}
		}
	}
	var bad []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("the worker wrote no key %s", k))
		case g[0] != fmt.Sprint(w.partition):
			bad = append(bad, fmt.Sprintf("key %s: worker partition %s, ours %d", k, g[0], w.partition))
		case g[1] == w.value:
		case !w.jdkDependent:
			bad = append(bad, fmt.Sprintf("key %s\n  ours   %s\n  worker %s", k, w.value, g[1]))
		case normalized(t, []byte(g[1])) != w.value:
			bad = append(bad, fmt.Sprintf("key %s: the worker's %s reads back other than our %s", k, g[1], w.value))
		default:
			t.Logf("JDK-dependent double form (same values): worker %s, ours %s", g[1], w.value)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("connectjson differs from the worker's bytes:\n%s", strings.Join(bad, "\n"))
	}
}
