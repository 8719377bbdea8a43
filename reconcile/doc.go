// Package reconcile proves that a sink table matches its source table,
// possibly on another engine, and says exactly which rows differ and how.
//
// Every compared column is rendered to one canonical text agreed across
// engines (dialect.Format), each field length-prefixed with NULL marked
// distinctly, keys first. Two strategies compare those texts:
//
//   - stream: both sides read their rows in binary key order inside a
//     consistent snapshot and Go merge-compares the texts (exact, no hash);
//   - pushdown: both sides compute count(*) plus exact sums of the two
//     64-bit halves of md5(row) per key range, ranges balanced by row count;
//     only mismatching ranges are read and merge-compared.
//
// Run is the API; Report is the result, printed by Report.WriteTable or as
// JSON.
package reconcile
