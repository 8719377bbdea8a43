package debezium

import (
	"strings"

	"github.com/cdcops/cdcops/connectjson"
)

// Compare orders two offsets of one partition by the position they name:
// -1 when after is behind before (a rewind), 0 when they name the same
// position, 1 when after moved on. known is false when the offsets carry
// no position cdcops can order; the journal then calls the change neither
// progress nor a rewind.
func Compare(class string, before, after connectjson.Object) (cmp int, known bool) {
	k, _ := Resolve(class, after)
	switch k {
	case Postgres:
		for _, f := range []string{"lsn", "lsn_proc"} {
			a, ok1 := intField(before, f)
			b, ok2 := intField(after, f)
			if ok1 && ok2 {
				return sign(b - a), true
			}
		}
	case MySQL:
		fa, ok1 := strField(before, "file")
		fb, ok2 := strField(after, "file")
		pa, ok3 := intField(before, "pos")
		pb, ok4 := intField(after, "pos")
		if !(ok1 && ok2 && ok3 && ok4) {
			break
		}
		if fa == fb {
			return sign(pb - pa), true
		}
		ia, ok1 := Binlog{File: fa}.fileIndex()
		ib, ok2 := Binlog{File: fb}.fileIndex()
		if ok1 && ok2 {
			return sign(ib - ia), true
		}
	case SQLServer:
		a, ok1 := strField(before, "commit_lsn")
		b, ok2 := strField(after, "commit_lsn")
		if !(ok1 && ok2) {
			break
		}
		la, err1 := ParseSQLServerLSN(a)
		lb, err2 := ParseSQLServerLSN(b)
		if err1 == nil && err2 == nil {
			return lb.Compare(la), true
		}
	case MongoDB:
		sa, ok1 := intField(before, "sec")
		sb, ok2 := intField(after, "sec")
		if ok1 && ok2 && sa != sb {
			return sign(sb - sa), true
		}
		oa, ok3 := intField(before, "ord")
		ob, ok4 := intField(after, "ord")
		if ok1 && ok2 && ok3 && ok4 {
			return sign(ob - oa), true
		}
	case Oracle:
		a, ok1 := strField(before, "scn")
		b, ok2 := strField(after, "scn")
		if !(ok1 && ok2) {
			break
		}
		na, err1 := ParseSCN(a)
		nb, err2 := ParseSCN(b)
		if err1 == nil && err2 == nil {
			return nb.Cmp(na), true
		}
	}
	return compareCounters(before, after)
}

// compareCounters orders offsets of connectors cdcops does not know by
// their shared integer fields, ignoring times (clocks may step back): a
// field that went down is a rewind, one that went up is progress.
func compareCounters(before, after connectjson.Object) (int, bool) {
	up, down := false, false
	for _, f := range after {
		if strings.HasPrefix(f.Key, "ts") {
			continue
		}
		b, ok1 := f.Value.(int64)
		a, ok2 := intField(before, f.Key)
		if !ok1 || !ok2 {
			continue
		}
		up = up || b > a
		down = down || b < a
	}
	switch {
	case down:
		return -1, true
	case up:
		return 1, true
	}
	return 0, !up && !down && len(after) > 0
}

func intField(o connectjson.Object, key string) (int64, bool) {
	v, ok := o.Get(key)
	n, isN := v.(int64)
	return n, ok && isN
}

func strField(o connectjson.Object, key string) (string, bool) {
	v, ok := o.Get(key)
	s, isS := v.(string)
	return s, ok && isS
}

func sign(n int64) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
