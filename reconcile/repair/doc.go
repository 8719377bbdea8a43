// Package repair turns reconcile's drift into a fix a DBA would sign.
//
// Plan re-reads the drifted keys on both sides now (reconcile with a key
// filter: a stale diff is never trusted), reads the pre-image of every
// sink row it will touch losslessly, and builds batches of statements in
// the sink's own dialect — INSERT for missing rows, UPDATE of only the
// differing columns, DELETE for extra rows, or the engine's native upsert
// — with exact literals (reconcile/dialect's Writer), plus the rollback
// batches that restore the pre-image. Apply writes the rollback script
// first, runs one transaction per batch, checks every statement touched
// the rows it should, re-reconciles the touched keys and records an audit
// entry. Signal instead asks Debezium to re-read exactly the drifted keys
// with an incremental snapshot (execute-snapshot with the plural
// additional-conditions) through the signal table or the Kafka signal
// topic, and waits until the sink converges.
package repair
