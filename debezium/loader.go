package debezium

import (
	"fmt"
	"strconv"
	"strings"
)

// A check reads one offset value the way a Debezium 3.6 loader does and
// returns why the loader would throw, or "" when it accepts the value.
// present is false when the key is absent (most loaders then use a default).
type check func(v any, present bool) string

// loaderRules lists, per kind, the offset keys the real OffsetContext
// loader reads and how (delta D1-D9, debezium/debezium v3.6.1.Final).
// Keys a loader never reads (xmin, ts_sec, server_id) are not checked:
// any value is accepted, as Debezium accepts it.
var loaderRules = map[Kind]map[string]check{
	// PostgresOffsetContext.Loader.load
	Postgres: {
		"lsn": number, "lsn_proc": number, "lsn_commit": number, "txId": number,
		"ts_usec":              longCast,
		"messageType":          enumName("ReplicationMessage.Operation", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "MESSAGE", "BEGIN", "COMMIT", "NOOP", "ORIGIN"),
		"last_snapshot_record": booleanCast,
	},
	// MySqlOffsetContext.Loader / MariaDbOffsetContext.Loader (BinlogOffsetContext)
	MySQL: {
		"file": requiredString("Source offset 'file' parameter is missing"),
		"pos":  longOffsetValue, "event": longOffsetValue, "row": intOffsetValueOfLong,
		"gtids": stringCast,
	},
	// SqlServerOffsetContext.Loader
	SQLServer: {
		"commit_lsn": sqlServerLSN, "change_lsn": sqlServerLSN,
		"event_serial_no": longCastNullable,
	},
	// MongoDbOffsetContext.Loader (intOffsetValue / stringOffsetValue)
	MongoDB: {
		"sec": intOffsetValue, "ord": intOffsetValue, "txnNumber": longOffsetValue,
		"lsid": stringCast, "resume_token": stringCast,
	},
	// OracleOffsetContext.getScnFromOffsetMapByKey, CommitScn.load, OLR loader
	Oracle: {
		"scn": scnValue, "commit_scn": commitSCN, "snapshot_scn": scnValue,
		"scn_idx": longCastNullable,
	},
}

// loadsCommon says which kinds go through OffsetContext.Loader.loadSnapshot
// and TransactionContext.load (MongoDB does neither).
func loadsCommon(k Kind) bool {
	switch k {
	case Postgres, MySQL, SQLServer, Oracle:
		return true
	}
	return false
}

// snapshotValue is OffsetContext.Loader.loadSnapshot: absent, null, true,
// "true" or an exact SnapshotType name; false fails the (String) cast and
// "false" or a lower-case name fails SnapshotType.valueOf (delta D2).
func snapshotValue(v any, present bool) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return ""
		}
		return "is false; Debezium reads a non-true snapshot as a SnapshotType name and fails (ClassCastException); remove the key instead"
	case string:
		switch x {
		case "true", "INITIAL", "BLOCKING", "INCREMENTAL":
			return ""
		}
		return fmt.Sprintf("is %q; Debezium accepts only true or a SnapshotType name (INITIAL, BLOCKING, INCREMENTAL, case-sensitive) and fails on anything else; remove the key when no snapshot is running", x)
	}
	return "is " + typeName(v) + "; Debezium fails casting it to a SnapshotType name (true, INITIAL, BLOCKING or INCREMENTAL)"
}

// transactionRules is TransactionContext.load: transaction_id is cast to
// String, every transaction_data_collection_order_<id> to Long and summed
// (a null breaks the sum).
func transactionRule(key string) check {
	switch {
	case key == "transaction_id":
		return stringCast
	case strings.HasPrefix(key, "transaction_data_collection_order_"):
		return longCast
	}
	return nil
}

// number is a (Number) cast: any JSON number or null.
func number(v any, _ bool) string {
	switch v.(type) {
	case nil, int64, float64:
		return ""
	}
	return "is " + typeName(v) + ", want a number (the loader casts it to Number)"
}

// longCast is a (Long) cast that is then unboxed: an integer, or absent.
func longCast(v any, present bool) string {
	if !present {
		return ""
	}
	if _, ok := v.(int64); ok {
		return ""
	}
	return "is " + typeName(v) + ", want an integer (the loader casts it to Long)"
}

