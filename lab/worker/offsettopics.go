package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Connector-specific offsets topics (KIP-618, spec §2.8): a source
// connector may set offsets.storage.topic. Connect then uses a
// ConnectorOffsetBackingStore whose primary store is that topic and whose
// secondary is the worker's topic:
//   - writes (ConnectorOffsetBackingStore.set, since 3.8 / KAFKA-15018,
//     delta K8): tombstones go to the worker topic first and a failure
//     fails the write, so a reset partition cannot be resurrected from it;
//     then every record goes to the connector topic (a failure fails the
//     write); then the non-tombstones go to the worker topic, where a
//     failure is only logged;
//   - reads take the worker's values and then putAll the connector
//     store's, including its nulls for keys it lacks (get), so in effect
//     only the connector topic is read;
//   - the connector's partitions are the union of both (connectorPartitions),
//     which is what a reset tombstones.

// offsetTopics is where a connector's source offsets live.
type offsetTopics struct {
	primary   string // read from and written first
	secondary string // also written; "" when the worker topic is primary
}

func (w *Worker) offsetTopicsFor(cfg map[string]string) offsetTopics {
	t := strings.TrimSpace(cfg["offsets.storage.topic"])
	if t == "" || t == w.opts.OffsetsTopic {
		return offsetTopics{primary: w.opts.OffsetsTopic}
	}
	return offsetTopics{primary: t, secondary: w.opts.OffsetsTopic}
}

// ensure creates the connector's own offsets topic like the worker's:
// compacted, offset.storage.partitions (25) partitions.
func (w *Worker) ensureOffsetTopics(ctx context.Context, ot offsetTopics) error {
	if ot.secondary == "" {
		return nil
	}
	resp, err := w.adm.CreateTopic(ctx, OffsetsPartitions, 1, map[string]*string{"cleanup.policy": ptr("compact")}, ot.primary)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create offsets topic %s: %w", ot.primary, err)
	}
	return nil
}

// writeSourceOffsets stores the records as described above.
func (w *Worker) writeSourceOffsets(ctx context.Context, ot offsetTopics, ws []offsetWrite) error {
	if ot.secondary == "" {
		return w.writeOffsets(ctx, ot.primary, ws)
	}
	var tombstones, values []offsetWrite
	for _, x := range ws {
		if x.value == nil {
			tombstones = append(tombstones, x)
		} else {
			values = append(values, x)
		}
	}
	if len(tombstones) > 0 {
		if err := w.writeOffsets(ctx, ot.secondary, tombstones); err != nil {
			return err
		}
	}
	if err := w.writeOffsets(ctx, ot.primary, ws); err != nil {
		return err
	}
	if len(values) > 0 {
		if err := w.writeOffsets(ctx, ot.secondary, values); err != nil {
			w.log.Warn("failed to write offsets to secondary backing store", "topic", ot.secondary, "err", err)
		}
	}
	return nil
}

// readSourceOffsets reads the primary topic to its end (see above).
func (w *Worker) readSourceOffsets(ctx context.Context, ot offsetTopics) (*offsetsView, error) {
	if err := w.ensureOffsetTopics(ctx, ot); err != nil {
		return nil, err
	}
	return w.readOffsets(ctx, ot.primary)
}

// connectorPartitionKeys is the union of the connector's partition keys
// in both topics, for a reset.
func (w *Worker) connectorPartitionKeys(ctx context.Context, ot offsetTopics, name string) ([][]byte, error) {
	seen := map[string]bool{}
	var keys [][]byte
	for _, topic := range []string{ot.primary, ot.secondary} {
		if topic == "" {
			continue
		}
		view, err := w.readOffsets(ctx, topic)
		if err != nil {
			return nil, err
		}
		for _, so := range view.connectorOffsets(name) {
			if !seen[string(so.key)] {
				seen[string(so.key)] = true
				keys = append(keys, so.key)
			}
		}
	}
	return keys, nil
}
