package testenv

import (
	"bufio"
	"bytes"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Kcat returns the path of kcat, the independent Kafka client tests
// compare cdcops against. Off CI a missing kcat skips the test with a hint;
// in CI it fails, since scripts/services.sh installs it.
func Kcat(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		Missing(t, "kcat", "run `make services` (scripts/services.sh installs the Debian package kcat)")
	}
	return p
}

// KcatRecord is one record of a topic as kcat printed it.
type KcatRecord struct {
	Partition int32
	Offset    int64
	Timestamp int64 // record timestamp, Unix milliseconds
	Key       string
	Value     []byte // nil = tombstone
}

// KcatDump reads topic from its start to its end with `kcat -C -e`, the
// independent client, in partition and offset order.
func KcatDump(t testing.TB, bootstrap, topic string) []KcatRecord {
	t.Helper()
	cmd := exec.Command(Kcat(t), "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-Z", "-f", "%p\t%o\t%T\t%k\t%S\t%s\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}
	var recs []KcatRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 6)
		if len(f) != 6 {
			t.Fatalf("kcat line %q", sc.Text())
		}
		p, _ := strconv.Atoi(f[0])
		o, _ := strconv.ParseInt(f[1], 10, 64)
		ts, _ := strconv.ParseInt(f[2], 10, 64)
		r := KcatRecord{Partition: int32(p), Offset: o, Timestamp: ts, Key: f[3]}
		if f[4] != "-1" {
			r.Value = []byte(f[5])
		}
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool {
		return recs[i].Partition < recs[j].Partition || recs[i].Partition == recs[j].Partition && recs[i].Offset < recs[j].Offset
	})
	return recs
}
