package reconcile

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/sqlconn"
)

// incrDBs: the same 2,000 items in a PostgreSQL source and a MariaDB
// sink, updated_at spread over the past and indexed on both sides;
// touched_at is a second timestamp without an index.
func incrDBs(t *testing.T) (pg, my string, p, m *sqlconn.DB) {
	t.Helper()
	pg, my = testenv.Postgres(t), testenv.MySQL(t)
	p, m = testenv.Open(t, pg), testenv.Open(t, my)
	exec(t, p,
		`CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(10,2) NOT NULL, updated_at timestamp(6) NOT NULL, touched_at timestamp(6) NOT NULL)`,
		`INSERT INTO items SELECT g, 'item-' || g, g / 4.0, timestamp '2026-01-01' + g * interval '1 minute', timestamp '2026-01-01' FROM generate_series(1, 2000) g`,
		`CREATE INDEX items_updated ON items (updated_at)`,
		`CREATE TABLE other (id bigint PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL)`,
		`INSERT INTO other SELECT g, 'o' || g, timestamp '2026-01-01' FROM generate_series(1, 10) g`)
	exec(t, m,
		`CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40) NOT NULL, amount decimal(10,2) NOT NULL, updated_at datetime(6) NOT NULL, touched_at datetime(6) NOT NULL, KEY items_updated (updated_at))`,
		`INSERT INTO items SELECT seq, CONCAT('item-', seq), seq / 4.0, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq MINUTE, TIMESTAMP '2026-01-01 00:00:00' FROM seq_1_to_2000`,
		`CREATE TABLE other (id bigint PRIMARY KEY, name varchar(40) NOT NULL, updated_at datetime(6) NOT NULL)`,
		`INSERT INTO other SELECT seq, CONCAT('o', seq), TIMESTAMP '2026-01-01 00:00:00' FROM seq_1_to_10`)
	return pg, my, p, m
}

