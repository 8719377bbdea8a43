// Package plugin is the contract between the lab's Connect-compatible
// worker (lab/worker) and the connector classes it runs (lab/scripted,
// lab/sqlpipe). It mirrors Kafka Connect's Connector/Task split closely
// enough that the worker, not the connectors, owns what Connect owns:
// offset flushing to the offsets topic, consumer groups and commits for
// sinks, task state, and error tolerance with a dead-letter queue.
package plugin
