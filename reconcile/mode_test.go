package reconcile

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/internal/throttle"
)

// Through a slow remote link (20 Mbit/s, 5 ms each way) auto pushes both
// sides down — the round trip alone says remote and the sample cannot
// reach the fast-link throughput — and still finds the planted row.
func TestAutoPushesDownOverASlowLink(t *testing.T) {
	ctx := context.Background()
	src, dst := testenv.Postgres(t), testenv.Postgres(t)
	for i, dsn := range []string{src, dst} {
		db := testenv.Open(t, dsn)
		stmts := []string{"CREATE TABLE t (id bigint PRIMARY KEY, v text)", "INSERT INTO t SELECT g, repeat('x', 50) || g FROM generate_series(1, 5000) g"}
		if i == 1 {
			stmts = append(stmts, "UPDATE t SET v = 'changed' WHERE id = 4321")
		}
		for _, q := range stmts {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	via := func(dsn string) string {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		p, err := throttle.Start(u.Host, throttle.Link{BitsPerSecond: 20e6, Latency: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		u.Host = p.Addr()
		return u.String()
	}
	rep, err := Run(ctx, Spec{Source: via(src), Sink: via(dst), Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SourceMode != "pushdown" || rep.SinkMode != "pushdown" || rep.Changed != 1 {
		t.Fatalf("modes %s/%s, changed %d (%s); want pushdown/pushdown and the one changed row", rep.SourceMode, rep.SinkMode, rep.Changed, rep.ModeReason)
	}
}
