package realstack

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
)

// StartPostgresReplica makes a hot standby of primary: pg_basebackup -R
// (which writes primary_conninfo and standby.signal) into o.Dir/data, then
// the server on a free port, streaming from the primary over TCP. It
// answers queries once it has reached a consistent state; Close stops it
// (the primary keeps running).
func StartPostgresReplica(ctx context.Context, primary *Postgres, o PostgresOptions) (*Postgres, error) {
	basebackup, err := findBinary("pg_basebackup", "/usr/lib/postgresql/*/bin")
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, pgHint)
	}
	postgres, err := findBinary("postgres", filepath.Dir(basebackup))
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, pgHint)
	}
	su, err := lookupServerUser("postgres")
	if err != nil {
		return nil, err
	}
	data, err := prepareDataDir(o.Dir, "data", su)
	if err != nil {
		return nil, err
	}
	port, err := portOr(o.Port)
	if err != nil {
		return nil, err
	}
	log := filepath.Join(o.Dir, "postgres.log")
	// initdb's pg_hba.conf trusts replication connections from 127.0.0.1.
	cmd := exec.Command(basebackup, "-D", data, "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
		"-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port()), "-U", "postgres")
	asUser(cmd, su)
	if _, err := runTool(ctx, "pg_basebackup", cmd, log); err != nil {
		return nil, err
	}
	return runPostgres(ctx, postgres, data, port, log, su)
}
