package throttle

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// Bytes go through unchanged in both directions, and Close cuts open
// connections.
func TestProxyForwardsBytesBothWays(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }() // echo
		}
	}()
	p, err := Start(ln.Addr().String(), Link{BitsPerSecond: 200e6, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 1<<20)
	rand.Read(want)
	go func() { c.Write(want) }()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes changed on the way")
	}
	p.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after Close")
	}
}

// BenchmarkProxyThroughput shows the link the proxy simulates.
func BenchmarkProxyThroughput(b *testing.B) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	p, _ := Start(ln.Addr().String(), Link{BitsPerSecond: 100e6, Latency: 5 * time.Millisecond})
	defer p.Close()
	buf := make([]byte, 10<<20)
	for range b.N {
		c, _ := net.Dial("tcp", p.Addr())
		start := time.Now()
		c.Write(buf)
		c.(*net.TCPConn).CloseWrite()
		c.Read(make([]byte, 1))
		b.ReportMetric(float64(len(buf))*8/time.Since(start).Seconds()/1e6, "Mbit/s")
		c.Close()
	}
}
