// Package connectjson reproduces, byte for byte, the JSON that Kafka
// Connect's internal JsonConverter (schemas.enable=false) writes to an
// offsets topic, and parses it back without losing key order.
//
// Connect looks offsets up by exact key bytes (spec §3.2), so a key built
// in Go must match Java: compact JSON, object keys in java.util.HashMap
// iteration order (not insertion order, not sorted), Jackson's string
// escaping and Java's Double.toString. Records are placed by murmur2 like
// Java's default partitioner (spec §3.3). This is a leaf package (it needs
// nothing of ours) so the kafka adapter, the lab worker and the vault can
// all share one implementation.
package connectjson
