// Package faults injects the failures operators rehearse on the lab
// pipeline: a sink that silently drops or corrupts events, a task that
// fails with a trace, a poison-pill record, deleted offsets, a renamed
// connector with orphaned offsets, and stale offsets from a delayed flush.
//
// Every fault works through the same interfaces a real cluster offers —
// the Connect REST API, the Kafka protocol, the sink database — so it can
// be injected from a test or from another process (`cdcops lab fault`),
// and each returns a Report that says exactly what it did.
package faults
