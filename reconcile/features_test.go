package reconcile

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
)

// featureDBs: a PostgreSQL source and a MariaDB sink of 300 events with
// a few differences, shared by the feature tests.
func featureDBs(t *testing.T) (pg, my string) {
	t.Helper()
	pg, my = testenv.Postgres(t), testenv.MySQL(t)
	ctx := context.Background()
	p, m := testenv.Open(t, pg), testenv.Open(t, my)
	for _, q := range []string{
		`CREATE TABLE events (tenant text, seq int, kind text, amount numeric(10,2), created_at timestamp(3), secret text, PRIMARY KEY (tenant, seq))`,
		`INSERT INTO events SELECT 't' || (g % 3), g, 'k' || (g % 5), g / 4.0, timestamp '2024-03-01' + g * interval '1 hour', 's' FROM generate_series(1, 300) g`,
	} {
		if _, err := p.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`CREATE TABLE events (tenant varchar(10), seq int, kind_name varchar(10), amount decimal(10,2), created_at datetime(3), secret varchar(10), PRIMARY KEY (tenant, seq))`,
	} {
		if _, err := m.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var vals []string
	for g := 1; g <= 300; g++ {
		if g == 50 || g == 250 { // missing
			continue
		}
		amount := fmt.Sprintf("%d/4.0", g)
		if g == 100 || g == 200 { // changed
			amount = "-1"
		}
		vals = append(vals, fmt.Sprintf("(CONCAT('t', %d %% 3), %d, CONCAT('k', %d %% 5), %s, TIMESTAMP '2024-03-01 00:00:00' + INTERVAL %d HOUR, 'different')", g, g, g, amount, g))
	}
	vals = append(vals, "('t9', 999, 'k', 1, '2024-03-20', 's')") // extra
	if _, err := m.ExecContext(ctx, "INSERT INTO events VALUES "+strings.Join(vals, ", ")); err != nil {
		t.Fatal(err)
	}
	return pg, my
}

func kinds(r *Report) map[string]string {
	out := map[string]string{}
	for _, d := range r.Differences {
		out[keyString(d.Key, r.Key)] = d.Kind
	}
	return out
}

func TestFeatures(t *testing.T) {
	pg, my := featureDBs(t)
	base := Spec{Source: pg, Sink: my, Table: "events", Columns: []string{"tenant", "seq", "kind:kind_name", "amount", "created_at"}, ExcludeColumns: nil}
	all := map[string]string{"tenant=t2,seq=50": Missing, "tenant=t1,seq=250": Missing, "tenant=t1,seq=100": Changed, "tenant=t2,seq=200": Changed, "tenant=t9,seq=999": Extra}

	for _, mode := range []string{"stream", "pushdown", "mixed"} {
		t.Run("mapping and recursion/"+mode, func(t *testing.T) {
			s := base
			s.Mode, s.LeafRows = mode, 3 // tiny leaves force range splits on a composite key
			if mode == "mixed" {
				s.Mode, s.SourceMode, s.SinkMode = "", "pushdown", "stream"
			}
			rep, err := Run(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(rep); fmt.Sprint(got) != fmt.Sprint(all) {
				t.Fatalf("differences = %v, want %v", got, all)
			}
			if rep.Columns["amount"] != 2 || rep.Columns["kind:kind_name"] != 0 || rep.SourceRows != 300 || rep.SinkRows != 299 {
				t.Fatalf("columns %v rows %d/%d", rep.Columns, rep.SourceRows, rep.SinkRows)
			}
			if rep.Mode != mode {
				t.Fatalf("mode %s", rep.Mode)
			}
			if mode != "stream" && rep.Ranges < 10 {
				t.Errorf("pushdown used %d ranges; expected recursion into small ranges", rep.Ranges)
			}
		})
	}
	t.Run("all common columns differ in secret unless excluded", func(t *testing.T) {
		s := base
		s.Columns = nil
		rep, err := Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Columns["secret"] != 298 || len(rep.Notes) == 0 {
			t.Fatalf("secret mismatches %d notes %v", rep.Columns["secret"], rep.Notes)
		}
		s.ExcludeColumns = []string{"secret"}
		rep, err = Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := rep.Columns["secret"]; ok || rep.Changed != 2 {
			t.Fatalf("excluded column still compared: %v", rep.Columns)
		}
	})
	for _, mode := range []string{"stream", "pushdown"} {
		t.Run("per-side where/"+mode, func(t *testing.T) {
			s := base
			s.Mode, s.LeafRows = mode, 3
			s.SourceWhere, s.SinkWhere = "tenant = 't0'", "tenant IN ('t0', 't9')"
			rep, err := Run(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"tenant=t9,seq=999": Extra}
			if got := kinds(rep); fmt.Sprint(got) != fmt.Sprint(want) || rep.SourceRows != 100 || rep.SinkRows != 101 {
				t.Fatalf("t0 only: %v rows %d/%d", got, rep.SourceRows, rep.SinkRows)
			}
		})
		t.Run("stop after stops early/"+mode, func(t *testing.T) {
			s := base
			s.StopAfter, s.Mode, s.LeafRows = 2, mode, 3
			rep, err := Run(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.StoppedEarly || rep.Total() != 2 || len(rep.Differences) != 2 || rep.Equal {
				t.Fatalf("stopped=%v total=%d", rep.StoppedEarly, rep.Total())
			}
		})
	}
	t.Run("partition by day", func(t *testing.T) {
		s := base
		s.PartitionBy = "created_at:day"
		rep, err := Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		bad := map[string]bool{}
		for _, p := range rep.Partitions {
			if !p.Equal {
				bad[p.Partition] = true
			}
		}
		// rows 50, 100, 200, 250 are hours after 2024-03-01; the extra row is on 03-20.
		want := map[string]bool{"2024-03-03": true, "2024-03-05": true, "2024-03-09": true, "2024-03-11": true, "2024-03-20": true}
		if fmt.Sprint(bad) != fmt.Sprint(want) || len(rep.Partitions) < 13 {
			t.Fatalf("differing partitions %v, want %v (of %d)", bad, want, len(rep.Partitions))
		}
	})
	t.Run("timeout", func(t *testing.T) {
		s := base
		s.Timeout = time.Nanosecond
		_, err := Run(context.Background(), s)
		if err == nil || cdcops.ErrorCodeOf(err) != cdcops.EUNAVAILABLE {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("settle drops rows that converge", func(t *testing.T) {
		m := testenv.Open(t, my)
		settleHook = func() {
			// The pipeline catches up on two rows while cdcops waits.
			for _, q := range []string{
				"INSERT INTO events VALUES ('t2', 50, 'k0', 12.50, '2024-03-03 02:00:00', 's')",
				"UPDATE events SET amount = 25.00 WHERE tenant = 't1' AND seq = 100",
			} {
				if _, err := m.Exec(q); err != nil {
					t.Error(err)
				}
			}
		}
		defer func() { settleHook = nil }()
		s := base
		s.Settle = 10 * time.Millisecond
		rep, err := Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"tenant=t1,seq=250": Missing, "tenant=t2,seq=200": Changed, "tenant=t9,seq=999": Extra}
		if got := kinds(rep); fmt.Sprint(got) != fmt.Sprint(want) || rep.Settled != 2 || rep.SinkRows != 300 {
			t.Fatalf("after settle: %v settled=%d sink rows %d", got, rep.Settled, rep.SinkRows)
		}
	})
}
