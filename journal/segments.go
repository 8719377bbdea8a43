package journal

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cdcops/cdcops/state"
)

// SegmentFormat names the layout of a shipped segment: gzip'd JSON lines,
// a header line, then one line per entry with the exact key and value
// bytes in base64 (value null for a tombstone).
const SegmentFormat = "cdcops.journal-segment/v1"

// SegmentStore keeps sealed segments off the machine (the vault), as
// litestream ships WAL segments: the journal survives losing its store.
type SegmentStore interface {
	PutSegment(ctx context.Context, name string, data []byte) (sha256 string, err error)
	DeleteSegment(ctx context.Context, name string) error
}

type segmentHeader struct {
	Format   string    `json:"format"`
	FirstSeq int64     `json:"first_seq"`
	LastSeq  int64     `json:"last_seq"`
	Entries  int       `json:"entries"`
	Sealed   time.Time `json:"sealed"`
}

type segmentLine struct {
	Seq            int64     `json:"seq"`
	Time           time.Time `json:"time"`
	Topic          string    `json:"topic"`
	Connector      string    `json:"connector"`
	KafkaPartition int32     `json:"kafka_partition"`
	KafkaOffset    int64     `json:"kafka_offset"`
	Key            []byte    `json:"key_base64"`
	Value          []byte    `json:"value_base64"` // null = tombstone
	Unaudited      bool      `json:"unaudited"`
	Reason         string    `json:"reason,omitempty"`
	PlanID         string    `json:"plan_id,omitempty"`
}

// ship seals the entries not yet shipped when there are at least max of
// them or the last seal is older than every; it returns the segment made.
func (j *Journal) ship(ctx context.Context, force bool) (*state.JournalSegment, error) {
	segs, err := j.o.Store.JournalSegments(ctx)
	if err != nil {
		return nil, err
	}
	var after int64
	lastSeal := time.Time{}
	if len(segs) > 0 {
		after, lastSeal = segs[len(segs)-1].LastSeq, segs[len(segs)-1].Sealed
	}
	maxSeq, err := j.o.Store.JournalMaxSeq(ctx)
	if err != nil || maxSeq <= after {
		return nil, err
	}
	now := j.o.Now()
	if !force && maxSeq-after < int64(j.o.SegmentMax) && now.Sub(lastSeal) < j.o.SegmentEvery {
		return nil, nil
	}
	es, err := j.o.Store.JournalEntries(ctx, state.JournalQuery{AfterSeq: after, Limit: j.o.SegmentMax})
	if err != nil || len(es) == 0 {
		return nil, err
	}
	keys, err := j.o.Store.JournalKeys(ctx, "")
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]state.JournalKey, len(keys))
	for _, k := range keys {
		byID[k.ID] = k
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	seg := state.JournalSegment{FirstSeq: es[0].Seq, LastSeq: es[len(es)-1].Seq, First: es[0].Time, Last: es[0].Time,
		Entries: int64(len(es)), Sealed: now}
	if err := enc.Encode(segmentHeader{Format: SegmentFormat, FirstSeq: seg.FirstSeq, LastSeq: seg.LastSeq, Entries: len(es), Sealed: now.UTC()}); err != nil {
		return nil, err
	}
	for _, e := range es {
		k := byID[e.KeyID]
		if e.Time.After(seg.Last) {
			seg.Last = e.Time
		}
		if e.Time.Before(seg.First) {
			seg.First = e.Time
		}
		if err := enc.Encode(segmentLine{Seq: e.Seq, Time: e.Time, Topic: k.Topic, Connector: k.Connector, KafkaPartition: e.Partition,
			KafkaOffset: e.Offset, Key: k.Key, Value: e.Value, Unaudited: e.Unaudited, Reason: e.Reason, PlanID: e.PlanID}); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	seg.Name = fmt.Sprintf("%020d-%020d.jsonl.gz", seg.FirstSeq, seg.LastSeq)
	seg.Bytes = int64(buf.Len())
	if seg.SHA256, err = j.o.Segments.PutSegment(ctx, seg.Name, buf.Bytes()); err != nil {
		return nil, err
	}
	return &seg, j.o.Store.AddJournalSegment(ctx, seg)
}

// expireSegments deletes the segments whose newest entry is older than
// the retention, from the vault first, then from the store.
func (j *Journal) expireSegments(ctx context.Context) (int, error) {
	segs, err := j.o.Store.JournalSegments(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := j.o.Now().Add(-j.o.Retention)
	n := 0
	for _, g := range segs {
		if !g.Last.Before(cutoff) {
			continue
		}
		if err := j.o.Segments.DeleteSegment(ctx, g.Name); err != nil {
			return n, err
		}
		if err := j.o.Store.DeleteJournalSegment(ctx, g.Name); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
