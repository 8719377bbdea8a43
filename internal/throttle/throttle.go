package throttle

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Link is the shape of the simulated network.
type Link struct {
	// BitsPerSecond is per direction, shared by every connection through
	// the proxy (one wire to the database, as a real link is); 0 = unlimited.
	BitsPerSecond int64
	Latency       time.Duration // one way
}

// wire is one direction of the simulated link.
type wire struct {
	mu   sync.Mutex
	free time.Time // when the wire is free again
}

// reserve books n bytes on the wire and says when they are through.
func (w *wire) reserve(n int, bps int64) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now := time.Now(); w.free.Before(now) {
		w.free = now
	}
	w.free = w.free.Add(time.Duration(int64(n) * 8 * int64(time.Second) / bps))
	return w.free
}

// Proxy forwards connections from its listener to a target address.
type Proxy struct {
	ln     net.Listener
	target string
	link   Link
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
	moved  atomic.Int64
	up     wire // client → target
	down   wire // target → client
}

// Bytes is what the proxy forwarded so far, both directions.
func (p *Proxy) Bytes() int64 { return p.moved.Load() }

// Start listens on a free loopback port and forwards to target.
func Start(target string, link Link) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, link: link, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's "host:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting and cuts every open connection.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

func (p *Proxy) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.track(client, true)
	p.track(server, true)
	defer func() {
		p.track(client, false)
		p.track(server, false)
		client.Close()
		server.Close()
	}()
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client, &p.up); done <- struct{}{} }()
	go func() { p.pipe(client, server, &p.down); done <- struct{}{} }()
	<-done // either side closing ends both
}

type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each chunk delivered Latency after it was read
// and no faster than the shared wire w allows.
func (p *Proxy) pipe(dst, src net.Conn, w *wire) {
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{buf[:n], time.Now().Add(p.link.Latency)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		if p.link.BitsPerSecond > 0 {
			if d := time.Until(w.reserve(len(c.data), p.link.BitsPerSecond)); d > 2*time.Millisecond {
				time.Sleep(d) // small debts wait for the next chunk: sleeps are coarse
			}
		}
		p.moved.Add(int64(len(c.data)))
		if _, err := dst.Write(c.data); err != nil {
			if !errors.Is(err, net.ErrClosed) {
				src.Close()
			}
			for range q { // drain so the reader ends
			}
			return
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}
