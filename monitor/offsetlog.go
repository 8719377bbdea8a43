package monitor

import (
	"context"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/kafka"
)

// OffsetLog gives the last record of every key of an offsets topic, with
// the time it was written (record timestamp). The offsets journal can
// replace TopicOffsetLog here without the monitor changing.
type OffsetLog interface {
	LastRecords(ctx context.Context, topic string) ([]cdcops.OffsetRecord, error)
}

// TopicOffsetLog reads the offsets topic to its end on every call.
type TopicOffsetLog struct{ Kafka *kafka.Client }

// LastRecords reads topic from the start and keeps each key's last record.
func (l TopicOffsetLog) LastRecords(ctx context.Context, topic string) ([]cdcops.OffsetRecord, error) {
	st, err := l.Kafka.ReadTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	return st.Records(), nil
}
