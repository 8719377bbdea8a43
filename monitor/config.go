package monitor

import (
	"fmt"
	"time"

	"github.com/cdcops/cdcops"
)

// Config is the monitor: section of cdcops.yaml (decoded strictly by cmd).
// Zero values take the defaults below.
type Config struct {
	Interval     time.Duration `yaml:"interval"`      // evaluation cycle (default 30s)
	Window       int           `yaml:"window"`        // commits kept per partition (Burrow intervals, default 10)
	AllowedLag   int64         `yaml:"allowed_lag"`   // lag counted as caught up (EOS topics)
	LagBudget    time.Duration `yaml:"lag_budget"`    // sink/source lag in seconds beyond which WARN (0 = off)
	StaleAfter   time.Duration `yaml:"stale_after"`   // source offsets older than this while the source moves are stale (default 5m)
	OffsetsTopic string        `yaml:"offsets_topic"` // worker offset.storage.topic (default connect-offsets)
	// DLQSpikeFactor: records per cycle above factor × baseline is a spike
	// (default 3); at least DLQSpikeMin records (default 1).
	DLQSpikeFactor float64 `yaml:"dlq_spike_factor"`
	DLQSpikeMin    int64   `yaml:"dlq_spike_min"`
	// ThroughputDip: a rate below dip × baseline is a dip (default 0.5),
	// once the baseline is at least ThroughputMin records/s (default 1).
	ThroughputDip float64 `yaml:"throughput_dip"`
	ThroughputMin float64 `yaml:"throughput_min"`
	// RetentionSafeBytes: a PostgreSQL slot with safe_wal_size below this
	// is at risk (default 1 GiB).
	RetentionSafeBytes int64                      `yaml:"retention_safe_bytes"`
	Connectors         map[string]ConnectorConfig `yaml:"connectors"`
	Webhooks           []WebhookConfig            `yaml:"webhooks"`
}

// ConnectorConfig is what the monitor needs to know about one connector
// beyond what Connect tells: its source database and sink watermark.
type ConnectorConfig struct {
	// Source is the DSN of a source connector's database (postgres:// or
	// mysql://), for source lag and retention checks.
	Source string `yaml:"source"`
	// Slot overrides the replication slot (default: the connector's
	// slot.name, else "debezium").
	Slot      string           `yaml:"slot"`
	Watermark *WatermarkConfig `yaml:"watermark"`
}

// WatermarkConfig compares a source connector's offset time with the
// newest change in a sink table.
type WatermarkConfig struct {
	DSN    string        `yaml:"dsn"`
	Table  string        `yaml:"table"`
	Column string        `yaml:"column"` // default updated_at
	Source string        `yaml:"source"` // source connector whose offset time is compared
	Budget time.Duration `yaml:"budget"` // default 5m
}

// WebhookConfig is one notification target.
type WebhookConfig struct {
	URL       string        `yaml:"url"`
	Format    string        `yaml:"format"`    // json (default) or slack
	Threshold string        `yaml:"threshold"` // lowest severity sent: WARN (default) or ERR
	Resend    time.Duration `yaml:"resend"`    // repeat a firing alert after this (default 1h; 0 in yaml = default)
	Resolved  *bool         `yaml:"resolved"`  // send a resolved notice (default true)
}

// WithDefaults returns c with zero values replaced, or an error for
// values that cannot work.
func (c Config) WithDefaults() (Config, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Interval, 30*time.Second)
	def(&c.StaleAfter, 5*time.Minute)
	if c.Window == 0 {
		c.Window = 10
	}
	if c.OffsetsTopic == "" {
		c.OffsetsTopic = "connect-offsets"
	}
	if c.DLQSpikeFactor == 0 {
		c.DLQSpikeFactor = 3
	}
	if c.DLQSpikeMin == 0 {
		c.DLQSpikeMin = 1
	}
	if c.ThroughputDip == 0 {
		c.ThroughputDip = 0.5
	}
	if c.ThroughputMin == 0 {
		c.ThroughputMin = 1
	}
	if c.RetentionSafeBytes == 0 {
		c.RetentionSafeBytes = 1 << 30
	}
	hint := "see docs/monitoring.md for the monitor: keys"
	switch {
	case c.Interval < 0 || c.StaleAfter < 0 || c.LagBudget < 0:
		return c, cdcops.Errorf(cdcops.EINVALID, hint, "monitor: durations must not be negative")
	case c.Window < 2:
		return c, cdcops.Errorf(cdcops.EINVALID, hint, "monitor.window %d: need at least 2 commits", c.Window)
	case c.AllowedLag < 0:
		return c, cdcops.Errorf(cdcops.EINVALID, hint, "monitor.allowed_lag must not be negative")
	case c.ThroughputDip < 0 || c.ThroughputDip >= 1:
		return c, cdcops.Errorf(cdcops.EINVALID, hint, "monitor.throughput_dip %v: want a fraction between 0 and 1", c.ThroughputDip)
	}
	for name, cc := range c.Connectors {
		if w := cc.Watermark; w != nil {
			if w.DSN == "" || w.Table == "" || w.Source == "" {
				return c, cdcops.Errorf(cdcops.EINVALID, hint, "monitor.connectors.%s.watermark needs dsn, table and source", name)
			}
			if w.Column == "" {
				w.Column = "updated_at"
			}
			if w.Budget == 0 {
				w.Budget = 5 * time.Minute
			}
		}
	}
	for i := range c.Webhooks {
		if err := c.Webhooks[i].check(); err != nil {
			return c, fmt.Errorf("monitor.webhooks[%d]: %w", i, err)
		}
	}
	return c, nil
}
