package debezium

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/cdcops/cdcops/connectjson"
)

// Delta describes how an offset moved from before to after, in the terms
// of its class: LSN bytes, binlog file/pos, GTIDs added/removed, SCNs,
// times; other changed fields are listed as before → after. Either side
// may be nil (partition added or removed).
func Delta(class string, before, after connectjson.Object) []string {
	switch {
	case before == nil && after == nil:
		return nil
	case before == nil:
		return []string{"new: " + Decode(class, after).Position}
	case after == nil:
		return []string{"removed (was " + Decode(class, before).Position + ")"}
	}
	k, _ := Resolve(class, after)
	var out []string
	covered := map[string]bool{}
	num := func(o connectjson.Object, key string) (int64, bool) {
		v, _ := o.Get(key)
		return longValue(v)
	}
	str := func(o connectjson.Object, key string) (string, bool) {
		v, ok := o.Get(key)
		s, isS := v.(string)
		return s, ok && isS
	}
	switch k {
	case Postgres:
		for _, f := range []string{"lsn", "lsn_proc", "lsn_commit"} {
			a, ok1 := num(before, f)
			b, ok2 := num(after, f)
			if ok1 && ok2 {
				covered[f] = true
				if a != b {
					out = append(out, fmt.Sprintf("%s %s → %s (%+d bytes)", f, PGLSN(a), PGLSN(b), b-a))
				}
			}
		}
	case MySQL:
		fa, ok1 := str(before, "file")
		fb, ok2 := str(after, "file")
		if ok1 && ok2 {
			pa, _ := num(before, "pos")
			pb, _ := num(after, "pos")
			covered["file"], covered["pos"] = true, true
			if fa != fb || pa != pb {
				out = append(out, fmt.Sprintf("binlog %s → %s (%s)", Binlog{fa, pa}, Binlog{fb, pb}, BinlogDelta(Binlog{fa, pa}, Binlog{fb, pb})))
			}
		}
		ga, ok1 := str(before, "gtids")
		gb, ok2 := str(after, "gtids")
		if ok1 && ok2 && ga != gb {
			sa, err1 := ParseGTIDSet(ga)
			sb, err2 := ParseGTIDSet(gb)
			if err1 == nil && err2 == nil {
				covered["gtids"] = true
				if add := sb.Subtract(sa); len(add) > 0 {
					out = append(out, fmt.Sprintf("GTIDs added %s (%d transactions)", add, add.Count()))
				}
				if rem := sa.Subtract(sb); len(rem) > 0 {
					out = append(out, fmt.Sprintf("GTIDs removed %s (%d transactions)", rem, rem.Count()))
				}
			}
		}
	case SQLServer:
		for _, f := range []string{"commit_lsn", "change_lsn"} {
			a, ok1 := str(before, f)
			b, ok2 := str(after, f)
			la, err1 := ParseSQLServerLSN(a)
			lb, err2 := ParseSQLServerLSN(b)
			if ok1 && ok2 && err1 == nil && err2 == nil {
				covered[f] = true
				if a != b {
					out = append(out, fmt.Sprintf("%s %s → %s (%s)", f, a, b, direction(la.Compare(lb))))
				}
			}
		}
	case MongoDB:
		sa, ok1 := num(before, "sec")
		sb, ok2 := num(after, "sec")
		if ok1 && ok2 {
			oa, _ := num(before, "ord")
			ob, _ := num(after, "ord")
			covered["sec"], covered["ord"] = true, true
			if sa != sb || oa != ob {
				out = append(out, fmt.Sprintf("oplog time %s #%d → %s #%d (%+ds)", time.Unix(sa, 0).UTC().Format(time.RFC3339), oa,
					time.Unix(sb, 0).UTC().Format(time.RFC3339), ob, sb-sa))
			}
		}
	case Oracle:
		a, ok1 := str(before, "scn")
		b, ok2 := str(after, "scn")
		na, err1 := ParseSCN(a)
		nb, err2 := ParseSCN(b)
		if ok1 && ok2 && err1 == nil && err2 == nil {
			covered["scn"] = true
			if a != b {
				out = append(out, fmt.Sprintf("SCN %s → %s (%s)", a, b, signed(new(big.Int).Sub(nb, na))))
			}
		}
	}
	for _, f := range after {
		if covered[f.Key] {
			continue
		}
		bv, had := before.Get(f.Key)
		ra, _ := connectjson.Encode(bv)
		rb, _ := connectjson.Encode(f.Value)
		switch {
		case !had:
			out = append(out, fmt.Sprintf("%s added: %s", f.Key, rb))
		case string(ra) != string(rb):
			s := fmt.Sprintf("%s %s → %s", f.Key, ra, rb)
			if strings.HasPrefix(f.Key, "ts_") {
				ta, ok1 := tsField(f.Key, bv)
				tb, ok2 := tsField(f.Key, f.Value)
				if ok1 && ok2 {
					s = fmt.Sprintf("%s %s → %s (%s)", f.Key, ta.UTC().Format(time.RFC3339Nano), tb.UTC().Format(time.RFC3339Nano), signedDuration(tb.Sub(ta)))
				}
			}
			out = append(out, s)
		}
	}
	for _, f := range before {
		if _, ok := after.Get(f.Key); !ok && !covered[f.Key] {
			out = append(out, f.Key+" removed")
		}
	}
	return out
}

func direction(c int) string {
	switch {
	case c < 0:
		return "forward"
	case c > 0:
		return "BACKWARD"
	}
	return "same"
}

func signed(n *big.Int) string {
	if n.Sign() >= 0 {
		return "+" + n.String()
	}
	return n.String()
}

func signedDuration(d time.Duration) string {
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}
