package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/lab/plugin"
)

// javaTrace renders an error the way Connect's status store shows it: a
// Java stack trace whose first line is "<exception class>: <message>".
// The frames name the Go side honestly; clients only parse the first line.
func javaTrace(class, msg, where string) string {
	return fmt.Sprintf("%s: %s\n\tat cdcops.lab.worker.%s(lab/worker)\n\tat java.base/java.lang.Thread.run(Thread.java:840)\n", class, msg, where)
}

// causedBy appends a "Caused by:" section like Throwable.printStackTrace.
func causedBy(trace, class, msg string) string {
	return trace + "Caused by: " + class + ": " + msg + "\n\t... 1 more\n"
}

// errorPolicy is the connector's error handling config (ConnectorConfig
// errors.*, SinkConnectorConfig errors.deadletterqueue.*).
type errorPolicy struct {
	tolerateAll    bool   // errors.tolerance=all
	dlqTopic       string // errors.deadletterqueue.topic.name
	contextHeaders bool   // errors.deadletterqueue.context.headers.enable
	valueConverter string // value.converter (JSON unless ByteArray/String)
	schemas        bool   // value.converter.schemas.enable (lab default false)
}

func newErrorPolicy(cfg map[string]string) errorPolicy {
	return errorPolicy{
		tolerateAll:    strings.EqualFold(cfg["errors.tolerance"], "all"),
		dlqTopic:       strings.TrimSpace(cfg["errors.deadletterqueue.topic.name"]),
		contextHeaders: strings.EqualFold(cfg["errors.deadletterqueue.context.headers.enable"], "true"),
		valueConverter: cfg["value.converter"],
		schemas:        strings.EqualFold(cfg["value.converter.schemas.enable"], "true"),
	}
}

// convert checks a record value the way the configured converter would
// (WorkerSinkTask.convertAndTransformRecord). Only JsonConverter can
// reject bytes; ByteArrayConverter and StringConverter accept anything.
// The lab worker's JsonConverter runs with schemas.enable=false unless the
// connector sets value.converter.schemas.enable=true.
func (p errorPolicy) convert(value []byte) error {
	switch p.valueConverter {
	case "org.apache.kafka.connect.converters.ByteArrayConverter", "org.apache.kafka.connect.storage.StringConverter":
		return nil
	}
	if len(value) == 0 {
		return nil // JsonConverter maps null/empty to a null value
	}
	var v any
	if err := json.Unmarshal(value, &v); err != nil {
		return fmt.Errorf("%s%s", msgConvertFailed, err)
	}
	if p.schemas {
		env, ok := v.(map[string]any)
		_, hasSchema := env["schema"]
		_, hasPayload := env["payload"]
		if !ok || len(env) != 2 || !hasSchema || !hasPayload {
			return errors.New(msgSchemasEnvelope)
		}
	}
	return nil
}

// errant handles one failed record: with errors.tolerance=all it is sent to
// the dead-letter queue (if one is configured) and skipped (nil returned);
// otherwise the task must fail with the returned trace.
func (t taskRef) errant(ctx context.Context, p errorPolicy, rec plugin.SinkRecord, stage, class string, cause error) (trace string, err error) {
	if !p.tolerateAll {
		tr := causedBy(javaTrace(javaConnectException, msgToleranceExceeded, "RetryWithToleranceOperator.execute"), javaDataException, cause.Error())
		return tr, fmt.Errorf("%s: %w", msgToleranceExceeded, cause)
	}
	if p.dlqTopic == "" {
		return "", nil
	}
	r := &kgo.Record{Topic: p.dlqTopic, Key: rec.Key, Value: rec.Value}
	for _, h := range rec.Headers {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	if p.contextHeaders {
		// DeadLetterQueueReporter.populateContextHeaders: all values are UTF-8 strings.
		add := func(k, v string) {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: "__connect.errors." + k, Value: []byte(v)})
		}
		add("topic", rec.Topic)
		add("partition", strconv.Itoa(int(rec.Partition)))
		add("offset", strconv.FormatInt(rec.Offset, 10))
		add("connector.name", t.c.name)
		add("task.id", strconv.Itoa(t.id))
		add("stage", stage)
		add("class.name", class)
		add("exception.class.name", javaDataException)
		add("exception.message", cause.Error())
		add("exception.stacktrace", javaTrace(javaDataException, cause.Error(), "SinkTaskRunner.deliver"))
	}
	if err := t.w.produceSync(ctx, r); err != nil {
		return javaTrace(javaConnectException, "Failed to write to dead letter queue: "+err.Error(), "DeadLetterQueueReporter.report"), err
	}
	return "", nil
}

// ensureTopic creates a topic with one partition if it does not exist,
// as Connect's DeadLetterQueueReporter.createAndSetup does for the DLQ.
func (w *Worker) ensureTopic(ctx context.Context, topic string) {
	resp, err := w.adm.CreateTopic(ctx, 1, 1, nil, topic)
	if err == nil && resp.Err == nil {
		w.log.Debug("created topic", "topic", topic)
	}
}
