package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/backup"
	"github.com/cdcops/cdcops/connect"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/kafka/kafkatest"
	"github.com/cdcops/cdcops/lab/scripted"
)

type kcatRecord struct {
	partition int32
	offset    int64
	key       []byte
	value     []byte // nil = tombstone
}

// kcatDump reads topic to its end with kcat -C -e, printing partition,
// offset, key, value length (-1 for a tombstone) and value per line.
func kcatDump(t testing.TB, bootstrap, topic string) []kcatRecord {
	cmd := exec.Command(testenv.Kcat(t), "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-Z",
		"-f", "%p\t%o\t%k\t%S\t%s\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}
	var recs []kcatRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 5)
		if len(f) != 5 {
			t.Fatalf("kcat line %q", sc.Text())
		}
		p, _ := strconv.Atoi(f[0])
		o, _ := strconv.ParseInt(f[1], 10, 64)
		r := kcatRecord{partition: int32(p), offset: o, key: []byte(f[2])}
		if f[3] != "-1" {
			r.value = []byte(f[4])
		}
		recs = append(recs, r)
	}
	return recs
}

// lastWriteWins over a kcat dump: per partition in offset order, the last
// record per exact key; tombstones remove.
func lastWriteWinsKcat(recs []kcatRecord) map[string]kcatRecord {
	sort.SliceStable(recs, func(i, j int) bool {
		return recs[i].partition < recs[j].partition || recs[i].partition == recs[j].partition && recs[i].offset < recs[j].offset
	})
	m := map[string]kcatRecord{}
	for _, r := range recs {
		if r.value == nil {
			delete(m, string(r.key))
			continue
		}
		m[string(r.key)] = r
	}
	return m
}

// Acceptance (issue 4): 200 connectors with the Debezium offset shapes of
// spec §3.6, keys rewritten many times and some tombstoned. The backup holds
// exactly last-write-wins over an independent kcat dump, and the REST view
// of every connector agrees with the topic view.
func TestLabBackup200ConnectorsMatchesKcatAndREST(t *testing.T) {
	testenv.Kcat(t)
	ctx := context.Background()
	l := testenv.Lab(t)
	cc := connect.New(l.ConnectURL())
	wl := kafkatest.Debezium(200, 8)

	// Register every connector (stopped: nothing but us writes its offsets).
	var eg errgroup.Group
	eg.SetLimit(8)
	for name := range wl.Connectors {
		eg.Go(func() error {
			_, err := cc.Create(ctx, connect.CreateRequest{Name: name, InitialState: cdcops.StateStopped,
				Config: map[string]string{"connector.class": scripted.SourceClass, "database.password": "s3cret"}})
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := kafkatest.Produce(ctx, l.KafkaAddr(), "connect-offsets", wl.Writes); err != nil {
		t.Fatal(err)
	}

	vaultDir := filepath.Join(t.TempDir(), "vault")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		base := []string{"--bootstrap", l.KafkaAddr(), "--connect", l.ConnectURL(), "--vault", "file://" + vaultDir}
		code := Main(ctx, append(base, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errOut := run("offsets", "backup", "--all", "-o", "json")
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	var res backup.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run("snapshots", "show", res.ID, "-o", "json")
	if code != 0 {
		t.Fatalf("show: %d %s", code, errOut)
	}
	var snap cdcops.Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}

	// 1. Exactly last-write-wins over the independent kcat dump.
	want := lastWriteWinsKcat(kcatDump(t, l.KafkaAddr(), "connect-offsets"))
	if len(want) < 150 {
		t.Fatalf("kcat dump gives only %d live keys; the workload did not land", len(want))
	}
	got := map[string]cdcops.OffsetRecord{}
	for _, r := range snap.Content.Records {
		if r.Topic != "connect-offsets" {
			t.Errorf("record from unexpected topic %s (discovery picked a non-offsets topic?)", r.Topic)
			continue
		}
		got[string(r.RawKey)] = r
	}
	if len(got) != len(want) {
		t.Errorf("backup has %d keys, kcat last-write-wins %d", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("key %s missing from the backup", k)
		case !bytes.Equal(g.RawValue, w.value) || g.Partition != w.partition || g.Offset != w.offset:
			t.Errorf("key %s: backup %d@%d %s, kcat %d@%d %s", k, g.Partition, g.Offset, g.RawValue, w.partition, w.offset, w.value)
		}
	}
	// Tombstoned connectors are really gone; rewritten ones hold the last round.
	if _, ok := got[`["dbz-0003",{"server_id":"srv0003"}]`]; ok {
		t.Error("tombstoned key dbz-0003 is in the backup")
	}
	if len(snap.Content.Connectors) != 200 {
		t.Errorf("%d connectors in the metadata, want 200", len(snap.Content.Connectors))
	}
	for _, c := range snap.Content.Connectors {
		if c.Config["database.password"] != cdcops.RedactedPassword || c.Class != scripted.SourceClass {
			t.Fatalf("connector metadata not redacted or wrong: %+v", c)
		}
	}
	if snap.Meta.ConnectVersion == "" || snap.Meta.KafkaClusterID == "" {
		t.Errorf("meta lacks versions: %+v", snap.Meta)
	}

	// 2. REST view agrees with the topic view for every connector.
	byConn := map[string]map[string]string{} // connector → exact key → normalized value
	for _, r := range snap.Content.Records {
		if byConn[r.Connector] == nil {
			byConn[r.Connector] = map[string]string{}
		}
		v, err := connectjson.Normalize(r.RawValue)
		if err != nil {
			t.Fatal(err)
		}
		byConn[r.Connector][string(r.RawKey)] = string(v)
	}
	for name := range wl.Connectors {
		body, err := cc.Offsets(ctx, name)
		if err != nil {
			t.Fatalf("GET offsets %s: %v", name, err)
		}
		restView := map[string]string{}
		for _, o := range body.Offsets {
			pv, err := connectjson.Parse(o.Partition)
			if err != nil {
				t.Fatal(err)
			}
			key, err := connectjson.OffsetKey(name, pv.(connectjson.Object))
			if err != nil {
				t.Fatal(err)
			}
			v, err := connectjson.Normalize(o.Offset)
			if err != nil {
				t.Fatal(err)
			}
			restView[string(key)] = string(v)
		}
		if fmt.Sprint(sortedMap(restView)) != fmt.Sprint(sortedMap(byConn[name])) {
			t.Errorf("%s: REST view %v, topic view %v", name, restView, byConn[name])
		}
	}

	// 3. The same through `--via rest`, and the whole snapshot verifies.
	code, out, errOut = run("offsets", "backup", "--all", "--via", "rest", "-o", "json")
	if code != 0 {
		t.Fatalf("backup --via rest: %d %s", code, errOut)
	}
	var restRes backup.Result
	json.Unmarshal([]byte(out), &restRes)
	if code, out, _ := run("snapshots", "diff", res.ID, restRes.ID); code != 0 {
		t.Errorf("topic and REST backups differ:\n%s", out)
	}
	if code, out, _ := run("snapshots", "verify"); code != 0 {
		t.Errorf("verify: %d\n%s", code, out)
	}
	_ = time.Second
}

func sortedMap(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
