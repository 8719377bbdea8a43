package sqlconn

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"
)

// MariaDB and MySQL keep running a query whose client went away: when
// go-sql-driver sees its context end it only closes the socket, and a
// SELECT with SLEEP() or a long scan goes on using the server. So every
// MySQL connection remembers its CONNECTION_ID(), and a query whose
// context ends (timeout, Ctrl-C) is stopped with KILL QUERY from a second
// connection. PostgreSQL gets the same from pgx's cancel request (Open).

// killTimeout bounds the side connection that sends KILL QUERY.
const killTimeout = 5 * time.Second

// killConnector wraps go-sql-driver's connector.
type killConnector struct{ base driver.Connector }

func (k killConnector) Driver() driver.Driver { return k.base.Driver() }

func (k killConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := k.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	id, err := connectionID(ctx, c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &killConn{conn: c, id: id, base: k.base}, nil
}

func connectionID(ctx context.Context, c driver.Conn) (int64, error) {
	rows, err := c.(driver.QueryerContext).QueryContext(ctx, "SELECT CONNECTION_ID()", nil)
	if err != nil {
		return 0, fmt.Errorf("read the connection id: %w", err)
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return 0, fmt.Errorf("read the connection id: %w", err)
	}
	switch v := dest[0].(type) {
	case int64:
		return v, nil
	case uint64:
		return int64(v), nil
	case []byte:
		var id int64
		_, err := fmt.Sscan(string(v), &id)
		return id, err
	}
	return 0, fmt.Errorf("connection id of type %T", dest[0])
}

// killConn is a MySQL connection whose queries are killed server-side
// when their context ends. It passes every optional interface of
// go-sql-driver's connection through.
type killConn struct {
	conn driver.Conn
	id   int64
	base driver.Connector
}

// watch arms KILL QUERY for ctx; the returned stop disarms it (or waits
// for a kill already under way) and may be called more than once.
func (c *killConn) watch(ctx context.Context) func() {
	if ctx.Done() == nil {
		return func() {}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		c.kill()
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			if !stop() {
				<-fired
			}
		})
	}
}

func (c *killConn) kill() {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	side, err := c.base.Connect(ctx)
	if err != nil {
		return // the server is gone too; nothing runs there any more
	}
	defer side.Close()
	// A KILL QUERY that reaches the server before the statement started
	// there is lost (it kills nothing), so kill until the thread no longer
	// runs a query, within killTimeout.
	for ctx.Err() == nil {
		_, _ = side.(driver.ExecerContext).ExecContext(ctx, fmt.Sprintf("KILL QUERY %d", c.id), nil)
		if !stillQuerying(ctx, side, c.id) {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stillQuerying reports whether connection id runs a statement now.
func stillQuerying(ctx context.Context, side driver.Conn, id int64) bool {
	rows, err := side.(driver.QueryerContext).QueryContext(ctx,
		fmt.Sprintf("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %d AND COMMAND = 'Query'", id), nil)
	if err != nil {
		return false
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if rows.Next(dest) != nil {
		return false
	}
	switch v := dest[0].(type) {
	case int64:
		return v > 0
	case []byte:
		return string(v) != "0"
	}
	return false
}

func (c *killConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	stop := c.watch(ctx)
	rows, err := c.conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		stop()
		return nil, err
	}
	return &killRows{Rows: rows, stop: stop}, nil
}

func (c *killConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	stop := c.watch(ctx)
	defer stop()
	return c.conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *killConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }
func (c *killConn) Close() error                              { return c.conn.Close() }
func (c *killConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *killConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *killConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *killConn) Ping(ctx context.Context) error { return c.conn.(driver.Pinger).Ping(ctx) }

func (c *killConn) ResetSession(ctx context.Context) error {
	return c.conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *killConn) IsValid() bool { return c.conn.(driver.Validator).IsValid() }

func (c *killConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// killRows keeps the kill armed until the rows are closed: a streaming
// read is still a running query.
type killRows struct {
	driver.Rows
	stop func()
}

func (r *killRows) Close() error {
	err := r.Rows.Close()
	r.stop()
	return err
}

func (r *killRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err == io.EOF {
		r.stop() // the server is done with this query
	}
	return err
}

func (r *killRows) HasNextResultSet() bool {
	n, ok := r.Rows.(driver.RowsNextResultSet)
	return ok && n.HasNextResultSet()
}

func (r *killRows) NextResultSet() error {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}

func (r *killRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *killRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *killRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *killRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
