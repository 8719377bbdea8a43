// Package sqlpipe is the lab's small CDC pipeline: change capture from
// SQLite, PostgreSQL or MariaDB tables into Debezium-style change events,
// idempotent apply of those events to a sink table in any of the three
// engines, the connector classes that run both inside the lab worker
// (cdcops.lab.SqlSource, cdcops.lab.SqlSink), and a reproducible load
// generator.
//
// Capture is trigger based and portable: triggers on each captured table
// append the row's before/after images as JSON to cdcops_changelog, whose
// auto-increment pos is the source position (see docs/lab-pipeline.md).
package sqlpipe
