package snapshots

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/snaptest"
)

func TestPruneKeepsNewestGoodPerConnector(t *testing.T) {
	{
		ctx := context.Background()
		v, dir := fileVault(t)
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		put := func(s *cdcops.Snapshot) cdcops.SnapshotSummary {
			sum, err := v.Put(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			return sum
		}
		// only-pg: an old snapshot holding just connector "solo" (its only one).
		solo := &cdcops.Snapshot{Meta: cdcops.SnapshotMeta{Created: now.Add(-40 * 24 * time.Hour), Via: "topic",
			Topics: []cdcops.SnapshotTopic{{Name: "connect-offsets", Partitions: 25, EndOffsets: map[int32]int64{1: 10}}}},
			Content: cdcops.SnapshotContent{Records: []cdcops.OffsetRecord{{Topic: "connect-offsets", Partition: 1, Offset: 1,
				RawKey: []byte(`["solo",{"server":"s"}]`), RawValue: []byte(`{"lsn":5}`), Connector: "solo"}}}}
		oldSolo := put(solo)
		old1 := put(snaptest.Sample(now.Add(-30*24*time.Hour), 1))
		old2 := put(snaptest.Sample(now.Add(-20*24*time.Hour), 2))
		newestOld := put(snaptest.Sample(now.Add(-10*24*time.Hour), 3)) // newest of the three, but corrupt
		recent := put(snaptest.Sample(now.Add(-2*24*time.Hour), 4))
		tamper(t, dir, newestOld)

		plan, err := PlanPrune(ctx, v, PruneOptions{KeepDays: 7, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		keep := map[string]bool{}
		for _, d := range plan {
			keep[d.ID] = d.Keep
		}
		if !keep[oldSolo.ID] {
			t.Error("deleted the only (newest good) snapshot of connector solo")
		}
		if !keep[recent.ID] {
			t.Error("deleted a snapshot younger than 7 days")
		}
		if keep[old1.ID] || keep[old2.ID] || keep[newestOld.ID] {
			t.Errorf("kept old snapshots: %+v", plan)
		}
		// Without the recent one, the newest *good* old snapshot must survive.
		if err := v.Delete(ctx, recent); err != nil {
			t.Fatal(err)
		}
		plan, err = PlanPrune(ctx, v, PruneOptions{KeepDays: 7, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		keep = map[string]bool{}
		for _, d := range plan {
			keep[d.ID] = d.Keep
		}
		if !keep[old2.ID] || keep[newestOld.ID] || keep[old1.ID] {
			t.Errorf("want only old2 (newest good) kept among the sample snapshots: %+v", plan)
		}
		n, err := ApplyPrune(ctx, v, plan)
		if err != nil || n != 2 {
			t.Fatalf("applied %d, %v", n, err)
		}
		left, _ := v.List(ctx)
		if len(left) != 2 {
			t.Errorf("%d snapshots left, want 2", len(left))
		}
		plan, _ = PlanPrune(ctx, v, PruneOptions{KeepDays: 0, KeepLast: 5, Now: now})
		for _, d := range plan {
			if !d.Keep {
				t.Errorf("--keep-last 5 would delete %s", d.ID)
			}
		}
	}
}
