package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/state"
)

// DefaultRetention keeps seven days of history, the playbooks' backup
// retention.
const DefaultRetention = 7 * 24 * time.Hour

// Options are a journal's dependencies and settings.
type Options struct {
	Store  *state.Store
	Kafka  *kafka.Client
	Topics []string // offsets topics to tail (from discovery)

	// States reports connectors' states; nil when Connect is not reachable,
	// in which case writes while stopped cannot be told apart.
	States StateSource
	// Plans names the cdcops plan writing a connector's offsets; nil = none.
	Plans PlanSource
	// Notify is called after an unaudited change is stored.
	Notify func(context.Context, Change)
	// Groups reads sink connectors' consumer group offsets; nil (or no
	// States) leaves sinks out of the journal.
	Groups    GroupSource
	GroupPoll time.Duration // how often sink groups are polled (default 1s)
	// Segments receives sealed segments (the vault); nil = none shipped.
	Segments     SegmentStore
	SegmentEvery time.Duration // seal at least this often (default 10m)
	SegmentMax   int           // or once this many entries wait (default 100,000)

	Log       *slog.Logger
	Poll      time.Duration // how often connector states are sampled (default 250ms)
	Retention time.Duration // entries older than this are pruned (default 7 days)
	Now       func() time.Time
}

// StateSource reports every connector's state as Connect sees it now.
type StateSource interface {
	Connectors(ctx context.Context) (map[string]ConnectorState, error)
}

// ConnectorState is a connector's state and class at a sample; sink
// connectors also name the consumer group they commit in.
type ConnectorState struct {
	State string
	Class string
	Type  string // "source" or "sink"
	Group string // sinks only
}

// PlanSource names the cdcops plan that was applying to connector at t,
// or "" when none was.
type PlanSource interface {
	PlanApplying(ctx context.Context, connector string, t time.Time) (string, error)
}

// Journal tails offsets topics into the state store. Create it with New
// and call Run.
type Journal struct {
	o  Options
	mu sync.Mutex // the tail and the group poller share the maps below

	lastGroupPoll time.Time
	keys          map[string]int64  // topic + NUL + exact key bytes → key id
	class         map[string]string // connector → class, from the latest sample
	latest        map[int64][]byte  // key id → last value (nil = tombstone)
	next          map[string]map[int32]int64
	lastTS        map[string]map[int32]time.Time
	states        *sampler
	// appended counts entries since the last checkpoint of the store.
	appended atomic.Int64
}

