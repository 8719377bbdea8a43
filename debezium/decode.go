package debezium

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cdcops/cdcops/connectjson"
)

// Decoded is an offset explained for people.
type Decoded struct {
	Kind     Kind    `json:"kind"`
	Guessed  bool    `json:"guessed,omitempty"` // kind inferred from the fields, not from connector.class
	Position string  `json:"position"`          // one-line summary, e.g. "LSN 0/16B3748"
	Snapshot string  `json:"snapshot,omitempty"`
	Fields   []Field `json:"fields"`
}

// Field is one offset field: its JSON text and, when cdcops knows it, a
// human reading (LSN as X/Y, a timestamp as UTC time, ...).
type Field struct {
	Name  string `json:"name"`
	Raw   string `json:"raw"`
	Human string `json:"human,omitempty"`
}

// Decode explains offset for connector class (empty when unknown: the
// kind is then guessed and marked so). A nil offset is a reset partition.
func Decode(class string, offset connectjson.Object) Decoded {
	k, guessed := Resolve(class, offset)
	d := Decoded{Kind: k, Guessed: guessed}
	for _, f := range offset {
		raw, err := connectjson.Encode(f.Value)
		if err != nil {
			raw = []byte(fmt.Sprint(f.Value))
		}
		d.Fields = append(d.Fields, Field{Name: f.Key, Raw: string(raw), Human: human(k, f.Key, f.Value)})
	}
	d.Position = position(k, offset)
	if v, ok := offset.Get("snapshot"); ok && v != nil {
		d.Snapshot = "snapshot in progress (" + fmt.Sprint(v) + ")"
		if msg := snapshotValue(v, true); msg != "" && loadsCommon(k) {
			d.Snapshot = "invalid snapshot value " + fmt.Sprint(v) + " (Debezium fails to load it)"
		}
		if c, ok := offset.Get("snapshot_completed"); ok && (c == true || c == "true") {
			d.Snapshot = "snapshot completed"
		}
	} else if v, ok := offset.Get("initsync"); ok && v == true {
		d.Snapshot = "initial sync in progress"
	}
	return d
}

func human(k Kind, name string, v any) string {
	switch {
	case strings.HasPrefix(name, "ts_"):
		if t, ok := tsField(name, v); ok {
			return t.UTC().Format(time.RFC3339Nano)
		}
	case k == Postgres && (name == "lsn" || name == "lsn_proc" || name == "lsn_commit"):
		if n, ok := v.(int64); ok {
			return PGLSN(n)
		}
	case k == MongoDB && name == "sec":
		if n, ok := v.(int64); ok {
			return time.Unix(n, 0).UTC().Format(time.RFC3339)
		}
	case k == SQLServer && (name == "commit_lsn" || name == "change_lsn"):
		if s, ok := v.(string); ok {
			if l, err := ParseSQLServerLSN(s); err == nil {
				if vlf, blk, slot, ok := l.Parts(); ok {
					return fmt.Sprintf("VLF %d, block %d, slot %d", vlf, blk, slot)
				}
				if l.IsNull() {
					return "no LSN (Debezium's NULL)"
				}
			}
		}
	case k == MySQL && name == "gtids":
		if s, ok := v.(string); ok {
			if g, err := ParseGTIDSet(s); err == nil {
				return fmt.Sprintf("%d transactions from %d sources", g.Count(), len(g))
			}
		}
	}
	return ""
}

// tsField reads ts_sec / ts_ms / ts_usec / ts_nsec as a time.
func tsField(name string, v any) (time.Time, bool) {
	n, ok := v.(int64)
	if !ok {
		return time.Time{}, false
	}
	switch {
	case strings.HasSuffix(name, "_sec"):
		return time.Unix(n, 0), true
	case strings.HasSuffix(name, "_ms"):
		return time.UnixMilli(n), true
	case strings.HasSuffix(name, "_usec"), strings.HasSuffix(name, "_us"):
		return time.UnixMicro(n), true
	case strings.HasSuffix(name, "_nsec"), strings.HasSuffix(name, "_ns"):
		return time.Unix(0, n), true
	}
	return time.Time{}, false
}

func position(k Kind, o connectjson.Object) string {
	str := func(key string) (string, bool) { v, ok := o.Get(key); s, isS := v.(string); return s, ok && isS }
	num := func(key string) (int64, bool) { v, _ := o.Get(key); return longValue(v) }
	switch k {
	case Postgres:
		if n, ok := num("lsn"); ok {
			s := fmt.Sprintf("LSN %s (%d)", PGLSN(n), n)
			if c, ok := num("lsn_commit"); ok && c != n {
				s += ", commit " + PGLSN(c)
			}
			return s
		}
	case MySQL:
		if f, ok := str("file"); ok {
			p, _ := num("pos")
			s := Binlog{f, p}.String()
			if g, ok := str("gtids"); ok {
				s += ", GTIDs " + g
			}
			return s
		}
	case SQLServer:
		if c, ok := str("commit_lsn"); ok {
			s := "commit LSN " + c
			if ch, ok := str("change_lsn"); ok {
				s += ", change LSN " + ch
			}
			return s
		}
	case MongoDB:
		if sec, ok := num("sec"); ok {
			ord, _ := num("ord")
			return fmt.Sprintf("oplog time %s #%d", time.Unix(sec, 0).UTC().Format(time.RFC3339), ord)
		}
		if _, ok := o.Get("resume_token"); ok {
			return "resume token"
		}
	case Oracle:
		if s, ok := str("scn"); ok {
			return "SCN " + s
		}
		if s, ok := str("lcr_position"); ok {
			return "LCR position " + s
		}
	}
	if o == nil {
		return "(reset)"
	}
	raw, _ := connectjson.Encode(o)
	return string(raw)
}

// longValue reads a number as OffsetUtils.longOffsetValue does: any JSON
// number (truncated) or a numeric string (delta D5, D7).
func longValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}
