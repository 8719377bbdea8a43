package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/lab/plugin"
)

// Default internal topic names, as in Connect's sample connect-distributed.properties.
const (
	DefaultOffsetsTopic = "connect-offsets"
	DefaultConfigTopic  = "connect-configs"
	// OffsetsPartitions is offset.storage.partitions' default (DistributedConfig).
	OffsetsPartitions = 25
)

// Options configure a Worker.
type Options struct {
	// KafkaAddr is the bootstrap HOST:PORT of the broker holding the internal topics.
	KafkaAddr string
	// Addr is the REST listen address; "" means 127.0.0.1:8083, port 0 a random port.
	Addr string
	// Plugins maps connector class names to their implementations.
	Plugins map[string]plugin.Plugin
	// Logger receives the worker's logs (default: discard).
	Logger *slog.Logger
	// FlushInterval is the worker's offset.flush.interval.ms (default 1s in
	// the lab; Connect's own default is 60s). A connector config may
	// override it with offset.flush.interval.ms.
	FlushInterval time.Duration
	// OffsetsTopic and ConfigTopic default to connect-offsets and connect-configs.
	OffsetsTopic, ConfigTopic string
	// TransitionDelay is how long a state change takes to show in the status
	// API after the request that caused it (default 20ms), so clients must poll
	// as they must against a real worker.
	TransitionDelay time.Duration
	// TopicTracking mirrors the worker settings topic.tracking.enable and
	// topic.tracking.allow.reset (both true in Connect by default).
	TopicTracking TopicTracking
}

// TopicTracking switches KIP-558 active-topic tracking off, as the worker
// settings topic.tracking.enable=false / topic.tracking.allow.reset=false
// do; the zero value is Connect's default (tracking and reset allowed).
type TopicTracking struct {
	Disabled      bool
	ResetDisabled bool
}

// Worker is a single-node, Kafka-Connect-compatible REST worker. It keeps
// connector configs and target states in the config topic, source offsets
// in the offsets topic and sink offsets in consumer groups, on a real Kafka
// broker. Create it with New; Close it when done.
type Worker struct {
	opts     Options
	log      *slog.Logger
	kcl      *kgo.Client // producer for offsets, configs, source records, DLQ
	adm      *kadm.Client
	cluster  string // kafka_cluster_id
	workerID string
	ln       net.Listener
	srv      *http.Server

	mu         sync.Mutex
	connectors map[string]*connector
	// missingClasses are connector classes a request named that no plugin
	// has: CachedConnectors remembers the failure (delta K6).
	missingClasses map[string]bool
	faults         faults
	closed         bool

	wg sync.WaitGroup // connector supervisors
}

// New connects to Kafka, creates the internal topics if missing, restores
// connectors from the config topic and starts serving REST on opts.Addr.
func New(ctx context.Context, opts Options) (*Worker, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8083"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.OffsetsTopic == "" {
		opts.OffsetsTopic = DefaultOffsetsTopic
	}
	if opts.ConfigTopic == "" {
		opts.ConfigTopic = DefaultConfigTopic
	}
	if opts.TransitionDelay <= 0 {
		opts.TransitionDelay = 20 * time.Millisecond
	}
	w := &Worker{opts: opts, log: opts.Logger, connectors: map[string]*connector{}}
	var err error
	// Connect disables idempotence for its internal-topic producers
	// (KafkaOffsetBackingStore.configure); the default partitioner is
	// murmur2 like Java's, so keys land where Connect would put them.
	w.kcl, err = kgo.NewClient(kgo.SeedBrokers(opts.KafkaAddr), kgo.DisableIdempotentWrite(), kgo.AllowAutoTopicCreation(),
		kgo.ProducerLinger(0), kgo.ClientID("cdcops-lab-worker"))
	if err != nil {
		return nil, fmt.Errorf("kafka client for %s: %w", opts.KafkaAddr, err)
	}
	w.adm = kadm.NewClient(w.kcl)
	if err := w.initKafka(ctx); err != nil {
		w.kcl.Close()
		return nil, err
	}
	if err := w.restoreConfigs(ctx); err != nil {
		w.kcl.Close()
		return nil, err
	}
	w.ln, err = net.Listen("tcp", opts.Addr)
	if err != nil {
		w.kcl.Close()
		return nil, fmt.Errorf("connect REST listener on %s: %w", opts.Addr, err)
	}
	w.workerID = w.ln.Addr().String()
	w.srv = &http.Server{Handler: w.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := w.srv.Serve(w.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.log.Error("connect REST server stopped", "err", err)
		}
	}()
	w.mu.Lock()
	for _, c := range w.connectors {
		w.startSupervisor(c)
	}
	w.mu.Unlock()
	w.log.Info("connect worker started", "url", w.URL(), "kafka", opts.KafkaAddr)
	return w, nil
}

// URL is the worker's REST base URL, e.g. http://127.0.0.1:8083.
func (w *Worker) URL() string { return "http://" + w.ln.Addr().String() }

// Addr is the REST listen address HOST:PORT.
func (w *Worker) Addr() string { return w.ln.Addr().String() }

// KafkaClusterID is the cluster id reported by GET /.
func (w *Worker) KafkaClusterID() string { return w.cluster }

// Close stops serving, stops every task (with a final offset flush, as
// Connect does on shutdown) and closes the Kafka clients.
func (w *Worker) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for _, c := range w.connectors {
		c.shutdown()
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := w.srv.Shutdown(ctx)
	w.wg.Wait()
	w.kcl.Close()
	return err
}

// connectorNames lists connectors sorted by name.
func (w *Worker) connectorNames() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	names := make([]string, 0, len(w.connectors))
	for n := range w.connectors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (w *Worker) lookup(name string) *connector {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.connectors[name]
}
