package monitor_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gopkg.in/yaml.v3"

	"github.com/cdcops/cdcops/monitor"
)

var metricRef = regexp.MustCompile(`\bcdcops_[a-z_]+\b`)

func exported() map[string]bool {
	out := map[string]bool{}
	for _, m := range monitor.MetricInfos() {
		out[m.Name] = true
	}
	return out
}

// checkExpr fails when expr names no cdcops metric or one that is not exported.
func checkExpr(t *testing.T, where, expr string) {
	t.Helper()
	refs := metricRef.FindAllString(expr, -1)
	if len(refs) == 0 {
		t.Errorf("%s: expr %q names no cdcops metric", where, expr)
	}
	for _, r := range refs {
		if !exported()[r] {
			t.Errorf("%s: expr %q uses %s, which cdcops does not export", where, expr, r)
		}
	}
	if strings.Count(expr, "(") != strings.Count(expr, ")") || strings.Count(expr, "[") != strings.Count(expr, "]") {
		t.Errorf("%s: unbalanced brackets in %q", where, expr)
	}
}

// The rules file parses as Prometheus rules and every expr uses exported metrics.
func TestAlertRules(t *testing.T) {
	b, err := monitor.RulesYAML()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("rules do not parse: %v\n%s", err, b)
	}
	if len(f.Groups) != 1 || len(f.Groups[0].Rules) < 10 {
		t.Fatalf("rules: %+v", f)
	}
	seen := map[string]bool{}
	for _, r := range f.Groups[0].Rules {
		if r.Alert == "" || seen[r.Alert] || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
			t.Errorf("rule %+v: needs a unique alert name, a severity and a summary", r)
		}
		seen[r.Alert] = true
		if r.For != "" {
			if _, err := time.ParseDuration(r.For); err != nil {
				t.Errorf("rule %s: for %q: %v", r.Alert, r.For, err)
			}
		}
		checkExpr(t, r.Alert, r.Expr)
	}
}

// The Grafana dashboard is valid JSON with unique panel ids, and every
// panel query uses exported metrics.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana/cdcops.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	if d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard has no uid or panels")
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or repeated", p.Title, p.ID)
		}
		ids[p.ID] = true
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			checkExpr(t, "panel "+p.Title, tg.Expr)
		}
	}
}

// docs/monitoring.md names every metric, label and alert.
func TestMonitoringDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/monitoring.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, m := range monitor.MetricInfos() {
		if !strings.Contains(doc, "`"+m.Name+"`") {
			t.Errorf("docs/monitoring.md does not list metric %s", m.Name)
		}
		for _, l := range m.Labels {
			if !strings.Contains(doc, "`"+l+"`") {
				t.Errorf("docs/monitoring.md does not explain label %s", l)
			}
		}
	}
	for _, r := range monitor.AlertRules().Groups[0].Rules {
		if !strings.Contains(doc, "### "+r.Alert) {
			t.Errorf("docs/monitoring.md has no section for alert %s", r.Alert)
		}
	}
	for _, m := range metricRef.FindAllString(doc, -1) {
		if !exported()[m] {
			t.Errorf("docs/monitoring.md names %s, which is not exported", m)
		}
	}
}

// A report is exported with the documented names and labels and values.
func TestCollector(t *testing.T) {
	lagB, lagMS := int64(4096), int64(1500)
	rep := &monitor.Report{At: time.Unix(1796119710, 0).UTC(), Connectors: []monitor.Connector{
		{Name: "orders-sink", Type: "sink", Up: true, Status: monitor.STALL, Severity: monitor.ERR,
			Sink: &monitor.Sink{Partitions: []monitor.Partition{{Topic: "t", Partition: 3, Lag: 42, LagMS: 2500, LagFrom: "record", Status: monitor.STALL}}},
			DLQ:  &monitor.DLQ{Topic: "dlq", Partitions: []monitor.DLQPartition{{Partition: 0, Total: 7, Spike: true}}}},
		{Name: "pg", Type: "source", Up: false, Status: monitor.ERR, Severity: monitor.ERR,
			Source:  &monitor.Source{LagBytes: &lagB, LagMS: &lagMS, Retention: monitor.Retention{Risk: 2}},
			Offsets: &monitor.OffsetsAge{AgeMS: 360000, Stale: true}},
	}}
	c := &monitor.Collector{}
	c.Set(rep)
	want := `
# HELP cdcops_sink_lag_records Records between the sink group's committed offset and the partition's end offset.
# TYPE cdcops_sink_lag_records gauge
cdcops_sink_lag_records{connector="orders-sink",partition="3",topic="t"} 42
# HELP cdcops_sink_lag_seconds Age of the record at the committed offset (interpolated when it cannot be read); 0 when caught up.
# TYPE cdcops_sink_lag_seconds gauge
cdcops_sink_lag_seconds{connector="orders-sink",partition="3",topic="t"} 2.5
# HELP cdcops_source_lag_bytes Bytes of database log between the source offset and the log head (PostgreSQL WAL, MySQL/MariaDB binlog).
# TYPE cdcops_source_lag_bytes gauge
cdcops_source_lag_bytes{connector="pg"} 4096
# HELP cdcops_source_lag_seconds Now minus the offset's source time (ts_usec, ts_sec, ts_ms); 0 when the log head is reached.
# TYPE cdcops_source_lag_seconds gauge
cdcops_source_lag_seconds{connector="pg"} 1.5
# HELP cdcops_log_retention_risk 0 the offset's log position is safe, 1 at risk (slot unreserved, low safe_wal_size, oldest binlog), 2 gone.
# TYPE cdcops_log_retention_risk gauge
cdcops_log_retention_risk{connector="pg"} 2
# HELP cdcops_offsets_age_seconds Seconds since the source connector's offset was last written to the offsets topic.
# TYPE cdcops_offsets_age_seconds gauge
cdcops_offsets_age_seconds{connector="pg"} 360
# HELP cdcops_dlq_records_total Records in the sink's dead letter queue partition (its end offset).
# TYPE cdcops_dlq_records_total counter
cdcops_dlq_records_total{connector="orders-sink",partition="0",topic="dlq"} 7
# HELP cdcops_connector_up 1 when the connector and all its tasks are RUNNING.
# TYPE cdcops_connector_up gauge
cdcops_connector_up{connector="orders-sink",type="sink"} 1
cdcops_connector_up{connector="pg",type="source"} 0
`
	names := []string{"cdcops_sink_lag_records", "cdcops_sink_lag_seconds", "cdcops_source_lag_bytes", "cdcops_source_lag_seconds",
		"cdcops_log_retention_risk", "cdcops_offsets_age_seconds", "cdcops_dlq_records_total", "cdcops_connector_up"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("pedantic gather: %v", err)
	}
}
