package debezium

import (
	"strings"
	"testing"
)

const (
	pgClass     = "io.debezium.connector.postgresql.PostgresConnector"
	mysqlClass  = "io.debezium.connector.mysql.MySqlConnector"
	mariaClass  = "io.debezium.connector.mariadb.MariaDbConnector"
	sqlsClass   = "io.debezium.connector.sqlserver.SqlServerConnector"
	mongoClass  = "io.debezium.connector.mongodb.MongoDbConnector"
	oracleClass = "io.debezium.connector.oracle.OracleConnector"
)

// loaderVector is one offset and what Debezium 3.6.1's loader does with
// it: wantErr "" means it loads, otherwise cdcops must refuse it with a
// reason containing wantErr. oracle marks vectors the Java harness can
// check against the real loader (loader_oracle_test.go); the others are
// refused by a check cdcops makes beyond the loader, or need a connector
// whose jar the real stack does not fetch.
type loaderVector struct {
	row, class, offset, wantErr string
	oracle                      bool
}

var loaderVectors = []loaderVector{
	// D1/D8: SQL Server writes "NULL" for an absent LSN; Lsn.valueOf reads any even-length hex.
	{"D1", sqlsClass, `{"commit_lsn":"0000002b:00000560:0003","change_lsn":"NULL","event_serial_no":1}`, "", false},
	{"D1", sqlsClass, `{"commit_lsn":"NULL","change_lsn":"NULL"}`, "", false},
	{"D1", sqlsClass, `{"commit_lsn":"0000002b:00000560:0003","change_lsn":null}`, "", false},
	{"D8", sqlsClass, `{"commit_lsn":"0000002B000005600003"}`, "", false},
	{"D8", sqlsClass, `{"commit_lsn":"2b:0560:03"}`, "", false},
	{"D8", sqlsClass, `{"commit_lsn":"2b:560:03"}`, "odd number of hex digits", false},
	{"D8", sqlsClass, `{"commit_lsn":"0000002g:00000560:0003"}`, "not hex", false},
	{"D1", sqlsClass, `{"commit_lsn":"null"}`, "not hex", false},
	{"D1", sqlsClass, `{"commit_lsn":43}`, `"commit_lsn" is an integer, want a string`, false},
	{"D1", sqlsClass, `{"commit_lsn":"NULL","event_serial_no":"1"}`, `"event_serial_no" is a string`, false},

	// D2: snapshot is absent, true, "true" or an exact SnapshotType name.
	{"D2", pgClass, `{"lsn":1,"snapshot":true}`, "", true},
	{"D2", pgClass, `{"lsn":1,"snapshot":"true"}`, "", true},
	{"D2", pgClass, `{"lsn":1,"snapshot":"INITIAL"}`, "", true},
	{"D2", pgClass, `{"lsn":1,"snapshot":"BLOCKING"}`, "", true},
	{"D2", pgClass, `{"lsn":1,"snapshot":"INCREMENTAL"}`, "", true},
	{"D2", pgClass, `{"lsn":1,"snapshot":null}`, "", true},
	{"D2", pgClass, `{"lsn":1,"snapshot":false}`, `"snapshot" is false`, true},
	{"D2", pgClass, `{"lsn":1,"snapshot":"false"}`, `"snapshot" is "false"`, true},
	{"D2", pgClass, `{"lsn":1,"snapshot":"initial"}`, `"snapshot" is "initial"`, true},
	{"D2", pgClass, `{"lsn":1,"snapshot":1}`, `"snapshot" is an integer`, true},
	{"D2", mysqlClass, `{"file":"b.1","pos":4,"snapshot":false}`, `"snapshot" is false`, true},
	{"D2", mysqlClass, `{"file":"b.1","pos":4,"snapshot":"Initial"}`, `"snapshot" is "Initial"`, true},
	{"D2", sqlsClass, `{"commit_lsn":"NULL","snapshot":"false"}`, `"snapshot" is "false"`, false},
	{"D2", oracleClass, `{"scn":"1","snapshot":false}`, `"snapshot" is false`, false},
	{"D2", mongoClass, `{"sec":1,"ord":1,"snapshot":false}`, "", false}, // the MongoDB loader never reads it

	// D3: PostgreSQL.
	{"D3", pgClass, `{"lsn_proc":37208504,"lsn_commit":37208504,"lsn":37208504,"txId":780,"ts_usec":1700000000000000,"messageType":"UPDATE","xmin":null}`, "", true},
	{"D3", pgClass, `{"lsn":1,"messageType":"ORIGIN"}`, "", true},
	{"D3", pgClass, `{"lsn":1,"messageType":"NOOP"}`, "", true},
	{"D3", pgClass, `{"lsn":1,"messageType":"update"}`, `"messageType" is "update", not a ReplicationMessage.Operation name`, true},
	{"D3", pgClass, `{"lsn":1,"messageType":"UPSERT"}`, `"messageType" is "UPSERT"`, true},
	{"D3", pgClass, `{"lsn":1,"messageType":3}`, `"messageType" is an integer, want a string`, true},
	{"D3", pgClass, `{"lsn":1,"last_snapshot_record":true,"snapshot":"INITIAL"}`, "", true},
	{"D3", pgClass, `{"lsn":1,"last_snapshot_record":"true"}`, `"last_snapshot_record" is a string, want true or false`, true},
	{"D3", pgClass, `{"lsn":1,"last_snapshot_record":null}`, `"last_snapshot_record" is null`, true},
	{"D3", pgClass, `{"lsn":1,"ts_usec":1.5}`, `"ts_usec" is a float, want an integer`, true},
	{"D3", pgClass, `{"lsn":1,"ts_usec":"1700000000000000"}`, `"ts_usec" is a string`, true},
	{"D3", pgClass, `{"lsn":1,"ts_usec":null}`, `"ts_usec" is null`, true},
	{"D3", pgClass, `{"lsn":1.0,"lsn_proc":2.5,"lsn_commit":3,"txId":4.0}`, "", true},
	{"D3", pgClass, `{"lsn":"1"}`, `"lsn" is a string, want a number`, true},
	{"D3", pgClass, `{"lsn":1,"txId":true}`, `"txId" is a boolean, want a number`, true},
	{"D3", pgClass, `{"txId":4}`, "", true},                  // lsn is optional to the loader
	{"D3", pgClass, `{"lsn":1,"xmin":"anything"}`, "", true}, // xmin is written, never read back
	{"D3", pgClass, `{"lsn":1,"transaction_id":7}`, `"transaction_id" is an integer, want a string`, true},
	{"D3", pgClass, `{"lsn":1,"transaction_id":"7:1","transaction_data_collection_order_public.t":2}`, "", true},
	{"D3", pgClass, `{"lsn":1,"transaction_data_collection_order_public.t":"2"}`, `"transaction_data_collection_order_public.t" is a string`, true},

	// D4 is GTID arithmetic: TestMariaDBGTIDPerDomain.

	// D5: binlog pos/event/row are numbers or numeric strings; file is a required string.
	{"D5", mysqlClass, `{"file":"mysql-bin.000003","pos":"154","event":"2","row":"1"}`, "", true},
	{"D5", mysqlClass, `{"file":"mysql-bin.000003","pos":154.0}`, "", true},
	{"D5", mysqlClass, `{"file":"mysql-bin.000003"}`, "", true},
	{"D5", mysqlClass, `{"file":"mysql-bin.000003","pos":"15x"}`, `"pos" is "15x", which Debezium cannot convert to long`, true},
	{"D5", mysqlClass, `{"file":"mysql-bin.000003","pos":4,"event":true}`, `"event" is a boolean`, true},
	{"D5", mysqlClass, `{"pos":4}`, `Source offset 'file' parameter is missing`, true},
	{"D5", mysqlClass, `{"file":null,"pos":4}`, `Source offset 'file' parameter is missing`, true},
	{"D5", mysqlClass, `{"file":3,"pos":4}`, `"file" is an integer, want a string`, true},
	{"D5", mysqlClass, `{"file":"f.1","pos":4,"gtids":5}`, `"gtids" is an integer, want a string`, true},
	{"D5", mysqlClass, `{"file":"f.1","pos":4,"ts_sec":"x","server_id":"y"}`, "", true}, // written, never read
	{"D5", mariaClass, `{"file":"mariadb-bin.000001","pos":"342","gtids":"0-1-100"}`, "", true},
	{"D5", mariaClass, `{"file":"mariadb-bin.000001","pos":"x"}`, `"pos" is "x"`, true},
	{"D2", mariaClass, `{"file":"mariadb-bin.000001","pos":4,"snapshot":"false"}`, `"snapshot" is "false"`, true},
	{"D5", mysqlClass, `{"file":"f","pos":4,"gtids":"garbage:1"}`, "gtids", false}, // parsed at stream start, not by the loader

	// D6: Oracle scn is a signed numeric string or a legacy long.
	{"D6", oracleClass, `{"scn":"289100000"}`, "", false},
	{"D6", oracleClass, `{"scn":289100000}`, "", false},
	{"D6", oracleClass, `{"scn":"-1"}`, "", false},
	{"D6", oracleClass, `{"scn":"123456789012345678901234567890"}`, "", false},
	{"D6", oracleClass, `{"scn":"12x"}`, "want a decimal number", false},
	{"D6", oracleClass, `{"scn":1.5}`, `"scn" is a float`, false},
	{"D6", oracleClass, `{"scn":"1","commit_scn":"100:1:0a001b-0b002c,200:2:"}`, "", false},
	{"D6", oracleClass, `{"scn":"1","commit_scn":100}`, "", false},
	{"D6", oracleClass, `{"scn":"1","commit_scn":"100:1"}`, "want scn, scn:thread:txids", false},
	{"D6", oracleClass, `{"scn":"1","commit_scn":"100:x:"}`, "redo thread", false},
	{"D6", oracleClass, `{"scn":"1","scn_idx":"2"}`, `"scn_idx" is a string`, false},

	// D7: MongoDB sec/ord are numbers or int strings; initsync counts only as a boolean.
	{"D7", mongoClass, `{"sec":1700000000,"ord":"3"}`, "", false},
	{"D7", mongoClass, `{"sec":"1700000000","ord":3.0}`, "", false},
	{"D7", mongoClass, `{"sec":"4294967296","ord":1}`, "cannot convert to an integer", false},
	{"D7", mongoClass, `{"sec":1,"ord":"x"}`, `"ord" is "x"`, false},
	{"D7", mongoClass, `{"initsync":"true"}`, "", false},
	{"D7", mongoClass, `{"resume_token":5}`, `"resume_token" is an integer, want a string`, false},

	// D9: lsn_events_processed does not exist in 3.6 and is not checked.
	{"D9", pgClass, `{"lsn":1,"lsn_events_processed":"x"}`, "", true},
}

