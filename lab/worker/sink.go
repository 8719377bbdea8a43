package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/lab/plugin"
)

// sinkGroup is the consumer group of a sink connector: connect-<name>
// (SinkUtils.consumerGroupId) unless consumer.override.group.id is set
// (Worker.baseConsumerConfigs applies connector overrides last).
func sinkGroup(name string, cfg map[string]string) string {
	if g := strings.TrimSpace(cfg["consumer.override.group.id"]); g != "" {
		return g
	}
	return "connect-" + name
}

func sinkTopics(cfg map[string]string) []string {
	var out []string
	for _, t := range strings.Split(cfg["topics"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// sinkRunner runs one sink task like WorkerSinkTask: consume the topics in
// the connector's group, convert, hand the batch to Put, commit.
type sinkRunner struct {
	taskLifecycle
	task   plugin.SinkTask
	policy errorPolicy
}

func startSinkTask(t taskRef, paused bool) taskRunner {
	sp, _ := t.plugin.(plugin.SinkPlugin)
	r := &sinkRunner{policy: newErrorPolicy(t.connCfg)}
	r.init(t, paused)
	if sp == nil {
		t.report(stateFailed, javaTrace(javaConnectException, "connector class is not a sink plugin", "SinkTaskRunner.start"))
		close(r.done)
		return r
	}
	r.task = sp.NewTask()
	go r.run()
	return r
}

func (r *sinkRunner) consumerOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(r.t.w.opts.KafkaAddr),
		kgo.ConsumerGroup(sinkGroup(r.t.c.name, r.t.connCfg)),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), // Connect forces auto.offset.reset=earliest
		kgo.FetchMaxWait(250 * time.Millisecond),
		kgo.ClientID("connector-consumer-" + r.t.c.name),
	}
	if re := strings.TrimSpace(r.t.connCfg["topics.regex"]); re != "" && len(sinkTopics(r.t.connCfg)) == 0 {
		return append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(re))
	}
	return append(opts, kgo.ConsumeTopics(sinkTopics(r.t.connCfg)...))
}

func (r *sinkRunner) run() {
	defer close(r.done)
	cl, err := kgo.NewClient(r.consumerOpts()...)
	if err != nil {
		r.failStart(err, "SinkTaskRunner.start")
		return
	}
	defer cl.Close() // leaves the group, so offsets can be reset once stopped
	if r.policy.tolerateAll && r.policy.dlqTopic != "" {
		r.t.w.ensureTopic(r.ctx, r.policy.dlqTopic)
	}
	if err := r.task.Start(r.ctx, sinkContext{r}); err != nil {
		r.failStart(err, "SinkTaskRunner.start")
		return
	}
	defer func() {
		if err := r.task.Stop(); err != nil {
			r.log.Warn("sink task stop", "err", err)
		}
	}()
	r.markStarted()
	for {
		if !r.waitUnpaused() {
			return
		}
		fs := cl.PollFetches(r.ctx)
		if r.ctx.Err() != nil {
			return
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				r.log.Debug("sink fetch", "topic", t, "partition", p, "err", err)
			}
		})
		if fs.NumRecords() == 0 {
			continue
		}
		if trace, err := r.deliver(fs.Records()); err != nil {
			if r.ctx.Err() == nil {
				r.t.report(stateFailed, trace)
			}
			return
		}
		// Commit after each successful Put (WorkerSinkTask commits what it delivered).
		if err := cl.CommitUncommittedOffsets(r.ctx); err != nil && r.ctx.Err() == nil {
			r.log.Warn("sink offset commit failed", "err", err)
		}
	}
}

// deliver converts the batch, routes unconvertible records through the
// error policy, and calls Put with the rest.
func (r *sinkRunner) deliver(recs []*kgo.Record) (string, error) {
	batch := make([]plugin.SinkRecord, 0, len(recs))
	for _, kr := range recs {
		r.t.noteTopic(kr.Topic)
		sr := plugin.SinkRecord{Topic: kr.Topic, Partition: kr.Partition, Offset: kr.Offset,
			Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp}
		for _, h := range kr.Headers {
			sr.Headers = append(sr.Headers, plugin.Header{Key: h.Key, Value: h.Value})
		}
		if cerr := r.policy.convert(kr.Value); cerr != nil {
			if trace, err := r.t.errant(r.ctx, r.policy, sr, "VALUE_CONVERTER", "org.apache.kafka.connect.json.JsonConverter", cerr); err != nil {
				return trace, err
			}
			continue
		}
		batch = append(batch, sr)
	}
	if len(batch) == 0 {
		return "", nil
	}
	if err := r.task.Put(r.ctx, batch); err != nil {
		return causedBy(javaTrace(javaConnectException, msgSinkTaskUnrecoverable, "SinkTaskRunner.deliver"), javaConnectException, err.Error()), err
	}
	return "", nil
}

// sinkContext is the plugin.SinkTaskContext of a running sink task.
type sinkContext struct{ r *sinkRunner }

func (s sinkContext) Config() map[string]string { return copyConfig(s.r.t.taskCfg) }
func (s sinkContext) Logger() *slog.Logger      { return s.r.log }

func (s sinkContext) ReportErrant(ctx context.Context, rec plugin.SinkRecord, err error) error {
	_, rerr := s.r.t.errant(ctx, s.r.policy, rec, "TASK_PUT", "cdcops.lab.SinkTask", err)
	return rerr
}
