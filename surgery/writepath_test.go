package surgery

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
)

// kcatState is last-write-wins over an independent kcat dump of the
// offsets topic: exact key → "partition value" (tombstones remove).
func kcatState(t *testing.T, bootstrap, topic string) map[string]string {
	t.Helper()
	cmd := exec.Command(testenv.Kcat(t), "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-Z", "-f", "%p\t%k\t%S\t%s\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v: %s", err, stderr.String())
	}
	// kcat prints partitions in turn; one key lives in one partition here.
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		f := strings.SplitN(line, "\t", 4)
		if len(f) != 4 {
			continue
		}
		if f[2] == "-1" {
			delete(m, f[1])
			continue
		}
		m[f[1]] = f[0] + " " + f[3]
	}
	return m
}

func sameState(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("%s:\n%v\nvs\n%v", what, a, b)
	}
}

// The same rewind written through REST PATCH and straight to the offsets
// topic leaves the same offsets-topic state (kcat), and each rollback
// brings back the pre-change bytes exactly.
func TestRESTAndTopicWritesAgree(t *testing.T) {
	testenv.Kcat(t)
	ctx := context.Background()
	f := newFixture(t)
	f.source(t, "pg", `{"server":"dbserver1"}`, pgOffset, false)
	f.source(t, "sqlsrv", `{"server":"s","database":"inventory"}`, `{"commit_lsn":"0000002b:00000560:0003","change_lsn":"NULL","event_serial_no":1}`, false)
	pre := kcatState(t, f.l.KafkaAddr(), "connect-offsets")
	if len(pre) != 2 {
		t.Fatalf("offsets topic holds %d keys, want 2", len(pre))
	}
	states := map[string]map[string]string{}
	for _, via := range []string{"rest", "topic"} {
		p1 := f.plan(t, Request{Kind: cdcops.PlanRewind, Names: []string{"pg"}, Position: "0/2000000", Write: via})
		p2 := f.plan(t, Request{Kind: cdcops.PlanRestore, Names: []string{"sqlsrv"}, Snapshot: f.snapshotWith(t, "sqlsrv", "",
			`{"commit_lsn":"0000002b:00000500:0001","change_lsn":"NULL","event_serial_no":2}`), Write: via})
		o := applyOpts()
		o.NoResume = true
		for _, p := range []string{p1.ID, p2.ID} {
			if _, err := Apply(ctx, f.env, p, o); err != nil {
				t.Fatalf("%s apply: %v", via, err)
			}
		}
		states[via] = kcatState(t, f.l.KafkaAddr(), "connect-offsets")
		for _, p := range []string{p1.ID, p2.ID} {
			if _, err := Rollback(ctx, f.env, p, o); err != nil {
				t.Fatalf("%s rollback: %v", via, err)
			}
		}
		sameState(t, via+" rollback vs pre-change", pre, kcatState(t, f.l.KafkaAddr(), "connect-offsets"))
	}
	sameState(t, "REST PATCH vs topic write", states["rest"], states["topic"])
	if fmt.Sprint(states["rest"]) == fmt.Sprint(pre) {
		t.Fatal("the applies changed nothing")
	}
}
