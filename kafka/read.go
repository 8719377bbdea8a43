package kafka

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
)

// StallTimeout bounds how long a read may go without receiving a record
// before it fails; it never decides that a read is complete.
var StallTimeout = 60 * time.Second

// TopicState is an offsets topic read from its start to the end offsets
// sampled when the read began: for every exact key byte string, the last
// record seen (spec §3.2, §7.1). Keys whose last record is a tombstone are
// absent from Records.
type TopicState struct {
	Topic      string
	Partitions int32
	Start      map[int32]int64 // log start offsets when the read began
	End        map[int32]int64 // read_committed end offsets (LSO) when the read began
	Read       int64           // data records consumed (tombstones included)
	Tombstones int64

	index   map[string]int // exact key bytes → entries index
	entries []entry
}

type entry struct {
	partition int32
	deleted   bool
	offset    int64
	ts        time.Time
	value     []byte
}

// ReadTopic reads topic with read_committed isolation from the earliest
// offset of each partition up to the end offsets sampled before the first
// fetch; it stops exactly when every partition reached its sampled end.
func (c *Client) ReadTopic(ctx context.Context, topic string) (*TopicState, error) {
	st := &TopicState{Topic: topic, Start: map[int32]int64{}, End: map[int32]int64{}, index: map[string]int{}}
	// The committed end (LSO) is where read_committed consumption can reach.
	ends, err := c.adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("end offsets of %s: %w", topic, err))
	}
	starts, err := c.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("start offsets of %s: %w", topic, err))
	}
	if len(ends[topic]) == 0 {
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "list offsets topics with `cdcops offsets topics`", "topic %q does not exist", topic)
	}
	todo := map[int32]kgo.Offset{}
	for p, lo := range ends[topic] {
		if lo.Err != nil {
			return nil, topicErr(topic, lo.Err)
		}
		st.End[p] = lo.Offset
		start := int64(0)
		if so, ok := starts.Lookup(topic, p); ok && so.Err == nil {
			start = so.Offset
		}
		st.Start[p] = start
		if lo.Offset > start {
			todo[p] = kgo.NewOffset().At(start)
		}
	}
	st.Partitions = int32(len(st.End))
	if len(todo) == 0 {
		return st, nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, c.opts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: todo}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(), // a transaction marker can be the last offset
		kgo.FetchMaxBytes(96<<20),
		kgo.FetchMaxPartitionBytes(32<<20),
		kgo.FetchMaxWait(200*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("consumer for %s: %w", topic, err)
	}
	defer cl.Close()
	remaining := len(todo)
	done := make(map[int32]bool, len(todo))
	for remaining > 0 {
		// Completion is decided by offsets, never by time; the stall guard
		// only turns a broker that stops answering into an error.
		pctx, cancel := context.WithTimeout(ctx, StallTimeout)
		fs := cl.PollFetches(pctx)
		stalled := pctx.Err() != nil && fs.NumRecords() == 0
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if stalled {
			var behind []string
			for p := range todo {
				if !done[p] {
					behind = append(behind, fmt.Sprintf("%d", p))
				}
			}
			return nil, unavailable(c.Bootstrap(), fmt.Errorf("reading %s made no progress for %v (partitions %s not at their end offsets)", topic, StallTimeout, strings.Join(behind, ",")))
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("fetch %s[%d]: %w", t, p, err)
			}
		})
		if ferr != nil {
			return nil, unavailable(c.Bootstrap(), ferr)
		}
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			p := fp.Partition
			end := st.End[p]
			for _, r := range fp.Records {
				if r.Offset < end && !r.Attrs.IsControl() {
					st.add(r)
				}
				// >= rather than ==: a record past the end also proves we got there.
				if r.Offset >= end-1 && !done[p] {
					done[p] = true
					remaining--
				}
				if r.Offset >= end {
					break
				}
			}
		})
	}
	return st, nil
}

func topicErr(topic string, err error) error {
	return cdcops.Errorf(cdcops.ENOTFOUND, "list offsets topics with `cdcops offsets topics`", "topic %q: %w", topic, err)
}

// add applies last-write-wins for one record, keyed by its exact bytes.
// Lookups by string(bytes) do not allocate; only a new key copies.
func (st *TopicState) add(r *kgo.Record) {
	st.Read++
	if r.Value == nil {
		st.Tombstones++
	}
	if i, ok := st.index[string(r.Key)]; ok {
		e := &st.entries[i]
		e.partition, e.offset, e.ts, e.value, e.deleted = r.Partition, r.Offset, r.Timestamp, r.Value, r.Value == nil
		return
	}
	if r.Value == nil {
		return // a tombstone for a key never seen: nothing to remove
	}
	st.index[string(r.Key)] = len(st.entries)
	st.entries = append(st.entries, entry{partition: r.Partition, offset: r.Offset, ts: r.Timestamp, value: r.Value})
}

// Len is the number of live keys (last record not a tombstone).
func (st *TopicState) Len() int {
	n := 0
	for i := range st.entries {
		if !st.entries[i].deleted {
			n++
		}
	}
	return n
}

// Records returns the live keys' last records sorted by partition and
// offset, each flagged Malformed when its key is not [string, object].
func (st *TopicState) Records() []cdcops.OffsetRecord {
	out := make([]cdcops.OffsetRecord, 0, len(st.entries))
	for k, i := range st.index {
		e := &st.entries[i]
		if e.deleted {
			continue
		}
		key := []byte(k)
		ns, ok := KeyNamespace(key)
		out = append(out, cdcops.OffsetRecord{
			Topic: st.Topic, Partition: e.partition, Offset: e.offset, Timestamp: e.ts.UTC(),
			RawKey: key, RawValue: e.value, Connector: ns, Malformed: !ok,
		})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Partition != out[b].Partition {
			return out[a].Partition < out[b].Partition
		}
		return out[a].Offset < out[b].Offset
	})
	return out
}
