package monitor

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metric is one exported metric: its name, help, labels and type.
type metric struct {
	desc   *prometheus.Desc
	name   string
	help   string
	labels []string
	kind   prometheus.ValueType
}

func newMetric(name, help string, kind prometheus.ValueType, labels ...string) *metric {
	return &metric{desc: prometheus.NewDesc(name, help, labels, nil), name: name, help: help, labels: labels, kind: kind}
}

// The metrics cdcops exports; docs/monitoring.md lists them and a test
// keeps that page, the alert rules and the dashboard in step with Metrics.
var (
	mUp          = newMetric("cdcops_connector_up", "1 when the connector and all its tasks are RUNNING.", prometheus.GaugeValue, "connector", "type")
	mStatus      = newMetric("cdcops_connector_status", "Severity of the connector's worst finding: 0 OK, 1 WARN, 2 ERR; label status is the finding (OK, WARN, ERR, STOP, STALL, REWIND).", prometheus.GaugeValue, "connector", "type", "status")
	mSinkLag     = newMetric("cdcops_sink_lag_records", "Records between the sink group's committed offset and the partition's end offset.", prometheus.GaugeValue, "connector", "topic", "partition")
	mSinkLagSec  = newMetric("cdcops_sink_lag_seconds", "Age of the record at the committed offset (interpolated when it cannot be read); 0 when caught up.", prometheus.GaugeValue, "connector", "topic", "partition")
	mSinkStatus  = newMetric("cdcops_sink_partition_status", "Burrow status of the partition: 0 OK, 1 WARN, 2 ERR (STOP, STALL, REWIND).", prometheus.GaugeValue, "connector", "topic", "partition")
	mSrcBytes    = newMetric("cdcops_source_lag_bytes", "Bytes of database log between the source offset and the log head (PostgreSQL WAL, MySQL/MariaDB binlog).", prometheus.GaugeValue, "connector")
	mSlotBytes   = newMetric("cdcops_source_slot_lag_bytes", "Bytes of WAL between the replication slot's confirmed_flush_lsn and pg_current_wal_lsn().", prometheus.GaugeValue, "connector")
	mSrcGTIDs    = newMetric("cdcops_source_lag_gtids", "Transactions executed on the server but not in the offset's GTID set.", prometheus.GaugeValue, "connector")
	mSrcSec      = newMetric("cdcops_source_lag_seconds", "Now minus the offset's source time (ts_usec, ts_sec, ts_ms); 0 when the log head is reached.", prometheus.GaugeValue, "connector")
	mRetention   = newMetric("cdcops_log_retention_risk", "0 the offset's log position is safe, 1 at risk (slot unreserved, low safe_wal_size, oldest binlog), 2 gone.", prometheus.GaugeValue, "connector")
	mOffAge      = newMetric("cdcops_offsets_age_seconds", "Seconds since the source connector's offset was last written to the offsets topic.", prometheus.GaugeValue, "connector")
	mOffStale    = newMetric("cdcops_offsets_stale", "1 when the offset is older than stale_after while the source keeps moving.", prometheus.GaugeValue, "connector")
	mDLQ         = newMetric("cdcops_dlq_records_total", "Records in the sink's dead letter queue partition (its end offset).", prometheus.CounterValue, "connector", "topic", "partition")
	mDLQSpike    = newMetric("cdcops_dlq_spike", "1 when the DLQ partition got more records this cycle than dlq_spike_factor times its baseline.", prometheus.GaugeValue, "connector", "topic", "partition")
	mRate        = newMetric("cdcops_throughput_records_per_second", "Records per second produced to a source's topics or committed by a sink, over the last cycle.", prometheus.GaugeValue, "connector")
	mDip         = newMetric("cdcops_throughput_dip", "1 when throughput fell below throughput_dip times its baseline while there was work to do.", prometheus.GaugeValue, "connector")
	mWMGap       = newMetric("cdcops_watermark_gap_seconds", "Source offset time minus the sink table's newest change time.", prometheus.GaugeValue, "connector", "table")
	mWMBreach    = newMetric("cdcops_watermark_breach", "1 when the watermark gap exceeds its budget.", prometheus.GaugeValue, "connector", "table")
	mCycleAt     = newMetric("cdcops_monitor_last_cycle_timestamp_seconds", "Unix time of the last completed evaluation cycle.", prometheus.GaugeValue)
	mCycleErrs   = newMetric("cdcops_monitor_cycle_errors", "Checks that could not run in the last cycle.", prometheus.GaugeValue)
	mCycleFailed = newMetric("cdcops_monitor_cycle_failures_total", "Cycles that failed (Connect or Kafka unreachable).", prometheus.CounterValue)
)

