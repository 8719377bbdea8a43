package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile/dialect"
)

// Incremental re-checks: a full run stores, per key range, both sides'
// row counts and checksums and the largest updated_at each side held (the
// watermark). The next run reads only the keys whose updated_at is at or
// after the watermark minus a margin, on either side, re-compares the
// ranges holding them (and those that differed last time) row by row,
// and carries the verdict of every other range over. That is sound as
// long as every change to a row sets updated_at; what it cannot see
// (hard deletes, writes that keep updated_at, rows committed later than
// the margin) the report names, detects where that is cheap, and a full
// check on a cadence catches.

// Incremental is Spec.Incremental.
type Incremental struct {
	UpdatedColumn string        // "col" or "source_col:sink_col": a date or timestamp set on every change
	Margin        time.Duration // also re-check rows this much older than the watermark (commit delay, clock skew)
	FullEvery     int           // a full check every N-th run (0 = no run limit)
	FullAfter     time.Duration // a full check when the last one is older than this (0 = no age limit)
	CountRanges   bool          // count every range on both sides each run: finds hard deletes anywhere (one key-index scan)
	RangeRows     int           // rows per stored range (default 100)
	Prev          *Checkpoint   // the last run's checkpoint of this pair; nil = none (a full check)
}

// Checkpoint is what an incremental run leaves for the next one; callers
// store it (cdcops keeps it in the state store) and hand it back as
// Incremental.Prev.
type Checkpoint struct {
	Version       int          `json:"version"`
	Spec          string       `json:"spec"` // fingerprint of what was compared; another spec's checkpoint is not reused
	At            time.Time    `json:"at"`
	LastFull      time.Time    `json:"last_full"`
	RunsSinceFull int          `json:"runs_since_full"` // incremental runs since LastFull
	Watermark     [2]string    `json:"watermark"`       // largest updated_at per side ("" = none), in the engine's text
	Deletes       [2]int64     `json:"deletes"`         // catalog delete counters per side (-1 = none kept)
	Ranges        []RangeState `json:"ranges"`
}

const checkpointVersion = 1

// RangeState is one key range of a checkpoint: [Lo, next range's Lo).
type RangeState struct {
	Lo  []string  `json:"lo,omitempty"` // canonical key texts; nil = from the first key
	N   [2]int64  `json:"n"`            // rows per side
	Sum [2]string `json:"sum"`          // checksum digest per side ("" = empty or not computed)
	D   bool      `json:"d,omitempty"`  // rows differed when last compared
}

// IncrementalReport is the report's "incremental" object: what was
// skipped, why that is sound, and when it is not.
type IncrementalReport struct {
	Full            bool      `json:"full"`   // this run compared every range
	Reason          string    `json:"reason"` // why full or incremental
	UpdatedColumn   string    `json:"updated_column"`
	MarginMS        int64     `json:"margin_ms"`
	Since           SideTexts `json:"since"`     // watermarks the changed rows were read from ("" on a full run)
	Watermark       SideTexts `json:"watermark"` // watermarks stored for the next run
	ChangedRows     SideCount `json:"changed_rows"`
	Ranges          int       `json:"ranges"`
	RangesRechecked int       `json:"ranges_rechecked"`
	RangesReused    int       `json:"ranges_reused"`
	RowsReused      int64     `json:"rows_reused"` // source rows in reused ranges
	RangesCounted   bool      `json:"ranges_counted"`
	RunsSinceFull   int       `json:"runs_since_full"`
	NextFull        string    `json:"next_full"`
	Sound           []string  `json:"sound"`
	Warnings        []string  `json:"warnings"`
}

// SideTexts is one text per side.
type SideTexts struct {
	Source string `json:"source"`
	Sink   string `json:"sink"`
}

func (in *Incremental) validate(s *Spec) error {
	if strings.TrimSpace(in.UpdatedColumn) == "" {
		return cdcops.Errorf(cdcops.EINVALID, "pass --updated-column COL naming a timestamp column every change sets, e.g. --updated-column updated_at", "--incremental needs an updated_at column")
	}
	if in.Margin < 0 || in.FullAfter < 0 || in.FullEvery < 0 || in.RangeRows < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "use --updated-margin ≥ 0 and --full-every N (runs) or a duration like 24h", "invalid incremental settings (margin %s, full every %d runs / %s)", in.Margin, in.FullEvery, in.FullAfter)
	}
	if s.Keys != nil {
		return cdcops.Errorf(cdcops.EINVALID, "compare listed keys without --incremental", "--incremental compares whole tables, not a key list")
	}
	return nil
}

// incr is the engine's incremental state for one run.
type incr struct {
	in     *Incremental
	col    [2]dialect.Column
	ct     [2]dialect.ChangeTracker
	max    [2]string // watermark now
	dels   [2]int64
	rep    *IncrementalReport
	spec   string
	full   bool
	bounds [][]byte // encoded lower bounds of ranges 1.. (Prev's plan)
}

