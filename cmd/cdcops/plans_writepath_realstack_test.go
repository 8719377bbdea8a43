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
