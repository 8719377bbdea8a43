package sqlpipe

import (
	"strconv"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
)

// Connector class names, as registered with the lab worker.
const (
	SourceClass = "cdcops.lab.SqlSource"
	SinkClass   = "cdcops.lab.SqlSink"
)

// Config keys. Source keys follow Debezium's names where one exists.
const (
	KeyDatabaseURL         = "database.url"
	KeyTableInclude        = "table.include.list"
	KeyTopicPrefix         = "topic.prefix"
	KeySnapshotMode        = "snapshot.mode"
	KeyPollInterval        = "poll.interval.ms"
	KeyMaxBatch            = "max.batch.size"
	KeyTombstones          = "tombstones.on.delete"
	KeyGapWait             = "cdcops.gap.wait.ms"
	KeyHeartbeat           = "heartbeat.interval.ms" // > 0: set-binlog-position can commit (binlog_signal.go)
	KeyConnectionURL       = "connection.url"
	KeyTableNameFormat     = "table.name.format"
	KeyFaultFailMessage    = "cdcops.fault.fail.message" // task fails with this trace at its next poll/put
	KeyFaultID             = "cdcops.fault.id"           // identifies a drop/corrupt fault; done once per id
	KeyFaultDropEvents     = "cdcops.fault.drop.events"  // sink drops the next N events
	KeyFaultCorruptRows    = "cdcops.fault.corrupt.rows" // sink corrupts a column on the next N upserts
	KeyFaultCorruptCol     = "cdcops.fault.corrupt.column"
	KeyFaultFreezeOffset   = "cdcops.fault.offsets.frozen" // source keeps emitting its resume offset: offsets go stale
	defaultPollInterval    = 500 * time.Millisecond
	defaultMaxBatch        = 2048
	defaultGapWait         = time.Second
	DefaultTableNameFormat = "${table}"
)

func configError(format string, args ...any) error {
	return cdcops.Errorf(cdcops.EINVALID, "see docs/lab-pipeline.md for the connector config keys", format, args...)
}

func required(cfg map[string]string, key string) (string, error) {
	v := strings.TrimSpace(cfg[key])
	if v == "" {
		return "", configError("missing required config %s", key)
	}
	return v, nil
}

func intConfig(cfg map[string]string, key string, def int) (int, error) {
	v := strings.TrimSpace(cfg[key])
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, configError("config %s=%q is not a non-negative integer", key, v)
	}
	return n, nil
}

func msConfig(cfg map[string]string, key string, def time.Duration) (time.Duration, error) {
	n, err := intConfig(cfg, key, -1)
	if err != nil || n < 0 {
		return def, err
	}
	return time.Duration(n) * time.Millisecond, nil
}

// tableList parses table.include.list: comma separated, "table" or
// "schema.table" (the schema part must name the source's schema).
func tableList(v string) ([]string, map[string]string, error) {
	var out []string
	schemas := map[string]string{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		ref, err := cdcops.ParseTableRef(part)
		if err != nil {
			return nil, nil, err
		}
		if err := checkIdent("table", ref.Name); err != nil {
			return nil, nil, err
		}
		out = append(out, ref.Name)
		if ref.Schema != "" {
			schemas[ref.Name] = ref.Schema
		}
	}
	if len(out) == 0 {
		return nil, nil, configError("%s names no table", KeyTableInclude)
	}
	return out, schemas, nil
}

type sourceConfig struct {
	dsn, prefix  string
	tables       []string
	schemas      map[string]string // table -> schema named in table.include.list
	snapshot     bool
	poll         time.Duration
	maxBatch     int
	tombstones   bool
	gapWait      time.Duration
	heartbeat    time.Duration
	failMessage  string
	freezeOffset bool
}

