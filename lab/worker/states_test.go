package worker_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/lab/worker"
)

func TestServerInfo(t *testing.T) {
	l, r := newLab(t)
	c, b := r.do("GET", "/", "")
	var info map[string]string
	if c != 200 || json.Unmarshal([]byte(b), &info) != nil {
		t.Fatalf("GET / = %d %s", c, b)
	}
	if info["version"] != "4.4.0" || info["commit"] == "" || info["kafka_cluster_id"] != l.Worker().KafkaClusterID() || info["kafka_cluster_id"] == "" {
		t.Fatalf("server info %v", info)
	} // Delta K12 (a documented difference): the lab's bundled plugins report
	// the worker's version, as Kafka's own FileStream connectors do.
	c, b = r.do("GET", "/connector-plugins", "")
	var plugins []map[string]string
	if c != 200 || json.Unmarshal([]byte(b), &plugins) != nil || len(plugins) == 0 {
		t.Fatalf("GET /connector-plugins = %d %s", c, b)
	}
	for _, p := range plugins {
		if p["version"] != "4.4.0" || p["class"] == "" || (p["type"] != "source" && p["type"] != "sink") {
			t.Errorf("plugin %v, want class, type and version 4.4.0", p)
		}
	}
}

// Stop is accepted at once (204) but the status only changes when the
// worker gets to it: while transitions are held the old state shows, so a
// client has to poll.
func TestStopIsAsynchronous(t *testing.T) {
	l, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	release, err := l.Worker().HoldTransitions("pg")
	if err != nil {
		t.Fatal(err)
	}
	r.want("PUT", "/connectors/pg/stop", "", 204, "")
	if s, _ := r.status("pg"); s.Connector.State != "RUNNING" || len(s.Tasks) != 1 {
		t.Fatalf("status changed before the worker acted: %+v", s)
	}
	// The config topic already says STOPPED with no tasks, so the offsets
	// rule (target STOPPED, zero tasks) is met, as in DistributedHerder.
	c, _ := r.do("GET", "/connectors/pg", "")
	if c != 200 {
		t.Fatal("connector info", c)
	}
	if _, b := r.do("GET", "/connectors/pg", ""); !strings.Contains(b, `"tasks":[]`) {
		t.Fatalf("stopped connector info still lists tasks: %s", b)
	}
	release()
	s := r.waitState("pg", "STOPPED", "", 0)
	if s.Type != "source" {
		t.Fatalf("type %q", s.Type)
	}
	// Idempotent.
	r.want("PUT", "/connectors/pg/stop", "", 204, "")
}

func TestPauseResume(t *testing.T) {
	_, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	r.want("PUT", "/connectors/pg/pause", "", 202, "")
	r.waitState("pg", "PAUSED", "PAUSED", 1)
	r.want("PUT", "/connectors/pg/pause", "", 202, "")
	r.want("PUT", "/connectors/pg/resume", "", 202, "")
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	// resume also works on a STOPPED connector (AbstractHerder.resumeConnector).
	r.want("PUT", "/connectors/pg/stop", "", 204, "")
	r.waitState("pg", "STOPPED", "", 0)
	r.want("PUT", "/connectors/pg/resume", "", 202, "")
	r.waitState("pg", "RUNNING", "RUNNING", 1)
}

func TestOffsetsNeedStoppedAndZeroTasks(t *testing.T) {
	_, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	msg := "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/pg/stop' endpoint"
	patch := `{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"lsn":1}}]}`
	r.wantErr("PATCH", "/connectors/pg/offsets", patch, 400, msg)
	r.wantErr("DELETE", "/connectors/pg/offsets", "", 400, msg)
	r.do("PUT", "/connectors/pg/pause", "")
	r.waitState("pg", "PAUSED", "PAUSED", 1)
	r.wantErr("PATCH", "/connectors/pg/offsets", patch, 400, msg)
	// The empty-offsets check comes first (ConnectorsResource), even for a running connector.
	r.wantErr("PATCH", "/connectors/pg/offsets", `{"offsets":[]}`, 400, "Partitions / offsets need to be provided for an alter offsets request")
	r.wantErr("PATCH", "/connectors/pg/offsets", `{}`, 400, "Partitions / offsets need to be provided for an alter offsets request")
}

