package debezium

import (
	"bytes"
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

// SQLServerLSN is a SQL Server log sequence number as Debezium's Lsn holds
// it: the bytes of its hex text (10 for a real LSN), or NULL (nil bytes),
// which Debezium writes as the string "NULL" for an absent position.
type SQLServerLSN struct{ b []byte }

// ParseSQLServerLSN reads what Lsn.valueOf accepts (delta D1, D8): "NULL",
// or hex digits with any colons removed, of any even length. Debezium
// itself turns non-hex digits into garbage bytes silently; cdcops refuses
// them, since no Debezium ever wrote one.
func ParseSQLServerLSN(s string) (SQLServerLSN, error) {
	if s == "NULL" {
		return SQLServerLSN{}, nil
	}
	h := strings.ReplaceAll(s, ":", "")
	if len(h)%2 != 0 {
		return SQLServerLSN{}, fmt.Errorf("SQL Server LSN %q: odd number of hex digits (Debezium fails reading it); want 8:8:4 hex digits or \"NULL\"", s)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return SQLServerLSN{}, fmt.Errorf("SQL Server LSN %q: not hex; want 8:8:4 hex digits or \"NULL\"", s)
	}
	if b == nil {
		b = []byte{}
	}
	return SQLServerLSN{b}, nil
}

// IsNull reports the NULL LSN.
func (l SQLServerLSN) IsNull() bool { return l.b == nil }

// Parts returns the virtual log file, block and slot numbers of a 10-byte LSN.
func (l SQLServerLSN) Parts() (vlf, block uint32, slot uint16, ok bool) {
	if len(l.b) != 10 {
		return 0, 0, 0, false
	}
	b := l.b
	vlf = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	block = uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
	slot = uint16(b[8])<<8 | uint16(b[9])
	return vlf, block, slot, true
}

// String is Lsn.toString: lower-case hex, a colon after bytes 4 and 8.
func (l SQLServerLSN) String() string {
	if l.b == nil {
		return "NULL"
	}
	var sb strings.Builder
	for i, c := range l.b {
		fmt.Fprintf(&sb, "%02x", c)
		if i == 3 || i == 7 {
			sb.WriteByte(':')
		}
	}
	return sb.String()
}

// Compare orders two LSNs (-1, 0, 1) as Lsn.compareTo: NULL first, then
// byte by byte (a shorter LSN that is a prefix sorts first).
func (l SQLServerLSN) Compare(o SQLServerLSN) int {
	switch {
	case l.IsNull() && o.IsNull():
		return 0
	case l.IsNull():
		return -1
	case o.IsNull():
		return 1
	}
	return bytes.Compare(l.b, o.b)
}

// ParseSCN parses an Oracle SCN as new BigInteger(String) does: decimal
// digits with an optional sign, of any size (delta D6).
func ParseSCN(s string) (*big.Int, error) {
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return nil, fmt.Errorf("SCN %q: want a decimal number", s)
	}
	n, _ := new(big.Int).SetString(s, 10)
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
