// Package backup gathers the live offsets of Kafka Connect connectors into
// a cdcops.Snapshot and stores it in a vault. It is the one place that
// knows what a backup holds: the offsets-topic records (read to the end
// offsets sampled at the start, last write per exact key bytes) or the
// GET /connectors/{c}/offsets bodies, sink connectors' consumer group
// offsets, and each connector's class and redacted config.
//
// Collect reads the state (`offsets show`, `snapshots diff … live`); Take
// collects and stores it, refusing an empty backup or one that misses a
// named connector (`offsets backup`, and the automatic backup before any
// offset change). Every dependency comes in through Sources; nothing here
// reads flags, globals or the environment.
package backup
