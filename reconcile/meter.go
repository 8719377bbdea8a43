package reconcile

import (
	"bufio"
	"context"
	"net"
	"sync/atomic"
	"time"
)

// meter counts the bytes a side's database connections move over the
// network, both ways: what the report's bytes_moved says, and what auto
// mode weighs when the link is slow.
type meter struct {
	in, out atomic.Int64
}

func (m *meter) total() int64 { return m.in.Load() + m.out.Load() }

// dial opens a TCP (or unix) connection that counts its bytes. Reads go
// through a 64 KiB buffer: one system call per buffer instead of one per
// driver read (4–8 KiB), which matters when a table streams.
func (m *meter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: 30 * time.Second}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	mc := &meteredConn{Conn: c, m: m}
	mc.r = bufio.NewReaderSize(countingReader{c, &m.in}, 64<<10)
	return mc, nil
}

type meteredConn struct {
	net.Conn
	m *meter
	r *bufio.Reader
}

func (c *meteredConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *meteredConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.m.out.Add(int64(n))
	return n, err
}

type countingReader struct {
	c net.Conn
	n *atomic.Int64
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.c.Read(p)
	r.n.Add(int64(n))
	return n, err
}
