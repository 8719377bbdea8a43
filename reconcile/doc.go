// Package reconcile proves that a sink table matches its source table,
// possibly on another engine, and says exactly which rows differ and how.
//
// Every compared column is rendered to one canonical text agreed across
// engines (dialect.Format), each field length-prefixed with NULL marked
// distinctly, keys first. Two strategies compare those texts:
//
//   - stream: both sides read their rows in binary key order inside a
//     consistent snapshot and Go merge-compares the texts (exact, no hash);
//   - pushdown: the databases checksum the rows. For one integer key a
//     checksum tree: each level is one query per side returning a packed
//     digest per bucket (md5 of the bucket's rows in key order, or a typed
//     hash PostgreSQL → PostgreSQL); only differing buckets go a level
//     down, and leaves of about one row are read and merge-compared. Other
//     keys use ranges balanced by row count with count(*) plus exact sums
//     of the two 64-bit halves of md5(row).
//
// Run is the API; Report is the result, printed by Report.WriteTable or as
// JSON.
package reconcile
