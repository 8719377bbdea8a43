package kafkatest

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connectjson"
)

// OffsetsTopic is the name Connect's sample config uses (spec §3.1).
const OffsetsTopic = "connect-offsets"

// Cluster starts a one-broker kfake cluster on a random 127.0.0.1 port
// with a compacted 25-partition offsets topic; it closes at cleanup.
func Cluster(tb testing.TB) (*kfake.Cluster, string) {
	tb.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.ClusterID("kfake-test-cluster"))
	if err != nil {
		tb.Fatalf("kfake: %v", err)
	}
	tb.Cleanup(c.Close)
	if err := c.CreateTopic(OffsetsTopic, 25, map[string]string{"cleanup.policy": "compact"}); err != nil {
		tb.Fatalf("create %s: %v", OffsetsTopic, err)
	}
	return c, c.ListenAddrs()[0]
}

// Write is one record to produce; a nil Value is a tombstone.
type Write struct {
	Key, Value []byte
}

// Produce writes ws to topic in order with franz-go's default partitioner
// (murmur2, as Connect's producer), flushing in large batches.
func Produce(ctx context.Context, addr, topic string, ws []Write) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(0), kgo.MaxBufferedRecords(100000), kgo.ProducerBatchMaxBytes(1<<20),
		kgo.DisableIdempotentWrite())
	if err != nil {
		return err
	}
	defer cl.Close()
	var first error
	for _, w := range ws {
		r := &kgo.Record{Key: w.Key, Value: w.Value}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil && first == nil {
				first = err
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	return first
}

// Classes are the Debezium connector classes of spec §3.6, in the order
// the workload cycles through them.
var Classes = []string{
	"io.debezium.connector.postgresql.PostgresConnector",
	"io.debezium.connector.mysql.MySqlConnector",
	"io.debezium.connector.sqlserver.SqlServerConnector",
	"io.debezium.connector.mongodb.MongoDbConnector",
	"io.debezium.connector.oracle.OracleConnector",
}

// Workload is a generated offsets history.
type Workload struct {
	Writes     []Write
	Connectors map[string]string // name → connector.class
}

// Debezium generates offsets for n connectors cycling through Classes:
// each partition is rewritten `rewrites` times with advancing positions;
// every 7th connector ends tombstoned, every 11th is tombstoned and then
// written again, and SQL Server connectors have two database partitions.
func Debezium(n, rewrites int) Workload {
	w := Workload{Connectors: map[string]string{}}
	for round := 0; round < rewrites; round++ {
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("dbz-%04d", i)
			class := Classes[i%len(Classes)]
			w.Connectors[name] = class
			for _, part := range partitions(i, name) {
				key, err := connectjson.OffsetKey(name, part)
				if err != nil {
					panic(err)
				}
				var val []byte
				last := round == rewrites-1
				switch {
				case last && i%7 == 3:
					val = nil
				case round == rewrites-2 && i%11 == 5:
					val = nil
				default:
					val = mustEncode(offset(i, round))
				}
				w.Writes = append(w.Writes, Write{Key: key, Value: val})
			}
		}
	}
	return w
}

func partitions(i int, name string) []connectjson.Object {
	prefix := fmt.Sprintf("srv%04d", i)
	switch i % len(Classes) {
	case 2:
		return []connectjson.Object{
			{{Key: "server", Value: prefix}, {Key: "database", Value: "inventory"}},
			{{Key: "server", Value: prefix}, {Key: "database", Value: "orders"}},
		}
	case 3:
		return []connectjson.Object{{{Key: "server_id", Value: prefix}}}
	default:
		return []connectjson.Object{{{Key: "server", Value: prefix}}}
	}
}

func offset(i, round int) connectjson.Object {
	r := int64(round)
	switch i % len(Classes) {
	case 0:
		lsn := int64(0x16B3748) + int64(i)*1000 + r*4096
		return connectjson.Object{{Key: "lsn_proc", Value: lsn}, {Key: "lsn_commit", Value: lsn}, {Key: "lsn", Value: lsn},
			{Key: "txId", Value: int64(780) + r}, {Key: "ts_usec", Value: int64(1700000000000000) + r*1000000}, {Key: "messageType", Value: "UPDATE"}}
	case 1:
		return connectjson.Object{{Key: "ts_sec", Value: int64(1700000000) + r}, {Key: "file", Value: fmt.Sprintf("mysql-bin.%06d", 3+r/5)},
			{Key: "pos", Value: int64(154) + (r%5)*1000}, {Key: "gtids", Value: fmt.Sprintf("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-%d", 5+r)},
			{Key: "row", Value: int64(1)}, {Key: "server_id", Value: int64(223344)}, {Key: "event", Value: int64(2)}}
	case 2:
		return connectjson.Object{{Key: "commit_lsn", Value: fmt.Sprintf("0000002b:%08x:0003", 0x560+r)},
			{Key: "change_lsn", Value: fmt.Sprintf("0000002b:%08x:0002", 0x560+r)}, {Key: "event_serial_no", Value: int64(1)}}
	case 3:
		return connectjson.Object{{Key: "sec", Value: int64(1700000000) + r}, {Key: "ord", Value: int64(1) + r%3},
			{Key: "resume_token", Value: fmt.Sprintf("8265%012X000000012B022C0100296E5A1004", 1700000000+r)}}
	default:
		return connectjson.Object{{Key: "scn", Value: fmt.Sprintf("%d", 289100000+r*17)}, {Key: "commit_scn", Value: fmt.Sprintf("%d:1:0a001b00c3010000", 289100000+r*17)},
			{Key: "snapshot_scn", Value: "289000000"}}
	}
}

func mustEncode(o connectjson.Object) []byte {
	b, err := connectjson.Encode(o)
	if err != nil {
		panic(err)
	}
	return b
}

// LastWriteWins applies ws in order per exact key bytes; tombstones remove.
// It is the independent expectation tests compare a backup with.
func LastWriteWins(ws []Write) map[string][]byte {
	m := map[string][]byte{}
	for _, w := range ws {
		if w.Value == nil {
			delete(m, string(w.Key))
			continue
		}
		m[string(w.Key)] = w.Value
	}
	return m
}
