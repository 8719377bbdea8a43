package debezium

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Interval is an inclusive range of transaction numbers.
type Interval struct{ Start, End int64 }

// GTIDSet is a MySQL GTID set (uuid[:tag]:1-5:7 entries joined by commas)
// or a MariaDB GTID list (domain-server-seq entries, taken as 1..seq per
// domain), kept as sorted, merged intervals per source. MariaDB sources
// are domains only, "domain <d>": MariaDB tracks GTID progress per domain,
// and Debezium 3.6 compares positions per domain, so a failover from
// 0-1-100 to 0-2-105 is 5 more transactions, not a swap (delta D4).
type GTIDSet map[string][]Interval

// ParseGTIDSet parses the gtids offset value; whitespace and newlines
// after commas (as MySQL prints them) are allowed.
func ParseGTIDSet(s string) (GTIDSet, error) {
	g := GTIDSet{}
	s = strings.TrimSpace(s)
	if s == "" {
		return g, nil
	}
	for _, elem := range strings.Split(s, ",") {
		elem = strings.TrimSpace(elem)
		if elem == "" {
			continue
		}
		if !strings.Contains(elem, ":") { // MariaDB domain-server-seq
			f := strings.Split(elem, "-")
			if len(f) != 3 {
				return nil, fmt.Errorf("GTID %q: want uuid:interval or domain-server-seq", elem)
			}
			seq, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || seq < 0 {
				return nil, fmt.Errorf("GTID %q: bad sequence number", elem)
			}
			domain, err := strconv.ParseUint(f[0], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("GTID %q: bad domain", elem)
			}
			if _, err := strconv.ParseUint(f[1], 10, 32); err != nil {
				return nil, fmt.Errorf("GTID %q: bad server id", elem)
			}
			if seq > 0 {
				g.add("domain "+strconv.FormatUint(domain, 10), Interval{1, seq})
			}
			continue
		}
		parts := strings.Split(elem, ":")
		sid := strings.ToLower(parts[0])
		if len(sid) != 36 || strings.Count(sid, "-") != 4 {
			return nil, fmt.Errorf("GTID %q: %q is not a server UUID", elem, parts[0])
		}
		tag := ""
		for _, iv := range parts[1:] {
			if iv == "" {
				return nil, fmt.Errorf("GTID %q: empty interval", elem)
			}
			if c := iv[0]; c < '0' || c > '9' { // MySQL 8.3 tagged GTIDs
				tag = ":" + strings.ToLower(iv)
				continue
			}
			lo, hi, isRange := strings.Cut(iv, "-")
			a, err := strconv.ParseInt(lo, 10, 64)
			if err != nil || a < 1 {
				return nil, fmt.Errorf("GTID %q: bad interval %q", elem, iv)
			}
			b := a
			if isRange {
				if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
					return nil, fmt.Errorf("GTID %q: bad interval %q", elem, iv)
				}
			}
			g.add(sid+tag, Interval{a, b})
		}
	}
	return g, nil
}

func (g GTIDSet) add(sid string, iv Interval) {
	ivs := append(g[sid], iv)
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start < ivs[j].Start })
	merged := ivs[:0]
	for _, x := range ivs {
		if n := len(merged); n > 0 && x.Start <= merged[n-1].End+1 {
			if x.End > merged[n-1].End {
				merged[n-1].End = x.End
			}
			continue
		}
		merged = append(merged, x)
	}
	g[sid] = merged
}

// Subtract returns the transactions in g that are not in o.
func (g GTIDSet) Subtract(o GTIDSet) GTIDSet {
	out := GTIDSet{}
	for sid, ivs := range g {
		for _, iv := range ivs {
			rest := []Interval{iv}
			for _, cut := range o[sid] {
				var next []Interval
				for _, r := range rest {
					if cut.End < r.Start || cut.Start > r.End {
						next = append(next, r)
						continue
					}
					if r.Start < cut.Start {
						next = append(next, Interval{r.Start, cut.Start - 1})
					}
					if r.End > cut.End {
						next = append(next, Interval{cut.End + 1, r.End})
					}
				}
				rest = next
			}
			for _, r := range rest {
				out.add(sid, r)
			}
		}
	}
	return out
}

// Count is the number of transactions in the set.
func (g GTIDSet) Count() int64 {
	var n int64
	for _, ivs := range g {
		for _, iv := range ivs {
			n += iv.End - iv.Start + 1
		}
	}
	return n
}

// String renders the set in MySQL's form, sources sorted.
func (g GTIDSet) String() string {
	sids := make([]string, 0, len(g))
	for sid, ivs := range g {
		if len(ivs) > 0 {
			sids = append(sids, sid)
		}
	}
	sort.Strings(sids)
	var b strings.Builder
	for i, sid := range sids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(sid)
		for _, iv := range g[sid] {
			if iv.Start == iv.End {
				fmt.Fprintf(&b, ":%d", iv.Start)
			} else {
				fmt.Fprintf(&b, ":%d-%d", iv.Start, iv.End)
			}
		}
	}
	return b.String()
}
