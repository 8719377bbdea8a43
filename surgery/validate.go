package surgery

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
)

// validateAfter checks one new offset before anything is written: the
// offset is what the connector class's loader reads (debezium.Validate), and a Debezium partition names the logical
// server the connector actually uses. It returns one message per problem.
func validateAfter(c *Current, partition, after []byte) []string {
	var out []string
	if c.Type == cdcops.ConnectorSink {
		if _, _, _, ok := sinkParts(partition, nil); !ok {
			out = append(out, fmt.Sprintf("sink partition %s must have \"kafka_topic\" (string) and \"kafka_partition\" (integer)", partition))
		}
		if after != nil {
			o, err := connectjson.ParseObject(after)
			if err != nil {
				return append(out, "sink offset: "+err.Error())
			}
			v, _ := o.Get("kafka_offset")
			if n, ok := v.(int64); !ok || n < 0 {
				out = append(out, fmt.Sprintf("sink offset %s: \"kafka_offset\" must be a non-negative integer", after))
			}
		}
		return out
	}
	p, err := connectjson.ParseObject(partition)
	if err != nil {
		return []string{"partition: " + err.Error()}
	}
	var o connectjson.Object
	if after != nil {
		if o, err = connectjson.ParseObject(after); err != nil {
			return []string{"offset: " + err.Error()}
		}
	}
	class := effectiveClass(c)
	for _, e := range debezium.Validate(class, p, o) {
		out = append(out, e.Error())
	}
	if k, _ := debezium.Resolve(class, o); k != debezium.Unknown {
		for _, f := range o {
			if writtenAsInteger[f.Key] && f.Value != nil {
				if _, ok := f.Value.(int64); !ok {
					out = append(out, fmt.Sprintf("offset %q is %s: Debezium writes it as an integer, and cdcops writes integers as integers (a float loses precision past 2^53 and changes the offset's bytes)", f.Key, mustEncode(f.Value)))
				}
			}
		}
	}
	if msg := serverMismatch(c, p); msg != "" {
		out = append(out, msg)
	}
	return out
}

// writtenAsInteger are the offset fields Debezium writes as Java longs
// (spec §3.6). Some loaders also take a float or a numeric string; a
// write by cdcops keeps them integers all the same.
var writtenAsInteger = map[string]bool{
	"lsn": true, "lsn_proc": true, "lsn_commit": true, "txId": true, "ts_usec": true, "xmin": true,
	"lsn_events_processed": true, "pos": true, "row": true, "event": true, "server_id": true, "ts_sec": true,
	"event_serial_no": true, "scn_idx": true, "sec": true, "ord": true, "txnNumber": true,
}

// kindClasses name a Debezium class per kind, for connectors whose class
// cdcops does not know (a lab connector, a wrapper).
var kindClasses = map[debezium.Kind]string{
	debezium.Postgres:  "io.debezium.connector.postgresql.PostgresConnector",
	debezium.MySQL:     "io.debezium.connector.mysql.MySqlConnector",
	debezium.SQLServer: "io.debezium.connector.sqlserver.SqlServerConnector",
	debezium.MongoDB:   "io.debezium.connector.mongodb.MongoDbConnector",
	debezium.Oracle:    "io.debezium.connector.oracle.OracleConnector",
}

// effectiveClass is the connector's class, or, when that is not a
// Debezium class, the class its current offsets show: a new offset is
// then held to the same format, so dropping "file" from a MySQL offset is
// caught even though the new offset alone looks like nothing known.
func effectiveClass(c *Current) string {
	if debezium.KindOfClass(c.Class) != debezium.Unknown {
		return c.Class
	}
	for _, e := range c.Entries {
		if k := debezium.Guess(objOrNil(e.Value)); k != debezium.Unknown {
			return kindClasses[k]
		}
	}
	return c.Class
}

// serverMismatch: Debezium looks its offsets up under {"server": topic.prefix}
// ({"server_id": ...} for MongoDB); any other value is silently never read.
func serverMismatch(c *Current, p connectjson.Object) string {
	k := debezium.KindOfClass(c.Class)
	if k == debezium.Unknown || c.Config == nil {
		return ""
	}
	prefix := c.Config["topic.prefix"]
	if prefix == "" {
		prefix = c.Config["database.server.name"]
	}
	key := "server"
	if k == debezium.MongoDB {
		key = "server_id"
	}
	v, ok := p.Get(key)
	if prefix == "" || !ok || v == prefix {
		return ""
	}
	return fmt.Sprintf("partition %s=%s is not this connector's: its topic.prefix is %q, so Debezium reads only {%q:%q}", key, mustEncode(v), prefix, key, prefix)
}

