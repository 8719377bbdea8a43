package dialect

import (
	"math"
	"testing"
	"time"
)

// md5('a') in PostgreSQL: ('x'||substr(md5('a'),1,16))::bit(64)::bigint
// = 919145239626757800 (and MariaDB's CONV form gives the same).
func TestHalvesMatchTheEngines(t *testing.T) {
	hi, lo := Halves([]byte("a"))
	if hi != 919145239626757800 {
		t.Fatalf("hi = %d", hi)
	}
	// 0cc175b9c0f1b6a8 31c399e269772661: the low half is positive too.
	if lo != 0x31c399e269772661 {
		t.Fatalf("lo = %x", lo)
	}
}

func TestSum128IsExact(t *testing.T) {
	var s Sum128
	for i := 0; i < 4; i++ {
		s.Add(math.MaxInt64)
	}
	if got := s.String(); got != "36893488147419103228" {
		t.Fatalf("4×MaxInt64 = %s", got)
	}
	for i := 0; i < 8; i++ {
		s.Add(math.MinInt64)
	}
	if got := s.String(); got != "-36893488147419103236" {
		t.Fatalf("then 8×MinInt64 = %s", got)
	}
	var z Sum128
	z.Add(-5)
	z.Add(5)
	if z.String() != "0" {
		t.Fatalf("-5+5 = %s", z.String())
	}
}

func TestRoundDecimal(t *testing.T) {
	cases := []struct {
		in    string
		scale int
		want  string
	}{
		{"3.145", 2, "3.15"}, {"-3.145", 2, "-3.15"}, {"9.999", 2, "10.00"}, {"-0.004", 2, "0.00"},
		{"-0.005", 2, "-0.01"}, {"12", 2, "12.00"}, {"0.5", 0, "1"}, {"-0.4", 0, "0"}, {"1.10", 2, "1.10"},
		{".5", 1, "0.5"}, {"NaN", 2, "NaN"}, {"-0.00", 2, "0.00"}, {"99999999999999999999.995", 2, "100000000000000000000.00"},
	}
	for _, c := range cases {
		if got := string(RoundDecimal(nil, []byte(c.in), c.scale)); got != c.want {
			t.Errorf("RoundDecimal(%s, %d) = %s, want %s", c.in, c.scale, got, c.want)
		}
	}
	if got := DecimalText(0.125, 2); got != "0.13" {
		t.Errorf("DecimalText(0.125) = %v (PostgreSQL rounds the 15-digit decimal half away from zero)", got)
	}
	if got := DecimalText(-0.0001, 2); got != "0.00" {
		t.Errorf("DecimalText(-0.0001) = %v", got)
	}
}

func TestTimestampForms(t *testing.T) {
	canon := func(d int, in string) string { return string(timestampCanon(d)(nil, []byte(in))) }
	cases := []struct {
		d        int
		in, want string
	}{
		{3, "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.123"},
		{6, "2024-01-02 03:04:05.5+00", "2024-01-02 03:04:05.500000"},
		{0, "2024-01-02 03:04:05.999", "2024-01-02 03:04:05"},
		{3, "2024-01-02 03:04:05", "2024-01-02 03:04:05.000"},
		{-1, "2024-01-02 03:04:05", "2024-01-02"},
		{3, "2024-01-02", "2024-01-02 00:00:00.000"},
	}
	for _, c := range cases {
		if got := canon(c.d, c.in); got != c.want {
			t.Errorf("timestampCanon(%d, %q) = %q, want %q", c.d, c.in, got, c.want)
		}
	}
	// SQLite values: zones converted to UTC, Go's time.String form, unix seconds.
	sq := []struct {
		in   any
		d    int
		want string
	}{
		{"2024-03-01T14:00:00+02:00", 3, "2024-03-01 12:00:00.000"},
		{"2024-03-01 12:00:00.123456789 +0000 UTC", 6, "2024-03-01 12:00:00.123456"},
		{int64(0), 0, "1970-01-01 00:00:00"},
		{"garbage", 3, "garbage"},
	}
	for _, c := range sq {
		if got := TimestampText(c.in, c.d); got != c.want {
			t.Errorf("TimestampText(%v, %d) = %v, want %s", c.in, c.d, got, c.want)
		}
	}
	if got := FormatTimestamp(time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), 0); got != "2024-01-02 02:04:05" {
		t.Errorf("FormatTimestamp = %s", got)
	}
}

// The encoding never lets data imitate NULL or shift across fields.
func TestAppendField(t *testing.T) {
	enc := func(vals ...any) string {
		var b []byte
		for _, v := range vals {
			b = AppendField(b, v)
		}
		return string(b)
	}
	if enc("x0", "y") == enc("x", "0y") || enc(nil) == enc("N") || enc("") == enc(nil) || enc("1:", "") == enc("1", ":") {
		t.Fatal("ambiguous encoding")
	}
	if got := enc("ab", nil, "", int64(12)); got != "2:abN0:2:12" {
		t.Fatalf("encoding = %q", got)
	}
}
