package realstack

import (
	"context"
	"os/exec"
	"strconv"
)

// StartPostgresReplica makes a hot standby of primary: pg_basebackup -R
// (which writes primary_conninfo and standby.signal) into o.Dir/data, then
// the server on a free port, streaming from the primary over TCP. It
// answers queries once it has reached a consistent state; Close stops it
// (the primary keeps running).
func StartPostgresReplica(ctx context.Context, primary *Postgres, o PostgresOptions) (*Postgres, error) {
	e, err := preparePostgres(o, "pg_basebackup")
	if err != nil {
		return nil, err
	}
	// initdb's pg_hba.conf trusts replication connections from 127.0.0.1.
	cmd := exec.Command(e.tool, "-D", e.data, "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
		"-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port()), "-U", "postgres")
	asUser(cmd, e.su)
	if _, err := runTool(ctx, "pg_basebackup", cmd, e.log); err != nil {
		return nil, err
	}
	return runPostgres(ctx, e)
}
