// Package connect is a typed client for the Kafka Connect REST API: server
// info, connector lifecycle (create, pause, resume, stop, restart, delete),
// status, and the KIP-875 offsets endpoints (GET/PATCH/DELETE
// /connectors/{c}/offsets).
//
// It is the only place cdcops speaks Connect's REST dialect. It knows which
// endpoints exist in which Kafka version (GET / → Capabilities), retries the
// 409 a worker answers during a rebalance (bounded backoff that honours the
// context), and turns every failure into a *cdcops.Error whose message
// carries the worker's own text and whose hint says what to type next.
// Offsets bodies travel as cdcops.ConnectorOffsets with raw JSON partition
// and offset maps, so nothing here re-orders or re-encodes them.
//
// Facts: /work/shared/spec/connect-and-debezium.md §1–§2 (ConnectorsResource,
// AbstractHerder, DistributedHerder, SinkUtils in apache/kafka).
package connect
