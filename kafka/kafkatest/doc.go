// Package kafkatest starts in-process kfake brokers and produces realistic
// Debezium offsets workloads for the tests and benchmarks of kafka, vault
// and cmd/cdcops. It is test support only; nothing in the binary uses it.
package kafkatest
