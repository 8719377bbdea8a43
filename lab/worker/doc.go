// Package worker is the lab's Kafka-Connect-compatible REST worker: the
// endpoints, JSON shapes, status codes, error bodies and state rules of
// Apache Kafka 3.7.0's Connect runtime, on a real Kafka broker.
//
// Connector configs and target states live in the config topic
// (connect-configs), source offsets in the offsets topic (connect-offsets,
// byte-exact JsonConverter keys placed by murmur2), sink offsets in
// consumer groups connect-<name>. Requests write desired state; a
// per-connector supervisor moves tasks and status a moment later, so
// clients poll as they must against real Connect.
//
// Files: server.go (routing, bodies), handlers.go (connector endpoints),
// offsets_rest.go and sink_offsets.go (KIP-875), herder.go and restart.go
// (request-side state rules), supervisor.go (async transitions),
// source.go / sink.go (task runners), offsetstore.go (offsets topic),
// configstore.go (config topic), errors.go (traces, DLQ), faults.go (fault
// hooks for tests), messages.go (every Connect message text).
package worker
