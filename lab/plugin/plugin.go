package plugin

import (
	"context"
	"log/slog"
	"time"

	"github.com/cdcops/cdcops/connectjson"
)

// Plugin is a connector class, registered with the worker under its class
// name (e.g. "cdcops.lab.ScriptedSource").
type Plugin interface {
	// Type is "source" or "sink".
	Type() string
	// Validate checks a connector config; the worker answers 400 with the
	// error's text on create or config update.
	Validate(config map[string]string) error
	// TaskConfigs splits a connector config into at most maxTasks task configs.
	TaskConfigs(config map[string]string, maxTasks int) ([]map[string]string, error)
}

// SourcePlugin is a source connector class.
type SourcePlugin interface {
	Plugin
	NewTask() SourceTask
}

// SinkPlugin is a sink connector class.
type SinkPlugin interface {
	Plugin
	NewTask() SinkTask
}

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// SourceRecord is what a source task emits. The worker produces Key/Value
// to Topic (skipped when Topic is ""), then remembers SourceOffset as the
// latest offset of SourcePartition and writes it to the offsets topic at
// the next flush (offset.flush.interval.ms), exactly-bytes encoded by
// connectjson with the connector name as namespace.
type SourceRecord struct {
	SourcePartition connectjson.Object
	SourceOffset    connectjson.Object
	Topic           string
	Key, Value      []byte
	Headers         []Header
	Timestamp       time.Time
}

// SourceTaskContext is what the worker gives a source task.
type SourceTaskContext interface {
	// Config is the task's config.
	Config() map[string]string
	// Offset returns the committed offset of a source partition, read from
	// the offsets topic to its end when asked, or nil when there is none.
	Offset(ctx context.Context, partition connectjson.Object) (connectjson.Object, error)
	Logger() *slog.Logger
}

// SourceTask produces records. Poll may block until ctx is done; an empty
// batch is fine. A returned error fails the task (state FAILED, the error
// as trace).
type SourceTask interface {
	Start(ctx context.Context, tc SourceTaskContext) error
	Poll(ctx context.Context) ([]SourceRecord, error)
	Stop() error
}

// SinkRecord is one consumed record handed to a sink task.
type SinkRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp time.Time
}

// SinkTaskContext is what the worker gives a sink task.
type SinkTaskContext interface {
	Config() map[string]string
	Logger() *slog.Logger
	// ReportErrant hands a record the task cannot apply to the worker's
	// error handling, like Connect's ErrantRecordReporter: with
	// errors.tolerance=all it goes to errors.deadletterqueue.topic.name
	// (with the failure in __connect.errors.* headers) and nil is returned;
	// otherwise the error comes back and the task should return it from Put.
	ReportErrant(ctx context.Context, rec SinkRecord, err error) error
}

// SinkTask applies records. The worker consumes the connector's topics in
// group connect-<name> (or consumer.override.group.id) and commits offsets
// after each successful Put. A returned error fails the task.
type SinkTask interface {
	Start(ctx context.Context, tc SinkTaskContext) error
	Put(ctx context.Context, records []SinkRecord) error
	Stop() error
}
