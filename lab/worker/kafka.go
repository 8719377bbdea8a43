package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// initKafka learns the cluster id and creates the internal topics the way
// Connect does: compacted, offsets with 25 partitions, configs with one
// (KafkaOffsetBackingStore / KafkaConfigBackingStore.newTopicDescription).
func (w *Worker) initKafka(ctx context.Context) error {
	md, err := w.adm.Metadata(ctx)
	if err != nil {
		return fmt.Errorf("kafka metadata from %s: %w", w.opts.KafkaAddr, err)
	}
	w.cluster = md.Cluster
	compact := map[string]*string{"cleanup.policy": ptr("compact")}
	for _, t := range []struct {
		name       string
		partitions int32
	}{{w.opts.OffsetsTopic, OffsetsPartitions}, {w.opts.ConfigTopic, 1}} {
		resp, err := w.adm.CreateTopic(ctx, t.partitions, 1, compact, t.name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create internal topic %s: %w", t.name, err)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// readToEnd consumes every partition of topic from the start to the end
// offsets sampled first, like KafkaBasedLog.readToEnd, calling fn in
// per-partition order. Control records are kept so a transaction marker at
// the end of a partition still counts as reaching it.
func (w *Worker) readToEnd(ctx context.Context, topic string, fn func(*kgo.Record)) error {
	ends, err := w.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	starts, err := w.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("start offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	var perr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			perr = o.Err
			return
		}
		// Empty partitions, including ones emptied by DeleteRecords, have
		// nothing to wait for.
		if s, ok := starts.Lookup(topic, o.Partition); o.Offset > 0 && (!ok || s.Offset < o.Offset) {
			want[o.Partition] = o.Offset
			start[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if perr != nil {
		return fmt.Errorf("end offsets of %s: %w", topic, perr)
	}
	if len(want) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(w.opts.KafkaAddr), kgo.KeepControlRecords(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}))
	if err != nil {
		return err
	}
	defer cl.Close()
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("read %s[%d]: %w", t, p, err) })
		if ferr != nil {
			return ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			if !r.Attrs.IsControl() {
				fn(r)
			}
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	return nil
}

// produceSync writes records and waits for all acks.
func (w *Worker) produceSync(ctx context.Context, rs ...*kgo.Record) error {
	if len(rs) == 0 {
		return nil
	}
	return w.kcl.ProduceSync(ctx, rs...).FirstErr()
}
