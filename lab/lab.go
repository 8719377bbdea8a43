package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/cdcops/cdcops/lab/plugin"
	"github.com/cdcops/cdcops/lab/worker"
)

// Options configure a lab. The zero value is a throwaway lab on random
// 127.0.0.1 ports with the default connector classes.
type Options struct {
	// Dir keeps the broker's data (and so connector configs, target states
	// and offsets) under Dir/kafka, surviving a restart; "" = in memory.
	Dir string
	// KafkaAddr is the broker's listen address, 127.0.0.1:PORT ("" or port 0 = random).
	KafkaAddr string
	// ConnectAddr is the worker's REST listen address ("" or port 0 = random).
	ConnectAddr string
	// Logger receives lab logs (default: discard).
	Logger *slog.Logger
	// Plugins are the connector classes by name (default DefaultPlugins()).
	Plugins map[string]plugin.Plugin
	// FlushInterval is the worker's offset.flush.interval.ms (default 1s).
	FlushInterval time.Duration
	// TopicTracking turns the worker's active-topic tracking off (default on).
	TopicTracking worker.TopicTracking
}

// Lab is a running broker plus Connect worker.
type Lab struct {
	cluster *kfake.Cluster
	worker  *worker.Worker
	kafka   string
	log     *slog.Logger
}

// Start starts the broker, creates the internal topics and starts the
// worker. Close it when done; ctx only bounds start-up.
func Start(ctx context.Context, opts Options) (*Lab, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Plugins == nil {
		opts.Plugins = DefaultPlugins()
	}
	port, err := kafkaPort(opts.KafkaAddr)
	if err != nil {
		return nil, err
	}
	clusterID, err := loadClusterID(opts.Dir)
	if err != nil {
		return nil, err
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1), kfake.Ports(port), kfake.ClusterID(clusterID),
		kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1),
	}
	if opts.Dir != "" {
		kopts = append(kopts, kfake.DataDir(filepath.Join(opts.Dir, "kafka")))
	}
	cluster, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start lab kafka on 127.0.0.1:%d: %w", port, err)
	}
	l := &Lab{cluster: cluster, kafka: cluster.ListenAddrs()[0], log: opts.Logger}
	connectAddr := opts.ConnectAddr
	if connectAddr == "" {
		connectAddr = "127.0.0.1:0"
	}
	l.worker, err = worker.New(ctx, worker.Options{
		KafkaAddr: l.kafka, Addr: connectAddr, Plugins: opts.Plugins,
		Logger: opts.Logger.With("part", "connect"), FlushInterval: opts.FlushInterval,
		TopicTracking: opts.TopicTracking,
	})
	if err != nil {
		cluster.Close()
		return nil, err
	}
	opts.Logger.Info("lab started", "kafka", l.kafka, "connect", l.worker.URL())
	return l, nil
}

// loadClusterID returns the lab's Kafka cluster id: a fresh random one
// (22 characters of URL-safe base64, like Kafka's) for an in-memory lab,
// the one stored in Dir/cluster.id for a persistent one.
func loadClusterID(dir string) (string, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	if dir == "" {
		return id, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "kafka"), 0o755); err != nil {
		return "", fmt.Errorf("lab data dir: %w", err)
	}
	path := filepath.Join(dir, "cluster.id")
	if stored, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(stored)) > 0 {
		return string(bytes.TrimSpace(stored)), nil
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("lab data dir: %w", err)
	}
	return id, nil
}

// ErrBadAddress marks a listen address the lab cannot use as given.
var ErrBadAddress = errors.New("bad lab address")

// kafkaPort accepts "", ":PORT", "PORT" or "127.0.0.1:PORT" (kfake always
// binds 127.0.0.1).
func kafkaPort(addr string) (int, error) {
	if addr == "" {
		return 0, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		host, p = "", addr
	}
	if host != "" && host != "127.0.0.1" && host != "localhost" {
		return 0, fmt.Errorf("%w: kafka %s: the lab broker only listens on 127.0.0.1", ErrBadAddress, addr)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return 0, fmt.Errorf("%w: kafka %q: want 127.0.0.1:PORT", ErrBadAddress, addr)
	}
	return port, nil
}

// KafkaAddr is the broker's bootstrap address, 127.0.0.1:PORT.
func (l *Lab) KafkaAddr() string { return l.kafka }

// ConnectURL is the worker's REST base URL, http://127.0.0.1:PORT.
func (l *Lab) ConnectURL() string { return l.worker.URL() }

// Worker gives tests the worker's fault hooks.
func (l *Lab) Worker() *worker.Worker { return l.worker }

// Cluster is the in-process broker, for tests that need kfake controls
// (compaction, fault injection).
func (l *Lab) Cluster() *kfake.Cluster { return l.cluster }

// Close stops the worker (tasks flush their offsets) and then the broker.
func (l *Lab) Close() error {
	err := l.worker.Close()
	l.log.Debug("lab worker stopped")
	l.cluster.Close()
	l.log.Debug("lab broker stopped")
	return err
}
