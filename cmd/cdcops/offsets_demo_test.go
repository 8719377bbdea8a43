package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
)

// The lab-demo helpers back up a running lab and show the diff once the
// scripted source (lab.advance) moved its LSN on.
func TestLabBackupAndDiffLiveHelpers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	cc := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	if _, err := cc.Create(ctx, connect.CreateRequest{Name: "inventory-connector", Config: map[string]string{
		"connector.class": "cdcops.lab.ScriptedSource", "lab.offsets": demoOffsets, "lab.advance": "true",
		"offset.flush.interval.ms": "100", "database.password": "hunter2"}}); err != nil {
		t.Fatal(err)
	}
	for {
		o, err := cc.Offsets(ctx, "inventory-connector")
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Offsets) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The ready-made demo step, as `lab demo` would run it.
	var step bytes.Buffer
	g := &globals{stderr: &step}
	if err := (&demoRun{g: g, out: &step, lab: l, kafka: l.KafkaAddr(), connectURL: l.ConnectURL()}).backupAndDiff(ctx); err != nil {
		t.Fatalf("backupAndDiff: %v\n%s", err, step.String())
	}
	if !strings.Contains(step.String(), "$ cdcops snapshots diff") || !strings.Contains(step.String(), "single point of failure") {
		t.Errorf("demo step narration:\n%s", step.String())
	}

	vaultURL := "file://" + filepath.Join(t.TempDir(), "vault")
	var out bytes.Buffer
	id, err := labBackup(ctx, nil, &out, l.KafkaAddr(), l.ConnectURL(), vaultURL)
	if err != nil {
		t.Fatalf("labBackup: %v\n%s", err, out.String())
	}
	n, err := labDiffLive(ctx, nil, &out, l.KafkaAddr(), l.ConnectURL(), vaultURL, id)
	if err != nil {
		t.Fatalf("labDiffLive: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	// lab.advance bumps one numeric field (which one is the lab's choice);
	// the diff must show that partition changed with a decoded before → after.
	if n != 1 || !strings.Contains(out.String(), `{"server":"dbserver1"}  changed`) || !strings.Contains(out.String(), " → ") {
		t.Errorf("%d changed partitions; narration:\n%s", n, out.String())
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Error("a secret was printed")
	}
}

// A sink connector's consumer group (consumer.override.group.id here) is
// in `--all` backups with the offsets Connect reports for it, and
// `offsets show --via rest` joins write times from the topic.
func TestLabBackupIncludesSinkGroupAndRESTShow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := testenv.LabWith(t, lab.Options{FlushInterval: 100 * time.Millisecond})
	cc := connect.New(l.ConnectURL(), connect.WithPollInterval(50*time.Millisecond))
	if err := createDemoTopic(ctx, l.KafkaAddr(), demoTopic); err != nil {
		t.Fatal(err)
	}
	for _, req := range []connect.CreateRequest{
		{Name: "src", Config: map[string]string{"connector.class": "cdcops.lab.ScriptedSource", "lab.offsets": demoOffsets,
			"lab.topic": demoTopic, "offset.flush.interval.ms": "100"}},
		{Name: "snk", Config: map[string]string{"connector.class": "cdcops.lab.ScriptedSink", "topics": demoTopic,
			"consumer.override.group.id": "custom-snk-group"}},
	} {
		if _, err := cc.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	var sinkREST string
	for {
		so, err1 := cc.Offsets(ctx, "src")
		ko, err2 := cc.Offsets(ctx, "snk")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(so.Offsets) > 0 && len(ko.Offsets) > 0 {
			sinkREST = string(ko.Offsets[0].Offset)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("no offsets yet")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := cc.Stop(ctx, "snk"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		base := []string{"--bootstrap", l.KafkaAddr(), "--connect", l.ConnectURL(), "--vault", "file://" + dir}
		code := Main(ctx, append(base, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errOut := run("offsets", "backup", "--all", "-o", "json")
	if code != 0 {
		t.Fatalf("backup: %d %s", code, errOut)
	}
	var res backup.Result
	json.Unmarshal([]byte(out), &res)
	_, out, _ = run("snapshots", "show", res.ID, "-o", "json")
	var s cdcops.Snapshot
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Content.Groups) != 1 || s.Content.Groups[0].Group != "custom-snk-group" || len(s.Content.Groups[0].Offsets) == 0 {
		t.Fatalf("sink group not backed up: %+v", s.Content.Groups)
	}
	got := s.Content.Groups[0].Offsets[0]
	if want := `{"kafka_offset":` + strconv.FormatInt(got.Offset, 10) + `}`; sinkREST != want || got.Topic != demoTopic {
		t.Errorf("group offset %+v, REST says %s", got, sinkREST)
	}
	code, out, errOut = run("offsets", "show", "src", "--via", "rest", "-o", "json")
	var show showResult
	if err := json.Unmarshal([]byte(out), &show); code != 0 || err != nil || len(show.Offsets) != 1 || show.Offsets[0].Written == nil {
		t.Fatalf("show --via rest: %d %v %s %s", code, err, out, errOut)
	}
	if show.Offsets[0].Decoded.Kind != "postgresql" || !strings.HasPrefix(show.Offsets[0].location(), "connect-offsets[") {
		t.Errorf("show --via rest: %+v", show.Offsets[0])
	}
}
