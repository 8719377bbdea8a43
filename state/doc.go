// Package state is cdcops's own durable state: a SQLite file by default
// (sqlite://./.cdcops/state.db), PostgreSQL for teams (postgres://…). The
// schema is created and migrated on first use and versioned in
// cdcops_schema_version. Each kind of record (reconcile runs now; plans,
// approvals and audit later) has its own file of methods on Store.
package state
