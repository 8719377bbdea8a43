package reconcile

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Difference kinds.
const (
	Missing   = "missing"   // in the source, not in the sink
	Extra     = "extra"     // in the sink, not in the source
	Changed   = "changed"   // in both, some compared column differs
	Duplicate = "duplicate" // the key appears more than once on one side
)

// Value is a canonical column value; nil means SQL NULL.
type Value = *string

// Difference is one differing row.
type Difference struct {
	Key  map[string]string `json:"key"` // key column → canonical value
	Kind string            `json:"kind"`
	Side string            `json:"side,omitempty"` // duplicate: which side
	// Columns holds, for a changed row, each differing column's values.
	Columns map[string]ColumnDiff `json:"columns,omitempty"`
	// Source and Sink are the whole canonical rows (diff file only).
	Source map[string]Value `json:"source,omitempty"`
	Sink   map[string]Value `json:"sink,omitempty"`
}

// ColumnDiff is one differing column of a changed row.
type ColumnDiff struct {
	Source Value `json:"source"`
	Sink   Value `json:"sink"`
}

// ColumnInfo says how a column pair was compared.
type ColumnInfo struct {
	Source string `json:"source"`
	Sink   string `json:"sink"`
	As     string `json:"compared_as"`
	Scale  int    `json:"scale,omitempty"` // decimal places a decimal pair is compared at
	Key    bool   `json:"key,omitempty"`
}

// Partition is the per-partition summary of --partition-by.
type Partition struct {
	Partition  string `json:"partition"`
	SourceRows int64  `json:"source_rows"`
	SinkRows   int64  `json:"sink_rows"`
	Equal      bool   `json:"equal"`
}

// SideCount is one count per side.
type SideCount struct {
	Source int64 `json:"source"`
	Sink   int64 `json:"sink"`
}

// Report is the result of one reconciliation; its JSON form is cdcops's
// stable reconcile output schema (docs/reconcile.md).
type Report struct {
	Equal              bool             `json:"equal"`
	Source             string           `json:"source"`
	Sink               string           `json:"sink"`
	SourceTable        string           `json:"source_table"`
	SinkTable          string           `json:"sink_table"`
	Key                []string         `json:"key"`
	SourceRows         int64            `json:"source_rows"`
	SinkRows           int64            `json:"sink_rows"`
	Missing            int64            `json:"missing"`
	Extra              int64            `json:"extra"`
	Changed            int64            `json:"changed"`
	Duplicates         int64            `json:"duplicates"`
	Columns            map[string]int64 `json:"columns"`
	ElapsedMS          int64            `json:"elapsed_ms"`
	Differences        []Difference     `json:"differences"`
	StoppedEarly       bool             `json:"stopped_early"`
	Settled            int64            `json:"settled"`
	Mode               string           `json:"mode"` // stream, pushdown or mixed
	SourceMode         string           `json:"source_mode"`
	SinkMode           string           `json:"sink_mode"`
	ModeReason         string           `json:"mode_reason,omitempty"`
	TimestampPrecision string           `json:"timestamp_precision"`
	Compared           []ColumnInfo     `json:"compared_columns"`
	Queries            int              `json:"queries"`
	Ranges             int              `json:"ranges"`
	RangesDiffering    int              `json:"ranges_differing"`
	RowsRead           int64            `json:"rows_read"`
	BytesMoved         SideCount        `json:"bytes_moved"`    // what each side's connections moved over the network (both directions, protocol bytes); 0 for SQLite files
	WaitedMS           int64            `json:"waited_ms"`      // paused by the load budget (--max-load, --max-replica-lag, --rows-per-second, windows)
	Waits              []string         `json:"waits"`          // why it paused (first few)
	WindowClosed       bool             `json:"window_closed"`  // stopped because the maintenance window closed (StoppedEarly too)
	SourceReplica      *ReplicaStatus   `json:"source_replica"` // null unless read from a replica
	Partitions         []Partition      `json:"partitions"`
	Notes              []string         `json:"notes"`
	// Incremental is present with Spec.Incremental: what was re-checked,
	// what was reused and why that is sound.
	Incremental *IncrementalReport `json:"incremental,omitempty"`
	// Checkpoint is the state the next incremental run starts from (nil
	// when the run stopped early); the caller stores it.
	Checkpoint *Checkpoint `json:"-"`
}

// Total is the number of differing rows found.
func (r *Report) Total() int64 { return r.Missing + r.Extra + r.Changed + r.Duplicates }

