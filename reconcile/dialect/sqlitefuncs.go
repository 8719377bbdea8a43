package dialect

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

var registerOnce sync.Once

// RegisterSQLiteFunctions adds cdcops's canonical-form, row-encoding and
// exact-sum functions to every SQLite connection opened afterwards. They
// must match the PostgreSQL and MariaDB expressions byte for byte.
func RegisterSQLiteFunctions() {
	registerOnce.Do(func() {
		must(sqlite.RegisterDeterministicScalarFunction("cdcops_dec", 2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			s, ok := a[1].(int64)
			if !ok {
				return nil, fmt.Errorf("cdcops_dec: scale must be an integer")
			}
			return DecimalText(a[0], int(s)), nil
		}))
		must(sqlite.RegisterDeterministicScalarFunction("cdcops_ts", 2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			d, _ := a[1].(int64)
			return TimestampText(a[0], int(d)), nil
		}))
		must(sqlite.RegisterDeterministicScalarFunction("cdcops_row", -1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			var b []byte
			for _, v := range a {
				b = AppendField(b, v)
			}
			return string(b), nil
		}))
		must(sqlite.RegisterFunction("cdcops_md5sum", &sqlite.FunctionImpl{
			NArgs:         2,
			Deterministic: true,
			MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) { return &md5sum{}, nil },
		}))
	})
}

func must(err error) {
	if err != nil && !strings.Contains(err.Error(), "already") {
		panic(err)
	}
}

type md5sum struct{ sum Sum128 }

func (m *md5sum) Step(_ *sqlite.FunctionContext, a []driver.Value) error {
	var text []byte
	switch v := a[0].(type) {
	case nil:
		return nil
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		text = []byte(fmt.Sprint(v))
	}
	hi, lo := Halves(text)
	if half, _ := a[1].(int64); half == 1 {
		m.sum.Add(lo)
	} else {
		m.sum.Add(hi)
	}
	return nil
}
func (m *md5sum) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return fmt.Errorf("cdcops_md5sum is not a window function")
}
func (m *md5sum) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	return m.sum.String(), nil
}
func (m *md5sum) Final(*sqlite.FunctionContext) {}

// AppendField appends one length-prefixed field: "<bytes>:<text>", or "N"
// for NULL. Digits never start with N, so NULL cannot collide with data.
func AppendField(b []byte, v driver.Value) []byte {
	var s string
	switch x := v.(type) {
	case nil:
		return append(b, 'N')
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', 15, 64)
	default:
		s = fmt.Sprint(x)
	}
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// DecimalText renders a number at a fixed scale, rounding half away from
// zero like PostgreSQL round(numeric) and MariaDB CAST AS DECIMAL, with no
// "-0". Floats go through 15 significant digits first, as PostgreSQL's
// float8 → numeric does.
func DecimalText(v driver.Value, scale int) driver.Value {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		s = strconv.FormatFloat(x, 'g', 15, 64)
	case string:
		s = strings.TrimSpace(x)
	case []byte:
		s = strings.TrimSpace(string(x))
	default:
		s = fmt.Sprint(x)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	return RoundRat(r, scale)
}

// RoundRat formats r with scale decimals, half away from zero, no -0.
func RoundRat(r *big.Rat, scale int) string {
	if scale < 0 {
		scale = 0
	}
	neg := r.Sign() < 0
	a := new(big.Rat).Abs(r)
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	a.Mul(a, new(big.Rat).SetInt(pow))
	a.Add(a, big.NewRat(1, 2))
	n := new(big.Int).Quo(a.Num(), a.Denom())
	digits := n.String()
	if n.Sign() == 0 {
		neg = false
	}
	if scale > 0 {
		for len(digits) <= scale {
			digits = "0" + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

var tsLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 -0700 MST", // Go's time.Time.String, what drivers store by default
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// TimestampText renders a SQLite date/time value (ISO text with or without
// zone, or unix seconds) in UTC at digits fractional digits, truncated;
// digits < 0 renders the date only. Unparseable text is returned as is,
// so it shows up as a difference instead of being hidden.
func TimestampText(v driver.Value, digits int) driver.Value {
	var t time.Time
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		t = x
	case int64:
		t = time.Unix(x, 0)
	case float64:
		sec, frac := math.Modf(x)
		t = time.Unix(int64(sec), int64(frac*1e9))
	case string, []byte:
		s := strings.TrimSpace(fmt.Sprint(x))
		if b, ok := x.([]byte); ok {
			s = strings.TrimSpace(string(b))
		}
		ok := false
		for _, l := range tsLayouts {
			if p, err := time.Parse(l, s); err == nil {
				t, ok = p, true
				break
			}
		}
		if !ok {
			return s
		}
	default:
		return fmt.Sprint(x)
	}
	return FormatTimestamp(t, digits)
}

// FormatTimestamp is the canonical text of an instant: UTC,
// "YYYY-MM-DD HH:MM:SS[.fff…]" truncated to digits, or the date for digits < 0.
func FormatTimestamp(t time.Time, digits int) string {
	t = t.UTC()
	if digits < 0 {
		return t.Format("2006-01-02")
	}
	s := t.Format("2006-01-02 15:04:05")
	if digits > 0 {
		frac := fmt.Sprintf("%09d", t.Nanosecond())
		s += "." + frac[:min(digits, 9)]
	}
	return s
}