// rechecks says whether this run re-checks from a checkpoint (so needs no
// mode measurement); false without --incremental.
func (x *incr) rechecks() bool { return x != nil && !x.full }

// incrPrepare resolves the updated_at column on both sides, reads the
// watermarks and catalog facts, and decides between a full check and a
// re-check. It runs before anything is compared, so a bad column is
// refused at once.
func (e *engine) incrPrepare(ctx context.Context) error {
	in := e.spec.Incremental
	a, b, ok := strings.Cut(in.UpdatedColumn, ":")
	if !ok {
		b = a
	}
	names := [2]string{strings.TrimSpace(a), strings.TrimSpace(b)}
	x := &incr{in: in, rep: &IncrementalReport{UpdatedColumn: in.UpdatedColumn, MarginMS: in.Margin.Milliseconds(), Sound: []string{}, Warnings: []string{}}}
	e.incr = x
	e.rep.Incremental = x.rep
	for i, s := range []*side{e.src, e.dst} {
		c, ok := s.table.Column(names[i])
		if !ok {
			return cdcops.Errorf(cdcops.EINVALID, "name a date or timestamp column that every insert and update sets, in both tables (source_col:sink_col when renamed)",
				"--updated-column: column %q not found in %s table %s", names[i], s.name, s.table.Ref)
		}
		switch c.Kind {
		case dialect.KindTimestamp, dialect.KindTimestampTZ, dialect.KindDate:
		default:
			return cdcops.Errorf(cdcops.EINVALID, "--updated-column needs a date or timestamp column",
				"--updated-column: %s column %s is %s", s.name, c.Name, c.Type)
		}
		ct, ok := s.d.(dialect.ChangeTracker)
		if !ok {
			return cdcops.Errorf(cdcops.EINVALID, "run --incremental between PostgreSQL and MariaDB/MySQL tables, or drop --incremental",
				"--incremental is not supported on the %s side (%s)", s.name, s.d.Engine())
		}
		x.col[i], x.ct[i] = c, ct
	}
	x.rep.UpdatedColumn = x.col[0].Name
	if x.col[1].Name != x.col[0].Name {
		x.rep.UpdatedColumn += ":" + x.col[1].Name
	}
	start := time.Now()
	var warns [2][]string
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range []*side{e.src, e.dst} {
		g.Go(func() error {
			var err error
			warns[i], err = e.incrFacts(gctx, i, s)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	x.rep.Warnings = append(append(x.rep.Warnings, warns[0]...), warns[1]...)
	e.log.Debug("incremental: watermarks and catalog", "source", x.max[0], "sink", x.max[1], "took", time.Since(start))
	x.spec = e.fingerprint()
	x.full, x.rep.Reason = e.incrDecide()
	x.rep.Full = x.full
	return nil
}

// incrFacts reads one side's watermark, future-dated and NULL counts,
// index and delete statistics (both sides run this at once).
func (e *engine) incrFacts(ctx context.Context, i int, s *side) ([]string, error) {
	x := e.incr
	var warns []string
	w, args := s.pred(keyRange{})
	mx, future, nulls, err := x.ct[i].MaxChanged(ctx, s.conn, s.from, w, args, x.col[i])
	s.queries.Add(1)
	if err != nil {
		return nil, s.queryErr("updated_at watermark", err)
	}
	x.max[i] = mx
	if future > 0 {
		warns = append(warns, fmt.Sprintf("%d %s rows have %s more than a day in the future; they are re-checked every run and do not move the watermark", future, s.name, x.col[i].Name))
	}
	if nulls > 0 {
		warns = append(warns, fmt.Sprintf("%d %s rows have no %s (NULL): changes to them are invisible to the re-check until the next full check", nulls, s.name, x.col[i].Name))
	}
	indexed, err := x.ct[i].LeadingIndex(ctx, s.conn, s.table.Ref, x.col[i])
	s.queries.Add(1)
	if err != nil {
		return nil, s.queryErr("index lookup", err)
	}
	if !indexed {
		warns = append(warns, fmt.Sprintf("%s column %s has no index: finding the changed rows scans the whole %s table; add one (CREATE INDEX ON %s (%s))",
			s.name, x.col[i].Name, s.name, s.table.Ref, x.col[i].Name))
	}
	x.dels[i] = -1
	if i == 0 && e.spec.SourceReplica != "" {
		// A standby's statistics do not count the deletes it replays.
		return append(warns, "the source is read from a replica, whose statistics do not count the primary's deletes: a row deleted on the source only is found by the next full check or with --count-ranges"), nil
	}
	n, ok, err := x.ct[i].Deletes(ctx, s.conn, s.table.Ref)
	s.queries.Add(1)
	if err != nil {
		return nil, s.queryErr("delete statistics", err)
	}
	if ok {
		x.dels[i] = n
	}
	return warns, nil
}

// incrDecide says whether this run must compare every range, and why.
func (e *engine) incrDecide() (bool, string) {
	x := e.incr
	p := x.in.Prev
	switch {
	case p == nil:
		return true, "no checkpoint from an earlier run of this pair: full check"
	case p.Version != checkpointVersion:
		return true, fmt.Sprintf("checkpoint format %d is not this cdcops's (%d): full check", p.Version, checkpointVersion)
	case p.Spec != x.spec:
		return true, "the checkpoint was made for another comparison (tables, columns, key, filters or updated column changed): not reused, full check"
	case len(p.Ranges) == 0:
		return true, "the checkpoint holds no ranges: full check"
	case x.in.FullEvery > 0 && p.RunsSinceFull+1 >= x.in.FullEvery:
		return true, fmt.Sprintf("full check every %d runs (%d re-checks since the last one)", x.in.FullEvery, p.RunsSinceFull)
	case x.in.FullAfter > 0 && time.Since(p.LastFull) >= x.in.FullAfter:
		return true, fmt.Sprintf("full check every %s (last one %s ago)", x.in.FullAfter, time.Since(p.LastFull).Round(time.Second))
	}
	for i, side := range []string{"source", "sink"} {
		if p.Watermark[i] == "" {
			return true, "the last run saw no " + side + " rows with " + x.col[i].Name + ": full check"
		}
		if x.max[i] == "" || x.max[i] < p.Watermark[i] && !sameTime(x.max[i], p.Watermark[i]) {
			return true, fmt.Sprintf("stale watermark: the %s's largest %s (%s) is older than the checkpoint's (%s): the table was reloaded or restored; full check",
				side, x.col[i].Name, orNone(x.max[i]), p.Watermark[i])
		}
	}
	return false, fmt.Sprintf("re-check of rows changed since the checkpoint of %s (run %d since the last full check at %s)",
		p.At.UTC().Format(time.RFC3339), p.RunsSinceFull+1, p.LastFull.UTC().Format(time.RFC3339))
}

// sameTime compares two watermark texts of one engine: equal texts, or
// equal after trailing fractional zeros.
func sameTime(a, b string) bool {
	trim := func(s string) string { return strings.TrimRight(strings.TrimRight(s, "0"), ".") }
	return trim(a) == trim(b)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// fingerprint names what this run compares: a checkpoint made for
// anything else (other tables, columns, classes, key, filters or updated
// column) must not be reused.
func (e *engine) fingerprint() string {
	type col struct {
		Src, Dst, Class   string
		Scale, TS, Digits int
		Trim, Casefold    bool
		Tolerance         float64
	}
	f := struct {
		Source, Sink, SourceTable, SinkTable string
		Keys                                 int
		Cols                                 []col
		SourceWhere, SinkWhere               string
		Updated                              [2]string
	}{e.src.db.Name, e.dst.db.Name, e.src.table.Ref.String(), e.dst.table.Ref.String(), e.p.nKeys, nil,
		e.src.where, e.dst.where, [2]string{e.incr.col[0].Name, e.incr.col[1].Name}}
	for _, cp := range e.p.cols {
		f.Cols = append(f.Cols, col{cp.Src.Name, cp.Dst.Name, cp.Format.Class.String(), cp.Format.Scale, cp.Format.TSDigits, cp.Digits,
			cp.Format.Trim, cp.Format.Casefold, cp.Tolerance})
	}
	b, _ := json.Marshal(f)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// PairID names a source/sink table pair for storing its checkpoints: the
// redacted DSNs and the tables as given.
func PairID(s Spec) string {
	sink := s.SinkTable
	if sink == "" {
		sink = s.Table
	}
	sum := sha256.Sum256([]byte(cdcops.RedactDSN(s.Source) + "\x00" + cdcops.RedactDSN(s.Sink) + "\x00" + s.Table + "\x00" + sink))
	return hex.EncodeToString(sum[:12])
}

// digest shortens a range's checksum for the checkpoint.
func digest(a agg) string {
	if a.Count == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(a.Hi + "/" + a.Lo))
	return hex.EncodeToString(sum[:6])
}

// writeTable adds the incremental lines to the human report.
func (r *IncrementalReport) writeTable(w io.Writer) {
	if r == nil {
		return
	}
	kind := "re-check"
	if r.Full {
		kind = "full check"
	}
	fmt.Fprintf(w, "incremental\t%s: %s\n", kind, r.Reason)
	fmt.Fprintf(w, "ranges\t%d re-checked, %d reused (%d source rows not read) of %d\n", r.RangesRechecked, r.RangesReused, r.RowsReused, r.Ranges)
	if !r.Full {
		fmt.Fprintf(w, "changed rows\tsource %d, sink %d (%s at or after the watermark minus %s: source %s, sink %s)\n",
			r.ChangedRows.Source, r.ChangedRows.Sink, r.UpdatedColumn, time.Duration(r.MarginMS)*time.Millisecond, r.Since.Source, r.Since.Sink)
	}
	fmt.Fprintf(w, "next full check\t%s\n", r.NextFull)
	for _, s := range r.Sound {
		fmt.Fprintf(w, "sound\t%s\n", s)
	}
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "warning\t%s\n", s)
	}
}
