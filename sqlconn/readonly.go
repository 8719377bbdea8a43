package sqlconn

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
)

// OpenReadOnly opens dsn for a reader that must change nothing (see
// Options.ReadOnly); PostgreSQL and MariaDB readers also run inside READ
// ONLY transactions.
func OpenReadOnly(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{ReadOnly: true})
}

// openSQLiteReadOnly opens an existing SQLite file in read-only mode: a
// mistyped path is an error, never a new empty database that compares as
// "0 rows".
func openSQLiteReadOnly(ctx context.Context, dsn string) (*DB, error) {
	path, _, _ := strings.Cut(SQLitePath(dsn), "?")
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, cdcops.Errorf(cdcops.ENOTFOUND, "check the path in the sqlite:// DSN (relative paths start at the current directory); cdcops never creates a database here",
			"SQLite database %s does not exist", path)
	case err != nil:
		return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "check the file's permissions", "SQLite database %s: %v", path, err)
	case st.IsDir():
		return nil, cdcops.Errorf(cdcops.EINVALID, "name the database file, not its directory", "SQLite database %s is a directory", path)
	}
	// A "file:" URI lets SQLite apply mode=ro; the driver still reads the
	// underscore keys from the query.
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path) + "?mode=ro&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "check the sqlite:// path", "open %s: %v", path, err)
	}
	db.SetMaxOpenConns(1)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, cdcops.Errorf(cdcops.EUNAVAILABLE, "check that the file is a SQLite database and readable", "open SQLite database %s: %s", path, oneLine(err.Error()))
	}
	return &DB{DB: db, Engine: SQLite, Name: cdcops.RedactDSN(dsn)}, nil
}