func exec(t *testing.T, db *sqlconn.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// found lists a report's differences as "id:kind", sorted.
func found(r *Report) string {
	var out []string
	for _, d := range r.Differences {
		out = append(out, d.Key["id"]+":"+d.Kind)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func runIncr(t *testing.T, s Spec, in Incremental) *Report {
	t.Helper()
	s.Incremental = &in
	rep, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Incremental == nil || rep.Checkpoint == nil {
		t.Fatalf("incremental run left no incremental report or checkpoint: %+v", rep)
	}
	// The next run gets the checkpoint back as the state store keeps it.
	body, err := rep.Checkpoint.Encode()
	if err != nil {
		t.Fatal(err)
	}
	cp, err := DecodeCheckpoint(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cp, rep.Checkpoint) {
		t.Fatalf("checkpoint changed through its stored form")
	}
	rep.Checkpoint = cp
	return rep
}

// waitDeletes waits until PostgreSQL's statistics (flushed by the deleting
// backend within about ten seconds) show n deletes on table.
func waitDeletes(t *testing.T, db *sqlconn.DB, table string, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int64
		if err := db.QueryRowContext(context.Background(), "SELECT n_tup_del FROM pg_stat_all_tables WHERE relid = $1::regclass", table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL statistics show %d deletes on %s after 30 s, want %d", got, table, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestIncremental(t *testing.T) {
	for _, mode := range []string{"stream", "pushdown"} {
		t.Run(mode, func(t *testing.T) { testIncremental(t, mode) })
	}
	t.Run("ranges read back three per query", func(t *testing.T) {
		defer func(n int) { recheckBatch = n }(recheckBatch)
		recheckBatch = 3
		testIncremental(t, "stream")
	})
}

func testIncremental(t *testing.T, mode string) {
	pg, my, p, m := incrDBs(t)
	base := Spec{Source: pg, Sink: my, Table: "items", Mode: mode, MaxDiffs: 0}
	in := Incremental{UpdatedColumn: "updated_at", Margin: time.Minute, RangeRows: 50}

	first := runIncr(t, base, in)
	if !first.Equal || !first.Incremental.Full || first.Incremental.Ranges < 30 || first.SourceRows != 2000 || first.SinkRows != 2000 {
		t.Fatalf("first run: equal=%v full=%v ranges=%d rows=%d/%d, want an equal full check of ~40 ranges and 2000 rows",
			first.Equal, first.Incremental.Full, first.Incremental.Ranges, first.SourceRows, first.SinkRows)
	}
	cp1 := first.Checkpoint

	// Changes since the checkpoint: five updates and one insert on the
	// source only, one update on the sink only, one change replicated to
	// both (no difference), and a hard delete on the source (no
	// updated_at to see it by).
	exec(t, p,
		`UPDATE items SET name = name || '*', updated_at = now() WHERE id IN (3, 404, 1200, 1201, 1999)`,
		`INSERT INTO items VALUES (2001, 'new', 1, now(), now())`,
		`UPDATE items SET amount = 7, updated_at = timestamp '2026-11-30 10:00:00' WHERE id = 900`,
		`DELETE FROM items WHERE id = 77`)
	exec(t, m,
		`UPDATE items SET name = 'sink-edit', updated_at = NOW(6) WHERE id = 1500`,
		`UPDATE items SET amount = 7, updated_at = TIMESTAMP '2026-11-30 10:00:00' WHERE id = 900`)
	waitDeletes(t, p, "items", 1)
	want := "1200:changed 1201:changed 1500:changed 1999:changed 2001:missing 3:changed 404:changed 77:extra"

	in.Prev = cp1
	second := runIncr(t, base, in)
	x := second.Incremental
	if got := found(second); got != want {
		t.Fatalf("re-check found %q, want exactly %q", got, want)
	}
	if x.Full || x.RangesReused == 0 || x.RangesRechecked == 0 || x.RangesReused+x.RangesRechecked != x.Ranges {
		t.Fatalf("re-check: full=%v rechecked=%d reused=%d of %d, want a partial re-check", x.Full, x.RangesRechecked, x.RangesReused, x.Ranges)
	}
	if !x.RangesCounted || x.ChangedRows.Source != 8 || x.ChangedRows.Sink != 4 {
		t.Fatalf("re-check: counted=%v changed=%+v, want the source's delete statistics to trigger range counts and 8/4 changed rows (the changes, and 1999 and 2000 within the margin)", x.RangesCounted, x.ChangedRows)
	}
	if second.SourceRows != 2000 || second.SinkRows != 2000 || second.RowsRead >= 2000 {
		t.Fatalf("re-check: rows %d/%d (want 2000/2000), %d rows read (want far fewer than the table)", second.SourceRows, second.SinkRows, second.RowsRead)
	}
	full := runIncr(t, base, Incremental{UpdatedColumn: "updated_at"})
	if got := found(full); got != want {
		t.Fatalf("a full check found %q, the re-check %q", got, want)
	}

	t.Run("a hard delete on the sink needs range counts", func(t *testing.T) {
		exec(t, m, `DELETE FROM items WHERE id = 600`)
		in := in
		in.Prev = second.Checkpoint
		blind := runIncr(t, base, in)
		if strings.Contains(found(blind), "600:") || !hasText(blind.Incremental.Warnings, "hard deletes on the sink") {
			t.Fatalf("without counts: found %q, warnings %q; want the delete unseen and said so", found(blind), blind.Incremental.Warnings)
		}
		in.CountRanges = true
		counted := runIncr(t, base, in)
		if !strings.Contains(found(counted), "600:missing") || !counted.Incremental.RangesCounted {
			t.Fatalf("with --count-ranges: found %q, want 600 missing", found(counted))
		}
		exec(t, m, `INSERT INTO items SELECT 600, 'item-600', 150, TIMESTAMP '2026-01-01 10:00:00', TIMESTAMP '2026-01-01 00:00:00'`)
	})

	t.Run("the full cadence triggers", func(t *testing.T) {
		in := in
		in.Prev, in.FullEvery = second.Checkpoint, 2 // one re-check since the last full check
		if r := runIncr(t, base, in); !r.Incremental.Full || !strings.Contains(r.Incremental.Reason, "every 2 runs") || r.Checkpoint.RunsSinceFull != 0 {
			t.Fatalf("--full-every 2 after a re-check: full=%v reason %q", r.Incremental.Full, r.Incremental.Reason)
		}
		in.FullEvery, in.FullAfter = 0, time.Millisecond
		if r := runIncr(t, base, in); !r.Incremental.Full || !strings.Contains(r.Incremental.Reason, "last one") {
			t.Fatalf("--full-every 1ms: full=%v reason %q", r.Incremental.Full, r.Incremental.Reason)
		}
		in.FullAfter = time.Hour
		if r := runIncr(t, base, in); r.Incremental.Full {
			t.Fatalf("--full-every 1h a moment after a full check: full, reason %q", r.Incremental.Reason)
		}
	})

	t.Run("a stale or foreign checkpoint is not reused", func(t *testing.T) {
		in := in
		stale := *second.Checkpoint
		stale.Watermark[0] = "2099-01-01 00:00:00"
		in.Prev = &stale
		if r := runIncr(t, base, in); !r.Incremental.Full || !strings.Contains(r.Incremental.Reason, "stale watermark") {
			t.Fatalf("stale watermark: full=%v reason %q", r.Incremental.Full, r.Incremental.Reason)
		}
		in.Prev = second.Checkpoint
		other := base
		other.Table = "other"
		r := runIncr(t, other, in)
		if !r.Incremental.Full || !strings.Contains(r.Incremental.Reason, "another comparison") || !r.Equal {
			t.Fatalf("checkpoint of items used for other: full=%v reason %q equal=%v", r.Incremental.Full, r.Incremental.Reason, r.Equal)
		}
		narrower := base
		narrower.ExcludeColumns = []string{"touched_at"}
		if r := runIncr(t, narrower, in); !r.Incremental.Full || !strings.Contains(r.Incremental.Reason, "another comparison") {
			t.Fatalf("checkpoint with other columns: full=%v reason %q", r.Incremental.Full, r.Incremental.Reason)
		}
	})

	t.Run("an unindexed column is named", func(t *testing.T) {
		r := runIncr(t, base, Incremental{UpdatedColumn: "touched_at"})
		if !hasText(r.Incremental.Warnings, "source column touched_at has no index") || !hasText(r.Incremental.Warnings, "sink column touched_at has no index") {
			t.Fatalf("warnings %q, want both sides' missing index named", r.Incremental.Warnings)
		}
		if hasText(first.Incremental.Warnings, "no index") {
			t.Fatalf("indexed updated_at warned: %q", first.Incremental.Warnings)
		}
	})

	t.Run("differing ranges are re-checked until they converge", func(t *testing.T) {
		in := in
		in.Prev = second.Checkpoint
		again := runIncr(t, base, in)
		if got := found(again); got != want || again.Incremental.Full {
			t.Fatalf("second re-check found %q (full=%v), want %q again", got, again.Incremental.Full, want)
		}
		// The counts the re-check stored per range are the true ones:
		// counting every range finds no other range to re-read.
		counted := in
		counted.CountRanges = true
		if c := runIncr(t, base, counted); !c.Incremental.RangesCounted || c.Incremental.RangesRechecked != again.Incremental.RangesRechecked || found(c) != want {
			t.Fatalf("with range counts: counted=%v re-checked %d ranges (without counts %d), found %q", c.Incremental.RangesCounted, c.Incremental.RangesRechecked, again.Incremental.RangesRechecked, found(c))
		}
		// A repair that restores the old updated_at also lowers the sink's
		// largest one: the next run is a full check (stale watermark).
		exec(t, m, `UPDATE items SET name = 'item-1500', updated_at = TIMESTAMP '2026-01-02 01:00:00' WHERE id = 1500`) // repaired, old timestamp
		in.Prev = again.Checkpoint
		fixed := runIncr(t, base, in)
		if got := found(fixed); strings.Contains(got, "1500") {
			t.Fatalf("after the repair the re-check still reports 1500: %q", got)
		}
	})

	t.Run("a missing or unfit column is refused", func(t *testing.T) {
		for col, msg := range map[string]string{"nope": `column "nope" not found in source table`, "name": "is text", "updated_at:nope": `column "nope" not found in sink table`, "": "needs an updated_at column"} {
			s := base
			s.Incremental = &Incremental{UpdatedColumn: col}
			_, err := Run(context.Background(), s)
			if cdcops.ErrorCodeOf(err) != cdcops.EINVALID || !strings.Contains(err.Error(), msg) || strings.Contains(err.Error(), "\n") || cdcops.HintOf(err) == "" {
				t.Errorf("--updated-column %q: %v (hint %q), want one EINVALID line with %q and a hint", col, err, cdcops.HintOf(err), msg)
			}
		}
	})
}

// The compact range text survives keys holding its own separators.
func TestCheckpointJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	in := Checkpoint{Version: 1, Spec: "s", At: at, LastFull: at, RunsSinceFull: 2, Watermark: [2]string{"2026-12-01 10:00:00", ""}, Deletes: [2]int64{5, -1},
		Ranges: []RangeState{
			{N: [2]int64{3, 3}, Sum: [2]string{"ab", "ab"}},
			{Lo: []string{"a b", "x\n1:2"}, N: [2]int64{0, 1}, Sum: [2]string{"", "cd"}, D: true},
			{Lo: []string{"", "="}, N: [2]int64{2, 2}, Sum: [2]string{"ef", "01"}},
		}}
	in.Ranges[1].Lo[1] = "x\n1:2 \n"
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Checkpoint
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n%+v\n%+v", in, out)
	}
	enc, err := in.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range [][]byte{enc, body} {
		dec, err := DecodeCheckpoint(form)
		if err != nil || !reflect.DeepEqual(in, *dec) {
			t.Fatalf("stored form %q: %v\n%+v", form, err, dec)
		}
	}
	if err := json.Unmarshal([]byte(`{"ranges":"1 1 - - 0 1 9:ab\n"}`), &out); err == nil {
		t.Fatal("a truncated key was accepted")
	}
}

func hasText(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A composite text key: ranges are planned by key texts, the pushdown
// side's checksums come from one ordered read, and range counts (which
// need a single integer key) turn into a full check.
func TestIncrementalCompositeKey(t *testing.T) {
	pg, my := testenv.Postgres(t), testenv.MySQL(t)
	p, m := testenv.Open(t, pg), testenv.Open(t, my)
	exec(t, p, `CREATE TABLE ck (tenant text, seq int, v text NOT NULL, updated_at timestamp(6) NOT NULL, PRIMARY KEY (tenant, seq))`,
		`INSERT INTO ck SELECT 't' || (g % 4), g, 'v' || g, timestamp '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 600) g`,
		`CREATE INDEX ck_updated ON ck (updated_at)`)
	exec(t, m, `CREATE TABLE ck (tenant varchar(10), seq int, v varchar(20) NOT NULL, updated_at datetime(6) NOT NULL, PRIMARY KEY (tenant, seq), KEY ck_updated (updated_at))`,
		`INSERT INTO ck SELECT CONCAT('t', seq % 4), seq, CONCAT('v', seq), TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq MINUTE FROM seq_1_to_600`)
	base := Spec{Source: pg, Sink: my, Table: "ck", Mode: "pushdown"}
	in := Incremental{UpdatedColumn: "updated_at", Margin: time.Minute, RangeRows: 20}
	first := runIncr(t, base, in)
	if !first.Equal || first.Incremental.Ranges < 20 || !hasText(first.Notes, "one ordered read") {
		t.Fatalf("first run: equal=%v ranges=%d notes %q", first.Equal, first.Incremental.Ranges, first.Notes)
	}
	exec(t, p, `UPDATE ck SET v = 'changed', updated_at = now() WHERE tenant = 't1' AND seq = 101`)
	in.Prev = first.Checkpoint
	re := runIncr(t, base, in)
	if len(re.Differences) != 1 || re.Differences[0].Key["seq"] != "101" || re.Differences[0].Kind != Changed || re.Incremental.Full || re.Incremental.RangesReused == 0 {
		t.Fatalf("re-check: full=%v reused=%d differences %+v", re.Incremental.Full, re.Incremental.RangesReused, re.Differences)
	}
	in.CountRanges = true
	if r := runIncr(t, base, in); !r.Incremental.Full || !strings.Contains(r.Incremental.Reason, "single integer key") || len(r.Differences) != 1 {
		t.Fatalf("--count-ranges on a composite key: full=%v reason %q differences %d", r.Incremental.Full, r.Incremental.Reason, len(r.Differences))
	}
}
