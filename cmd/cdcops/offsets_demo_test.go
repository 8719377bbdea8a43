package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	if n != 1 || !strings.Contains(out.String(), "bytes)") || !strings.Contains(out.String(), `{"server":"dbserver1"}`) {
		t.Errorf("%d changed partitions; narration:\n%s", n, out.String())
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Error("a secret was printed")
	}
}
