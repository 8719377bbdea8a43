package realstack

import (
	"context"
	"fmt"
	"net"
	"time"
)

// freePort asks the kernel for a free 127.0.0.1 port. Another process may
// take it before the server binds; the server then fails to start and says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portOr returns p, or a free port when p is 0.
func portOr(p int) (int, error) {
	if p != 0 {
		return p, nil
	}
	return freePort()
}

// waitReady polls check every 200ms until it succeeds, p exits, ctx ends
// or timeout passes.
func waitReady(ctx context.Context, p *proc, timeout time.Duration, what string, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.failure(what)
		case <-ctx.Done():
			return p.failure(fmt.Sprintf("%s not ready after %s (%v)", p.name, timeout, last))
		case <-tick.C:
		}
	}
}

// PortFree reports whether nothing listens on addr ("127.0.0.1:PORT").
func PortFree(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}
