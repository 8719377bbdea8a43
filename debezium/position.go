package debezium

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// PGLSN formats a PostgreSQL LSN as X/Y (Lsn.asString: %X/%X).
func PGLSN(v int64) string {
	u := uint64(v)
	return fmt.Sprintf("%X/%X", u>>32, u&0xffffffff)
}

// ParsePGLSN parses X/Y into its numeric value.
func ParsePGLSN(s string) (int64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("LSN %q: want X/Y", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("LSN %q: want hex X/Y", s)
	}
	return int64(h<<32 | l), nil
}

// SQLServerLSN is a 10-byte SQL Server log sequence number.
type SQLServerLSN [10]byte

// ParseSQLServerLSN parses the 8:8:4 hex form Debezium writes
// (e.g. 0000002b:00000560:0003).
func ParseSQLServerLSN(s string) (SQLServerLSN, error) {
	var l SQLServerLSN
	parts := strings.Split(s, ":")
	if len(parts) != 3 || len(parts[0]) != 8 || len(parts[1]) != 8 || len(parts[2]) != 4 {
		return l, fmt.Errorf("SQL Server LSN %q: want 8:8:4 hex digits", s)
	}
	b, err := hex.DecodeString(parts[0] + parts[1] + parts[2])
	if err != nil {
		return l, fmt.Errorf("SQL Server LSN %q: %v", s, err)
	}
	copy(l[:], b)
	return l, nil
}

// Parts returns the virtual log file, block and slot numbers.
func (l SQLServerLSN) Parts() (vlf, block uint32, slot uint16) {
	vlf = uint32(l[0])<<24 | uint32(l[1])<<16 | uint32(l[2])<<8 | uint32(l[3])
	block = uint32(l[4])<<24 | uint32(l[5])<<16 | uint32(l[6])<<8 | uint32(l[7])
	slot = uint16(l[8])<<8 | uint16(l[9])
	return
}

func (l SQLServerLSN) String() string {
	v, b, s := l.Parts()
	return fmt.Sprintf("%08x:%08x:%04x", v, b, s)
}

// Compare orders two LSNs (-1, 0, 1).
func (l SQLServerLSN) Compare(o SQLServerLSN) int {
	for i := range l {
		if l[i] != o[i] {
			if l[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// ParseSCN parses an Oracle SCN (a numeric string; may exceed int64).
func ParseSCN(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 {
		return nil, fmt.Errorf("SCN %q: want a non-negative decimal number", s)
	}
	return n, nil
}

// Binlog is a MySQL binlog position.
type Binlog struct {
	File string
	Pos  int64
}

func (b Binlog) String() string { return fmt.Sprintf("%s:%d", b.File, b.Pos) }

// fileIndex is the numeric suffix of a binlog file name (mysql-bin.000003 → 3).
func (b Binlog) fileIndex() (int64, bool) {
	i := strings.LastIndexByte(b.File, '.')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(b.File[i+1:], 10, 64)
	return n, err == nil
}

// BinlogDelta describes how far b moved to o.
func BinlogDelta(b, o Binlog) string {
	if b.File == o.File {
		return fmt.Sprintf("%+d bytes in %s", o.Pos-b.Pos, b.File)
	}
	bi, ok1 := b.fileIndex()
	oi, ok2 := o.fileIndex()
	if ok1 && ok2 {
		return fmt.Sprintf("%+d binlog files (%s → %s), pos %d → %d", oi-bi, b.File, o.File, b.Pos, o.Pos)
	}
	return fmt.Sprintf("binlog file %s → %s, pos %d → %d", b.File, o.File, b.Pos, o.Pos)
}