// Metrics are all exported metrics, in documentation order.
var Metrics = []*metric{mUp, mStatus, mSinkLag, mSinkLagSec, mSinkStatus, mSrcBytes, mSlotBytes, mSrcGTIDs, mSrcSec,
	mRetention, mOffAge, mOffStale, mDLQ, mDLQSpike, mRate, mDip, mWMGap, mWMBreach, mCycleAt, mCycleErrs, mCycleFailed}

// MetricInfo describes one exported metric for docs and tests.
type MetricInfo struct {
	Name, Help, Type string
	Labels           []string
}

// MetricInfos lists the exported metrics.
func MetricInfos() []MetricInfo {
	out := make([]MetricInfo, len(Metrics))
	for i, m := range Metrics {
		t := "gauge"
		if m.kind == prometheus.CounterValue {
			t = "counter"
		}
		out[i] = MetricInfo{Name: m.name, Help: m.help, Type: t, Labels: m.labels}
	}
	return out
}

// Collector exports the last Report; a scrape only formats what the last
// cycle found, so scrapes cost nothing between cycles.
type Collector struct {
	mu       sync.Mutex
	rep      *Report
	failures int
}

// Set publishes rep (nil: the cycle failed, the previous report stays).
func (c *Collector) Set(rep *Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rep == nil {
		c.failures++
		return
	}
	c.rep = rep
}

// Last returns the last published report, or nil.
func (c *Collector) Last() *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rep
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range Metrics {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	rep, failures := c.rep, c.failures
	c.mu.Unlock()
	emit(ch, mCycleFailed, float64(failures))
	if rep == nil {
		return
	}
	emit(ch, mCycleAt, float64(rep.At.UnixNano())/1e9)
	emit(ch, mCycleErrs, float64(len(rep.Errors)))
	for i := range rep.Connectors {
		collectConnector(ch, &rep.Connectors[i])
	}
}

func collectConnector(ch chan<- prometheus.Metric, c *Connector) {
	n := c.Name
	emit(ch, mUp, b2f(c.Up), n, c.Type)
	emit(ch, mStatus, c.Status.Value(), n, c.Type, string(c.Status))
	if s := c.Sink; s != nil {
		for _, p := range s.Partitions {
			part := strconv.Itoa(int(p.Partition))
			emit(ch, mSinkLag, float64(p.Lag), n, p.Topic, part)
			if p.LagFrom != "unknown" {
				emit(ch, mSinkLagSec, ms2s(p.LagMS), n, p.Topic, part)
			}
			emit(ch, mSinkStatus, p.Status.Value(), n, p.Topic, part)
		}
	}
	if s := c.Source; s != nil {
		optional(ch, mSrcBytes, s.LagBytes, 1, n)
		optional(ch, mSlotBytes, s.SlotLagBytes, 1, n)
		optional(ch, mSrcGTIDs, s.LagGTIDs, 1, n)
		optional(ch, mSrcSec, s.LagMS, 1e-3, n)
		emit(ch, mRetention, float64(s.Retention.Risk), n)
	}
	if o := c.Offsets; o != nil {
		emit(ch, mOffAge, ms2s(o.AgeMS), n)
		emit(ch, mOffStale, b2f(o.Stale), n)
	}
	if d := c.DLQ; d != nil {
		for _, p := range d.Partitions {
			part := strconv.Itoa(int(p.Partition))
			emit(ch, mDLQ, float64(p.Total), n, d.Topic, part)
			emit(ch, mDLQSpike, b2f(p.Spike), n, d.Topic, part)
		}
	}
	if t := c.Throughput; t != nil {
		emit(ch, mRate, t.RecordsPerSec, n)
		emit(ch, mDip, b2f(t.Dip), n)
	}
	if w := c.Watermark; w != nil {
		emit(ch, mWMGap, ms2s(w.GapMS), n, w.Table)
		emit(ch, mWMBreach, b2f(w.Breach), n, w.Table)
	}
}

func emit(ch chan<- prometheus.Metric, m *metric, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(m.desc, m.kind, v, labels...)
}

func optional(ch chan<- prometheus.Metric, m *metric, v *int64, scale float64, labels ...string) {
	if v != nil {
		emit(ch, m, float64(*v)*scale, labels...)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func ms2s(ms int64) float64 { return float64(ms) / float64(time.Second/time.Millisecond) }