func mustEncode(v any) string {
	b, err := connectjson.Encode(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// knownPartitions lists a connector's partitions for messages.
func knownPartitions(c *Current) string {
	if len(c.Entries) == 0 {
		return "none"
	}
	var s []string
	for _, e := range c.Entries {
		s = append(s, string(e.Partition))
	}
	return strings.Join(s, ", ")
}

// forward reports whether after is ahead of before (events in between are
// skipped), when cdcops knows how to order the kind; sure=false when it
// cannot tell.
func forward(c *Current, before, after []byte) (fwd, sure bool) {
	if before == nil || after == nil {
		return false, false
	}
	if c.Type == cdcops.ConnectorSink {
		_, _, a, ok1 := sinkParts(SinkPartition("t", 0), before)
		_, _, b, ok2 := sinkParts(SinkPartition("t", 0), after)
		return b > a, ok1 && ok2
	}
	bo, err1 := connectjson.ParseObject(before)
	ao, err2 := connectjson.ParseObject(after)
	if err1 != nil || err2 != nil {
		return false, false
	}
	num := func(o connectjson.Object, k string) (int64, bool) {
		v, ok := o.Get(k)
		n, isN := v.(int64)
		return n, ok && isN
	}
	str := func(o connectjson.Object, k string) (string, bool) {
		v, ok := o.Get(k)
		s, isS := v.(string)
		return s, ok && isS
	}
	k, _ := debezium.Resolve(c.Class, bo)
	switch k {
	case debezium.Postgres:
		a, ok1 := num(bo, "lsn")
		b, ok2 := num(ao, "lsn")
		return b > a, ok1 && ok2
	case debezium.MySQL:
		ga, ok1 := str(bo, "gtids")
		gb, ok2 := str(ao, "gtids")
		if ok1 && ok2 {
			sa, e1 := debezium.ParseGTIDSet(ga)
			sb, e2 := debezium.ParseGTIDSet(gb)
			if e1 == nil && e2 == nil {
				return len(sb.Subtract(sa)) > 0, true
			}
		}
		fa, ok1 := str(bo, "file")
		fb, ok2 := str(ao, "file")
		pa, _ := num(bo, "pos")
		pb, _ := num(ao, "pos")
		if !ok1 || !ok2 {
			return false, false
		}
		if fa == fb {
			return pb > pa, true
		}
		ia, okA := binlogIndex(fa)
		ib, okB := binlogIndex(fb)
		return ib > ia, okA && okB
	case debezium.SQLServer:
		a, ok1 := str(bo, "commit_lsn")
		b, ok2 := str(ao, "commit_lsn")
		la, e1 := debezium.ParseSQLServerLSN(a)
		lb, e2 := debezium.ParseSQLServerLSN(b)
		return la.Compare(lb) < 0, ok1 && ok2 && e1 == nil && e2 == nil
	case debezium.Oracle:
		a, ok1 := str(bo, "scn")
		b, ok2 := str(ao, "scn")
		na, e1 := debezium.ParseSCN(a)
		nb, e2 := debezium.ParseSCN(b)
		if !ok1 || !ok2 || e1 != nil || e2 != nil {
			return false, false
		}
		return new(big.Int).Sub(nb, na).Sign() > 0, true
	case debezium.MongoDB:
		a, ok1 := num(bo, "sec")
		b, ok2 := num(ao, "sec")
		oa, _ := num(bo, "ord")
		ob, _ := num(ao, "ord")
		return b > a || b == a && ob > oa, ok1 && ok2
	}
	return false, false
}

func binlogIndex(file string) (int64, bool) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return 0, false
	}
	var n int64
	for _, c := range file[i+1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, i+1 < len(file)
}

// delta describes a change in the connector's terms.
func delta(c *Current, before, after []byte) []string {
	if c.Type == cdcops.ConnectorSink {
		_, _, a, _ := sinkParts(SinkPartition("t", 0), before)
		_, _, b, _ := sinkParts(SinkPartition("t", 0), after)
		switch {
		case before == nil && after == nil:
			return []string{}
		case before == nil:
			return []string{fmt.Sprintf("kafka offset (none) → %d", b)}
		case after == nil:
			return []string{fmt.Sprintf("kafka offset %d → (none: committed offset deleted, auto.offset.reset decides)", a)}
		case b > a:
			return []string{fmt.Sprintf("kafka offset %d → %d (%d records skipped)", a, b, b-a)}
		default:
			return []string{fmt.Sprintf("kafka offset %d → %d (%d records replayed)", a, b, a-b)}
		}
	}
	d := debezium.Delta(c.Class, objOrNil(before), objOrNil(after))
	if d == nil {
		d = []string{}
	}
	return d
}

func objOrNil(b []byte) connectjson.Object {
	if b == nil {
		return nil
	}
	o, _ := connectjson.ParseObject(b)
	return o
}
