// Package surgery changes connector offsets safely: it makes a plan
// (restore from a snapshot, rewind to a position or time, skip a poison
// pill, reset) bound to the offsets it was computed from, validates every
// new offset as Debezium's loader reads it, and applies it as journaled
// steps — stop, check the plan is not stale, pre-change snapshot (verified),
// write (REST PATCH or exact bytes to the offsets topic), read back and
// compare byte for byte, resume, watch — so a killed apply resumes or
// rolls back to the pre-change bytes.
package surgery
