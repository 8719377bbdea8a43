// Command cdcops operates Kafka Connect / Debezium CDC pipelines: offsets
// backup and surgery, source-vs-sink reconciliation, and a lab to rehearse.
package main
