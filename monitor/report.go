package monitor

import "time"

// Report is one evaluation cycle. Durations are in milliseconds (*_ms),
// times RFC3339 UTC, lists never null.
type Report struct {
	At         time.Time   `json:"at"`
	IntervalMS int64       `json:"interval_ms"`
	Status     Status      `json:"status"` // worst connector status
	Connectors []Connector `json:"connectors"`
	// Errors are checks that could not run this cycle (redacted).
	Errors []string `json:"errors"`
}

// Connector is one connector's state and figures.
type Connector struct {
	Name  string `json:"connector"`
	Type  string `json:"type"`  // source or sink
	State string `json:"state"` // Connect's connector state
	Up    bool   `json:"up"`    // connector and every task RUNNING
	// Status is the worst finding (OK, WARN, ERR, STOP, STALL, REWIND);
	// Severity collapses it to OK, WARN or ERR.
	Status   Status   `json:"status"`
	Severity Status   `json:"severity"`
	Reasons  []string `json:"reasons"`

	Sink       *Sink       `json:"sink,omitempty"`
	Source     *Source     `json:"source,omitempty"`
	Offsets    *OffsetsAge `json:"offsets,omitempty"`
	DLQ        *DLQ        `json:"dlq,omitempty"`
	Throughput *Throughput `json:"throughput,omitempty"`
	Watermark  *Watermark  `json:"watermark,omitempty"`
}

// Sink is a sink connector's consumer group lag.
type Sink struct {
	Group      string      `json:"group"`
	Members    int         `json:"members"`
	TotalLag   int64       `json:"total_lag"`
	MaxLagMS   int64       `json:"max_lag_ms"`
	Complete   float64     `json:"complete"` // fraction of partitions with a full window
	Partitions []Partition `json:"partitions"`
}

// Partition is one topic partition a sink consumes.
type Partition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Committed int64  `json:"committed"` // -1: nothing committed yet
	End       int64  `json:"end"`
	Lag       int64  `json:"lag"`
	LagMS     int64  `json:"lag_ms"`
	// LagFrom says how lag_ms was found: record (timestamp of the record at
	// the committed offset), interpolated (from end offsets over time),
	// caught_up, or unknown.
	LagFrom  string `json:"lag_from"`
	Status   Status `json:"status"`
	Complete bool   `json:"complete"`
}

// Source is a source connector's distance from its database log.
type Source struct {
	Kind     string `json:"kind"`
	Position string `json:"position"` // the offset, for people
	Head     string `json:"head"`     // the database's current log position
	// LagBytes: log head − offset position (PostgreSQL LSN, or binlog
	// bytes across files). SlotLagBytes: head − slot confirmed_flush_lsn.
	LagBytes     *int64     `json:"lag_bytes"`
	SlotLagBytes *int64     `json:"slot_lag_bytes,omitempty"`
	LagGTIDs     *int64     `json:"lag_gtids,omitempty"` // transactions executed but not in the offset
	LagMS        *int64     `json:"lag_ms"`              // now − the offset's source time (ts_usec / ts_sec / ts_ms)
	SourceTime   *time.Time `json:"source_time,omitempty"`
	Retention    Retention  `json:"retention"`
}

// Retention says how close the offset's position is to being purged.
// Risk: 0 safe, 1 at risk, 2 gone (a rewind or restart would fail).
type Retention struct {
	Risk        int    `json:"risk"`
	Reason      string `json:"reason,omitempty"`
	WALStatus   string `json:"wal_status,omitempty"`
	SafeWALSize *int64 `json:"safe_wal_size,omitempty"`
	OldestLog   string `json:"oldest_log,omitempty"`
}

// OffsetsAge is when a source connector's offset was last written.
type OffsetsAge struct {
	Topic     string    `json:"topic"`
	LastWrite time.Time `json:"last_write"`
	AgeMS     int64     `json:"age_ms"`
	Stale     bool      `json:"stale"`
}

// DLQ is a sink's dead letter queue topic.
type DLQ struct {
	Topic      string         `json:"topic"`
	Total      int64          `json:"total"`    // records in the topic (end offsets summed)
	Interval   int64          `json:"interval"` // records added this cycle
	Spike      bool           `json:"spike"`
	Partitions []DLQPartition `json:"partitions"`
}

// DLQPartition is one partition of a DLQ topic.
type DLQPartition struct {
	Partition int32   `json:"partition"`
	Total     int64   `json:"total"`
	Interval  int64   `json:"interval"`
	Baseline  float64 `json:"baseline"` // records per cycle before this one
	Spike     bool    `json:"spike"`
}

// Throughput is records per second: produced to a source's topics, or
// consumed (committed) by a sink.
type Throughput struct {
	RecordsPerSec  float64 `json:"records_per_sec"`
	BaselinePerSec float64 `json:"baseline_per_sec"`
	Dip            bool    `json:"dip"`
}

// Watermark compares the source offset's time with the sink table's
// newest change.
type Watermark struct {
	Table      string     `json:"table"`
	SourceTime *time.Time `json:"source_time"`
	SinkTime   *time.Time `json:"sink_time"`
	GapMS      int64      `json:"gap_ms"`
	BudgetMS   int64      `json:"budget_ms"`
	Breach     bool       `json:"breach"`
}
