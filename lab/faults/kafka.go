package faults

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
)

// topicRecord is one record read back from a topic, raw bytes kept.
type topicRecord struct {
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
}

func newClient(t Target, opts ...kgo.Opt) (*kgo.Client, error) {
	if t.Kafka == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass --bootstrap HOST:PORT of the lab's Kafka", "no Kafka bootstrap address")
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(t.Kafka)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}

// readTopic reads every partition of topic from the start to the end
// offsets sampled when it is called.
func readTopic(ctx context.Context, t Target, topic string) ([]topicRecord, error) {
	cl, err := newClient(t)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	if err := ends.Error(); err != nil {
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "check the topic name and --bootstrap", "topic %s: %v", topic, err)
	}
	want := map[int32]int64{}
	assign := map[string]map[int32]kgo.Offset{topic: {}}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
			assign[topic][o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(want) == 0 {
		return nil, nil
	}
	cons, err := newClient(t, kgo.ConsumePartitions(assign), kgo.KeepControlRecords())
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	var out []topicRecord
	for len(want) > 0 {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = errors.Join(ferr, err) })
		if ferr != nil {
			return nil, fmt.Errorf("read %s: %w", topic, ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok {
				return
			}
			if r.Attrs.IsControl() {
				// markers count toward the end offset but carry no data
			} else {
				out = append(out, topicRecord{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value})
			}
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	return out, nil
}

// produce writes records synchronously and returns where they landed.
// partition < 0 uses the default (murmur2, Java-compatible) partitioner.
func produce(ctx context.Context, t Target, recs []*kgo.Record) error {
	cl, err := newClient(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	return nil
}

// partitionsOf returns how many partitions topic has.
func partitionsOf(ctx context.Context, t Target, topic string) (int32, error) {
	cl, err := newClient(t)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	td, err := kadm.NewClient(cl).ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("describe %s: %w", topic, err)
	}
	d, ok := td[topic]
	if !ok || d.Err != nil {
		return 0, cdcops.Errorf(cdcops.ENOTFOUND, "check the topic name; `kcat -L` lists topics", "topic %s not found", topic)
	}
	return int32(len(d.Partitions)), nil
}
