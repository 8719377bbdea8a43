// Package kafka is cdcops's adapter to Kafka through franz-go: it reads
// Kafka Connect offsets topics to the end offsets sampled when the read
// starts (never a timeout guess), keeps the last record per exact key
// bytes, discovers which offsets topics are in use, and fetches sink
// connectors' consumer group offsets.
package kafka