func TestValidateAsStrictAsLoaders(t *testing.T) {
	for _, v := range loaderVectors {
		part := `{"server":"s"}`
		if v.class == mongoClass {
			part = `{"server_id":"s"}`
		}
		errs := Validate(v.class, obj(t, part), obj(t, v.offset))
		var msg []string
		for _, e := range errs {
			msg = append(msg, e.Error())
		}
		joined := strings.Join(msg, "; ")
		switch {
		case v.wantErr == "" && len(errs) > 0:
			t.Errorf("%s %s: Debezium loads it, cdcops refuses: %s", v.row, v.offset, joined)
		case v.wantErr != "" && !strings.Contains(joined, v.wantErr):
			t.Errorf("%s %s: errors %q do not mention %q", v.row, v.offset, joined, v.wantErr)
		}
	}
}

func TestValidatePartitionAndRecord(t *testing.T) {
	if errs := Validate(pgClass, obj(t, `{"server":{"a":1}}`), obj(t, `{"lsn":1}`)); len(errs) == 0 {
		t.Error("nested partition accepted")
	}
	if errs := Validate(pgClass, obj(t, `{"server":"s"}`), obj(t, `{"lsn":1,"n":{"x":1}}`)); len(errs) == 0 {
		t.Error("nested offset value accepted")
	}
	if errs := Validate(mongoClass, obj(t, `{"server":"s"}`), obj(t, `{"sec":1}`)); len(errs) == 0 {
		t.Error("MongoDB partition without server_id accepted")
	}
	if errs := Validate("", obj(t, `{"filename":"a"}`), obj(t, `{"position":30}`)); len(errs) != 0 {
		t.Errorf("unknown kind refused: %v", errs)
	}
	if err := ValidateRecord(pgClass, []byte(`["c",{"server":"s"}]`), nil); err != nil {
		t.Errorf("tombstone: %v", err)
	}
	if err := ValidateRecord(pgClass, []byte(`["c","s"]`), []byte(`{"lsn":1}`)); err == nil {
		t.Error("bad key accepted")
	}
	if err := ValidateRecord(pgClass, []byte(`["c",{"server":"s"}]`), []byte(`[1]`)); err == nil {
		t.Error("array value accepted")
	}
	if err := ValidateRecord(pgClass, []byte(`["c",{"server":"s"}]`), []byte(`{"lsn":1,"snapshot":false}`)); err == nil ||
		!strings.Contains(err.Error(), "remove the key") {
		t.Errorf("snapshot:false record: %v, want the reason with a hint", err)
	}
}

