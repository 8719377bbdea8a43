package reconcile

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
)

// Spec says what to compare and how.
type Spec struct {
	Source, Sink         string // DSNs: postgres://…, mysql://…, sqlite://PATH
	SourceReplica        string // read the source from this replica of it instead (checked to be one; its lag is reported)
	Table, SinkTable     string // schema.table; SinkTable defaults to Table
	Key                  []string
	Columns              []string // "col" or "source_col:sink_col"; empty = all common columns
	ExcludeColumns       []string
	SourceWhere          string
	SinkWhere            string
	TimestampPrecision   string                     // s, ms or us (default us); values are truncated
	Normalize            map[string]string          // column → options, e.g. "trim,casefold", "scale=2", "digits=6", "tolerance=0.01", "as=date"
	FloatDigits          int                        // significant digits floats are compared at (default 15)
	FloatTolerance       float64                    // absolute tolerance for floats (overrides digits when > 0)
	Mode                 string                     // auto, pushdown or stream (default auto)
	SourceMode, SinkMode string                     // per-side override of Mode: auto, pushdown or stream
	MaxDiffs             int                        // differences listed in the report and sent to DiffSink; 0 = all. Counts stay exact.
	StopAfter            int                        // stop at the first difference beyond this many (counts become lower bounds, StoppedEarly); 0 = never
	Timeout              time.Duration              // whole run; 0 = none
	Settle               time.Duration              // re-check differing keys after this delay
	Keys                 []map[string]string        // compare only these keys (key column → canonical text, as in a Difference); nil = the whole table
	PartitionBy          string                     // COL:day|hour|month
	LeafRows             int                        // pushdown: ranges this small are read row by row (default 2000)
	MaxRanges            int                        // pushdown: ranges in the first pass (default 10000 for integer keys)
	MaxLoad              float64                    // pause between ranges/batches while a side's load is above this (PostgreSQL active backends, MariaDB Threads_running); 0 = no limit
	RowsPerSecond        int64                      // read at most this many rows per second per side; 0 = no limit
	MaxReplicaLag        time.Duration              // pause between ranges/batches while SourceReplica lags more than this; 0 = no limit
	LoadPoll             time.Duration              // how often a paused run re-checks the load (default 1s)
	Window               []string                   // maintenance windows (ParseWindows); outside them the run waits; none = always
	WindowEnd            string                     // when a window closes mid-run: stop (default; counts become lower bounds) or pause until the next
	Clock                Clock                      // time source of the budget's waits; nil = the real clock
	DiffSink             func(Difference)           // receives every difference found (e.g. a JSONL writer)
	Progress             func(rows, estimate int64) // called now and then: rows read so far, and the catalogs' estimate of the rows to read
	Incremental          *Incremental               // re-check only what changed since the last run's checkpoint (incremental.go)
	Logger               *slog.Logger
	SourceName, SinkName string // labels for output; default the redacted DSNs
}

func (s *Spec) tsDigits() (int, error) {
	switch s.TimestampPrecision {
	case "", "us":
		return 6, nil
	case "ms":
		return 3, nil
	case "s":
		return 0, nil
	}
	return 0, cdcops.Errorf(cdcops.EINVALID, "use --timestamp-precision s, ms or us", "invalid timestamp precision %q", s.TimestampPrecision)
}

// Validate checks the spec without opening anything, so a caller can
// refuse bad input before it creates files or connections.
func (s Spec) Validate() error { return s.validate() }

func (s *Spec) validate() error {
	if (s.Source == "" && s.SourceReplica == "") || s.Sink == "" {
		return cdcops.Errorf(cdcops.EINVALID, "pass --source DSN (or --source-replica DSN) and --sink DSN", "source and sink are required")
	}
	if err := s.validateBudget(); err != nil {
		return err
	}
	if s.Table == "" {
		return cdcops.Errorf(cdcops.EINVALID, "pass --table schema.table", "a table is required")
	}
	if s.MaxDiffs < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "use --max-diffs N with N ≥ 0 (0 = list every difference)", "invalid --max-diffs %d", s.MaxDiffs)
	}
	if s.StopAfter < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "use --stop-after N with N ≥ 1, or leave it out to count every difference", "invalid --stop-after %d", s.StopAfter)
	}
	if s.Timeout < 0 || s.Settle < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "durations are 0 or more, e.g. 30s or 5m", "negative duration (timeout %s, settle %s)", s.Timeout, s.Settle)
	}
	if s.FloatDigits < 0 || s.FloatDigits > 17 || s.FloatTolerance < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "use --float-digits 1..17 and --float-tolerance ≥ 0", "invalid float comparison (digits %d, tolerance %g)", s.FloatDigits, s.FloatTolerance)
	}
	for _, m := range []string{s.Mode, s.SourceMode, s.SinkMode} {
		switch m {
		case "", "auto", "pushdown", "stream":
		default:
			return cdcops.Errorf(cdcops.EINVALID, "use --mode auto, pushdown or stream", "invalid mode %q", m)
		}
	}
	if _, err := s.tsDigits(); err != nil {
		return err
	}
	if s.PartitionBy != "" {
		if _, _, err := s.partition(); err != nil {
			return err
		}
	}
	if s.Incremental != nil {
		if err := s.Incremental.validate(s); err != nil {
			return err
		}
	}
	for col, opts := range s.Normalize {
		if _, err := parseColumnOpts(opts); err != nil {
			return fmt.Errorf("normalization of column %s: %w", col, err)
		}
	}
	return nil
}

func (s *Spec) partition() (col string, width int, err error) {
	col, unit, ok := strings.Cut(s.PartitionBy, ":")
	widths := map[string]int{"month": 7, "day": 10, "hour": 13}
	w, known := widths[unit]
	if !ok || col == "" || !known {
		return "", 0, cdcops.Errorf(cdcops.EINVALID, "write --partition-by COLUMN:day, COLUMN:hour or COLUMN:month", "invalid --partition-by %q", s.PartitionBy)
	}
	return col, w, nil
}

// columnOpts are the per-column normalisation options.
type columnOpts struct {
	Trim, Casefold bool
	Scale          int // -1 = unset
	Digits         int // float significant digits; 0 = unset
	Tolerance      float64
	As             string // force a class: text, date, timestamp, decimal, int, bool, uuid, json, float
}

func parseColumnOpts(s string) (columnOpts, error) {
	o := columnOpts{Scale: -1}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		k, v, _ := strings.Cut(part, "=")
		var err error
		switch k {
		case "":
		case "trim":
			o.Trim = true
		case "casefold":
			o.Casefold = true
		case "scale":
			o.Scale, err = strconv.Atoi(v)
		case "digits":
			o.Digits, err = strconv.Atoi(v)
		case "tolerance":
			o.Tolerance, err = strconv.ParseFloat(v, 64)
		case "as":
			if _, ok := classByName[v]; !ok {
				err = fmt.Errorf("unknown class %q", v)
			}
			o.As = v
		default:
			err = fmt.Errorf("unknown option %q", k)
		}
		if err != nil {
			return o, cdcops.Errorf(cdcops.EINVALID, "options are trim, casefold, scale=N, digits=N, tolerance=X, as=text|date|timestamp|decimal|int|bool|uuid|json|float",
				"invalid normalization %q: %v", part, err)
		}
	}
	return o, nil
}
