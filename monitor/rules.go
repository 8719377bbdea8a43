package monitor

import (
	"gopkg.in/yaml.v3"
)

// Rule is one Prometheus alerting rule.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// RuleGroup is a group of rules in a Prometheus rules file.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// RulesFile is the top level of a Prometheus rules file.
type RulesFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

func rule(alert, expr, forDur, severity, summary string) Rule {
	return Rule{Alert: alert, Expr: expr, For: forDur, Labels: map[string]string{"severity": severity},
		Annotations: map[string]string{"summary": summary, "runbook": "docs/monitoring.md#" + alert}}
}

// AlertRules are the alerts `cdcops monitor rules` writes; docs/monitoring.md
// explains each.
func AlertRules() RulesFile {
	return RulesFile{Groups: []RuleGroup{{Name: "cdcops", Rules: []Rule{
		rule("CdcopsConnectorDown", `cdcops_connector_up == 0`, "5m", "critical",
			"Connector {{ $labels.connector }} or one of its tasks is not RUNNING"),
		rule("CdcopsSinkConsumerError", `max by (connector) (cdcops_sink_partition_status) >= 2`, "2m", "critical",
			"Sink {{ $labels.connector }} is stopped, stalled or rewound (Burrow ERR)"),
		rule("CdcopsSinkFallingBehind", `max by (connector) (cdcops_sink_partition_status) == 1`, "10m", "warning",
			"Sink {{ $labels.connector }} is consuming but its lag keeps growing (Burrow WARN)"),
		rule("CdcopsSinkLagHigh", `max by (connector) (cdcops_sink_lag_seconds) > 300`, "5m", "warning",
			"Sink {{ $labels.connector }} is {{ $value }}s behind its topics"),
		rule("CdcopsSourceLagHigh", `cdcops_source_lag_seconds > 300`, "5m", "warning",
			"Source {{ $labels.connector }} is {{ $value }}s behind its database"),
		rule("CdcopsSourceLagBytesHigh", `cdcops_source_lag_bytes > 1073741824`, "10m", "warning",
			"Source {{ $labels.connector }} is {{ $value }} bytes of log behind its database"),
		rule("CdcopsLogRetentionAtRisk", `cdcops_log_retention_risk == 1`, "", "warning",
			"The database log position of {{ $labels.connector }} is close to being purged"),
		rule("CdcopsLogPositionLost", `cdcops_log_retention_risk == 2`, "", "critical",
			"The database log position of {{ $labels.connector }} is gone: a restart or rewind will fail"),
		rule("CdcopsOffsetsStale", `cdcops_offsets_stale == 1`, "5m", "warning",
			"Offsets of {{ $labels.connector }} have not been written for longer than stale_after while its source moves"),
		rule("CdcopsDLQSpike", `max by (connector, topic) (cdcops_dlq_spike) == 1 or sum by (connector, topic) (increase(cdcops_dlq_records_total[10m])) > 100`, "", "warning",
			"Dead letter queue {{ $labels.topic }} of {{ $labels.connector }} is filling"),
		rule("CdcopsThroughputDip", `cdcops_throughput_dip == 1`, "5m", "warning",
			"Throughput of {{ $labels.connector }} dropped below its baseline while there is work"),
		rule("CdcopsWatermarkBehind", `cdcops_watermark_breach == 1`, "5m", "warning",
			"Sink table {{ $labels.table }} of {{ $labels.connector }} is behind its source beyond the budget"),
		rule("CdcopsMonitorNotRunning", `time() - cdcops_monitor_last_cycle_timestamp_seconds > 600`, "", "warning",
			"cdcops serve has not completed an evaluation cycle for 10 minutes"),
	}}}}
}

// RulesYAML renders AlertRules as a Prometheus rules file.
func RulesYAML() ([]byte, error) { return yaml.Marshal(AlertRules()) }
