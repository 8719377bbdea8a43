package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/kafka/kafkatest"
)

// cli runs cdcops against a kfake broker, a temp vault and no Connect
// (so backups pass --allow-partial: the offsets topics alone).
type cli struct {
	t     *testing.T
	addr  string
	vault string
	extra []string
}

func newCLI(t *testing.T) *cli {
	_, addr := kafkatest.Cluster(t)
	return &cli{t: t, addr: addr, vault: filepath.Join(t.TempDir(), "vault")}
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	all := append([]string{"--bootstrap", c.addr, "--connect", "http://127.0.0.1:1", "--vault", "file://" + c.vault}, c.extra...)
	if len(args) >= 2 && args[0] == "offsets" && args[1] == "backup" {
		args = append(args[:2:2], append([]string{"--allow-partial"}, args[2:]...)...)
	}
	code = Main(context.Background(), append(all, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func (c *cli) produce(ws []kafkatest.Write) {
	c.t.Helper()
	if err := kafkatest.Produce(context.Background(), c.addr, kafkatest.OffsetsTopic, ws); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cli) backupID(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(append([]string{"offsets", "backup", "-o", "json"}, args...)...)
	if code != 0 {
		c.t.Fatalf("backup exit %d: %s", code, errOut)
	}
	var res backup.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.ID == "" {
		c.t.Fatalf("backup output %q: %v", out, err)
	}
	return res.ID
}

func TestBackupAllHoldsLastWriteWinsAndVerifies(t *testing.T) {
	c := newCLI(t)
	wl := kafkatest.Debezium(25, 5)
	c.produce(wl.Writes)
	code, out, errOut := c.run("offsets", "backup", "--all")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "single point of failure") {
		t.Errorf("no local-disk warning on stderr: %q", errOut)
	}
	id := strings.Fields(out)[0]
	code, out, errOut = c.run("snapshots", "show", id, "-o", "json")
	if code != 0 {
		t.Fatalf("show exit %d: %s", code, errOut)
	}
	var s cdcops.Snapshot
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	want := kafkatest.LastWriteWins(wl.Writes)
	if len(s.Content.Records) != len(want) {
		t.Fatalf("%d records, last-write-wins gives %d", len(s.Content.Records), len(want))
	}
	for _, r := range s.Content.Records {
		if v, ok := want[string(r.RawKey)]; !ok || !bytes.Equal(v, r.RawValue) {
			t.Errorf("key %s: %s, want %s", r.RawKey, r.RawValue, v)
		}
	}
	if s.Meta.KafkaClusterID != "kfake-test-cluster" || len(s.Meta.Topics) != 1 || s.Meta.Topics[0].Name != kafkatest.OffsetsTopic {
		t.Errorf("meta %+v", s.Meta)
	}
	if code, out, _ := c.run("snapshots", "verify", id); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("verify exit %d: %s", code, out)
	}
	// Identical state again: same content hash (cron-friendly).
	id2 := c.backupID("--all")
	code, out, _ = c.run("snapshots", "list", "-o", "json")
	var list []cdcops.SnapshotSummary
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) == 0 {
		t.Fatalf("list: %d %v", code, err)
	}
	hashes := map[string]string{}
	for _, l := range list {
		hashes[l.ID] = l.ContentSHA256
	}
	if hashes[id] != hashes[id2] {
		t.Errorf("identical offsets, different content hashes: %s %s", hashes[id], hashes[id2])
	}
}

func TestBackupRefusesEmptyOrMissing(t *testing.T) {
	c := newCLI(t)
	code, out, errOut := c.run("offsets", "backup", "--all")
	if code != 3 || out != "" || !strings.Contains(errOut, "refusing to store an empty backup") {
		t.Errorf("empty topic: exit %d out %q err %q", code, out, errOut)
	}
	if n := strings.Count(strings.TrimSpace(errOut), "\n"); !strings.Contains(errOut, "Hint:") || n > 2 {
		t.Errorf("want one error line and a hint: %q", errOut)
	}
	c.produce(kafkatest.Debezium(3, 1).Writes)
	code, _, errOut = c.run("offsets", "backup", "dbz-0000", "no-such-connector")
	if code != 3 || !strings.Contains(errOut, "without offsets for no-such-connector") {
		t.Errorf("missing connector: exit %d err %q", code, errOut)
	}
	if code, _, _ := c.run("snapshots", "list"); code != 0 {
		t.Fatal("list failed")
	}
	code, out, _ = c.run("snapshots", "list", "-o", "json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("a refused backup left something in the vault: %s", out)
	}
	if code, out, errOut := c.run("offsets", "backup", "dbz-0000", "no-such-connector", "--allow-empty"); code != 0 || !strings.Contains(out, "no offsets for no-such-connector") {
		t.Errorf("--allow-empty: exit %d %s %s", code, out, errOut)
	}
	if code, _, errOut := c.run("offsets", "backup"); code != 2 {
		t.Errorf("no names and no --all: exit %d %s", code, errOut)
	}
}

