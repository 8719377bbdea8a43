package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// EndOffsets returns the end offset (high watermark) of every partition of
// topics; topics that do not exist are absent from the result.
func (c *Client) EndOffsets(ctx context.Context, topics ...string) (map[string]map[int32]int64, error) {
	out := map[string]map[int32]int64{}
	if len(topics) == 0 {
		return out, nil
	}
	ends, err := c.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("end offsets: %w", err))
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return
		}
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	})
	return out, nil
}

// GroupMembers returns how many members each group has (0 for an empty or
// unknown group): a sink whose group has no members is not consuming.
func (c *Client) GroupMembers(ctx context.Context, groups ...string) (map[string]int, error) {
	out := make(map[string]int, len(groups))
	if len(groups) == 0 {
		return out, nil
	}
	described, err := c.adm.DescribeGroups(ctx, groups...)
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("describe groups: %w", err))
	}
	for _, g := range groups {
		if d, ok := described[g]; ok && d.Err == nil {
			out[g] = len(d.Members)
		} else {
			out[g] = 0
		}
	}
	return out, nil
}

// RecordTimes returns the timestamp of the first record at or after each
// given offset (what a consumer at that committed offset reads next), as
// kafka-lag-exporter does for time lag. Partitions whose record cannot be
// read within wait (deleted by retention, or only control records) are
// absent; the caller falls back to interpolation.
func (c *Client) RecordTimes(ctx context.Context, at map[string]map[int32]int64, wait time.Duration) (map[string]map[int32]time.Time, error) {
	out := map[string]map[int32]time.Time{}
	assign := map[string]map[int32]kgo.Offset{}
	want := 0
	for t, ps := range at {
		assign[t] = map[int32]kgo.Offset{}
		for p, o := range ps {
			assign[t][p] = kgo.NewOffset().At(o)
			want++
		}
	}
	if want == 0 {
		return out, nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, c.opts...),
		kgo.ConsumePartitions(assign),
		kgo.FetchMaxWait(100*time.Millisecond),
		kgo.FetchMaxPartitionBytes(64<<10), // one record is all we need
	)...)
	if err != nil {
		return nil, fmt.Errorf("consumer for record times: %w", err)
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for want > 0 && pctx.Err() == nil {
		fs := cl.PollFetches(pctx)
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			if len(fp.Records) == 0 {
				return
			}
			if out[fp.Topic] == nil {
				out[fp.Topic] = map[int32]time.Time{}
			}
			if _, done := out[fp.Topic][fp.Partition]; done {
				return
			}
			out[fp.Topic][fp.Partition] = fp.Records[0].Timestamp
			want--
			cl.PauseFetchPartitions(map[string][]int32{fp.Topic: {fp.Partition}})
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
