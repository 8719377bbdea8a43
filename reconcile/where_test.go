package reconcile

import (
	"context"
	"testing"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/internal/testenv"
)

// A --where is spliced into the readers' queries. A second statement in it
// must be refused by the database, never run: on MariaDB a DROP would
// implicitly commit the READ ONLY snapshot and go through. The run fails
// as a usage error and the table is still there.
func TestWhereCannotSmuggleAStatement(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		engine, dsn, where string
	}{
		{"mariadb", testenv.MySQL(t), "1=1); DROP TABLE victim; SELECT (1"},
		{"postgres", testenv.Postgres(t), "1=1); COMMIT; DROP TABLE victim; SELECT (1"},
	} {
		t.Run(c.engine, func(t *testing.T) {
			db := testenv.Open(t, c.dsn)
			for _, q := range []string{
				"CREATE TABLE a (id int PRIMARY KEY, v int)",
				"CREATE TABLE b (id int PRIMARY KEY, v int)",
				"CREATE TABLE victim (x int)",
				"INSERT INTO a VALUES (1, 1)",
				"INSERT INTO b VALUES (1, 1)",
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			for _, mode := range []string{"stream", "pushdown"} {
				_, err := Run(ctx, Spec{Source: c.dsn, Sink: c.dsn, Table: "a", SinkTable: "b", SourceWhere: c.where, SinkWhere: c.where, Mode: mode})
				if err == nil {
					t.Fatalf("%s: a --where with a second statement ran", mode)
				}
				if code := cdcops.ErrorCodeOf(err); code != cdcops.EINVALID {
					t.Errorf("%s: error code %s, want %s (usage): %v", mode, code, cdcops.EINVALID, err)
				}
				if _, err := db.ExecContext(ctx, "SELECT count(*) FROM victim"); err != nil {
					t.Fatalf("%s: the table a --where named in a DROP is gone: %v", mode, err)
				}
			}
		})
	}
}