// longCastNullable is a (Long) cast whose null is allowed.
func longCastNullable(v any, present bool) string {
	if v == nil {
		return ""
	}
	return longCast(v, present)
}

// booleanCast is a (boolean) cast of getOrDefault(key, FALSE).
func booleanCast(v any, present bool) string {
	if _, ok := v.(bool); ok || !present {
		return ""
	}
	return "is " + typeName(v) + ", want true or false (the loader casts it to boolean)"
}

// stringCast is a (String) cast: a string or null.
func stringCast(v any, _ bool) string {
	switch v.(type) {
	case nil, string:
		return ""
	}
	return "is " + typeName(v) + ", want a string (the loader casts it to String)"
}

func requiredString(missing string) check {
	return func(v any, present bool) string {
		if v == nil {
			return "is missing (Debezium fails with \"" + missing + "\")"
		}
		return stringCast(v, present)
	}
}

func enumName(enum string, names ...string) check {
	return func(v any, present bool) string {
		if v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			return "is " + typeName(v) + ", want a string (the loader casts it to String)"
		}
		for _, n := range names {
			if s == n {
				return ""
			}
		}
		return fmt.Sprintf("is %q, not a %s name (%s; case-sensitive)", s, enum, strings.Join(names, ", "))
	}
}

// longOffsetValue is OffsetUtils.longOffsetValue: a number, or a string
// Long.parseLong reads.
func longOffsetValue(v any, _ bool) string { return numericOrString(v, 64, "long") }

// intOffsetValue is MongoDbOffsetContext.intOffsetValue (Integer.parseInt
// for strings).
func intOffsetValue(v any, _ bool) string { return numericOrString(v, 32, "an integer") }

// intOffsetValueOfLong is the binlog "row": read with longOffsetValue, then
// narrowed with (int), so any long is accepted.
func intOffsetValueOfLong(v any, p bool) string { return longOffsetValue(v, p) }

func numericOrString(v any, bits int, what string) string {
	switch x := v.(type) {
	case nil, int64, float64:
		return ""
	case string:
		if _, err := strconv.ParseInt(x, 10, bits); err == nil {
			return ""
		}
		return fmt.Sprintf("is %q, which Debezium cannot convert to %s", x, what)
	}
	return "is " + typeName(v) + fmt.Sprintf(", which Debezium cannot convert to %s", what)
}

// sqlServerLSN is Lsn.valueOf((String) v): null, "NULL", or hex digits
// with any colons (delta D1, D8).
func sqlServerLSN(v any, _ bool) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if _, err := ParseSQLServerLSN(x); err != nil {
			return err.Error()
		}
		return ""
	}
	return "is " + typeName(v) + ", want a string (the loader casts it to String)"
}

// scnValue is getScnFromOffsetMapByKey: a string new BigInteger reads
// (a sign is allowed), or a legacy integer (delta D6).
func scnValue(v any, _ bool) string {
	switch x := v.(type) {
	case nil, int64:
		return ""
	case string:
		if _, err := ParseSCN(x); err != nil {
			return err.Error()
		}
		return ""
	}
	return "is " + typeName(v) + ", want a numeric string (or a legacy integer)"
}

// commitSCN is CommitScn.load: a legacy integer, or comma-separated
// entries scn, scn:thread:txids or scn:x:y:thread (RedoThreadCommitScn.valueOf).
func commitSCN(v any, p bool) string {
	s, ok := v.(string)
	if !ok {
		return scnValue(v, p)
	}
	for _, entry := range strings.Split(s, ",") {
		f := strings.Split(entry, ":")
		thread := ""
		switch len(f) {
		case 1:
		case 3:
			thread = f[1]
		case 4:
			thread = f[3]
		default:
			return fmt.Sprintf("entry %q: want scn, scn:thread:txids or scn:x:y:thread", entry)
		}
		if _, err := ParseSCN(f[0]); err != nil {
			return fmt.Sprintf("entry %q: %v", entry, err)
		}
		if _, err := strconv.ParseInt(thread, 10, 32); thread != "" && err != nil || len(f) > 1 && thread == "" {
			return fmt.Sprintf("entry %q: redo thread %q is not an integer", entry, thread)
		}
	}
	return ""
}
