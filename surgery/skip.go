package surgery

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/kafka"
)

// skipChanges moves a sink past --count records of one topic partition
// (a poison pill), never past the log end.
func skipChanges(ctx context.Context, env Env, req Request) (changeFunc, error) {
	i := strings.LastIndexByte(req.Partition, ':')
	if i <= 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "e.g. --partition orders:0", "skip needs --partition TOPIC:P, got %q", req.Partition)
	}
	topic := req.Partition[:i]
	p, err := strconv.ParseInt(req.Partition[i+1:], 10, 32)
	if err != nil || p < 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "e.g. --partition orders:0", "--partition %q: the partition must be a number", req.Partition)
	}
	count := req.Count
	if count <= 0 {
		return nil, cdcops.Errorf(cdcops.EINVALID, "", "--count must be at least 1")
	}
	return func(c *Current) ([]cdcops.PlanChange, []string, error) {
		if c.Type != cdcops.ConnectorSink {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "move a source connector with `cdcops offsets rewind NAME --to-position POS`",
				"%s is a %s connector: skip is for sink connectors", c.Name, c.Type)
		}
		e, ok := c.Find(SinkPartition(topic, int32(p)))
		if !ok {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "name a partition the sink has consumed",
				"%s has no committed offset for %s[%d] (it has: %s)", c.Name, topic, p, knownPartitions(c))
		}
		_, _, at, _ := sinkParts(e.Partition, e.Value)
		kc, err := kafka.Dial(ctx, env.Bootstrap)
		if err != nil {
			return nil, nil, err
		}
		defer kc.Close()
		_, end, err := kc.OffsetRange(ctx, topic)
		if err != nil {
			return nil, nil, err
		}
		if at+count > end[int32(p)] {
			return nil, nil, cdcops.Errorf(cdcops.EINVALID, "lower --count",
				"skipping %d from offset %d passes the end of %s[%d] (%d)", count, at, topic, p, end[int32(p)])
		}
		after := SinkOffset(at + count)
		ch, _ := change(c, e, e, true, after)
		flag := fmt.Sprintf("skip on %s %s[%d]: offsets %d..%d are never delivered", c.Name, topic, p, at, at+count-1)
		return []cdcops.PlanChange{ch}, []string{flag}, nil
	}, nil
}

// resetChanges removes every offset of the connector: a Debezium source
// re-snapshots (snapshot.mode decides), a sink starts from
// auto.offset.reset.
func resetChanges(c *Current) ([]cdcops.PlanChange, []string, error) {
	if len(c.Entries) == 0 {
		return nil, nil, nil
	}
	var out []cdcops.PlanChange
	for _, e := range c.Entries {
		ch, err := change(c, e, e, true, nil)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, ch)
	}
	what := "the connector starts as if new: a Debezium source takes a new snapshot (snapshot.mode " + orDefault(c.Config["snapshot.mode"], "initial") + ")"
	if c.Type == cdcops.ConnectorSink {
		what = "the sink's consumer group loses its offsets and starts from consumer.auto.offset.reset (" + orDefault(c.Config["consumer.override.auto.offset.reset"], "earliest") + ")"
	}
	return out, []string{fmt.Sprintf("reset of %s (%d partitions): %s", c.Name, len(out), what)}, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
