package journal_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/journal"
	"github.com/cdcops/cdcops/lab"
)

// waitUnaudited waits up to 5 s for a new unaudited entry of connector
// after seq and returns it.
func waitUnaudited(t *testing.T, r *rig, connector string, after int) journal.Entry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h, err := journal.ReadHistory(context.Background(), r.store, journal.HistoryOptions{Connector: connector})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range h.Entries {
			if e.Unaudited {
				n++
				if n > after {
					return e
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no unaudited change #%d of %s within 5s", after+1, connector)
	return journal.Entry{}
}

// javaJSON is s as Connect writes it (Java HashMap key order).
func javaJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := connectjson.Normalize([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func kcatProduce(t *testing.T, addr, line string) {
	t.Helper()
	// murmur2 as Connect's producer, so the record lands where Connect reads it.
	cmd := exec.Command(testenv.Kcat(t), "-P", "-b", addr, "-t", offsetsTopic, "-Z", "-K", "\t", "-X", "partitioner=murmur2_random")
	cmd.Stdin = strings.NewReader(line + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v %s", err, out)
	}
}

// Acceptance (issue 12): a REST PATCH made with curl, a tombstone written
// with kcat and a record written straight to the topic with kcat each show
// up as unaudited within 5 s with before → after; the running task's own
// writes do not.
func TestUnauditedChangesAreFlagged(t *testing.T) {
	testenv.Kcat(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		testenv.Missing(t, "curl", "apt-get install -y curl")
	}
	ctx := context.Background()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	r := startRig(t, l, testenv.SQLite(t))
	createAdvancing(t, r.cc, "src", `[{"partition":{"server":"db1"},"offset":{"txId":3,"lsn":1000}}]`)
	time.Sleep(1500 * time.Millisecond)

	// 1. curl PATCH on the stopped connector.
	if err := r.cc.Stop(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, "src", connect.Stopped, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	out, err := exec.Command(curl, "-sS", "-f", "-X", "PATCH", "-H", "Content-Type: application/json",
		"--data", `{"offsets":[{"partition":{"server":"db1"},"offset":{"txId":3,"lsn":1200}}]}`,
		l.ConnectURL()+"/connectors/src/offsets").CombinedOutput()
	if err != nil {
		t.Fatalf("curl PATCH: %v %s", err, out)
	}
	e := waitUnaudited(t, r, "src", 0)
	if !strings.Contains(e.Reason, "STOPPED") || string(e.After) != javaJSON(t, `{"txId":3,"lsn":1200}`) || string(e.Before) == "null" {
		t.Errorf("PATCH entry: %+v", e)
	}

	// 2. A tombstone with kcat (connector still stopped).
	kcatProduce(t, l.KafkaAddr(), `["src",{"server":"db1"}]`+"\t")
	e = waitUnaudited(t, r, "src", 1)
	if !strings.Contains(e.Reason, "tombstone") || string(e.After) != "null" || string(e.Before) != javaJSON(t, `{"txId":3,"lsn":1200}`) {
		t.Errorf("tombstone entry: %+v", e)
	}

	// 3. A record written straight to the topic while the task runs, moving
	// the position back.
	if err := r.cc.Resume(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cc.WaitFor(ctx, "src", connect.Running, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	kcatProduce(t, l.KafkaAddr(), `["src",{"server":"db1"}]`+"\t"+`{"txId":3,"lsn":5}`)
	e = waitUnaudited(t, r, "src", 2)
	// kcat writes the bytes as given, not in Java's key order.
	if !strings.Contains(e.Reason, "backwards") || string(e.After) != `{"txId":3,"lsn":5}` {
		t.Errorf("direct write entry: %+v", e)
	}

	// Exactly those three, however many writes the task made.
	time.Sleep(500 * time.Millisecond)
	h, err := journal.ReadHistory(ctx, r.store, journal.HistoryOptions{Connector: "src"})
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, e := range h.Entries {
		if e.Unaudited {
			flagged = append(flagged, e.Reason)
		}
	}
	if len(flagged) != 3 || len(h.Entries) < 5 {
		t.Errorf("%d entries, unaudited %q; want exactly the 3 outside changes", len(h.Entries), flagged)
	}
}