// WriteTable prints the report for a person: a summary, per-column
// mismatch counts and the listed differences. w should be a tabwriter.
func (r *Report) WriteTable(w io.Writer) {
	verdict := "EQUAL"
	if !r.Equal {
		verdict = "DIFFERENT"
	}
	fmt.Fprintf(w, "%s\t%s → %s\n", verdict, r.SourceTable, r.SinkTable)
	fmt.Fprintf(w, "source\t%s\t%d rows\n", r.Source, r.SourceRows)
	fmt.Fprintf(w, "sink\t%s\t%d rows\n", r.Sink, r.SinkRows)
	fmt.Fprintf(w, "missing in sink\t%d\n", r.Missing)
	fmt.Fprintf(w, "extra in sink\t%d\n", r.Extra)
	fmt.Fprintf(w, "changed\t%d\n", r.Changed)
	fmt.Fprintf(w, "duplicate keys\t%d\n", r.Duplicates)
	if r.Settled > 0 {
		fmt.Fprintf(w, "converged during settle\t%d\n", r.Settled)
	}
	switch {
	case r.WindowClosed:
		fmt.Fprintf(w, "stopped early\tthe maintenance window closed; counts are lower bounds\n")
	case r.StoppedEarly:
		fmt.Fprintf(w, "stopped early\t--stop-after reached; counts are lower bounds\n")
	}
	if rs := r.SourceReplica; rs != nil {
		lag := "unknown"
		if rs.LagMS != nil {
			lag = fmt.Sprintf("%d ms at the snapshot, at most %d ms seen", *rs.LagMS, rs.MaxLagMS)
		}
		fmt.Fprintf(w, "replica\tread from %s: lag %s (%s)\n", rs.Replica, lag, rs.State)
	}
	fmt.Fprintf(w, "mode\t%s (source %s, sink %s; %s)\n", r.Mode, r.SourceMode, r.SinkMode, r.ModeReason)
	fmt.Fprintf(w, "timestamps\ttruncated to %s, UTC\n", r.TimestampPrecision)
	fmt.Fprintf(w, "elapsed\t%d ms, %d queries, %d ranges (%d differing), %d rows read\n", r.ElapsedMS, r.Queries, r.Ranges, r.RangesDiffering, r.RowsRead)
	fmt.Fprintf(w, "bytes moved\tsource %s, sink %s\n", humanBytes(r.BytesMoved.Source), humanBytes(r.BytesMoved.Sink))
	if r.WaitedMS > 0 {
		fmt.Fprintf(w, "waited\t%d ms for the load budget (%s)\n", r.WaitedMS, strings.Join(r.Waits, "; "))
	}
	if len(r.Columns) > 0 {
		cols := make([]string, 0, len(r.Columns))
		for c := range r.Columns {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		fmt.Fprintln(w, "\nCOLUMN\tMISMATCHES")
		for _, c := range cols {
			fmt.Fprintf(w, "%s\t%d\n", c, r.Columns[c])
		}
	}
	if len(r.Partitions) > 0 {
		fmt.Fprintln(w, "\nPARTITION\tSOURCE ROWS\tSINK ROWS\tEQUAL")
		for _, p := range r.Partitions {
			fmt.Fprintf(w, "%s\t%d\t%d\t%v\n", p.Partition, p.SourceRows, p.SinkRows, p.Equal)
		}
	}
	if len(r.Differences) > 0 {
		fmt.Fprintln(w, "\nKIND\tKEY\tDETAIL")
		for _, d := range r.Differences {
			fmt.Fprintf(w, "%s\t%s\t%s\n", d.Kind, keyString(d.Key, r.Key), detail(d))
		}
		if int64(len(r.Differences)) < r.Total() {
			fmt.Fprintf(w, "…\t%d more\t(raise --max-diffs, or 0 for all)\n", r.Total()-int64(len(r.Differences)))
		}
	}
	r.Incremental.writeTable(w)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note\t%s\n", n)
	}
}

func keyString(k map[string]string, order []string) string {
	parts := make([]string, 0, len(k))
	for _, name := range order {
		parts = append(parts, name+"="+k[name])
	}
	return strings.Join(parts, ",")
}

func detail(d Difference) string {
	if d.Kind == Duplicate {
		return "on " + d.Side
	}
	if d.Kind != Changed {
		return ""
	}
	cols := make([]string, 0, len(d.Columns))
	for c := range d.Columns {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("%s: %s → %s", c, show(d.Columns[c].Source), show(d.Columns[c].Sink))
	}
	return strings.Join(parts, "; ")
}

func show(v Value) string {
	if v == nil {
		return "NULL"
	}
	s := *v
	if len(s) > 40 {
		s = s[:37] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Print writes the report as cdcops reconcile does: indented JSON when
// asJSON, else the aligned human table.
func (r *Report) Print(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	r.WriteTable(tw)
	return tw.Flush()
}

// humanBytes prints a byte count the way people read it.
func humanBytes(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