func TestBackupUnreachableBroker(t *testing.T) {
	c := newCLI(t)
	c.addr = "127.0.0.1:1"
	code, _, errOut := c.run("offsets", "backup", "--all")
	if code != 3 || !strings.Contains(errOut, "cannot reach Kafka at 127.0.0.1:1") || !strings.Contains(errOut, "--bootstrap") {
		t.Errorf("exit %d: %q", code, errOut)
	}
}

func TestOffsetsShowDecodes(t *testing.T) {
	c := newCLI(t)
	c.produce(kafkatest.Debezium(3, 2).Writes)
	code, out, errOut := c.run("offsets", "show", "dbz-0000")
	if code != 0 || !strings.Contains(out, "LSN 0/") || !strings.Contains(out, "kind guessed: postgresql") || !strings.Contains(out, "connect-offsets[") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = c.run("offsets", "show", "dbz-0001", "-o", "json")
	var res showResult
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Offsets) != 1 || res.Offsets[0].Written == nil {
		t.Fatalf("json show: %d %v %+v", code, err, res)
	}
	if !strings.HasPrefix(res.Offsets[0].Decoded.Position, "mysql-bin.") {
		t.Errorf("mysql position %q", res.Offsets[0].Decoded.Position)
	}
	if code, _, errOut := c.run("offsets", "show", "ghost"); code != 3 || !strings.Contains(errOut, `"ghost" has no offsets`) {
		t.Errorf("unknown connector: %d %q", code, errOut)
	}
	if code, out, _ := c.run("offsets", "topics"); code != 0 || !strings.Contains(out, "connect-offsets") {
		t.Errorf("topics: %d %s", code, out)
	}
}

func TestTamperedSnapshotFailsVerifyNamingIt(t *testing.T) {
	c := newCLI(t)
	c.produce(kafkatest.Debezium(5, 2).Writes)
	id := c.backupID("--all")
	f := filepath.Join(c.vault, "snapshots", id+".json")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x04
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := c.run("snapshots", "verify")
	if code != 1 {
		t.Fatalf("verify of a tampered snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, id) || !strings.Contains(out, "FAILED") || !strings.Contains(out, "sha256") {
		t.Errorf("output does not name the snapshot and the failure: %s", out)
	}
	if code, _, errOut := c.run("snapshots", "show", id); code != 1 || !strings.Contains(errOut, "sha256 mismatch") {
		t.Errorf("show of a tampered snapshot: %d %q", code, errOut)
	}
}

func TestEncryptedSnapshotNeedsIdentity(t *testing.T) {
	c := newCLI(t)
	c.produce(kafkatest.Debezium(5, 1).Writes)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "age.key")
	cfg := filepath.Join(dir, "cdcops.yaml")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
	os.WriteFile(cfg, []byte("vault:\n  recipients: ["+id.Recipient().String()+"]\n"), 0o600)
	c.extra = []string{"--config", cfg}
	snap := c.backupID("--all")
	raw, err := os.ReadFile(filepath.Join(c.vault, "snapshots", snap+".json.age"))
	if err != nil || bytes.Contains(raw, []byte("dbz-0000")) {
		t.Fatalf("snapshot not encrypted at rest: %v", err)
	}
	code, out, errOut := c.run("snapshots", "verify", snap)
	if code != 2 || out != "" || !strings.Contains(errOut, "encrypted") || !strings.Contains(errOut, "--identity") {
		t.Errorf("verify without identity: exit %d out %q err %q", code, out, errOut)
	}
	if code, out, errOut := c.run("snapshots", "verify", snap, "--identity", keyFile); code != 0 {
		t.Errorf("verify with identity: %d %s %s", code, out, errOut)
	}
}

