package journal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/kafka/kafkatest"
	"github.com/cdcops/cdcops/lab"
	"github.com/cdcops/cdcops/lab/scripted"
	"github.com/cdcops/cdcops/state"
)

const offsetsTopic = "connect-offsets"

// rig is a lab with a running journal.
type rig struct {
	t     *testing.T
	lab   *lab.Lab
	cc    *connect.Client
	store *state.Store
	stop  context.CancelFunc
	done  chan error
}

func startRig(t *testing.T, l *lab.Lab, storeURL string) *rig {
	t.Helper()
	return startRigWith(t, l, storeURL, func(s journal.StateSource) journal.StateSource { return s })
}

// startRigWith is startRig with the journal's view of Connect's states
// passed through wrap.
func startRigWith(t *testing.T, l *lab.Lab, storeURL string, wrap func(journal.StateSource) journal.StateSource) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := state.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kafka.Dial(ctx, l.KafkaAddr())
	if err != nil {
		t.Fatal(err)
	}
	cc := connect.New(l.ConnectURL())
	j, err := journal.New(ctx, journal.Options{Store: store, Kafka: kc, Topics: []string{offsetsTopic}, States: wrap(journal.ConnectStates{Connect: cc}), Groups: journal.KafkaGroups{Kafka: kc}, Poll: 50 * time.Millisecond, GroupPoll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, lab: l, cc: cc, store: store, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- j.Run(ctx) }()
	t.Cleanup(func() {
		r.close()
		kc.Close()
	})
	return r
}

func (r *rig) close() {
	if r.stop == nil {
		return
	}
	r.stop()
	if err := <-r.done; err != nil && !errors.Is(err, context.Canceled) {
		r.t.Errorf("journal ended with %v", err)
	}
	r.store.Close()
	r.stop = nil
}

