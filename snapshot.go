package cdcops

import "time"

// SnapshotFormat is the format version written into every snapshot. Each
// version that ever shipped keeps a golden file in testdata/ that must
// still load (docs/snapshot-format.md describes the layout).
const SnapshotFormat = "cdcops.snapshot/v1"

// Snapshot is one offsets backup: what Connect would see for the chosen
// connectors (the offsets-topic records, byte-exact, and the sink consumer
// group offsets), plus where and when it was taken. Meta describes the
// moment; Content is what the content hash covers, so two backups of
// unchanged offsets have the same ContentSHA256.
type Snapshot struct {
	ID            string          `json:"id"`
	Meta          SnapshotMeta    `json:"meta"`
	Content       SnapshotContent `json:"content"`
	ContentSHA256 string          `json:"content_sha256"`
}

// SnapshotMeta is the context of a backup; it is not part of the content hash.
type SnapshotMeta struct {
	Created       time.Time `json:"created"`
	CdcopsVersion string    `json:"cdcops_version"`
	Via           string    `json:"via"` // "topic", "rest" or "journal"
	// AsOf is the instant a journal snapshot describes (Created is when it
	// was materialised); absent for live backups.
	AsOf           *time.Time      `json:"as_of,omitempty"`
	KafkaClusterID string          `json:"kafka_cluster_id,omitempty"`
	Bootstrap      string          `json:"bootstrap,omitempty"`
	ConnectURL     string          `json:"connect_url,omitempty"`
	ConnectVersion string          `json:"connect_version,omitempty"`
	Topics         []SnapshotTopic `json:"topics"`
	Scope          []string        `json:"scope"` // connector names asked for; ["*"] for --all
}

// SnapshotTopic is one offsets topic read for the backup and the end
// offsets sampled when the read started (the read stopped exactly there).
type SnapshotTopic struct {
	Name       string          `json:"name"`
	Reason     string          `json:"reason,omitempty"`
	Partitions int32           `json:"partitions"`
	EndOffsets map[int32]int64 `json:"end_offsets"`
}

// SnapshotContent is the backed-up state itself.
type SnapshotContent struct {
	Connectors []SnapshotConnector `json:"connectors"`
	Records    []OffsetRecord      `json:"records"`
	Groups     []GroupOffsets      `json:"groups,omitempty"`
	// REST holds GET /connectors/{c}/offsets bodies for --via rest backups.
	REST map[string]ConnectorOffsets `json:"rest,omitempty"`
}

// SnapshotConnector is a connector as it was configured at backup time;
// Config has its secrets redacted (RedactConfig).
type SnapshotConnector struct {
	Name         string            `json:"name"`
	Type         string            `json:"type,omitempty"`
	Class        string            `json:"class,omitempty"`
	Config       map[string]string `json:"config,omitempty"`
	OffsetsTopic string            `json:"offsets_topic,omitempty"`
	Group        string            `json:"group,omitempty"` // sink connectors' consumer group
}

// GroupOffsets are a sink connector's consumer group's committed offsets.
type GroupOffsets struct {
	Connector string            `json:"connector"`
	Group     string            `json:"group"`
	Offsets   []PartitionOffset `json:"offsets"`
}

// PartitionOffset is one committed offset of a consumer group.
type PartitionOffset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// Connector returns the connector entry named name, if present.
func (s *Snapshot) Connector(name string) (SnapshotConnector, bool) {
	for _, c := range s.Content.Connectors {
		if c.Name == name {
			return c, true
		}
	}
	return SnapshotConnector{}, false
}

// ConnectorNames lists every connector with content in the snapshot:
// the configured ones, the namespaces of records and the sink groups.
func (s *Snapshot) ConnectorNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, c := range s.Content.Connectors {
		add(c.Name)
	}
	for _, r := range s.Content.Records {
		add(r.Connector)
	}
	for _, g := range s.Content.Groups {
		add(g.Connector)
	}
	for n := range s.Content.REST {
		add(n)
	}
	return out
}

// SnapshotSummary is what a vault listing shows without reading the
// (possibly encrypted) snapshot body.
type SnapshotSummary struct {
	ID            string    `json:"id"`
	Created       time.Time `json:"created"`
	Via           string    `json:"via"`
	Connectors    []string  `json:"connectors"`
	Records       int       `json:"records"`
	Groups        int       `json:"groups"`
	ContentSHA256 string    `json:"content_sha256"`
	FileSHA256    string    `json:"file_sha256"`
	Encrypted     bool      `json:"encrypted"`
	Size          int64     `json:"size"`
}

// Summary derives the listing entry of a snapshot.
func (s *Snapshot) Summary() SnapshotSummary {
	return SnapshotSummary{
		ID:            s.ID,
		Created:       s.Meta.Created,
		Via:           s.Meta.Via,
		Connectors:    s.ConnectorNames(),
		Records:       len(s.Content.Records),
		Groups:        len(s.Content.Groups),
		ContentSHA256: s.ContentSHA256,
	}
}
