// Package benchdata generates the reconciliation benchmark's tables: a
// deterministic N-row table (bigint key, text, text, numeric(12,2),
// timestamp(6), boolean, nullable int) loaded into PostgreSQL with COPY
// and into MariaDB with LOAD DATA LOCAL INFILE, plus a variant with a known
// set of scattered differences. Tables are kept in a dedicated database and
// reused when already generated, so benchmark reruns are fast.
package benchdata
