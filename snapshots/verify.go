package snapshots

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/vault"
)

// VerifyResult says whether one stored snapshot is whole and valid.
type VerifyResult struct {
	ID       string   `json:"id"`
	OK       bool     `json:"ok"`
	Records  int      `json:"records"`
	Problems []string `json:"problems,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Verify re-reads a stored snapshot: the vault's integrity checks (file
// sha256, decryption, framing, both hashes), then every record (Check).
// Damage is reported in the result; an error means it could not be
// checked at all (vault unreachable, no identity for an encrypted file).
func Verify(ctx context.Context, v *vault.Vault, sum cdcops.SnapshotSummary) (VerifyResult, error) {
	res := VerifyResult{ID: sum.ID}
	s, problems, err := v.Integrity(ctx, sum)
	res.Problems = problems
	if err != nil {
		return res, err
	}
	if s != nil {
		res.Records = len(s.Content.Records)
		p, w := Check(s)
		res.Problems = append(res.Problems, p...)
		res.Warnings = append(res.Warnings, w...)
	}
	res.OK = len(res.Problems) == 0
	return res, nil
}

// Check validates a decoded snapshot's records: key shape and the
// Malformed flag, the connector name, flat values, per-class fields,
// partitions and offsets within the topics read, and unique keys.
func Check(s *cdcops.Snapshot) (problems, warnings []string) {
	classes := map[string]string{}
	for _, c := range s.Content.Connectors {
		classes[c.Name] = c.Class
	}
	topics := map[string]cdcops.SnapshotTopic{}
	for _, t := range s.Meta.Topics {
		topics[t.Name] = t
	}
	seen := map[string]bool{}
	for i, r := range s.Content.Records {
		where := fmt.Sprintf("record %d (%s[%d]@%d)", i, r.Topic, r.Partition, r.Offset)
		ns, _, kerr := connectjson.ParseOffsetKey(r.RawKey)
		switch {
		case kerr != nil && !r.Malformed:
			problems = append(problems, fmt.Sprintf("%s: key %q is not [string, object] but is not flagged malformed", where, clip(r.RawKey)))
		case kerr == nil && r.Malformed:
			problems = append(problems, fmt.Sprintf("%s: key is flagged malformed but parses", where))
		case kerr != nil:
			warnings = append(warnings, fmt.Sprintf("%s: malformed key %q kept raw (Connect ignores it)", where, clip(r.RawKey)))
		case ns != r.Connector:
			problems = append(problems, fmt.Sprintf("%s: connector %q does not match the key's namespace %q", where, r.Connector, ns))
		}
		if r.RawValue == nil {
			problems = append(problems, where+": a tombstone is stored (backups hold live keys only)")
		} else if kerr == nil {
			if err := debezium.ValidateRecord(classes[ns], r.RawKey, r.RawValue); err != nil {
				problems = append(problems, fmt.Sprintf("%s [%s]: %s", where, ns, flatten(err)))
			}
		}
		if t, ok := topics[r.Topic]; ok {
			if r.Partition < 0 || r.Partition >= t.Partitions {
				problems = append(problems, fmt.Sprintf("%s: partition outside 0..%d", where, t.Partitions-1))
			} else if end, ok := t.EndOffsets[r.Partition]; ok && r.Offset >= end {
				problems = append(problems, fmt.Sprintf("%s: offset at or past the end offset %d read", where, end))
			}
		} else if s.Meta.Via != "rest" {
			problems = append(problems, fmt.Sprintf("%s: topic %q is not among the topics read", where, r.Topic))
		}
		k := r.Topic + "\x00" + string(r.RawKey)
		if seen[k] {
			problems = append(problems, where+": duplicate key")
		}
		seen[k] = true
	}
	for name, body := range s.Content.REST {
		for j, o := range body.Offsets {
			if err := checkREST(classes[name], o); err != nil {
				problems = append(problems, fmt.Sprintf("rest %s entry %d: %s", name, j, flatten(err)))
			}
		}
	}
	return problems, warnings
}

func checkREST(class string, o cdcops.ConnectorOffset) error {
	pv, err := connectjson.Parse(o.Partition)
	if err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	part, ok := pv.(connectjson.Object)
	if !ok {
		return errors.New("partition is not an object")
	}
	if len(o.Offset) == 0 || string(o.Offset) == "null" {
		return nil
	}
	ov, err := connectjson.Parse(o.Offset)
	if err != nil {
		return fmt.Errorf("offset: %w", err)
	}
	off, ok := ov.(connectjson.Object)
	if !ok {
		return errors.New("offset is not an object")
	}
	return errors.Join(debezium.Validate(class, part, off)...)
}

func flatten(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}
