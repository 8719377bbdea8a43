package cdcops

import (
	"encoding/json"
	"time"
)

// OffsetRecord is one record of a Kafka Connect offsets topic. RawKey and
// RawValue are the exact bytes on the topic: Connect looks offsets up by
// key bytes, so they are never re-encoded (spec §3.2–3.4). A nil RawValue
// is a tombstone.
type OffsetRecord struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Timestamp time.Time `json:"timestamp"`
	RawKey    []byte    `json:"key"`
	RawValue  []byte    `json:"value"`

	// Connector is the key's namespace (its first element); empty when the
	// key is not a Connect offset key, in which case Malformed is true.
	Connector string `json:"connector,omitempty"`
	Malformed bool   `json:"malformed,omitempty"`
}

// ConnectorOffset is one entry of the KIP-875 offsets body (spec §2.2).
// Partition and offset stay raw JSON so nothing reorders their keys; a nil
// or "null" Offset means "reset this partition".
type ConnectorOffset struct {
	Partition json.RawMessage `json:"partition"`
	Offset    json.RawMessage `json:"offset"`
}

// ConnectorOffsets is the body of GET/PATCH /connectors/{name}/offsets.
type ConnectorOffsets struct {
	Offsets []ConnectorOffset `json:"offsets"`
}

// Connector kinds as Kafka Connect reports them in "type".
const (
	ConnectorSource  = "source"
	ConnectorSink    = "sink"
	ConnectorUnknown = "unknown"
)

// Connector states as Kafka Connect reports them (spec §1.3).
const (
	StateUnassigned = "UNASSIGNED"
	StateRunning    = "RUNNING"
	StatePaused     = "PAUSED"
	StateFailed     = "FAILED"
	StateRestarting = "RESTARTING"
	StateStopped    = "STOPPED"
)
