package backup

import (
	"context"

	"github.com/cdcops/cdcops/kafka"
)

// OffsetsTopics picks the offsets topics a backup would read (the ones
// named, else the discovered ones), for the journal, which tails the same
// topics a backup reads.
func OffsetsTopics(ctx context.Context, kc *kafka.Client, explicit []string, meta Meta) ([]kafka.FoundTopic, error) {
	return offsetsTopics(ctx, kc, explicit, meta)
}
