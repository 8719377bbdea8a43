package monitor

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/kafka"
	"github.com/cdcops/cdcops/sqlconn"
)

// Deps are the systems a Monitor reads. Offsets defaults to reading the
// offsets topic through Kafka.
type Deps struct {
	Connect *connect.Client
	Kafka   *kafka.Client
	Offsets OffsetLog
	Logger  *slog.Logger
	// Now is the clock (default time.Now); tests of the rules set it.
	Now func() time.Time
}

// Monitor evaluates a pipeline cycle by cycle, keeping the history the
// rules need. It is not safe for concurrent Cycle calls.
type Monitor struct {
	cfg     Config
	deps    Deps
	cycles  uint64
	sinks   map[string]*sinkState
	sources map[string]*sourceState
	dlqs    map[string]dlqState
	dbs     map[string]*sqlconn.DB
	mu      sync.Mutex // guards dbs for Close
}

// sourceState is a source connector's history: its topics' throughput and
// the topic end (records produced) when its offset was last written.
type sourceState struct {
	rate       rate
	lastWrite  time.Time
	endAtWrite int64
}

// New checks cfg and returns a Monitor; Close it to release database
// connections.
func New(cfg Config, deps Deps) (*Monitor, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Offsets == nil && deps.Kafka != nil {
		deps.Offsets = TopicOffsetLog{Kafka: deps.Kafka}
	}
	return &Monitor{cfg: cfg, deps: deps, sinks: map[string]*sinkState{}, sources: map[string]*sourceState{},
		dlqs: map[string]dlqState{}, dbs: map[string]*sqlconn.DB{}}, nil
}

// Config is the effective configuration (defaults filled in).
func (m *Monitor) Config() Config { return m.cfg }

// Close closes the source and sink database connections.
func (m *Monitor) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, db := range m.dbs {
		db.Close()
		delete(m.dbs, k)
	}
}

// db opens (once) and returns the database at dsn.
func (m *Monitor) db(ctx context.Context, dsn string) (*sqlconn.DB, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if db, ok := m.dbs[dsn]; ok {
		return db, nil
	}
	db, err := sqlconn.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	m.dbs[dsn] = db
	return db, nil
}

// connectorInfo is one connector as Connect lists it.
type connectorInfo struct {
	name   string
	typ    string
	config map[string]string
	status *connect.ConnectorStatus
}

// Cycle reads everything once, applies the rules and returns the report.
// Only an unreachable Connect worker or Kafka fails the cycle; a check
// that cannot run (a database down) is listed in Report.Errors.
func (m *Monitor) Cycle(ctx context.Context) (*Report, error) {
	m.cycles++
	now := m.deps.Now().UTC()
	listed, err := m.deps.Connect.ListExpanded(ctx, connect.ExpandStatus, connect.ExpandInfo)
	if err != nil {
		return nil, err
	}
	conns := make([]connectorInfo, 0, len(listed))
	for name, e := range listed {
		ci := connectorInfo{name: name, status: e.Status}
		if e.Info != nil {
			ci.typ, ci.config = e.Info.Type, e.Info.Config
		}
		if ci.typ == "" && e.Status != nil {
			ci.typ = e.Status.Type
		}
		conns = append(conns, ci)
	}
	sort.Slice(conns, func(i, j int) bool { return conns[i].name < conns[j].name })
	in, err := m.read(ctx, conns, now)
	if err != nil {
		return nil, err
	}
	rep := &Report{At: now, IntervalMS: m.cfg.Interval.Milliseconds(), Status: OK, Connectors: []Connector{}, Errors: in.errors}
	for _, ci := range conns {
		c := m.evalConnector(ctx, ci, in, now, rep)
		rep.Status = Worst(rep.Status, c.Status)
		rep.Connectors = append(rep.Connectors, c)
	}
	m.forget(conns)
	if rep.Errors == nil {
		rep.Errors = []string{}
	}
	return rep, nil
}

// forget drops the history of connectors that no longer exist.
func (m *Monitor) forget(conns []connectorInfo) {
	live := map[string]bool{}
	for _, c := range conns {
		live[c.name] = true
	}
	for n := range m.sinks {
		if !live[n] {
			delete(m.sinks, n)
		}
	}
	for n := range m.sources {
		if !live[n] {
			delete(m.sources, n)
		}
	}
}

// evalConnector builds one connector's entry from the cycle's inputs.
func (m *Monitor) evalConnector(ctx context.Context, ci connectorInfo, in *inputs, now time.Time, rep *Report) Connector {
	c := Connector{Name: ci.name, Type: ci.typ, Status: OK, Reasons: []string{}}
	if ci.status != nil {
		c.State = ci.status.Connector.State
		c.Up = c.State == cdcops.StateRunning && len(ci.status.Tasks) > 0
		for _, t := range ci.status.Tasks {
			if t.State != cdcops.StateRunning {
				c.Up = false
			}
			if t.State == cdcops.StateFailed {
				c.flag(ERR, "task %d FAILED: %s", t.ID, cdcops.RedactDSN(connect.FirstLine(t.Trace)))
			}
		}
		if c.State == cdcops.StateFailed {
			c.flag(ERR, "connector FAILED: %s", cdcops.RedactDSN(connect.FirstLine(ci.status.Connector.Trace)))
		}
	}
	switch ci.typ {
	case cdcops.ConnectorSink:
		m.evalSinkConnector(ctx, ci, in, now, &c, rep)
	case cdcops.ConnectorSource:
		m.evalSourceConnector(ctx, ci, in, now, &c, rep)
	}
	c.Severity = c.Status.Severity()
	return c
}

// flag raises c's status to s (if worse) and records why.
func (c *Connector) flag(s Status, format string, args ...any) {
	c.Status = Worst(c.Status, s)
	c.Reasons = append(c.Reasons, sprintf(format, args...))
}

// sinkGroup is the consumer group of a sink (SinkUtils.consumerGroupId).
func sinkGroup(name string, cfg map[string]string) string {
	if g := strings.TrimSpace(cfg["consumer.override.group.id"]); g != "" {
		return g
	}
	return "connect-" + name
}

// listTopics splits a comma-separated topics setting.
func listTopics(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
