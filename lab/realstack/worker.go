package realstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Worker versions StartWorker runs.
const (
	Version44 = "4.4.0"
	Version39 = "3.9.1"
)

// classpaths maps a worker version to its cache component.
var classpaths = map[string]string{Version44: Kafka44, Version39: Connect39}

// WorkerOptions configure StartWorker. Zero values pick defaults.
type WorkerOptions struct {
	Cache     Cache  // where the jars are (required)
	Version   string // Version44 or Version39 (required)
	Bootstrap string // the broker, "HOST:PORT" (required)
	Dir       string // worker.properties and worker.log (required)
	Port      int    // REST listener; 0 = a free port
	// GroupID names the Connect cluster; its internal topics are
	// GROUP-offsets, GROUP-configs and GROUP-status, so several workers
	// share a broker without seeing each other. Default: a random name.
	GroupID string
	Heap    string            // -Xmx; default 1g
	Extra   map[string]string // more worker properties (override the defaults)
}

// Worker is a running distributed Kafka Connect worker.
type Worker struct {
	url, version, group string
	p                   *proc
}

// StartWorker starts a distributed Connect worker with JsonConverter,
// replication factor 1 internal topics, a 1s offset flush and every fetched
// plugin on plugin.path; ready once GET /health (or / where there is no
// /health) answers 200.
func StartWorker(ctx context.Context, o WorkerOptions) (*Worker, error) {
	component, ok := classpaths[o.Version]
	if !ok {
		return nil, fmt.Errorf("connect worker version %q: want %s or %s", o.Version, Version44, Version39)
	}
	if o.Heap == "" {
		o.Heap = "1g"
	}
	if o.GroupID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.GroupID = "connect-" + hex.EncodeToString(b[:])
	}
	port, err := portOr(o.Port)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("worker dir: %w", err)
	}
	props := map[string]string{
		"bootstrap.servers":                 o.Bootstrap,
		"group.id":                          o.GroupID,
		"key.converter":                     "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                   "org.apache.kafka.connect.json.JsonConverter",
		"offset.storage.topic":              o.GroupID + "-offsets",
		"config.storage.topic":              o.GroupID + "-configs",
		"status.storage.topic":              o.GroupID + "-status",
		"offset.storage.replication.factor": "1",
		"config.storage.replication.factor": "1",
		"status.storage.replication.factor": "1",
		"offset.flush.interval.ms":          "1000",
		"listeners":                         "http://127.0.0.1:" + strconv.Itoa(port),
		"rest.advertised.host.name":         "127.0.0.1",
		"rest.advertised.port":              strconv.Itoa(port),
		"plugin.path":                       o.Cache.PluginDir(),
		// Every fetched plugin has ServiceLoader manifests; skipping the
		// reflective scan of ~150 MB of jars saves tens of seconds per start.
		"plugin.discovery":                        "service_load",
		"connector.client.config.override.policy": "All",
	}
	for k, v := range o.Extra {
		props[k] = v
	}
	conf := filepath.Join(o.Dir, "worker.properties")
	if err := writeProperties(conf, props); err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	cmd, err := javaCmd(o.Cache, component, o.Heap, o.Dir, "org.apache.kafka.connect.cli.ConnectDistributed", conf)
	if err != nil {
		return nil, err
	}
	p, err := startProc("connect worker "+o.Version, cmd, filepath.Join(o.Dir, "worker.log"))
	if err != nil {
		return nil, err
	}
	w := &Worker{url: "http://127.0.0.1:" + strconv.Itoa(port), version: o.Version, group: o.GroupID, p: p}
	if err := waitReady(ctx, p, 120*time.Second, "connect worker", w.ping); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return w, nil
}

// ping succeeds on 200 from /health, or from / when /health is not served
// (workers before 3.9).
func (w *Worker) ping(ctx context.Context) error {
	for _, path := range []string{"/health", "/"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.url+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode != http.StatusNotFound:
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
	}
	return fmt.Errorf("GET / not 200 yet")
}

// URL is the REST base, "http://127.0.0.1:PORT".
func (w *Worker) URL() string { return w.url }

// Version is the Connect version the worker runs (Version44 or Version39).
func (w *Worker) Version() string { return w.version }

// GroupID names the worker's Connect cluster.
func (w *Worker) GroupID() string { return w.group }

// OffsetsTopic is the worker's offset.storage.topic.
func (w *Worker) OffsetsTopic() string { return w.group + "-offsets" }

// ConfigTopic is the worker's config.storage.topic.
func (w *Worker) ConfigTopic() string { return w.group + "-configs" }

// StatusTopic is the worker's status.storage.topic.
func (w *Worker) StatusTopic() string { return w.group + "-status" }

// PID is the JVM's process id (also its process group).
func (w *Worker) PID() int { return w.p.cmd.Process.Pid }

// Close stops the worker: SIGTERM, SIGKILL after 20s. Close it before
// its broker.
func (w *Worker) Close() error {
	w.p.stop(20 * time.Second)
	return nil
}
