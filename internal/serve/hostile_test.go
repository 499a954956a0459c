package serve

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer serves site(t) with NewServer's settings, readHeader replacing
// ReadHeaderTimeout when non-zero, and returns the address.
func startServer(t *testing.T, readHeader time.Duration) string {
	t.Helper()
	h, err := Handler(site(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, nil)
	if readHeader > 0 {
		srv.ReadHeaderTimeout = readHeader
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestServeOversizedHeaders sends request headers beyond MaxHeaderBytes: the
// server must answer 431 without serving anything.
func TestServeOversizedHeaders(t *testing.T) {
	addr := startServer(t, 0)
	for _, tc := range []struct {
		name  string
		bytes int
		want  int
	}{
		{"within_limit", MaxHeaderBytes / 2, 200},
		{"twice_the_limit", 2 * MaxHeaderBytes, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "GET /app.js HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\nConnection: close\r\n\r\n", strings.Repeat("a", tc.bytes))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
}

// TestServeSlowClient trickles a request header and never finishes it: the
// server must drop the connection after ReadHeaderTimeout, and serve other
// clients meanwhile.
func TestServeSlowClient(t *testing.T) {
	const timeout = 300 * time.Millisecond
	addr := startServer(t, timeout)
	slow, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	done := make(chan time.Duration, 1)
	go func() {
		// One header byte every 50ms: each write is well within any
		// per-read deadline, only the total header time is bounded.
		for _, c := range []byte("GET /app.js HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 1000)) {
			if _, err := slow.Write([]byte{c}); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		done <- time.Since(start)
	}()
	res, err := http.Get("http://" + addr + "/app.js")
	if err != nil {
		t.Fatalf("another client: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("another client got status %d", res.StatusCode)
	}
	select {
	case d := <-done:
		if d > 20*timeout {
			t.Fatalf("the slow client was dropped after %v, ReadHeaderTimeout is %v", d, timeout)
		}
	case <-time.After(20 * timeout):
		t.Fatalf("the slow client is still connected after %v (ReadHeaderTimeout %v)", 20*timeout, timeout)
	}
}
