package backup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/kafka/kafkatest"
)

// Connect down during a topic backup: the offsets topics alone would miss
// every sink group and config, so Take refuses and stores nothing unless
// AllowPartial, and then the result says what is missing.
func TestTakeRefusesWhenConnectCannotBeRead(t *testing.T) {
	ctx := context.Background()
	src := kfakeSources(t, kafkatest.Debezium(3, 1).Writes)
	v := openVault(t)
	_, err := Take(ctx, src, v, Options{All: true, Via: "topic"})
	if cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE || !strings.Contains(err.Error(), "Kafka Connect at "+noConnect+" could not be read") ||
		!strings.Contains(cdcops.HintOf(err), "--allow-partial") {
		t.Errorf("Connect down: %v (hint %q)", err, cdcops.HintOf(err))
	}
	if n := stored(t, v); n != 0 {
		t.Fatalf("refused backup stored %d snapshots", n)
	}
	res, err := Take(ctx, src, v, Options{All: true, Via: "topic", AllowPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Partial) != 1 || !strings.Contains(res.Partial[0], "sink consumer group offsets") || res.Records == 0 {
		t.Errorf("partial result %+v", res)
	}
}

// Identical content within the dedupe window is stored once; the result
// names the snapshot that holds it. Changed content, or a damaged match,
// is stored again.
func TestTakeDedupesIdenticalContent(t *testing.T) {
	ctx := context.Background()
	src := kfakeSources(t, kafkatest.Debezium(3, 1).Writes)
	v := openVault(t)
	o := Options{All: true, Via: "topic", AllowPartial: true, DedupeWindow: time.Hour}
	first, err := Take(ctx, src, v, o)
	if err != nil || first.Deduplicated {
		t.Fatalf("first backup: %+v %v", first, err)
	}
	again, err := Take(ctx, src, v, o)
	if err != nil || !again.Deduplicated || again.ID != first.ID || stored(t, v) != 1 {
		t.Fatalf("identical backup: %+v %v (stored %d)", again, err, stored(t, v))
	}
	o.DedupeWindow = 0
	third, err := Take(ctx, src, v, o)
	if err != nil || third.Deduplicated {
		t.Fatalf("window 0 must always store: %+v %v", third, err)
	}
	if err := (Options{All: true, Via: "topic", DedupeWindow: -time.Second}).Validate(); cdcops.ErrorCodeOf(err) != cdcops.EINVALID {
		t.Errorf("negative window: %v", err)
	}
}