// New prepares a journal: it loads the keys, each key's last value and
// the stored positions, so a restarted journal continues exactly where
// the last one stored its final batch.
func New(ctx context.Context, o Options) (*Journal, error) {
	if o.Store == nil || o.Kafka == nil {
		return nil, errors.New("journal: Store and Kafka are required")
	}
	if len(o.Topics) == 0 {
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "check --bootstrap and `cdcops offsets topics`, or pass --topic", "no offsets topics to journal")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.GroupPoll <= 0 {
		o.GroupPoll = time.Second
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.SegmentEvery <= 0 {
		o.SegmentEvery = 10 * time.Minute
	}
	if o.SegmentMax <= 0 {
		o.SegmentMax = 100_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	j := &Journal{o: o, keys: map[string]int64{}, class: map[string]string{}, latest: map[int64][]byte{},
		lastTS: map[string]map[int32]time.Time{}}
	keys, err := o.Store.JournalKeys(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		j.keys[k.Topic+"\x00"+string(k.Key)] = k.ID
	}
	latest, err := o.Store.JournalLatest(ctx)
	if err != nil {
		return nil, err
	}
	for id, e := range latest {
		j.latest[id] = e.Value
	}
	if j.next, err = o.Store.JournalPositions(ctx); err != nil {
		return nil, err
	}
	if o.States != nil {
		j.states = newSampler(o.States, o.Now)
	}
	return j, nil
}

// Mode says what the journal can see, for logs and `offsets journal`.
func (j *Journal) Mode() string {
	switch {
	case j.o.States == nil:
		return "offsets topics only (no Connect: sink groups and writes while stopped are not seen)"
	case j.o.Groups == nil:
		return "offsets topics + connector states"
	}
	return fmt.Sprintf("offsets topics + connector states + sink group offsets polled every %v", j.o.GroupPoll)
}

// Run tails the topics until ctx ends, storing every record. It returns
// ctx's error on a clean stop.
func (j *Journal) Run(ctx context.Context) error {
	runID, err := j.o.Store.StartJournalRun(ctx, j.o.Now(), j.Mode())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	// Every helper goroutine ends before Run returns: the caller closes the
	// store right after, and housekeeping still writes the last segment.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { j.housekeeping(ctx, runID) })
	if j.states != nil {
		wg.Go(func() { j.states.run(ctx, j.o.Poll, j.o.Log) })
		if j.o.Groups != nil {
			j.lastGroupPoll = j.o.Now()
			wg.Go(func() { j.pollGroups(ctx) })
		}
	}
	j.o.Log.Info("offsets journal started", "topics", j.o.Topics, "mode", j.Mode())
	return j.o.Kafka.Tail(ctx, kafka.TailOptions{Topics: j.o.Topics, From: j.next}, func(recs []kafka.TailRecord) error {
		return j.append(ctx, recs)
	})
}

// housekeeping marks the run alive and prunes past the retention.
func (j *Journal) housekeeping(ctx context.Context, runID int64) {
	alive := time.NewTicker(5 * time.Second)
	defer alive.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			// A last mark and segment with a fresh context: the run ended now.
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = j.o.Store.TouchJournalRun(c, runID, j.o.Now())
			if j.o.Segments != nil {
				if _, err := j.ship(c, true); err != nil {
					j.o.Log.Warn("journal: ship the last segment", "err", err)
				}
			}
			cancel()
			return
		case <-alive.C:
			if err := j.o.Store.TouchJournalRun(ctx, runID, j.o.Now()); err != nil {
				j.o.Log.Warn("journal: mark run alive", "err", err)
			}
			if n := j.appended.Swap(0); n > 0 {
				if err := j.o.Store.Checkpoint(ctx); err != nil {
					j.o.Log.Debug("journal: checkpoint", "err", err)
				}
			}
			if j.o.Segments != nil {
				if seg, err := j.ship(ctx, false); err != nil {
					j.o.Log.Warn("journal: ship segment to the vault", "err", err)
				} else if seg != nil {
					j.o.Log.Info("journal: segment shipped", "name", seg.Name, "entries", seg.Entries, "bytes", seg.Bytes, "sha256", seg.SHA256)
				}
			}
		case <-prune.C:
			if n, err := j.o.Store.PruneJournal(ctx, j.o.Now().Add(-j.o.Retention)); err != nil {
				j.o.Log.Warn("journal: prune", "err", err)
			} else if n > 0 {
				j.o.Log.Info("journal: pruned entries past retention", "entries", n, "retention", j.o.Retention)
			}
			if j.o.Segments != nil {
				if n, err := j.expireSegments(ctx); err != nil {
					j.o.Log.Warn("journal: expire segments", "err", err)
				} else if n > 0 {
					j.o.Log.Info("journal: segments past retention deleted", "segments", n)
				}
			}
		}
	}
}

