package faults_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/faults"
)

// The demo step shows the pipeline in sync, then exactly the dropped rows
// missing from the sink.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := testenv.Lab(t)
	var out bytes.Buffer
	res, err := faults.Demo(ctx, faults.DemoOptions{ConnectURL: l.ConnectURL(), Kafka: l.KafkaAddr(), Dir: t.TempDir(), Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(res.Dropped) != 3 || res.After.SourceRows-res.After.SinkRows != 3 || res.After.MissingN != 3 || res.After.Differences != 3 {
		t.Fatalf("effect %+v dropped %+v", res.After, res.Dropped)
	}
	for _, d := range res.Dropped {
		if !strings.Contains(strings.Join(res.After.Missing, " "), d.Key) {
			t.Fatalf("dropped %s but missing %v", d.Key, res.After.Missing)
		}
	}
	if !strings.Contains(out.String(), "missing in sink: id=") {
		t.Fatalf("narration lacks the effect:\n%s", out.String())
	}
	t.Log(out.String())
}
