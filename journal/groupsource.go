package journal

import (
	"context"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/kafka"
)

// KafkaGroups reads sink groups' committed offsets through Kafka.
type KafkaGroups struct{ Kafka *kafka.Client }

// GroupOffsets returns group's committed offsets by topic and partition.
func (k KafkaGroups) GroupOffsets(ctx context.Context, group string) (map[string]map[int32]int64, error) {
	offs, err := k.Kafka.GroupOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int32]int64{}
	for _, o := range offs {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	}
	return out, nil
}

// ConnectStates samples every connector's state, class, type and sink
// group from Kafka Connect in one request.
type ConnectStates struct{ Connect *connect.Client }

// Connectors is GET /connectors?expand=status&expand=info.
func (s ConnectStates) Connectors(ctx context.Context) (map[string]ConnectorState, error) {
	exp, err := s.Connect.ListExpanded(ctx, connect.ExpandStatus, connect.ExpandInfo)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ConnectorState, len(exp))
	for name, e := range exp {
		var cs ConnectorState
		if e.Status != nil {
			cs.State = e.Status.Connector.State
		}
		if e.Info != nil {
			cs.Class, cs.Type = e.Info.Config["connector.class"], e.Info.Type
			if cs.Type == cdcops.ConnectorSink {
				cs.Group = connect.SinkGroup(name, e.Info.Config)
			}
		}
		out[name] = cs
	}
	return out, nil
}