func TestFailedTaskAndRestart(t *testing.T) {
	_, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("bad", pgOffsets, `,"lab.fail":"true"`))
	s := r.waitState("bad", "RUNNING", "FAILED", 1)
	if !strings.HasPrefix(s.Tasks[0].Trace, "org.apache.kafka.connect.errors.ConnectException: scripted failure (lab.fail=true)\n\tat ") {
		t.Fatalf("trace %q", s.Tasks[0].Trace)
	}
	c, b := r.do("GET", "/connectors/bad/tasks/0/status", "")
	if c != 200 || !strings.Contains(b, `"state":"FAILED"`) || !strings.Contains(b, `"trace":"org.apache.kafka.connect.errors.ConnectException`) {
		t.Fatalf("task status %d %s", c, b)
	}
	// onlyFailed: only the failed task restarts; the body shows it RESTARTING.
	c, b = r.do("POST", "/connectors/bad/restart?includeTasks=true&onlyFailed=true", "")
	var st status
	if c != 202 || json.Unmarshal([]byte(b), &st) != nil {
		t.Fatalf("restart = %d %s", c, b)
	}
	if st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RESTARTING" {
		t.Fatalf("restart plan %s", b)
	}
	// It fails again (lab.fail is still set): the restart really ran the task.
	r.waitState("bad", "RUNNING", "FAILED", 1)
	// Fix the config: a config update restarts the tasks with it.
	c, _ = r.do("PUT", "/connectors/bad/config", `{"connector.class":"cdcops.lab.ScriptedSource","lab.offsets":`+jsonString(pgOffsets)+`}`)
	if c != 200 {
		t.Fatalf("config update = %d", c)
	}
	r.waitState("bad", "RUNNING", "RUNNING", 1)
	r.want("POST", "/connectors/bad/restart", "", 204, "")
	r.want("POST", "/connectors/bad/tasks/0/restart", "", 204, "")
	r.waitState("bad", "RUNNING", "RUNNING", 1)
}

func TestFailTaskFaultHook(t *testing.T) {
	l, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, ""))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	if err := l.Worker().FailTask("pg", 0, "injected"); err != nil {
		t.Fatal(err)
	}
	s := r.waitState("pg", "RUNNING", "FAILED", 1)
	if !strings.HasPrefix(s.Tasks[0].Trace, "org.apache.kafka.connect.errors.ConnectException: injected\n") {
		t.Fatalf("trace %q", s.Tasks[0].Trace)
	}
	c, b := r.do("POST", "/connectors/pg/restart?includeTasks=true", "")
	if c != 202 || !strings.Contains(b, `"connector":{"state":"RESTARTING"`) {
		t.Fatalf("restart = %d %s", c, b)
	}
	r.waitState("pg", "RUNNING", "RUNNING", 1)
}

func TestRebalanceFault(t *testing.T) {
	l, r := newLab(t)
	l.Worker().RejectNextMutations(2)
	msg := "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
	body := sourceBody("pg", pgOffsets, "")
	r.wantErr("POST", "/connectors", body, 409, msg)
	r.do("GET", "/connectors", "") // reads are not refused
	r.wantErr("POST", "/connectors", body, 409, msg)
	if c, _ := r.do("POST", "/connectors", body); c != 201 {
		t.Fatalf("third try = %d, want 201", c)
	}
}

func TestInitialState(t *testing.T) {
	_, r := newLab(t)
	body := func(name, state string) string {
		b := sourceBody(name, pgOffsets, "")
		return strings.TrimSuffix(b, "}") + `,"initial_state":"` + state + `"}`
	}
	if c, b := r.do("POST", "/connectors", body("s", "stopped")); c != 201 || !strings.Contains(b, `"tasks":[]`) {
		t.Fatalf("create stopped = %d %s", c, b)
	}
	r.waitState("s", "STOPPED", "", 0)
	r.do("POST", "/connectors", body("p", "PAUSED"))
	r.waitState("p", "PAUSED", "PAUSED", 1)
	r.do("POST", "/connectors", body("r", "RUNNING"))
	r.waitState("r", "RUNNING", "RUNNING", 1)
	if c, _ := r.do("POST", "/connectors", body("x", "BOGUS")); c != 500 {
		t.Fatalf("bogus initial_state = %d, want 500", c)
	}
	c, b := r.do("POST", "/connectors", strings.TrimSuffix(sourceBody("y", pgOffsets, ""), "}")+`,"initial_offsets":[]}`)
	if c != 500 || !strings.Contains(b, `Unrecognized field \"initial_offsets\"`) {
		t.Fatalf("unknown create field = %d %s", c, b)
	}
	if c, _ := r.do("GET", "/connectors/x", ""); c != 404 {
		t.Fatal("a rejected create must not create the connector")
	}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestOtherMutationFaults(t *testing.T) {
	l, r := newLab(t)
	body := sourceBody("pg", pgOffsets, "")
	for _, c := range []struct {
		f    worker.MutationFault
		code int
		msg  string
	}{
		{worker.FaultNoLeader, 409, "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."},
		{worker.FaultConflict, 409, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"},
	} {
		l.Worker().FailNextMutations(1, c.f)
		r.wantErr("POST", "/connectors", body, c.code, c.msg)
	}
	// 3.9+ appends the herder's stage (Stage.summarize, delta K10).
	l.Worker().FailNextMutations(1, worker.FaultTimeout)
	stage := regexp.MustCompile(`^\{"error_code":500,"message":"Request timed out\. The worker is currently [a-z ]+, which began at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\."\}$`)
	if c, b := r.do("POST", "/connectors", body); c != 500 || !stage.MatchString(b) {
		t.Errorf("timeout fault = %d %s", c, b)
	}
	r.want("GET", "/connectors", "", 200, `[]`)
}
