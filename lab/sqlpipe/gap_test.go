package sqlpipe_test

import (
	"context"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// A position taken by a transaction that has not committed yet holds the
// stream back (no change is skipped); a position that stays missing
// (rolled back) is skipped after the gap wait.
func TestStreamWaitsForGapsThenSkipsRollbacks(t *testing.T) {
	ctx := context.Background()
	db := testenv.Open(t, testenv.Postgres(t))
	if err := sqlpipe.CreateDemoSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	c, err := sqlpipe.NewCapturer(ctx, db, "lab", []string{"customers"})
	if err != nil {
		t.Fatal(err)
	}
	s := &sqlpipe.Stream{C: c, GapWait: 300 * time.Millisecond}
	insert := "INSERT INTO customers (id, name, tier, balance_cents) VALUES ($1, 'n', 'gold', 0)"
	keys := func(evs []sqlpipe.Event) string {
		out := ""
		for _, e := range evs {
			out += string(e.Key)
		}
		return out
	}

	open, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.ExecContext(ctx, insert, 1); err != nil { // pos 1, not committed
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, insert, 2); err != nil { // pos 2, committed
		t.Fatal(err)
	}
	evs, err := s.Next(ctx, 100, true)
	if err != nil || len(evs) != 0 {
		t.Fatalf("read past an open transaction's position: %s %v", keys(evs), err)
	}
	if err := open.Commit(); err != nil {
		t.Fatal(err)
	}
	evs, err = s.Next(ctx, 100, true)
	if err != nil || keys(evs) != `{"id":1}{"id":2}` {
		t.Fatalf("after commit got %s %v, want ids 1 then 2", keys(evs), err)
	}

	rolled, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rolled.ExecContext(ctx, insert, 3); err != nil { // pos 3, rolled back
		t.Fatal(err)
	}
	if err := rolled.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, insert, 4); err != nil { // pos 4
		t.Fatal(err)
	}
	if evs, err = s.Next(ctx, 100, true); err != nil || len(evs) != 0 {
		t.Fatalf("skipped a gap without waiting: %s %v", keys(evs), err)
	}
	time.Sleep(400 * time.Millisecond) // past the gap wait
	if evs, err = s.Next(ctx, 100, true); err != nil || keys(evs) != `{"id":4}` || s.Pos != 4 {
		t.Fatalf("after the gap wait got %s (pos %d) %v, want id 4 at pos 4", keys(evs), s.Pos, err)
	}
}
