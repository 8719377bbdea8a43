package lab_test

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// An independent client agrees: kcat (librdkafka) reads the same keys,
// values and partitions from the lab's offsets topic as franz-go does.
func TestKcatReadsSameOffsets(t *testing.T) {
	kcat := testenv.Kcat(t)
	l := startVectors(t)
	want := readOffsetsTopic(t, l.KafkaAddr()) // waits until every vector is flushed
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		cmd := exec.Command(kcat, args...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("kcat %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	// Whole topic: key<TAB>value per record.
	lines := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(run("-C", "-e", "-q", "-K\t", "-b", l.KafkaAddr(), "-t", "connect-offsets")), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("kcat line without a tab: %q", line)
		}
		lines[k] = v
	}
	for _, v := range vectors {
		if got, ok := lines[v.key]; !ok || got != string(want[v.key].value) {
			t.Errorf("kcat key %s: value %q (found %v), franz-go read %q", v.key, got, ok, want[v.key].value)
		}
		// The vector's partition, read on its own, holds that key.
		part := run("-C", "-e", "-q", "-K\t", "-b", l.KafkaAddr(), "-t", "connect-offsets", "-p", strconv.Itoa(int(v.partition)))
		if !strings.Contains(part, v.key+"\t"+string(want[v.key].value)) {
			t.Errorf("kcat partition %d does not hold %s: %q", v.partition, v.key, part)
		}
	}
	if len(lines) != len(vectors) {
		t.Errorf("kcat saw %d keys, want %d: %v", len(lines), len(vectors), lines)
	}
}
