package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A checkpoint holds up to maxStoredRanges ranges, so its JSON keeps them
// in one compact text instead of an object per range (a third of the size,
// and parsed several times faster): one line per range,
//
//	<source rows> <sink rows> <source sum> <sink sum or "="> <d 0|1> <key fields> <fields…>\n
//
// space-separated, the lower bound's key fields written length-prefixed
// (len:text) as canonical keys are, so any byte may occur in a key.

type checkpointJSON struct {
	Version       int       `json:"version"`
	Spec          string    `json:"spec"`
	At            time.Time `json:"at"`
	LastFull      time.Time `json:"last_full"`
	RunsSinceFull int       `json:"runs_since_full"`
	Watermark     [2]string `json:"watermark"`
	Deletes       [2]int64  `json:"deletes"`
	Ranges        string    `json:"ranges"`
}

// MarshalJSON writes the ranges in the compact line form.
func (c Checkpoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(checkpointJSON{c.Version, c.Spec, c.At, c.LastFull, c.RunsSinceFull, c.Watermark, c.Deletes, string(c.rangeText())})
}

// Encode is the stored form: the JSON header without ranges on the first
// line, then the range lines as they are (no JSON escaping to write or
// undo: a checkpoint of 200k ranges is read and written in a few tens of
// milliseconds).
func (c Checkpoint) Encode() ([]byte, error) {
	head, err := json.Marshal(checkpointJSON{c.Version, c.Spec, c.At, c.LastFull, c.RunsSinceFull, c.Watermark, c.Deletes, ""})
	if err != nil {
		return nil, err
	}
	return append(append(head, '\n'), c.rangeText()...), nil
}

// DecodeCheckpoint reads what Encode (or MarshalJSON) wrote.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	c := &Checkpoint{}
	head, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || len(head) == 0 || head[len(head)-1] != '}' {
		return c, json.Unmarshal(b, c)
	}
	var j checkpointJSON
	if err := json.Unmarshal(head, &j); err != nil {
		return nil, err
	}
	return c, c.fromJSON(j, rest)
}

func (c Checkpoint) rangeText() []byte {
	b := make([]byte, 0, 40*len(c.Ranges))
	for _, r := range c.Ranges {
		b = strconv.AppendInt(b, r.N[0], 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, r.N[1], 10)
		b = append(b, ' ')
		b = append(b, orDash(r.Sum[0])...)
		b = append(b, ' ')
		switch {
		case r.Sum[1] == r.Sum[0] && r.Sum[1] != "":
			b = append(b, '=')
		default:
			b = append(b, orDash(r.Sum[1])...)
		}
		if r.D {
			b = append(b, " 1 "...)
		} else {
			b = append(b, " 0 "...)
		}
		b = strconv.AppendInt(b, int64(len(r.Lo)), 10)
		for _, k := range r.Lo {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(len(k)), 10)
			b = append(b, ':')
			b = append(b, k...)
		}
		b = append(b, '\n')
	}
	return b
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (c *Checkpoint) UnmarshalJSON(data []byte) error {
	var j checkpointJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	return c.fromJSON(j, []byte(j.Ranges))
}

func (c *Checkpoint) fromJSON(j checkpointJSON, text []byte) error {
	*c = Checkpoint{Version: j.Version, Spec: j.Spec, At: j.At, LastFull: j.LastFull, RunsSinceFull: j.RunsSinceFull, Watermark: j.Watermark, Deletes: j.Deletes}
	// One string for all of it: keys and sums are slices of it, so 200k
	// ranges cost a handful of allocations, not a million.
	b := string(text)
	bad := func(what string) error { return fmt.Errorf("checkpoint ranges: %s at range %d", what, len(c.Ranges)+1) }
	word := func() (string, bool) {
		i := strings.IndexAny(b, " \n")
		if i < 0 {
			return "", false
		}
		w := b[:i]
		b = b[i+1:]
		return w, true
	}
	num := func() (int64, bool) {
		w, ok := word()
		if !ok || w == "" || len(w) > 18 {
			return 0, false
		}
		var n int64
		for i := 0; i < len(w); i++ {
			if w[i] < '0' || w[i] > '9' {
				return 0, false
			}
			n = n*10 + int64(w[i]-'0')
		}
		return n, true
	}
	c.Ranges = make([]RangeState, 0, strings.Count(b, "\n"))
	var keys []string // backing array of every range's Lo
	for len(b) > 0 {
		var r RangeState
		var ok [6]bool
		r.N[0], ok[0] = num()
		r.N[1], ok[1] = num()
		var s0, s1, d string
		s0, ok[2] = word()
		s1, ok[3] = word()
		d, ok[4] = word()
		n, ok5 := num()
		ok[5] = ok5
		if ok != [6]bool{true, true, true, true, true, true} {
			return bad("malformed line")
		}
		r.Sum[0], r.Sum[1], r.D = dash(s0), dash(s1), d == "1"
		if r.Sum[1] == "=" {
			r.Sum[1] = r.Sum[0]
		}
		if n > 0 {
			if cap(keys)-len(keys) < int(n) {
				keys = make([]string, 0, max(int(n), 4096))
			}
			start := len(keys)
			for k := int64(0); k < n; k++ {
				if k > 0 {
					if b == "" || b[0] != ' ' {
						return bad("bad key")
					}
					b = b[1:]
				}
				i := strings.IndexByte(b, ':')
				if i < 0 {
					return bad("bad key")
				}
				l, err := strconv.Atoi(b[:i])
				if err != nil || l < 0 || i+1+l > len(b) {
					return bad("bad key length")
				}
				keys = append(keys, b[i+1:i+1+l])
				b = b[i+1+l:]
			}
			r.Lo = keys[start:len(keys):len(keys)]
			if b == "" || b[0] != '\n' {
				return bad("line does not end after its key")
			}
			b = b[1:]
		}
		c.Ranges = append(c.Ranges, r)
	}
	return nil
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
