// Package debezium knows the offset formats of Debezium's connector
// classes (spec §3.6): it decodes positions for people (PostgreSQL LSNs,
// MySQL binlog file:pos and GTID sets, SQL Server LSNs, MongoDB
// timestamps, Oracle SCNs, ts_* times), validates offsets per class
// (spec §7 item 5) and computes the deltas a diff shows.
package debezium
