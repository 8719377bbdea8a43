// Package monitor watches a Kafka Connect + Debezium pipeline and says, per
// connector and partition, how it is doing: sink lag in records and
// seconds with a Burrow-compatible status (OK, WARN, ERR with STOP, STALL,
// REWIND), source lag against the database log (PostgreSQL LSN and slot,
// MySQL/MariaDB binlog and GTIDs) with log-retention risk, offset
// staleness, dead-letter-queue spikes, throughput dips and sink
// watermarks. A Monitor keeps the short history the rules need and turns
// one evaluation cycle into a Report; metrics.go exports a Report to
// Prometheus, rules.go writes the matching alert rules and notify.go sends
// webhook notifications. Facts: spec/monitoring-and-failure-modes.md.
package monitor
