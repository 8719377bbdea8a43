package surgery

import (
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
)

// The Debezium-side rules of --via signal that need no running
// connector: the signal data set-binlog-position accepts, GTID targets
// only for offsets with GTIDs, heartbeats on, and the committed-offset
// comparison.
func TestSignalTargetAndHeartbeat(t *testing.T) {
	mysql, maria := signalClasses[0], signalClasses[1]
	fileOff := []byte(`{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":4711,"row":1,"event":2}`)
	gtidOff := []byte(`{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":4711,"gtids":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-80"}`)
	cases := []struct {
		class, pos string
		value      []byte
		data, err  string
	}{
		{mysql, "mysql-bin.000002:154", fileOff, `{"binlog_filename":"mysql-bin.000002","binlog_position":154}`, ""},
		{mysql, "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77", gtidOff, `{"gtid_set":"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77"}`, ""},
		{mysql, "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77", fileOff, "", "no \"gtids\""},
		{mysql, "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7-9", gtidOff, "", "not a target set-binlog-position"},
		{mysql, "mysql-bin.000002:154", gtidOff, "", "resumes from the GTID set"},
		{mysql, "mysql-bin.2:154", fileOff, "", "prefix.NNNNNN"},
		{maria, "0-1-100", []byte(`{"file":"mariadb-bin.000001","pos":4,"gtids":"0-1-120"}`), `{"gtid_set":"0-1-100"}`, ""},
		{maria, "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77", []byte(`{"file":"mariadb-bin.000001","pos":4,"gtids":"0-1-120"}`), "", "not a target"},
	}
	for _, tc := range cases {
		c := &Current{Name: "c", Type: cdcops.ConnectorSource, Class: tc.class}
		after, data, err := signalTarget(c, tc.value, tc.pos, false)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: error %v, want %q", tc.class, tc.pos, err, tc.err)
			}
			continue
		}
		if err != nil || string(data) != tc.data {
			t.Errorf("%s %s: data %s err %v, want %s", tc.class, tc.pos, data, err, tc.data)
			continue
		}
		if s := (&cdcops.SignalSend{Data: data}); !atPosition(s, after) || atPosition(s, tc.value) {
			t.Errorf("%s %s: atPosition(after %s) false or atPosition(before) true", tc.class, tc.pos, after)
		}
	}
	for v, ok := range map[string]bool{"": false, "0": false, "-5": false, "x": false, "10000": true} {
		c := &Current{Name: "c", Config: map[string]string{"heartbeat.interval.ms": v}}
		if err := heartbeatOn(c); (err == nil) != ok || err != nil && cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
			t.Errorf("heartbeat.interval.ms=%q: %v", v, err)
		}
	}
}
