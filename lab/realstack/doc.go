// Package realstack runs the real thing next to the embedded lab: a
// single-node KRaft Kafka 4.4.0 broker, distributed Kafka Connect 4.4.0 and
// 3.9.1 workers with the Debezium plugins, and private PostgreSQL and MariaDB
// servers set up for Debezium. Tests use it through internal/testenv
// (RealKafka, RealConnect, RealPostgres, RealMariaDB) and `cdcops lab up
// --real` uses it for rehearsals.
//
// The jars come from Maven Central, pinned in maven/*/pom.xml and fetched
// once per machine into a cache outside the repo by fetch.sh (also run as
// scripts/realstack.sh, and embedded here so Fetch works outside a
// checkout). Nothing fetched is committed.
//
// Every process is started in its own process group and killed with its
// group on Close, on a failed start, and - after KillOnSignal - on SIGINT or
// SIGTERM, so no JVM or database outlives the test or command that started
// it. Each server listens on 127.0.0.1 on a free port unless one is given.
package realstack