// D4: Debezium 3.6 compares MariaDB GTID positions per domain only.
func TestMariaDBGTIDPerDomain(t *testing.T) {
	got := Delta(mariaClass, obj(t, `{"file":"f.1","pos":4,"gtids":"0-1-100"}`), obj(t, `{"file":"f.1","pos":4,"gtids":"0-2-105"}`))
	want := "GTIDs added domain 0:101-105 (5 transactions)"
	if strings.Join(got, "\n") != want {
		t.Errorf("failover 0-1-100 → 0-2-105: %q, want %q", got, want)
	}
	g, err := ParseGTIDSet("0-1-100,0-2-90,1-3-7")
	if err != nil || g.Count() != 107 || g.String() != "domain 0:1-100,domain 1:1-7" {
		t.Errorf("per-domain set: %v (%d) %v", g, g.Count(), err)
	}
	for _, bad := range []string{"0-x-1", "x-1-1", "0-1-y", "0-1"} {
		if _, err := ParseGTIDSet(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSQLServerNULLLSN(t *testing.T) {
	n, err := ParseSQLServerLSN("NULL")
	if err != nil || !n.IsNull() || n.String() != "NULL" {
		t.Fatalf("NULL: %v %v", n, err)
	}
	l, _ := ParseSQLServerLSN("0000002b:00000560:0003")
	if n.Compare(l) != -1 || l.Compare(n) != 1 || n.Compare(n) != 0 {
		t.Error("NULL must sort before every LSN (Lsn.compareTo)")
	}
	short, err := ParseSQLServerLSN("2b:0560:03")
	if err != nil || short.String() != "2b056003:" { // Lsn.toString puts a colon after byte 4 whatever follows
		t.Errorf("short LSN: %q %v", short, err)
	}
	d := Decode(sqlsClass, obj(t, `{"commit_lsn":"0000002b:00000560:0003","change_lsn":"NULL"}`))
	if d.Position != "commit LSN 0000002b:00000560:0003, change LSN NULL" {
		t.Errorf("position %q", d.Position)
	}
	got := Delta(sqlsClass, obj(t, `{"commit_lsn":"NULL","change_lsn":"NULL"}`), obj(t, `{"commit_lsn":"0000002b:00000560:0003","change_lsn":"NULL"}`))
	if strings.Join(got, "|") != "commit_lsn NULL → 0000002b:00000560:0003 (forward)" {
		t.Errorf("delta from NULL: %q", got)
	}
}

func TestDecodeNumericStrings(t *testing.T) {
	if d := Decode(mysqlClass, obj(t, `{"file":"b.000002","pos":"154"}`)); d.Position != "b.000002:154" {
		t.Errorf("binlog pos as string: %q", d.Position)
	}
	if d := Decode(pgClass, obj(t, `{"lsn":1,"snapshot":false}`)); !strings.Contains(d.Snapshot, "invalid") {
		t.Errorf("snapshot false shown as %q", d.Snapshot)
	}
}
