// Package sqlconn opens the three SQL engines cdcops works with from one
// DSN syntax — postgres://…, mysql://…, sqlite://PATH — through their real
// drivers (pgx, go-sql-driver/mysql, modernc.org/sqlite), and redacts
// passwords whenever a DSN is shown. The reconcile dialects, repair and the
// lab pipeline all open databases here so DSN handling exists once.
package sqlconn
