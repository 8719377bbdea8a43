// Package worker is the lab's Kafka-Connect-compatible REST worker: the
// endpoints, JSON shapes, status codes, error bodies and state rules of
// Apache Kafka 4.4.0's Connect runtime, on a real Kafka broker.
//
// Connector configs and target states live in the config topic
// (connect-configs), source offsets in the offsets topic (connect-offsets,
// byte-exact JsonConverter keys placed by murmur2), sink offsets in
// consumer groups connect-<name>. Requests write desired state; a
// per-connector supervisor moves tasks and status a moment later, so
// clients poll as they must against real Connect.
//
// Files: worker.go (New/Close, options), server.go (routing, bodies),
// handlers.go (connector endpoints), offsets_rest.go and sink_offsets.go
// (KIP-875 offsets), herder.go and restart.go (request-side state rules),
// connector.go and status.go (state, status shapes), supervisor.go (async
// transitions), source.go / sink.go (task runners), offsetstore.go and
// offsettopics.go (offsets topics, KIP-618), configstore.go (config
// topic), kafka.go (topics, read-to-end), topics.go (active topics),
// errors.go (traces, converters, DLQ), faults.go (fault hooks for tests
// and `cdcops lab fault`), messages.go (every Connect message text).
package worker
