package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
)

// TailRecord is one record of a tailed topic. Control records (transaction
// markers) carry no offsets but occupy an offset, so they are passed on
// to let the caller tell a compacted hole from a marker.
type TailRecord struct {
	cdcops.OffsetRecord
	Control bool
}

// TailOptions say where a tail starts.
type TailOptions struct {
	Topics []string
	// From is the next offset to read per topic and partition; a partition
	// not in From starts at its log start offset.
	From map[string]map[int32]int64
	// MaxWait bounds how long one fetch waits for new records.
	MaxWait time.Duration
}

// Tail consumes the topics with read_committed isolation and calls fn with
// the records of each fetch, in offset order per partition, until ctx ends
// or fn fails. A partition whose next offset was removed by retention
// resumes at the log start; the caller sees the jump in offsets.
func (c *Client) Tail(ctx context.Context, o TailOptions, fn func([]TailRecord) error) error {
	starts, err := c.adm.ListStartOffsets(ctx, o.Topics...)
	if err != nil {
		return unavailable(c.Bootstrap(), fmt.Errorf("start offsets of %v: %w", o.Topics, err))
	}
	assign := map[string]map[int32]kgo.Offset{}
	for _, topic := range o.Topics {
		parts, ok := starts[topic]
		if !ok || len(parts) == 0 {
			return cdcops.Errorf(cdcops.ENOTFOUND, "list offsets topics with `cdcops offsets topics`", "topic %q does not exist", topic)
		}
		assign[topic] = map[int32]kgo.Offset{}
		for p, so := range parts {
			if so.Err != nil {
				return topicErr(topic, so.Err)
			}
			at := so.Offset
			if next, ok := o.From[topic][p]; ok && next > at {
				at = next
			}
			assign[topic][p] = kgo.NewOffset().At(at)
		}
	}
	wait := o.MaxWait
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, c.opts...),
		kgo.ConsumePartitions(assign),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(wait),
	)...)
	if err != nil {
		return fmt.Errorf("tail consumer: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("fetch %s[%d]: %w", t, p, err)
			}
		})
		if ferr != nil {
			return unavailable(c.Bootstrap(), ferr)
		}
		batch := make([]TailRecord, 0, fs.NumRecords())
		fs.EachRecord(func(r *kgo.Record) {
			ns, ok := KeyNamespace(r.Key)
			batch = append(batch, TailRecord{
				OffsetRecord: cdcops.OffsetRecord{
					Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UTC(),
					RawKey: r.Key, RawValue: r.Value, Connector: ns, Malformed: !ok,
				},
				Control: r.Attrs.IsControl(),
			})
		})
		if len(batch) == 0 {
			continue
		}
		if err := fn(batch); err != nil {
			return err
		}
	}
}