// caughtUp waits until the journal stored every record up to the topic's end.
func caughtUp(t *testing.T, st *state.Store, addr string) {
	t.Helper()
	ctx := context.Background()
	end := testenv.TopicEnd(t, ctx, addr, offsetsTopic)
	deadline := time.Now().Add(30 * time.Second)
	for {
		pos, err := st.JournalPositions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, n := range pos[offsetsTopic] {
			sum += n
		}
		if sum >= end {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal at %d of %d records after 30s", sum, end)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// replayAt is the independent answer: per key, the last record with a
// timestamp at or before at (offset order), tombstones removing the key.
func replayAt(recs []testenv.KcatRecord, at int64) map[string]string {
	m := map[string]string{}
	for _, r := range recs {
		if r.Timestamp > at {
			continue
		}
		if r.Value == nil {
			delete(m, r.Key)
		} else {
			m[r.Key] = string(r.Value)
		}
	}
	return m
}

func createAdvancing(t *testing.T, cc *connect.Client, name, offsets string) {
	t.Helper()
	_, err := cc.Create(context.Background(), connect.CreateRequest{Name: name, Config: map[string]string{
		"connector.class": scripted.SourceClass, scripted.KeyOffsets: offsets, scripted.KeyAdvance: "true"}})
	if err != nil {
		t.Fatal(err)
	}
}

// Acceptance (issue 12): while connectors write offsets and someone writes
// records and tombstones straight to the topic, the journal's state at 20
// random instants equals an independent replay of a kcat dump.
func TestPointInTimeMatchesKcatReplay(t *testing.T) {
	testenv.Kcat(t)
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	r := startRig(t, l, testenv.SQLite(t))
	for i := range 4 {
		createAdvancing(t, r.cc, fmt.Sprintf("pg-%d", i),
			fmt.Sprintf(`[{"partition":{"server":"db%d"},"offset":{"ts_usec":1,"txId":7,"lsn":%d}}]`, i, 1000*(i+1)))
	}
	ctx := context.Background()
	rnd := rand.New(rand.NewSource(1))
	start := time.Now()
	// A minute of writes (CDCOPS_TEST_JOURNAL_LOAD sets another length):
	// the connectors advance every flush while someone writes beside them.
	load := time.Minute
	if d, err := time.ParseDuration(os.Getenv("CDCOPS_TEST_JOURNAL_LOAD")); err == nil && d > 0 {
		load = d
	}
	for round := 0; time.Since(start) < load; round++ {
		var ws []kafkatest.Write
		for k := range 5 {
			key := fmt.Sprintf(`["ghost",{"server":"g%d"}]`, k)
			if rnd.Intn(4) == 0 {
				ws = append(ws, kafkatest.Write{Key: []byte(key)})
			} else {
				ws = append(ws, kafkatest.Write{Key: []byte(key), Value: []byte(fmt.Sprintf(`{"pos":%d}`, round*10+k))})
			}
		}
		if err := kafkatest.Produce(ctx, l.KafkaAddr(), offsetsTopic, ws); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+rnd.Intn(150)) * time.Millisecond)
	}
	for i := range 4 {
		if err := r.cc.Stop(ctx, fmt.Sprintf("pg-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond) // the stopped tasks' last flush
	caughtUp(t, r.store, l.KafkaAddr())

	recs := testenv.KcatDump(t, l.KafkaAddr(), offsetsTopic)
	if len(recs) < 120 {
		t.Fatalf("only %d records on the topic; the workload did not run", len(recs))
	}
	first, last := recs[0].Timestamp, recs[0].Timestamp
	for _, rc := range recs {
		first, last = min(first, rc.Timestamp), max(last, rc.Timestamp)
	}
	for i := range 20 {
		at := first + rnd.Int63n(last-first+1)
		if i == 0 {
			at = last
		}
		want := replayAt(recs, at)
		snap, _, err := journal.SnapshotAt(ctx, r.store, journal.AtOptions{At: time.UnixMilli(at)})
		if err != nil {
			t.Fatalf("state at %d: %v", at, err)
		}
		got := map[string]string{}
		for _, rec := range snap.Content.Records {
			got[string(rec.RawKey)] = string(rec.RawValue)
		}
		if fmt.Sprint(sortedPairs(got)) != fmt.Sprint(sortedPairs(want)) {
			t.Errorf("at %s: journal %v\nkcat replay %v", time.UnixMilli(at).UTC().Format(time.RFC3339Nano), sortedPairs(got), sortedPairs(want))
		}
	}
}

// The journal's last records per key (monitoring's staleness source)
// equal a fresh read of the topic to its end.
func TestOffsetLogEqualsTopicRead(t *testing.T) {
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	r := startRig(t, l, testenv.SQLite(t))
	createAdvancing(t, r.cc, "a", `[{"partition":{"server":"x"},"offset":{"lsn":1}},{"partition":{"server":"y"},"offset":{"lsn":9}}]`)
	ctx := context.Background()
	if err := kafkatest.Produce(ctx, l.KafkaAddr(), offsetsTopic, []kafkatest.Write{
		{Key: []byte(`["b",{"server":"z"}]`), Value: []byte(`{"lsn":3}`)}, {Key: []byte(`["b",{"server":"z"}]`)},
		{Key: []byte(`not a key`), Value: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	if err := r.cc.Stop(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	caughtUp(t, r.store, l.KafkaAddr())
	kc, err := kafka.Dial(ctx, l.KafkaAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	st, err := kc.ReadTopic(ctx, offsetsTopic)
	if err != nil {
		t.Fatal(err)
	}
	got, err := journal.OffsetLog{Store: r.store}.LastRecords(ctx, offsetsTopic)
	if err != nil {
		t.Fatal(err)
	}
	want := st.Records()
	if len(want) < 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("journal last records\n%v\ntopic read\n%v", got, want)
	}
}

func sortedPairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// entriesOf reads the whole journal as (partition, offset) → value.
func entriesOf(t *testing.T, st *state.Store) map[[2]int64][]byte {
	t.Helper()
	es, err := st.JournalEntries(context.Background(), state.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]int64][]byte{}
	for _, e := range es {
		k := [2]int64{int64(e.Partition), e.Offset}
		if _, dup := out[k]; dup {
			t.Errorf("record %d@%d stored twice", e.Partition, e.Offset)
		}
		out[k] = e.Value
	}
	return out
}

// A journal stopped mid-stream (here: its process state dropped without a
// clean shutdown) and started again stores every record exactly once.
func TestRestartLosesAndDuplicatesNothing(t *testing.T) {
	testenv.Kcat(t)
	l := testenv.LabWith(t, lab.Options{FlushInterval: 50 * time.Millisecond})
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "state.db")
	r := startRig(t, l, dsn)
	createAdvancing(t, r.cc, "src", `[{"partition":{"server":"a"},"offset":{"lsn":1}},{"partition":{"server":"b"},"offset":{"lsn":5}}]`)
	time.Sleep(1500 * time.Millisecond)
	r.close() // writes go on while no journal runs
	time.Sleep(1500 * time.Millisecond)
	r2 := startRig(t, l, dsn)
	time.Sleep(1 * time.Second)
	if err := r2.cc.Stop(context.Background(), "src"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	caughtUp(t, r2.store, l.KafkaAddr())
	got := entriesOf(t, r2.store)
	recs := testenv.KcatDump(t, l.KafkaAddr(), offsetsTopic)
	if len(recs) < 6 {
		t.Fatalf("only %d records written", len(recs))
	}
	for _, rc := range recs {
		v, ok := got[[2]int64{int64(rc.Partition), rc.Offset}]
		if !ok {
			t.Errorf("record %d@%d missing from the journal", rc.Partition, rc.Offset)
		} else if !bytes.Equal(v, rc.Value) {
			t.Errorf("record %d@%d: journal %s, kcat %s", rc.Partition, rc.Offset, v, rc.Value)
		}
	}
	if len(got) != len(recs) {
		t.Errorf("journal holds %d records, the topic %d", len(got), len(recs))
	}
	runs, err := r2.store.JournalRuns(context.Background())
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %v %v, want 2", runs, err)
	}
	h, err := journal.ReadHistory(context.Background(), r2.store, journal.HistoryOptions{Connector: "src"})
	if err != nil {
		t.Fatal(err)
	}
	down := 0
	for _, g := range h.Gaps {
		if g.Kind == "journal-down" {
			down++
		}
	}
	if down != 1 {
		t.Errorf("history shows %d journal-down windows, want 1: %+v", down, h.Gaps)
	}
}

var _ = cdcops.StateRunning

// Acceptance (issue 12): kill -9 the journal mid-stream, start it again:
// no change lost or duplicated, checked against kcat.
func TestKill9MidStreamLosesAndDuplicatesNothing(t *testing.T) {
	testenv.Kcat(t)
	l := testenv.LabWith(t, lab.Options{FlushInterval: 20 * time.Millisecond})
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "state.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A steady stream of writes straight to the topic, many per second.
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			var ws []kafkatest.Write
			for k := range 20 {
				ws = append(ws, kafkatest.Write{Key: []byte(fmt.Sprintf(`["w",{"server":"s%d"}]`, k)), Value: []byte(fmt.Sprintf(`{"pos":%d}`, i))})
			}
			if err := kafkatest.Produce(ctx, l.KafkaAddr(), offsetsTopic, ws); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	for round := range 3 {
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), childEnv+"="+l.KafkaAddr()+" "+dsn)
		var out bytes.Buffer
		child.Stdout, child.Stderr = &out, &out
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(700+300*round) * time.Millisecond)
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = child.Wait()
		if !strings.Contains(out.String(), "journal running") {
			t.Fatalf("journal child did not run: %s", out.String())
		}
	}
	cancel()
	time.Sleep(100 * time.Millisecond)
	// A last, clean run catches up.
	r := startRig(t, l, dsn)
	caughtUp(t, r.store, l.KafkaAddr())
	got := entriesOf(t, r.store)
	recs := testenv.KcatDump(t, l.KafkaAddr(), offsetsTopic)
	if len(recs) < 500 {
		t.Fatalf("only %d records written", len(recs))
	}
	missing := 0
	for _, rc := range recs {
		v, ok := got[[2]int64{int64(rc.Partition), rc.Offset}]
		if !ok || !bytes.Equal(v, rc.Value) {
			missing++
		}
	}
	if missing > 0 || len(got) != len(recs) {
		t.Errorf("journal holds %d records, topic %d, %d missing or different", len(got), len(recs), missing)
	}
}
