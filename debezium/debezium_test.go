package debezium

import (
	"strings"
	"testing"

	"github.com/cdcops/cdcops/connectjson"
)

func obj(t *testing.T, s string) connectjson.Object {
	t.Helper()
	v, err := connectjson.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(connectjson.Object)
	if !ok {
		t.Fatalf("%s is not an object", s)
	}
	return o
}

func TestPGLSN(t *testing.T) {
	for _, c := range []struct {
		n int64
		s string
	}{{37208504, "0/237C1B8"}, {0x100000000 + 0x16B3748, "1/16B3748"}, {0, "0/0"}} {
		if got := PGLSN(c.n); got != c.s {
			t.Errorf("PGLSN(%d) = %s, want %s", c.n, got, c.s)
		}
		back, err := ParsePGLSN(c.s)
		if err != nil || back != c.n {
			t.Errorf("ParsePGLSN(%s) = %d, %v", c.s, back, err)
		}
	}
}

func TestSQLServerLSN(t *testing.T) {
	l, err := ParseSQLServerLSN("0000002b:00000560:0003")
	if err != nil {
		t.Fatal(err)
	}
	if v, b, s, ok := l.Parts(); !ok || v != 0x2b || b != 0x560 || s != 3 {
		t.Errorf("parts %d %d %d", v, b, s)
	}
	if l.String() != "0000002b:00000560:0003" {
		t.Errorf("round trip %s", l)
	}
	m, _ := ParseSQLServerLSN("0000002b:00000561:0000")
	if l.Compare(m) != -1 || m.Compare(l) != 1 || l.Compare(l) != 0 {
		t.Error("compare order wrong")
	}
	for _, bad := range []string{"2b:560:03", "0000002b:0000056", "0000002g:00000560:0003", "null"} {
		if _, err := ParseSQLServerLSN(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGTIDSetArithmetic(t *testing.T) {
	a, err := ParseGTIDSet("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7,\n 4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseGTIDSet("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9,5e11fa47-71ca-11e1-9e33-c80aa9429562:1")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Subtract(a).String(); got != "3e11fa47-71ca-11e1-9e33-c80aa9429562:6:8-9,5e11fa47-71ca-11e1-9e33-c80aa9429562:1" {
		t.Errorf("added = %s", got)
	}
	if got := a.Subtract(b).String(); got != "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3" {
		t.Errorf("removed = %s", got)
	}
	if a.Count() != 9 {
		t.Errorf("count %d", a.Count())
	}
	m, err := ParseGTIDSet("0-1-100,1-2-50")
	if err != nil || m.Count() != 150 {
		t.Errorf("MariaDB list: %v %v", m, err)
	}
	for _, bad := range []string{"nope:1-5", "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-1", "3e11fa47-71ca-11e1-9e33-c80aa9429562:"} {
		if _, err := ParseGTIDSet(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestResolveAndGuess(t *testing.T) {
	cases := []struct {
		class, offset string
		kind          Kind
		guessed       bool
	}{
		{"io.debezium.connector.postgresql.PostgresConnector", `{}`, Postgres, false},
		{"io.debezium.connector.mariadb.MariaDbConnector", `{}`, MySQL, false},
		{"", `{"lsn":1}`, Postgres, true},
		{"", `{"file":"b.1","pos":4}`, MySQL, true},
		{"", `{"commit_lsn":"0000002b:00000560:0003"}`, SQLServer, true},
		{"", `{"sec":1,"ord":2}`, MongoDB, true},
		{"com.example.Other", `{"scn":"12"}`, Oracle, true},
		{"", `{"position":30}`, Unknown, false},
	}
	for _, c := range cases {
		k, g := Resolve(c.class, obj(t, c.offset))
		if k != c.kind || g != c.guessed {
			t.Errorf("Resolve(%q, %s) = %s,%v want %s,%v", c.class, c.offset, k, g, c.kind, c.guessed)
		}
	}
}

func TestDecodeHumanFields(t *testing.T) {
	d := Decode("io.debezium.connector.postgresql.PostgresConnector",
		obj(t, `{"lsn_proc":37208504,"lsn":37208504,"txId":780,"ts_usec":1700000000000000,"messageType":"UPDATE"}`))
	if d.Position != "LSN 0/237C1B8 (37208504)" {
		t.Errorf("position %q", d.Position)
	}
	got := map[string]string{}
	for _, f := range d.Fields {
		got[f.Name] = f.Human
	}
	if got["lsn_proc"] != "0/237C1B8" || got["ts_usec"] != "2023-11-14T22:13:20Z" {
		t.Errorf("fields %v", got)
	}
	d = Decode("", obj(t, `{"file":"mysql-bin.000003","pos":154,"gtids":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}`))
	if !d.Guessed || d.Kind != MySQL || !strings.HasPrefix(d.Position, "mysql-bin.000003:154") {
		t.Errorf("mysql decode %+v", d)
	}
	d = Decode("", obj(t, `{"sec":1700000000,"ord":3}`))
	if d.Position != "oplog time 2023-11-14T22:13:20Z #3" {
		t.Errorf("mongo position %q", d.Position)
	}
	d = Decode("", obj(t, `{"position":30}`))
	if d.Kind != Unknown || d.Position != `{"position":30}` {
		t.Errorf("unknown shape not shown raw: %+v", d)
	}
	d = Decode("", obj(t, `{"snapshot":"INITIAL","lsn":5}`))
	if !strings.Contains(d.Snapshot, "in progress") {
		t.Errorf("snapshot %q", d.Snapshot)
	}
}

func TestDeltas(t *testing.T) {
	cases := []struct {
		class, before, after string
		want                 []string
	}{
		{"io.debezium.connector.postgresql.PostgresConnector", `{"lsn":37208504,"txId":1}`, `{"lsn":37212600,"txId":2}`,
			[]string{"lsn 0/237C1B8 → 0/237D1B8 (+4096 bytes)", "txId 1 → 2"}},
		{"", `{"file":"mysql-bin.000003","pos":154}`, `{"file":"mysql-bin.000003","pos":1154}`,
			[]string{"binlog mysql-bin.000003:154 → mysql-bin.000003:1154 (+1000 bytes in mysql-bin.000003)"}},
		{"", `{"file":"mysql-bin.000003","pos":154}`, `{"file":"mysql-bin.000005","pos":4}`,
			[]string{"binlog mysql-bin.000003:154 → mysql-bin.000005:4 (+2 binlog files (mysql-bin.000003 → mysql-bin.000005), pos 154 → 4)"}},
		{"", `{"file":"f.1","pos":1,"gtids":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}`, `{"file":"f.1","pos":1,"gtids":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-3:6-7"}`,
			[]string{"GTIDs added 3e11fa47-71ca-11e1-9e33-c80aa9429562:6-7 (2 transactions)", "GTIDs removed 3e11fa47-71ca-11e1-9e33-c80aa9429562:4-5 (2 transactions)"}},
		{"", `{"commit_lsn":"0000002b:00000561:0003"}`, `{"commit_lsn":"0000002b:00000560:0003"}`,
			[]string{"commit_lsn 0000002b:00000561:0003 → 0000002b:00000560:0003 (BACKWARD)"}},
		{"", `{"scn":"100"}`, `{"scn":"117"}`, []string{"SCN 100 → 117 (+17)"}},
		{"", `{"sec":100,"ord":1}`, `{"sec":160,"ord":1}`, []string{"oplog time 1970-01-01T00:01:40Z #1 → 1970-01-01T00:02:40Z #1 (+60s)"}},
		{"", `{"ts_sec":100,"file":"a.1","pos":1}`, `{"ts_sec":130,"file":"a.1","pos":1}`, []string{"ts_sec 1970-01-01T00:01:40Z → 1970-01-01T00:02:10Z (+30s)"}},
	}
	for _, c := range cases {
		got := Delta(c.class, obj(t, c.before), obj(t, c.after))
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("Delta(%s → %s)\n got %q\nwant %q", c.before, c.after, got, c.want)
		}
	}
	if d := Delta("", nil, obj(t, `{"lsn":1}`)); len(d) != 1 || !strings.HasPrefix(d[0], "new:") {
		t.Errorf("added partition: %q", d)
	}
}
