package repair

import (
	"log/slog"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
)

// Spec says which drift to repair.
type Spec struct {
	Source, Sink     string // DSNs
	Table, SinkTable string // SinkTable defaults to Table
	Key              []string
	Columns          []string // as reconcile: "col" or "src:dst"; empty = all common columns
	ExcludeColumns   []string
	Normalize        map[string]string // column → "as=CLASS" only: the comparison class (values are written unnormalised)
	// TimestampPrecision is what the check after a fix compares at (s, ms
	// or us; default us). Drift is always read at us.
	TimestampPrecision string
	Keys               []map[string]string // the drifted keys (key column → canonical text), e.g. from a diff file
	Upsert             bool                // the engine's native upsert instead of INSERT/UPDATE
	BatchSize          int                 // keys per batch and transaction (default 200)
	Logger             *slog.Logger
}

func (s *Spec) validate() error {
	if s.Source == "" || s.Sink == "" || s.Table == "" {
		return cdcops.Errorf(cdcops.EINVALID, "pass --source DSN, --sink DSN and --table T", "repair needs a source, a sink and a table")
	}
	if s.BatchSize < 0 {
		return cdcops.Errorf(cdcops.EINVALID, "pass --batch N with N > 0", "invalid batch size %d", s.BatchSize)
	}
	if s.BatchSize == 0 {
		s.BatchSize = 200
	}
	if s.SinkTable == "" {
		s.SinkTable = s.Table
	}
	for col, opts := range s.Normalize {
		for _, o := range strings.Split(opts, ",") {
			if o = strings.TrimSpace(o); o != "" && !strings.HasPrefix(o, "as=") {
				return cdcops.Errorf(cdcops.EINVALID, "repair writes exact values; only as=CLASS is allowed in --normalize",
					"--normalize %s:%s: %q would change the values written", col, opts, o)
			}
		}
	}
	return nil
}

// reconcileSpec is the key-filtered comparison repair reads drift with:
// full timestamp precision and no normalisation, so written values are
// the source's exact values.
func (s *Spec) reconcileSpec(keys []map[string]string, sink func(reconcile.Difference)) reconcile.Spec {
	if keys == nil {
		keys = []map[string]string{}
	}
	return reconcile.Spec{
		Source: s.Source, Sink: s.Sink, Table: s.Table, SinkTable: s.SinkTable,
		Key: s.Key, Columns: s.Columns, ExcludeColumns: s.ExcludeColumns, Normalize: s.Normalize,
		TimestampPrecision: "us", Mode: "stream", Keys: keys, DiffSink: sink, Logger: s.Logger,
	}
}

// checkSpec is the comparison after a fix: the user's precision.
func (s *Spec) checkSpec(keys []map[string]string) reconcile.Spec {
	r := s.reconcileSpec(keys, nil)
	r.TimestampPrecision = s.TimestampPrecision
	return r
}
