package journal

import (
	"context"
	"sort"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/state"
)

// OffsetLog answers "each key's last write and when" from the journal
// instead of reading the whole offsets topic, for monitoring's offset
// staleness (the time since a running connector last committed).
type OffsetLog struct{ Store *state.Store }

// LastRecords returns the live keys' last records on topic.
func (l OffsetLog) LastRecords(ctx context.Context, topic string) ([]cdcops.OffsetRecord, error) {
	keys, err := l.Store.JournalKeys(ctx, "")
	if err != nil {
		return nil, err
	}
	latest, err := l.Store.JournalLatest(ctx)
	if err != nil {
		return nil, err
	}
	var out []cdcops.OffsetRecord
	for _, k := range keys {
		e, ok := latest[k.ID]
		if k.Topic != topic || !ok || e.Value == nil {
			continue
		}
		_, wellFormed := kafka.KeyNamespace(k.Key)
		out = append(out, cdcops.OffsetRecord{Topic: topic, Partition: e.Partition, Offset: e.Offset, Timestamp: e.Time,
			RawKey: k.Key, RawValue: e.Value, Connector: k.Connector, Malformed: !wellFormed})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Partition != out[b].Partition {
			return out[a].Partition < out[b].Partition
		}
		return out[a].Offset < out[b].Offset
	})
	return out, nil
}

// Live reports whether a journal run marked itself alive within maxAge:
// only then is the journal a complete answer for the present.
func Live(ctx context.Context, st *state.Store, now time.Time, maxAge time.Duration) bool {
	runs, err := st.JournalRuns(ctx)
	if err != nil || len(runs) == 0 {
		return false
	}
	return now.Sub(runs[len(runs)-1].Alive) <= maxAge
}
