package kafka

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/cdcops/cdcops"
)

// GroupState is a consumer group's state (Empty, Dead, Stable, ...) and
// how many members it has. A sink connector's group must be empty before
// its offsets are changed (spec §6).
func (c *Client) GroupState(ctx context.Context, group string) (string, int, error) {
	gs, err := c.adm.DescribeGroups(ctx, group)
	if err != nil {
		return "", 0, unavailable(c.Bootstrap(), fmt.Errorf("describe group %s: %w", group, err))
	}
	g, ok := gs[group]
	if !ok {
		return "Dead", 0, nil
	}
	if g.Err != nil {
		return "", 0, fmt.Errorf("describe group %s: %w", group, g.Err)
	}
	return g.State, len(g.Members), nil
}

// CommitGroupOffsets sets a group's committed offsets for the listed
// partitions (the group must be empty), and deletes the committed offset
// of each partition in reset.
func (c *Client) CommitGroupOffsets(ctx context.Context, group string, offs []cdcops.PartitionOffset, reset []cdcops.PartitionOffset) error {
	if len(offs) > 0 {
		os := kadm.Offsets{}
		for _, o := range offs {
			os.AddOffset(o.Topic, o.Partition, o.Offset, -1)
		}
		resp, err := c.adm.CommitOffsets(ctx, group, os)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			return cdcops.Errorf(cdcops.ECONFLICT, "stop the sink connector first (its group must be empty)", "commit offsets of group %s: %w", group, err)
		}
	}
	if len(reset) > 0 {
		ts := kadm.TopicsSet{}
		for _, o := range reset {
			ts.Add(o.Topic, o.Partition)
		}
		resp, err := c.adm.DeleteOffsets(ctx, group, ts)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			return cdcops.Errorf(cdcops.ECONFLICT, "stop the sink connector first (its group must be empty)", "delete offsets of group %s: %w", group, err)
		}
	}
	return nil
}

// OffsetsForTime returns, per partition of topic, the first offset whose
// record timestamp is at or after ms (the log end when there is none),
// as ListOffsets by timestamp does for kafka-consumer-groups --to-datetime.
func (c *Client) OffsetsForTime(ctx context.Context, topic string, ms int64) (map[int32]int64, error) {
	lo, err := c.adm.ListOffsetsAfterMilli(ctx, ms, topic)
	if err != nil {
		return nil, unavailable(c.Bootstrap(), fmt.Errorf("offsets of %s for time %d: %w", topic, ms, err))
	}
	out := map[int32]int64{}
	var ferr error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			ferr = o.Err
			return
		}
		out[o.Partition] = o.Offset
	})
	if ferr != nil {
		return nil, topicErr(topic, ferr)
	}
	return out, nil
}

// OffsetRange returns the log start and end offsets of each partition of topic.
func (c *Client) OffsetRange(ctx context.Context, topic string) (start, end map[int32]int64, err error) {
	s, err := c.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, nil, unavailable(c.Bootstrap(), err)
	}
	e, err := c.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, nil, unavailable(c.Bootstrap(), err)
	}
	start, end = map[int32]int64{}, map[int32]int64{}
	s.Each(func(o kadm.ListedOffset) { start[o.Partition] = o.Offset })
	e.Each(func(o kadm.ListedOffset) { end[o.Partition] = o.Offset })
	if len(end) == 0 {
		return nil, nil, topicErr(topic, fmt.Errorf("no partitions"))
	}
	return start, end, nil
}