func parseSourceConfig(cfg map[string]string) (sourceConfig, error) {
	var c sourceConfig
	var err error
	if c.dsn, err = required(cfg, KeyDatabaseURL); err != nil {
		return c, err
	}
	if c.prefix, err = required(cfg, KeyTopicPrefix); err != nil {
		return c, err
	}
	if !topicRE.MatchString(c.prefix) {
		return c, configError("%s=%q: use letters, digits, '.', '_' and '-'", KeyTopicPrefix, c.prefix)
	}
	tl, err := required(cfg, KeyTableInclude)
	if err != nil {
		return c, err
	}
	if c.tables, c.schemas, err = tableList(tl); err != nil {
		return c, err
	}
	switch m := strings.ToLower(strings.TrimSpace(cfg[KeySnapshotMode])); m {
	case "", "initial":
		c.snapshot = true
	case "never", "no_data":
	default:
		return c, configError("%s=%q: use initial or never", KeySnapshotMode, m)
	}
	if c.poll, err = msConfig(cfg, KeyPollInterval, defaultPollInterval); err != nil {
		return c, err
	}
	if c.maxBatch, err = intConfig(cfg, KeyMaxBatch, defaultMaxBatch); err != nil {
		return c, err
	}
	if c.maxBatch == 0 {
		c.maxBatch = defaultMaxBatch
	}
	if c.gapWait, err = msConfig(cfg, KeyGapWait, defaultGapWait); err != nil {
		return c, err
	}
	if c.heartbeat, err = msConfig(cfg, KeyHeartbeat, 0); err != nil {
		return c, err
	}
	c.tombstones = !strings.EqualFold(strings.TrimSpace(cfg[KeyTombstones]), "false")
	c.failMessage = cfg[KeyFaultFailMessage]
	c.freezeOffset = strings.EqualFold(strings.TrimSpace(cfg[KeyFaultFreezeOffset]), "true")
	return c, nil
}

type sinkConfig struct {
	dsn         string
	tableFormat string
	faultID     string
	dropEvents  int
	corruptRows int
	corruptCol  string
	failMessage string
}

func parseSinkConfig(cfg map[string]string) (sinkConfig, error) {
	var c sinkConfig
	var err error
	if c.dsn, err = required(cfg, KeyConnectionURL); err != nil {
		return c, err
	}
	c.tableFormat = strings.TrimSpace(cfg[KeyTableNameFormat])
	if c.tableFormat == "" {
		c.tableFormat = DefaultTableNameFormat
	}
	if _, err := TableFor(c.tableFormat, "p.s.t"); err != nil {
		return c, err
	}
	if c.dropEvents, err = intConfig(cfg, KeyFaultDropEvents, 0); err != nil {
		return c, err
	}
	if c.corruptRows, err = intConfig(cfg, KeyFaultCorruptRows, 0); err != nil {
		return c, err
	}
	c.corruptCol = strings.TrimSpace(cfg[KeyFaultCorruptCol])
	if c.corruptRows > 0 {
		if err := checkIdent("column", c.corruptCol); err != nil {
			return c, err
		}
	}
	c.faultID = strings.TrimSpace(cfg[KeyFaultID])
	if (c.dropEvents > 0 || c.corruptRows > 0) && c.faultID == "" {
		return c, configError("%s is required with a drop or corrupt fault", KeyFaultID)
	}
	c.failMessage = cfg[KeyFaultFailMessage]
	return c, nil
}

// TableFor maps a topic <prefix>.<schema>.<table> to a sink table name
// through table.name.format (${topic}, ${schema}, ${table}).
func TableFor(format, topic string) (string, error) {
	parts := strings.Split(topic, ".")
	table := parts[len(parts)-1]
	schema := ""
	if len(parts) >= 2 {
		schema = parts[len(parts)-2]
	}
	name := strings.NewReplacer("${topic}", strings.NewReplacer(".", "_", "-", "_").Replace(topic),
		"${schema}", schema, "${table}", table).Replace(format)
	if err := checkIdent("sink table", name); err != nil {
		return "", err
	}
	return name, nil
}
