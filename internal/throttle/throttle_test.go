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

// BenchmarkProxyThroughput shows the link the proxy simulates: four
// connections at once share its 100 Mbit/s.
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
	buf := make([]byte, 4<<20)
	const conns = 4
	for range b.N {
		start := time.Now()
		done := make(chan struct{})
		for range conns {
			go func() {
				defer func() { done <- struct{}{} }()
				c, err := net.Dial("tcp", p.Addr())
				if err != nil {
					return
				}
				defer c.Close()
				c.Write(buf)
				c.(*net.TCPConn).CloseWrite()
				c.Read(make([]byte, 1))
			}()
		}
		for range conns {
			<-done
		}
		b.ReportMetric(float64(conns*len(buf))*8/time.Since(start).Seconds()/1e6, "Mbit/s")
	}
}
