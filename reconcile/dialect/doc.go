// Package dialect holds everything cdcops's reconciliation engine says to a
// particular SQL engine: catalog discovery (columns, types, primary key),
// identifier quoting, the canonical text of each column class, the
// length-prefixed row encoding, the exact 128-bit md5 sum aggregate, key
// ordering in binary collation and consistent-snapshot transactions. The
// engine above it never writes engine-specific SQL.
package dialect
