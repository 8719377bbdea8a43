package sqlpipe

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/sqlconn"
)

// PipelineOptions describe the lab's demo pipeline.
type PipelineOptions struct {
	// SourceDSN and SinkDSN default to SQLite files in Dir ("sqlite" also
	// means that).
	SourceDSN, SinkDSN string
	Dir                string
	// Source and Sink are the connector names (lab-source, lab-sink).
	Source, Sink string
	Prefix       string // topic.prefix (lab)
	Tables       []string
	// PollInterval of the source (default 100 ms: the lab is for rehearsing).
	PollInterval time.Duration
	// DLQ, when set, makes the sink tolerate errors and send them there.
	DLQ string
	// SourceConfig and SinkConfig are added to (and override) the defaults.
	SourceConfig, SinkConfig map[string]string
	// Kafka is the bootstrap address; the topics are created up front so
	// the sink subscribes to them before the first change.
	Kafka string
}

// Pipeline is what SetupPipeline created.
type Pipeline struct {
	SourceDSN string   `json:"source_db"`
	SinkDSN   string   `json:"sink_db"`
	Source    string   `json:"source_connector"`
	Sink      string   `json:"sink_connector"`
	Topics    []string `json:"topics"`
	DLQ       string   `json:"dlq,omitempty"`
}

func (o *PipelineOptions) defaults() {
	if o.Source == "" {
		o.Source = "lab-source"
	}
	if o.Sink == "" {
		o.Sink = "lab-sink"
	}
	if o.Prefix == "" {
		o.Prefix = "lab"
	}
	if len(o.Tables) == 0 {
		o.Tables = DemoTables
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.SourceDSN == "" || o.SourceDSN == "sqlite" {
		o.SourceDSN = "sqlite://" + filepath.Join(o.Dir, "source.db")
	}
	if o.SinkDSN == "" || o.SinkDSN == "sqlite" {
		o.SinkDSN = "sqlite://" + filepath.Join(o.Dir, "sink.db")
	}
}

// SetupPipeline creates the demo schema (customers, orders) in the source
// and sink databases, the topics, and the source and sink connectors.
func SetupPipeline(ctx context.Context, c *connect.Client, o PipelineOptions) (*Pipeline, error) {
	o.defaults()
	if o.SourceDSN == o.SinkDSN {
		return nil, cdcops.Errorf(cdcops.EINVALID, "give the sink its own database (--sink-db)", "source and sink are the same database")
	}
	src, err := sqlconn.Open(ctx, o.SourceDSN)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	sink, err := sqlconn.Open(ctx, o.SinkDSN)
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	for _, db := range []*sqlconn.DB{src, sink} {
		if err := CreateDemoSchema(ctx, db); err != nil {
			return nil, err
		}
	}
	// Installing capture now (the source task does it again, idempotently)
	// means changes made before the connector starts are not lost.
	capt, err := NewCapturer(ctx, src, o.Prefix, o.Tables)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{SourceDSN: o.SourceDSN, SinkDSN: o.SinkDSN, Source: o.Source, Sink: o.Sink, DLQ: o.DLQ}
	for _, t := range o.Tables {
		p.Topics = append(p.Topics, capt.Topic(t))
	}
	if o.Kafka != "" {
		if err := createTopics(ctx, o.Kafka, p.Topics); err != nil {
			return nil, err
		}
	}
	srcCfg := map[string]string{
		"connector.class": SourceClass, "tasks.max": "1",
		KeyDatabaseURL: o.SourceDSN, KeyTopicPrefix: o.Prefix, KeyTableInclude: strings.Join(o.Tables, ","),
		KeySnapshotMode: "initial", KeyPollInterval: strconv.FormatInt(o.PollInterval.Milliseconds(), 10),
	}
	sinkCfg := map[string]string{
		"connector.class": SinkClass, "tasks.max": "1",
		KeyConnectionURL: o.SinkDSN, "topics": strings.Join(p.Topics, ","),
	}
	if o.DLQ != "" {
		sinkCfg["errors.tolerance"] = "all"
		sinkCfg["errors.deadletterqueue.topic.name"] = o.DLQ
		sinkCfg["errors.deadletterqueue.context.headers.enable"] = "true"
		sinkCfg["errors.deadletterqueue.topic.replication.factor"] = "1"
	}
	for k, v := range o.SourceConfig {
		srcCfg[k] = v
	}
	for k, v := range o.SinkConfig {
		sinkCfg[k] = v
	}
	for _, cr := range []connect.CreateRequest{{Name: o.Source, Config: srcCfg}, {Name: o.Sink, Config: sinkCfg}} {
		if _, _, err := c.PutConfig(ctx, cr.Name, cr.Config); err != nil {
			return nil, fmt.Errorf("create connector %s: %w", cr.Name, err)
		}
	}
	return p, nil
}

func createTopics(ctx context.Context, bootstrap string, topics []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopics(ctx, 1, 1, nil, topics...)
	if err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check that the lab's Kafka is up (--bootstrap)", "create topics: %v", err)
	}
	for _, r := range resp.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", r.Topic, r.Err)
		}
	}
	return nil
}
