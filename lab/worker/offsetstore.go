package worker

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connectjson"
)

// sourceOffset is one source partition's latest offset as the offsets
// topic holds it: exact key bytes, the parsed partition and offset.
type sourceOffset struct {
	key       []byte
	partition connectjson.Object
	offset    connectjson.Object
}

// offsetsView is the result of reading the offsets topic to its end, the
// in-memory map KafkaOffsetBackingStore keeps: keyed by exact key bytes,
// last write wins in consumption order, tombstones delete.
type offsetsView struct {
	order  []string // keys in first-seen order
	latest map[string][]byte
}

func (w *Worker) readOffsets(ctx context.Context, topic string) (*offsetsView, error) {
	v := &offsetsView{latest: map[string][]byte{}}
	err := w.readToEnd(ctx, topic, func(r *kgo.Record) {
		k := string(r.Key)
		if r.Value == nil {
			delete(v.latest, k)
			return
		}
		if _, seen := v.latest[k]; !seen {
			v.order = append(v.order, k)
		}
		v.latest[k] = r.Value
	})
	if err != nil {
		return nil, fmt.Errorf("read offsets topic %s: %w", topic, err)
	}
	return v, nil
}

// connectorOffsets returns the connector's partitions with non-null
// offsets, as Worker.sourceConnectorOffsets does; keys that are not
// [string, object] are ignored like OffsetUtils.processPartitionKey does.
func (v *offsetsView) connectorOffsets(name string) []sourceOffset {
	var out []sourceOffset
	seen := map[string]bool{}
	for _, k := range v.order {
		val, ok := v.latest[k]
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		ns, part, err := connectjson.ParseOffsetKey([]byte(k))
		if err != nil || ns != name {
			continue
		}
		parsed, err := connectjson.Parse(val)
		if err != nil {
			continue
		}
		off, ok := parsed.(connectjson.Object)
		if !ok {
			continue
		}
		out = append(out, sourceOffset{key: []byte(k), partition: part, offset: off})
	}
	// Partitions of the topic are consumed in no set order, so sort by key
	// bytes to answer the same way every time (Connect's order is a HashSet's).
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].key, out[j].key) < 0 })
	return out
}

// lookup returns the offset stored under the exact key bytes, or nil.
func (v *offsetsView) lookup(key []byte) connectjson.Object {
	val, ok := v.latest[string(key)]
	if !ok {
		return nil
	}
	off, _ := connectjson.ParseObject(val)
	return off
}

// offsetWrite is one record for the offsets topic; a nil value is a tombstone.
type offsetWrite struct {
	key, value []byte
}

// writeOffsets produces the records to an offsets topic with the default
// (murmur2) partitioner and waits for the acks, like OffsetStorageWriter.doFlush.
func (w *Worker) writeOffsets(ctx context.Context, topic string, ws []offsetWrite) error {
	if len(ws) == 0 {
		return nil
	}
	rs := make([]*kgo.Record, 0, len(ws))
	for _, o := range ws {
		rs = append(rs, &kgo.Record{Topic: topic, Key: o.key, Value: o.value})
	}
	if err := w.produceSync(ctx, rs...); err != nil {
		return fmt.Errorf("write offsets topic %s: %w", topic, err)
	}
	return nil
}

// encodeOffset builds the exact key and value bytes for one source partition.
func encodeOffset(name string, partition, offset connectjson.Object) (offsetWrite, error) {
	key, err := connectjson.OffsetKey(name, partition)
	if err != nil {
		return offsetWrite{}, err
	}
	if offset == nil {
		return offsetWrite{key: key}, nil
	}
	val, err := connectjson.Encode(offset)
	if err != nil {
		return offsetWrite{}, err
	}
	return offsetWrite{key: key, value: val}, nil
}

// sameBytes reports whether two optional values are equal.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }
