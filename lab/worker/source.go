package worker

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/lab/plugin"
)

// sourceRunner runs one source task like WorkerSourceTask: poll, produce
// the records, remember each partition's latest offset, and flush those
// offsets to the offsets topic every offset.flush.interval.ms and once
// more when the task stops.
type sourceRunner struct {
	taskLifecycle
	task   plugin.SourceTask
	topics offsetTopics

	mu      sync.Mutex // guards pending and order
	pending map[string]offsetWrite
	order   []string
}

func startSourceTask(t taskRef, paused bool) taskRunner {
	sp, _ := t.plugin.(plugin.SourcePlugin)
	r := &sourceRunner{pending: map[string]offsetWrite{}, topics: t.w.offsetTopicsFor(t.connCfg)}
	r.init(t, paused)
	if sp == nil {
		t.report(stateFailed, javaTrace(javaConnectException, "connector class is not a source plugin", "SourceTaskRunner.start"))
		close(r.done)
		return r
	}
	r.task = sp.NewTask()
	go r.run()
	return r
}

func (r *sourceRunner) run() {
	defer close(r.done)
	if err := r.t.w.ensureOffsetTopics(r.ctx, r.topics); err != nil {
		r.failStart(err, "SourceTaskRunner.start")
		return
	}
	if err := r.task.Start(r.ctx, sourceContext{r}); err != nil {
		r.failStart(err, "SourceTaskRunner.start")
		return
	}
	r.markStarted()
	flushDone := make(chan struct{})
	go r.flushLoop(flushDone)
	defer func() {
		<-flushDone
		if err := r.task.Stop(); err != nil {
			r.log.Warn("source task stop", "err", err)
		}
		// Final flush on the way out, like WorkerSourceTask.commitOffsets in close.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.flush(ctx)
	}()
	for {
		if !r.waitUnpaused() {
			return
		}
		recs, err := r.task.Poll(r.ctx)
		if r.ctx.Err() != nil {
			// Records returned while stopping were never produced, so only the
			// offset-only ones (no topic) may still be committed; committing the
			// others would skip data on the next start.
			r.remember(offsetOnly(recs))
			return
		}
		if err != nil {
			// The task's own exception is the trace (WorkerTask.doRun).
			r.t.report(stateFailed, javaTrace(javaConnectException, err.Error(), "SourceTask.poll"))
			r.cancel()
			return
		}
		if err := r.produce(recs); err != nil {
			if r.ctx.Err() != nil {
				return
			}
			r.t.report(stateFailed, causedBy(javaTrace(javaConnectException, msgSourceSendFailed, "SourceTaskRunner.produce"), "org.apache.kafka.common.KafkaException", err.Error()))
			r.cancel()
			return
		}
		r.remember(recs)
	}
}

// produce sends the records that name a topic and waits for their acks,
// so offsets are only flushed for records Kafka has.
func (r *sourceRunner) produce(recs []plugin.SourceRecord) error {
	var out []*kgo.Record
	for _, rec := range recs {
		if rec.Topic == "" {
			continue
		}
		kr := &kgo.Record{Topic: rec.Topic, Key: rec.Key, Value: rec.Value, Timestamp: rec.Timestamp}
		for _, h := range rec.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		out = append(out, kr)
		r.t.noteTopic(rec.Topic)
	}
	return r.t.w.produceSync(r.ctx, out...)
}

// remember keeps the latest offset per source partition for the next flush.
func (r *sourceRunner) remember(recs []plugin.SourceRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		if rec.SourcePartition == nil {
			continue
		}
		ow, err := encodeOffset(r.t.c.name, rec.SourcePartition, rec.SourceOffset)
		if err != nil {
			r.log.Warn("unencodable source offset", "err", err)
			continue
		}
		k := string(ow.key)
		if _, ok := r.pending[k]; !ok {
			r.order = append(r.order, k)
		}
		r.pending[k] = ow
	}
}

func (r *sourceRunner) flushInterval() time.Duration {
	if ms, err := strconv.Atoi(r.t.connCfg["offset.flush.interval.ms"]); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return r.t.w.opts.FlushInterval
}

func (r *sourceRunner) flushLoop(done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(r.flushInterval())
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
			r.flush(r.ctx)
		}
	}
}

// flush writes the pending offsets (OffsetStorageWriter.doFlush). A fault
// may suspend or delay it to make offsets stale on purpose.
func (r *sourceRunner) flush(ctx context.Context) {
	if delay, held := r.t.w.flushFault(r.t.c.name); held {
		return
	} else if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
	}
	r.mu.Lock()
	ws := make([]offsetWrite, 0, len(r.order))
	for _, k := range r.order {
		ws = append(ws, r.pending[k])
	}
	r.pending, r.order = map[string]offsetWrite{}, nil
	r.mu.Unlock()
	if len(ws) == 0 {
		return
	}
	if err := r.t.w.writeSourceOffsets(ctx, r.topics, ws); err != nil {
		r.log.Warn("offset flush failed", "err", err)
		r.mu.Lock() // keep them for the next flush unless newer ones arrived
		for _, o := range ws {
			if _, ok := r.pending[string(o.key)]; !ok {
				r.pending[string(o.key)] = o
				r.order = append(r.order, string(o.key))
			}
		}
		r.mu.Unlock()
	}
}

// sourceContext is the plugin.SourceTaskContext of a running source task.
type sourceContext struct{ r *sourceRunner }

func (s sourceContext) Config() map[string]string { return copyConfig(s.r.t.taskCfg) }
func (s sourceContext) Logger() *slog.Logger      { return s.r.log }

// Offset reads the offsets topic to its end and looks the partition up by
// its exact key bytes, like OffsetStorageReaderImpl.
func (s sourceContext) Offset(ctx context.Context, partition connectjson.Object) (connectjson.Object, error) {
	key, err := connectjson.OffsetKey(s.r.t.c.name, partition)
	if err != nil {
		return nil, err
	}
	view, err := s.r.t.w.readSourceOffsets(ctx, s.r.topics)
	if err != nil {
		return nil, err
	}
	return view.lookup(key), nil
}

// offsetOnly keeps the records that carry an offset but no Kafka record.
func offsetOnly(recs []plugin.SourceRecord) []plugin.SourceRecord {
	var out []plugin.SourceRecord
	for _, rec := range recs {
		if rec.Topic == "" {
			out = append(out, rec)
		}
	}
	return out
}