// append classifies and stores one fetch's records in one transaction,
// with the positions after them.
func (j *Journal) append(ctx context.Context, recs []kafka.TailRecord) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var newest time.Time
	for _, r := range recs {
		if r.Timestamp.After(newest) {
			newest = r.Timestamp
		}
	}
	if j.states != nil {
		// Classify only against samples taken after the records were written.
		j.states.freshAt(ctx, newest, j.o.Log)
	}
	if err := j.addKeys(ctx, recs); err != nil {
		return err
	}
	now := j.o.Now()
	batch := state.JournalBatch{Positions: map[string]map[int32]int64{}}
	var changes []Change
	for _, r := range recs {
		if gap, ok := j.hole(r); ok {
			batch.Gaps = append(batch.Gaps, gap)
			j.o.Log.Warn("journal: offsets were removed before the journal saw them", "topic", gap.Topic, "partition", gap.Partition,
				"from_offset", gap.FromOffset, "to_offset", gap.ToOffset, "kind", gap.Kind)
		}
		if batch.Positions[r.Topic] == nil {
			batch.Positions[r.Topic] = map[int32]int64{}
		}
		batch.Positions[r.Topic][r.Partition] = r.Offset + 1
		j.next[r.Topic][r.Partition] = r.Offset + 1
		if r.Control {
			continue
		}
		id := j.keys[r.Topic+"\x00"+string(r.RawKey)]
		e := state.JournalEntry{KeyID: id, Partition: r.Partition, Offset: r.Offset, Time: r.Timestamp, Seen: now, Value: r.RawValue}
		reason, plan, err := j.classify(ctx, id, r)
		if err != nil {
			return err
		}
		e.Reason, e.PlanID, e.Unaudited = reason, plan, reason != ""
		if e.Unaudited {
			changes = append(changes, j.change(id, r, reason))
		}
		j.latest[id] = r.RawValue
		batch.Entries = append(batch.Entries, e)
	}
	// On failure Run ends, so the in-memory positions running ahead of the
	// store do not matter: a restart reloads them from the store.
	if err := j.o.Store.AppendJournal(ctx, batch); err != nil {
		return err
	}
	j.appended.Add(int64(len(batch.Entries)))
	j.notify(ctx, changes)
	return nil
}

func (j *Journal) notify(ctx context.Context, changes []Change) {
	for _, c := range changes {
		j.o.Log.Warn("unaudited offsets change", "connector", c.Connector, "topic", c.Topic, "partition", c.KafkaPartition, "offset", c.KafkaOffset, "reason", c.Reason)
		if j.o.Notify != nil {
			j.o.Notify(ctx, c)
		}
	}
}

// hole reports offsets between the last one seen and r that never reached
// the journal: compaction removed them, or retention, or an aborted
// transaction (read_committed skips those; they never took effect).
func (j *Journal) hole(r kafka.TailRecord) (state.JournalGap, bool) {
	if j.lastTS[r.Topic] == nil {
		j.lastTS[r.Topic] = map[int32]time.Time{}
	}
	prevTS := j.lastTS[r.Topic][r.Partition]
	j.lastTS[r.Topic][r.Partition] = r.Timestamp
	if j.next[r.Topic] == nil {
		j.next[r.Topic] = map[int32]int64{}
	}
	expected, known := j.next[r.Topic][r.Partition]
	if r.Offset <= expected {
		return state.JournalGap{}, false
	}
	kind := "compacted"
	if !known {
		kind = "before-first-run"
	}
	return state.JournalGap{Topic: r.Topic, Partition: r.Partition, FromOffset: expected, ToOffset: r.Offset,
		From: prevTS, To: r.Timestamp, Kind: kind}, true
}

// addKeys stores the keys recs bring that the journal has not seen, in
// one transaction (a first run sees every key at once).
func (j *Journal) addKeys(ctx context.Context, recs []kafka.TailRecord) error {
	var fresh []state.JournalKey
	pending := map[string]bool{}
	for _, r := range recs {
		k := r.Topic + "\x00" + string(r.RawKey)
		if _, ok := j.keys[k]; ok || r.Control || pending[k] {
			continue
		}
		pending[k] = true
		fresh = append(fresh, state.JournalKey{Topic: r.Topic, Connector: r.Connector, Key: r.RawKey})
	}
	if len(fresh) == 0 {
		return nil
	}
	ids, err := j.o.Store.AddJournalKeys(ctx, fresh)
	if err != nil {
		return err
	}
	for i, k := range fresh {
		j.keys[k.Topic+"\x00"+string(k.Key)] = ids[i]
	}
	return nil
}
