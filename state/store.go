package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/sqlconn"
)

// Store is an open state database.
type Store struct {
	db *sqlconn.DB
}

// migrations are applied in order; index+1 is the schema version. Keep
// them portable across SQLite and PostgreSQL (and never edit a shipped one).
var migrations = []string{
	`CREATE TABLE reconcile_runs (
  id          %ID%,
  started     TEXT NOT NULL,
  elapsed_ms  BIGINT NOT NULL,
  source      TEXT NOT NULL,
  sink        TEXT NOT NULL,
  source_table TEXT NOT NULL,
  sink_table  TEXT NOT NULL,
  equal       INTEGER NOT NULL,
  source_rows BIGINT NOT NULL,
  sink_rows   BIGINT NOT NULL,
  missing     BIGINT NOT NULL,
  extra       BIGINT NOT NULL,
  changed     BIGINT NOT NULL,
  duplicates  BIGINT NOT NULL,
  summary     TEXT NOT NULL
)`,
	`CREATE INDEX reconcile_runs_table ON reconcile_runs (source_table, started)`,
	// Offset surgery: plans (body is the cdcops.Plan JSON), their
	// approvals, the step journal of applies/rollbacks, and the audit chain.
	`CREATE TABLE plans (
  id       TEXT PRIMARY KEY,
  created  TEXT NOT NULL,
  kind     TEXT NOT NULL,
  status   TEXT NOT NULL,
  body     TEXT NOT NULL
)`,
	`CREATE TABLE plan_approvals (
  id       %ID%,
  plan_id  TEXT NOT NULL,
  approver TEXT NOT NULL,
  at       TEXT NOT NULL,
  reason   TEXT NOT NULL,
  ticket   TEXT NOT NULL,
  UNIQUE (plan_id, approver)
)`,
	`CREATE TABLE plan_steps (
  id        %ID%,
  plan_id   TEXT NOT NULL,
  run       TEXT NOT NULL,
  connector TEXT NOT NULL,
  step      TEXT NOT NULL,
  status    TEXT NOT NULL,
  at        TEXT NOT NULL,
  detail    TEXT NOT NULL
)`,
	`CREATE INDEX plan_steps_plan ON plan_steps (plan_id, run)`,
	`CREATE TABLE audit_log (
  seq       BIGINT PRIMARY KEY,
  at        TEXT NOT NULL,
  body      TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
)`,
	// Every differing key of a reconcile run (its summary lists only the
	// first 1000), so `repair --from-run ID` can re-read them.
	`CREATE TABLE reconcile_run_keys (
  run_id   BIGINT NOT NULL,
  kind     TEXT NOT NULL,
  key_json TEXT NOT NULL
)`,
	`CREATE INDEX reconcile_run_keys_run ON reconcile_run_keys (run_id)`,
	journalKeysTable,
	journalEntriesTable,
	`CREATE INDEX journal_entries_key ON journal_entries (key_id, ts_ms)`,
	journalPositionsTable,
	journalGapsTable,
	journalRunsTable,
	journalSegmentsTable,
	checkpointsTable,
	`CREATE INDEX reconcile_checkpoints_pair ON reconcile_checkpoints (pair, id)`,
}

// CheckURL says whether url names a kind of state store cdcops supports,
// without opening (or creating) anything.
func CheckURL(url string) error {
	engine, err := sqlconn.EngineOf(url)
	if err != nil || engine == sqlconn.MySQL {
		return cdcops.Errorf(cdcops.EINVALID, "use --state sqlite://PATH or --state postgres://user@host/db",
			"unsupported state store %q", cdcops.RedactDSN(url))
	}
	return nil
}

// Open opens (creating when needed) the state store at url.
func Open(ctx context.Context, url string) (*Store, error) {
	if err := CheckURL(url); err != nil {
		return nil, err
	}
	engine, _ := sqlconn.EngineOf(url)
	if engine == sqlconn.SQLite {
		path := sqlconn.SQLitePath(url)
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "check --state points to a writable directory", "create state directory: %v", err)
			}
		}
	}
	db, err := sqlconn.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open state store: %w", err)
	}
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Name is the store's URL with any password redacted.
func (s *Store) Name() string { return s.db.Name }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS cdcops_schema_version (version INTEGER NOT NULL)"); err != nil {
		return cdcops.Errorf(cdcops.EUNAVAILABLE, "check the state store is writable", "init state schema: %v", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.db.Engine == sqlconn.Postgres {
		// Serialise concurrent first runs.
		if _, err := tx.ExecContext(ctx, "LOCK TABLE cdcops_schema_version IN EXCLUSIVE MODE"); err != nil {
			return err
		}
	}
	var version int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM cdcops_schema_version").Scan(&version); err != nil {
		return fmt.Errorf("read state schema version: %w", err)
	}
	if version > len(migrations) {
		return cdcops.Errorf(cdcops.ECONFLICT, "upgrade cdcops; a newer version wrote this state store",
			"state schema version %d is newer than this cdcops (%d)", version, len(migrations))
	}
	id, blob := "INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"
	if s.db.Engine == sqlconn.Postgres {
		id, blob = "BIGSERIAL PRIMARY KEY", "BYTEA"
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, strings.NewReplacer("%ID%", id, "%BLOB%", blob).Replace(migrations[v])); err != nil {
			return fmt.Errorf("state migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO cdcops_schema_version (version) VALUES ("+strconv.Itoa(v+1)+")"); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ph returns the i-th (1-based) placeholder for the store's engine.
func (s *Store) ph(i int) string {
	if s.db.Engine == sqlconn.Postgres {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

func (s *Store) phs(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = s.ph(i + 1)
	}
	return strings.Join(p, ", ")
}

// Checkpoint folds SQLite's write-ahead log back into the database file
// and truncates it, so a store written continuously (the journal) does
// not carry a log as large as its data. A no-op on PostgreSQL.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.db.Engine != sqlconn.SQLite {
		return nil
	}
	_, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}
