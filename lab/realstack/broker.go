package realstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// BrokerOptions configure StartBroker. Zero values pick defaults.
type BrokerOptions struct {
	Cache          Cache  // where the jars are (required)
	Dir            string // data, config and broker.log; reused when already formatted (required)
	Port           int    // PLAINTEXT listener; 0 = a free port
	ControllerPort int    // KRaft controller listener; 0 = a free port
	Heap           string // -Xmx; default 512m
}

// Broker is a running single-node KRaft Kafka 4.4.0 broker.
type Broker struct {
	addr string
	dir  string
	p    *proc
}

// StartBroker formats (first time) and starts a KRaft broker+controller on
// 127.0.0.1, ready once it answers ApiVersions and lists itself in Metadata.
func StartBroker(ctx context.Context, o BrokerOptions) (*Broker, error) {
	if o.Heap == "" {
		o.Heap = "512m"
	}
	port, err := portOr(o.Port)
	if err != nil {
		return nil, err
	}
	cport, err := portOr(o.ControllerPort)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("broker dir: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	data := filepath.Join(o.Dir, "data")
	conf := filepath.Join(o.Dir, "server.properties")
	err = writeProperties(conf, map[string]string{
		"process.roles":                            "broker,controller",
		"node.id":                                  "1",
		"controller.quorum.voters":                 "1@127.0.0.1:" + strconv.Itoa(cport),
		"listeners":                                "PLAINTEXT://" + addr + ",CONTROLLER://127.0.0.1:" + strconv.Itoa(cport),
		"advertised.listeners":                     "PLAINTEXT://" + addr,
		"controller.listener.names":                "CONTROLLER",
		"inter.broker.listener.name":               "PLAINTEXT",
		"listener.security.protocol.map":           "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"log.dirs":                                 data,
		"num.partitions":                           "1",
		"offsets.topic.replication.factor":         "1",
		"offsets.topic.num.partitions":             "5",
		"transaction.state.log.replication.factor": "1",
		"transaction.state.log.min.isr":            "1",
		"group.initial.rebalance.delay.ms":         "0",
		"auto.create.topics.enable":                "true",
	})
	if err != nil {
		return nil, fmt.Errorf("broker config: %w", err)
	}
	log := filepath.Join(o.Dir, "broker.log")
	if _, err := os.Stat(filepath.Join(data, "meta.properties")); err != nil {
		if err := formatStorage(ctx, o, conf, log); err != nil {
			return nil, err
		}
	}
	cmd, err := javaCmd(o.Cache, Kafka44, o.Heap, o.Dir, "kafka.Kafka", conf)
	if err != nil {
		return nil, err
	}
	p, err := startProc("kafka broker", cmd, log)
	if err != nil {
		return nil, err
	}
	b := &Broker{addr: addr, dir: o.Dir, p: p}
	if err := waitReady(ctx, p, 90*time.Second, "kafka broker", b.ping); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return b, nil
}

// formatStorage runs StorageTool random-uuid and format for a new log dir.
func formatStorage(ctx context.Context, o BrokerOptions, conf, log string) error {
	cmd, err := javaCmd(o.Cache, Kafka44, "256m", o.Dir, "kafka.tools.StorageTool", "random-uuid")
	if err != nil {
		return err
	}
	out, err := runTool(ctx, "kafka storage random-uuid", cmd, log)
	if err != nil {
		return err
	}
	fields := strings.Fields(out)
	if len(fields) == 0 {
		return fmt.Errorf("kafka storage random-uuid printed nothing; see %s", log)
	}
	id := fields[len(fields)-1]
	cmd, err = javaCmd(o.Cache, Kafka44, "256m", o.Dir, "kafka.tools.StorageTool", "format", "-t", id, "-c", conf)
	if err != nil {
		return err
	}
	_, err = runTool(ctx, "kafka storage format", cmd, log)
	return err
}

// runTool runs a short-lived command in its own process group (killed with
// it when ctx ends) and returns its stdout; stderr goes to log.
func runTool(ctx context.Context, name string, cmd *exec.Cmd, log string) (string, error) {
	outFile := log + ".out"
	defer os.Remove(outFile)
	p, err := startProc(name, cmd, outFile)
	if err != nil {
		return "", err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.stop(0)
		return "", fmt.Errorf("%s: %w", name, ctx.Err())
	}
	p.stop(0)
	out, _ := os.ReadFile(outFile)
	if f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		f.Write(out)
		f.Close()
	}
	if p.err != nil {
		return "", fmt.Errorf("%s failed (%v):\n%s", name, p.err, lastLines(out, 15))
	}
	return string(out), nil
}

func lastLines(b []byte, n int) []byte {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return []byte(strings.Join(lines, "\n"))
}

// ping succeeds once the broker answers ApiVersions and Metadata names a broker.
func (b *Broker) ping(ctx context.Context) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr), kgo.RequestRetries(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	if _, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl); err != nil {
		return err
	}
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if len(md.Brokers) == 0 {
		return fmt.Errorf("metadata lists no broker yet")
	}
	return nil
}

// Addr is the bootstrap address, "127.0.0.1:PORT".
func (b *Broker) Addr() string { return b.addr }

// Dir holds server.properties, the data and broker.log.
func (b *Broker) Dir() string { return b.dir }

// PID is the JVM's process id (also its process group).
func (b *Broker) PID() int { return b.p.cmd.Process.Pid }

// Close stops the broker: SIGTERM, SIGKILL after 20s. Stop workers first;
// they hang on a vanished broker.
func (b *Broker) Close() error {
	b.p.stop(20 * time.Second)
	return nil
}
