package dialect

import (
	"crypto/md5"
	"encoding/binary"
	"math/big"
	"math/bits"
)

// Halves returns md5(text) as two signed 64-bit integers, high then low —
// what PostgreSQL's ('x'||substr(md5(t),1,16))::bit(64)::bigint and
// MariaDB's CAST(CAST(CONV(...) AS UNSIGNED) AS SIGNED) compute.
func Halves(text []byte) (int64, int64) {
	h := md5.Sum(text)
	return int64(binary.BigEndian.Uint64(h[:8])), int64(binary.BigEndian.Uint64(h[8:]))
}

// Sum128 is an exact sum of signed 64-bit values (no overflow for any
// realistic row count), the Go twin of PostgreSQL numeric / MariaDB DECIMAL sums.
type Sum128 struct {
	hi int64
	lo uint64
}

// Add adds v exactly.
func (s *Sum128) Add(v int64) {
	lo, carry := bits.Add64(s.lo, uint64(v), 0)
	s.lo = lo
	s.hi += v>>63 + int64(carry)
}

// String is the sum in decimal, as the engines print it.
func (s Sum128) String() string {
	b := new(big.Int).SetInt64(s.hi)
	b.Lsh(b, 64)
	b.Add(b, new(big.Int).SetUint64(s.lo))
	return b.String()
}
