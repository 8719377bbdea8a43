package snaptest

import (
	"strconv"
	"time"

	"github.com/cdcops/cdcops"
)

// Sample builds a snapshot with a PostgreSQL and a MySQL source, a
// malformed key and a sink group; lsn moves the PostgreSQL position.
func Sample(created time.Time, lsn int64) *cdcops.Snapshot {
	pgKey := []byte(`["pg-orders",{"server":"pg1"}]`)
	myKey := []byte(`["my-users",{"server":"my1"}]`)
	recTime := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	return &cdcops.Snapshot{
		Meta: cdcops.SnapshotMeta{Created: created, CdcopsVersion: "test", Via: "topic", KafkaClusterID: "kc-1", Scope: []string{"*"},
			Topics: []cdcops.SnapshotTopic{{Name: "connect-offsets", Partitions: 25, EndOffsets: map[int32]int64{3: 1000, 11: 1000, 7: 1000}}}},
		Content: cdcops.SnapshotContent{
			Connectors: []cdcops.SnapshotConnector{
				{Name: "pg-orders", Type: "source", Class: "io.debezium.connector.postgresql.PostgresConnector", Config: map[string]string{"database.password": "xxxxx"}},
				{Name: "my-users", Type: "source", Class: "io.debezium.connector.mysql.MySqlConnector"},
				{Name: "orders-sink", Type: "sink", Class: "io.confluent.connect.jdbc.JdbcSinkConnector", Group: "connect-orders-sink"},
			},
			Records: []cdcops.OffsetRecord{
				{Topic: "connect-offsets", Partition: 11, Offset: 40, Timestamp: recTime, RawKey: pgKey, Connector: "pg-orders",
					RawValue: []byte(`{"lsn_proc":` + itoa(lsn) + `,"lsn":` + itoa(lsn) + `,"txId":780,"ts_usec":1700000000000000}`)},
				{Topic: "connect-offsets", Partition: 3, Offset: 12, Timestamp: recTime, RawKey: myKey, Connector: "my-users",
					RawValue: []byte(`{"file":"mysql-bin.000003","pos":154,"gtids":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}`)},
				{Topic: "connect-offsets", Partition: 7, Offset: 2, Timestamp: recTime, RawKey: []byte(`not-a-connect-key`), RawValue: []byte(`{}`), Malformed: true},
			},
			Groups: []cdcops.GroupOffsets{{Connector: "orders-sink", Group: "connect-orders-sink", Offsets: []cdcops.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 42}}}},
		},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