func TestBadSnapshotFiles(t *testing.T) {
	c := newCLI(t)
	c.produce(kafkatest.Debezium(2, 1).Writes)
	id := c.backupID("--all")
	f := filepath.Join(c.vault, "snapshots", id+".json")
	good, _ := os.ReadFile(f)
	os.WriteFile(f, bytes.Replace(good, []byte("cdcops.snapshot/v1"), []byte("cdcops.snapshot/v9"), 1), 0o600)
	code, _, errOut := c.run("snapshots", "show", id)
	if code != 2 || !strings.Contains(errOut, `unsupported snapshot format "cdcops.snapshot/v9"`) || !strings.Contains(errOut, "Hint:") {
		t.Errorf("wrong version: %d %q", code, errOut)
	}
	os.WriteFile(f, []byte("this is not a snapshot\n"), 0o600)
	code, _, errOut = c.run("snapshots", "show", id)
	if code != 1 || !strings.Contains(errOut, "not a cdcops snapshot") || !strings.Contains(errOut, "Hint:") {
		t.Errorf("malformed file: %d %q", code, errOut)
	}
	if code, _, errOut := c.run("snapshots", "show", "nope"); code != 3 || !strings.Contains(errOut, `no snapshot "nope"`) {
		t.Errorf("unknown id: %d %q", code, errOut)
	}
}

func TestDiffAgainstLiveAndPrune(t *testing.T) {
	c := newCLI(t)
	c.produce(kafkatest.Debezium(5, 2).Writes)
	id := c.backupID("--all")
	if code, out, errOut := c.run("snapshots", "diff", id, "live"); code != 0 {
		t.Fatalf("diff against unchanged live: exit %d\n%s%s", code, out, errOut)
	}
	c.produce(kafkatest.Debezium(5, 4).Writes[12:]) // later rounds: positions move on
	code, out, errOut := c.run("snapshots", "diff", id, "live")
	if code != 1 {
		t.Fatalf("diff after the pipeline moved on: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"bytes)", "binlog mysql-bin.", "GTIDs added", "SCN 2891", "(forward)"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	id2 := c.backupID("--all")
	code, out, _ = c.run("snapshots", "diff", id, id2, "-o", "json")
	var res struct{ Entries []struct{ Change string } }
	if err := json.Unmarshal([]byte(out), &res); code != 1 || err != nil || len(res.Entries) == 0 {
		t.Errorf("diff of two snapshots: %d %v", code, err)
	}
	// Prune: dry run by default; both are young, so nothing goes anyway,
	// and with --keep-days 0 the newest good one stays.
	code, out, _ = c.run("snapshots", "prune", "--keep-days", "0")
	if code != 0 || !strings.Contains(out, "dry run") {
		t.Errorf("prune dry run: %d %s", code, out)
	}
	if _, out, _ := c.run("snapshots", "list", "-o", "json"); strings.Count(out, `"id"`) != 2 {
		t.Errorf("dry run deleted something: %s", out)
	}
	time.Sleep(10 * time.Millisecond)
	code, out, _ = c.run("snapshots", "prune", "--keep-days", "0", "--apply")
	if code != 0 || !strings.Contains(out, "deleted 1") {
		t.Errorf("prune --apply: %d %s", code, out)
	}
	_, out, _ = c.run("snapshots", "list", "-o", "json")
	if !strings.Contains(out, id2) || strings.Contains(out, id) {
		t.Errorf("prune kept the wrong one: %s", out)
	}
}

func TestBackupWarnsAboutMalformedKeys(t *testing.T) {
	c := newCLI(t)
	c.produce(append(kafkatest.Debezium(2, 1).Writes,
		kafkatest.Write{Key: []byte(`{"schema":{"type":"array"},"payload":["x",{"server":"s"}]}`), Value: []byte(`{"lsn":1}`)}))
	code, _, errOut := c.run("offsets", "backup", "--all")
	if code != 0 || !strings.Contains(errOut, "1 key(s) are not Connect offset keys") || !strings.Contains(errOut, "schemas.enable=true") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// A named backup leaves malformed keys out, so no warning there.
	if _, _, errOut := c.run("offsets", "backup", "dbz-0000"); strings.Contains(errOut, "not Connect offset keys") {
		t.Errorf("named backup warns about keys it did not take: %q", errOut)
	}
}
