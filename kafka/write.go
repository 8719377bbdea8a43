package kafka

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
)

// WriteOffsetRecords produces records to offsets topics with their exact
// key and value bytes into the partition each names (the partition the key
// was seen in at backup, spec §3.3); a nil RawValue is a tombstone. It
// waits until every record is acknowledged. Idempotence is off, as on
// Connect's own offsets producer (spec §3.2).
func (c *Client) WriteOffsetRecords(ctx context.Context, recs []cdcops.OffsetRecord) error {
	if len(recs) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, c.opts...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.DisableIdempotentWrite(),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	)...)
	if err != nil {
		return fmt.Errorf("offsets producer: %w", err)
	}
	defer cl.Close()
	rs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		rs[i] = &kgo.Record{Topic: r.Topic, Partition: r.Partition, Key: r.RawKey, Value: r.RawValue}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		return unavailable(c.Bootstrap(), fmt.Errorf("write offsets records: %w", err))
	}
	return nil
}

// TopicPartitions is the number of partitions of topic (ENOTFOUND when it
// does not exist).
func (c *Client) TopicPartitions(ctx context.Context, topic string) (int32, error) {
	td, err := c.adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, unavailable(c.Bootstrap(), fmt.Errorf("describe %s: %w", topic, err))
	}
	d, ok := td[topic]
	if !ok || d.Err != nil {
		return 0, cdcops.Errorf(cdcops.ENOTFOUND, "list offsets topics with `cdcops offsets topics`", "topic %q does not exist", topic)
	}
	return int32(len(d.Partitions)), nil
}
