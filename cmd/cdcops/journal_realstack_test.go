package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
)

// Acceptance (issue 12), real Debezium PostgreSQL 3.6.1 on Connect 4.4: a
// journal runs while load goes through the pipeline; for 20 random
// instants `offsets restore --to-time T --dry-run` proposes exactly what an
// independent replay of a kcat dump of the offsets topic gives for T; one
// of them applied replays the changes since and the sink converges.
func TestRealJournalPointInTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	b, w, p, r := realPipeline(t, ctx, "postgres")
	r = withState(t, r)
	cc := connect.New(w.URL(), connect.WithPollInterval(250*time.Millisecond))
	jctx, stopJournal := context.WithCancel(ctx)
	defer stopJournal()
	var jerr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(jctx, append(append([]string{}, r.base...), "offsets", "journal", "--topic", w.OffsetsTopic()), strings.NewReader(""), &bytes.Buffer{}, &jerr)
	}()
	// Keep the WAL so a rewind can be replayed (the rewind runbook's setting).
	fls := "false"
	if _, err := cc.PatchConfig(ctx, p.Source, map[string]*string{"flush.lsn.source": &fls}); err != nil {
		t.Fatal(err)
	}
	if err := cc.Resume(ctx, p.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.WaitFor(ctx, p.Source, connect.Running, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	// Two minutes of load through the real pipeline.
	for round := range 48 {
		r.run(0, "lab", "load", "--db", p.SourceDSN, "--table", p.Table, "--changes", "40", "--rate", "40", "--seed", strconv.Itoa(20+round))
		time.Sleep(1500 * time.Millisecond) // offset.flush.interval.ms is 1 s
	}
	r.reconcileEqual(p, 3*time.Minute)
	r.run(0, "connectors", "stop", p.Source)
	time.Sleep(2 * time.Second) // the journal catches up with the last flush

	var mine []testenv.KcatRecord
	for _, rec := range testenv.KcatDump(t, b.Addr(), w.OffsetsTopic()) {
		if strings.HasPrefix(rec.Key, `["`+p.Source+`",`) {
			mine = append(mine, rec)
		}
	}
	if len(mine) < 6 {
		t.Fatalf("only %d offsets writes of %s on %s", len(mine), p.Source, w.OffsetsTopic())
	}
	first, last := mine[0].Timestamp, mine[len(mine)-1].Timestamp
	rnd := rand.New(rand.NewSource(7))
	var applyAt time.Time
	for i := range 20 {
		at := first + rnd.Int63n(last-first+1)
		var want []byte
		for _, rec := range mine { // one key, one partition: offset order
			if rec.Timestamp <= at {
				want = rec.Value
			}
		}
		T := time.UnixMilli(at).UTC().Format(time.RFC3339Nano)
		code, out, errOut := r.runErr("offsets", "restore", p.Source, "--to-time", T, "--dry-run", "-o", "json")
		if code != 0 {
			t.Fatalf("instant %d (%s): exit %d %s", i, T, code, errOut)
		}
		var plan cdcops.Plan
		if err := json.Unmarshal([]byte(out), &plan); err != nil {
			t.Fatal(err)
		}
		if len(plan.Connectors) != 1 || len(plan.Connectors[0].Changes) != 1 {
			t.Fatalf("instant %s: plan %+v", T, plan.Connectors)
		}
		got := compact(plan.Connectors[0].Changes[0].After)
		norm, err := json.Marshal(json.RawMessage(want))
		if err != nil || !sameJSON(t, got, string(norm)) {
			t.Errorf("instant %s: plan proposes %s, kcat replay %s", T, got, want)
		}
		if applyAt.IsZero() && at < first+(last-first)/3 {
			applyAt = time.UnixMilli(at)
		}
	}
	if applyAt.IsZero() {
		applyAt = time.UnixMilli(first)
	}
	before := testenv.TopicEnd(t, ctx, b.Addr(), p.Topic)
	id := r.planID("offsets", "restore", p.Source, "--to-time", applyAt.UTC().Format(time.RFC3339Nano), "--source", p.SourceDSN, "--reason", "point-in-time replay")
	r.run(0, "plans", "apply", id, "--reason", "point-in-time replay", "--timeout", "3m")
	r.reconcileEqual(p, 4*time.Minute)
	if grown := testenv.TopicEnd(t, ctx, b.Addr(), p.Topic) - before; grown < 40 {
		t.Errorf("change topic grew by %d records after restoring to %s; the changes since were not replayed", grown, applyAt)
	}
	stopJournal()
	if code := <-done; code != 0 {
		t.Errorf("journal exit %d: %s", code, jerr.String())
	}
}

// sameJSON compares two JSON objects by value (key order aside).
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
