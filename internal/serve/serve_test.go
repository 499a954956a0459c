package serve

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const secret = "TOP-SECRET-CONTENT"

// site builds a demo tree plus a secret file outside it, with symlinks that
// point out of the root and one that stays inside.
func site(t *testing.T) (root string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "www")
	outside := filepath.Join(base, "private")
	files := map[string]string{
		"www/index.html":        "<!doctype html><title>demo</title>" + strings.Repeat("<p>hello</p>", 200),
		"www/app.js":            "export function main() {}\n" + strings.Repeat("console.log('x');\n", 200),
		"www/mod.mjs":           "export const a = 1;\n",
		"www/style.css":         strings.Repeat("body { margin: 0 }\n", 100),
		"www/data.json":         `{"a": [` + strings.Repeat("1, ", 300) + `1]}`,
		"www/model.wnn":         strings.Repeat("\x00\x01\x02\x03", 1000),
		"www/input.npy":         "\x93NUMPY" + strings.Repeat("\x00", 1000),
		"www/main.wasm":         "\x00asm\x01\x00\x00\x00" + strings.Repeat("\x00", 2000),
		"www/logo.svg":          "<svg xmlns='http://www.w3.org/2000/svg'/>",
		"www/pic.png":           "\x89PNG\r\n\x1a\n",
		"www/unknown.xyz":       "?",
		"www/tiny.js":           "1",
		"www/sub/index.html":    "<p>sub</p>",
		"www/empty/readme.txt":  "no index here",
		"www/.git/config":       "[core]",
		"private/secret.txt":    secret,
		"private/dir/other.txt": secret,
	}
	for name, body := range files {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"www/leak.txt":   filepath.Join(outside, "secret.txt"),
		"www/leakdir":    filepath.Join(outside, "dir"),
		"www/relleak":    "../private/secret.txt",
		"www/alias.js":   "app.js",
		"www/sub/up.css": "../style.css",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(base, filepath.FromSlash(name))); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
	return root
}

// get runs one request through h.
func get(h http.Handler, method, target string, hdr map[string]string) *http.Response {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestServeContentTypes(t *testing.T) {
	h, err := Handler(site(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, ctype, cache string
	}{
		{"/main.wasm", "application/wasm", "public, max-age=60"},
		{"/app.js", "text/javascript; charset=utf-8", "public, max-age=60"},
		{"/mod.mjs", "text/javascript; charset=utf-8", "public, max-age=60"},
		{"/data.json", "application/json", "public, max-age=60"},
		{"/model.wnn", "application/octet-stream", "public, max-age=60"},
		{"/input.npy", "application/octet-stream", "public, max-age=60"},
		{"/index.html", "text/html; charset=utf-8", "no-cache"},
		{"/style.css", "text/css; charset=utf-8", "public, max-age=60"},
		{"/logo.svg", "image/svg+xml", "public, max-age=60"},
		{"/pic.png", "image/png", "public, max-age=60"},
		{"/unknown.xyz", "application/octet-stream", "public, max-age=60"},
		{"/", "text/html; charset=utf-8", "no-cache"},
		{"/alias.js", "text/javascript; charset=utf-8", "public, max-age=60"},
	}
	for _, tc := range tests {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			res := get(h, "GET", tc.path, nil)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := res.Header.Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			if res.Header.Get("ETag") == "" || res.Header.Get("Last-Modified") == "" {
				t.Errorf("missing ETag or Last-Modified: %v", res.Header)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("missing nosniff")
			}
			// Cross-origin isolation, for threads.
			if res.Header.Get("Cross-Origin-Opener-Policy") != "same-origin" || res.Header.Get("Cross-Origin-Embedder-Policy") != "require-corp" {
				t.Errorf("COOP %q, COEP %q; want same-origin, require-corp",
					res.Header.Get("Cross-Origin-Opener-Policy"), res.Header.Get("Cross-Origin-Embedder-Policy"))
			}
		})
	}
}

func TestServeGzip(t *testing.T) {
	root := site(t)
	h, err := Handler(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, accept string
		wantGzip, wantVary bool
	}{
		{"wasm", "/main.wasm", "gzip, deflate, br", true, true},
		{"js", "/app.js", "gzip", true, true},
		{"css", "/style.css", "br;q=1.0, gzip;q=0.8", true, true},
		{"html_index", "/", "gzip", true, true},
		{"json", "/data.json", "GZIP", true, true},
		{"wnn", "/model.wnn", "*", true, true},
		{"npy", "/input.npy", "x-gzip", true, true},
		{"not_accepted", "/app.js", "br", false, true},
		{"refused_q0", "/app.js", "gzip;q=0, *", false, true},
		{"no_header", "/app.js", "", false, true},
		{"png_never", "/pic.png", "gzip", false, false},
		{"tiny_not_worth_it", "/tiny.js", "gzip", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(tc.path)))
			if tc.path == "/" {
				want, err = os.ReadFile(filepath.Join(root, "index.html"))
			}
			if err != nil {
				t.Fatal(err)
			}
			for round := range 2 { // second round is served from the cache
				res := get(h, "GET", tc.path, map[string]string{"Accept-Encoding": tc.accept})
				body, _ := io.ReadAll(res.Body)
				gz := res.Header.Get("Content-Encoding") == "gzip"
				if gz != tc.wantGzip {
					t.Fatalf("round %d: gzip %v, want %v", round, gz, tc.wantGzip)
				}
				if vary := res.Header.Get("Vary") == "Accept-Encoding"; vary != tc.wantVary {
					t.Errorf("Vary %q", res.Header.Get("Vary"))
				}
				if gz {
					if len(body) >= len(want) {
						t.Errorf("compressed %d bytes to %d", len(want), len(body))
					}
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					if body, err = io.ReadAll(zr); err != nil {
						t.Fatal(err)
					}
				}
				if !bytes.Equal(body, want) {
					t.Fatalf("round %d: body differs from file (%d vs %d bytes)", round, len(body), len(want))
				}
			}
		})
	}
	// A changed file is recompressed, not served stale from the cache.
	t.Run("cache_invalidation", func(t *testing.T) {
		p := filepath.Join(root, "data.json")
		newBody := []byte(`{"b": [` + strings.Repeat("2, ", 400) + `2]}`)
		if err := os.WriteFile(p, newBody, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, time.Now(), time.Now().Add(time.Hour))
		res := get(h, "GET", "/data.json", map[string]string{"Accept-Encoding": "gzip"})
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(zr)
		if !bytes.Equal(body, newBody) {
			t.Errorf("served stale content")
		}
	})
}

func TestServeGzipCacheBound(t *testing.T) {
	c := newGzipCache(100)
	for i := range 10 {
		c.put(gzKey{path: fmt.Sprint(i), size: 1}, make([]byte, 30))
		if c.used > 100 {
			t.Fatalf("cache holds %d bytes, limit 100", c.used)
		}
	}
	tests := []struct {
		key  string
		want bool
	}{{"9", true}, {"8", true}, {"7", true}, {"6", false}, {"0", false}}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if _, ok := c.get(gzKey{path: tc.key, size: 1}); ok != tc.want {
				t.Errorf("cached = %v, want %v", ok, tc.want)
			}
		})
	}
	c.put(gzKey{path: "9", size: 2}, make([]byte, 10))
	if _, ok := c.get(gzKey{path: "9", size: 1}); ok {
		t.Errorf("old version still cached")
	}
	c.put(gzKey{path: "huge"}, make([]byte, 101))
	if _, ok := c.get(gzKey{path: "huge"}); ok || c.used > 100 {
		t.Errorf("oversized entry cached")
	}
}

func TestServeConditional(t *testing.T) {
	h, err := Handler(site(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, accept := range []string{"", "gzip"} {
		t.Run("accept_"+accept, func(t *testing.T) {
			hdr := map[string]string{"Accept-Encoding": accept}
			first := get(h, "GET", "/app.js", hdr)
			etag := first.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			hdr["If-None-Match"] = etag
			res := get(h, "GET", "/app.js", hdr)
			if res.StatusCode != http.StatusNotModified {
				t.Fatalf("If-None-Match: status %d, want 304", res.StatusCode)
			}
			hdr["If-None-Match"] = `"something-else"`
			if res := get(h, "GET", "/app.js", hdr); res.StatusCode != 200 {
				t.Errorf("wrong ETag: status %d, want 200", res.StatusCode)
			}
			delete(hdr, "If-None-Match")
			hdr["If-Modified-Since"] = first.Header.Get("Last-Modified")
			if res := get(h, "GET", "/app.js", hdr); res.StatusCode != http.StatusNotModified {
				t.Errorf("If-Modified-Since: status %d, want 304", res.StatusCode)
			}
		})
	}
	// The gzip and identity representations have different ETags.
	a := get(h, "GET", "/app.js", nil).Header.Get("ETag")
	b := get(h, "GET", "/app.js", map[string]string{"Accept-Encoding": "gzip"}).Header.Get("ETag")
	if a == b {
		t.Errorf("identity and gzip share ETag %s", a)
	}
}

func TestServeMethods(t *testing.T) {
	h, err := Handler(site(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method string
		status int
	}{
		{"GET", 200}, {"HEAD", 200}, {"POST", 405}, {"PUT", 405}, {"DELETE", 405}, {"OPTIONS", 405}, {"PATCH", 405},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			res := get(h, tc.method, "/app.js", nil)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", res.Header.Get("Allow"))
			}
			body, _ := io.ReadAll(res.Body)
			if tc.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned a body")
			}
		})
	}
}

func TestServePaths(t *testing.T) {
	h, err := Handler(site(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		target string
		status int
		body   string // substring of the body for 200, Location for 301
	}{
		{"root_index", "/", 200, "<title>demo</title>"},
		{"sub_index", "/sub/", 200, "<p>sub</p>"},
		{"sub_redirect", "/sub", 301, "/sub/"},
		{"sub_redirect_query", "/sub?x=1", 301, "/sub/?x=1"},
		{"double_slash_redirect", "//sub", 301, "/sub/"},
		{"no_listing", "/empty/", 404, ""},
		{"missing", "/nope.js", 404, ""},
		{"symlink_inside", "/sub/up.css", 200, "margin"},
		{"dotfile", "/.git/config", 404, ""},
		{"dot_segment", "/./app.js", 404, ""},
		{"dotdot", "/../private/secret.txt", 400, ""},
		{"dotdot_inside", "/sub/../app.js", 400, ""},
		{"encoded", "/%2e%2e/private/secret.txt", 400, ""},
		{"encoded_upper", "/%2E%2E/private/secret.txt", 400, ""},
		{"encoded_slash", "/sub%2f..%2f..%2fprivate%2fsecret.txt", 400, ""},
		{"double_encoded", "/%252e%252e/private/secret.txt", 400, ""},
		{"double_encoded_slash", "/sub%252f..%252f..%252fprivate/secret.txt", 400, ""},
		{"triple_encoded", "/%25252e%25252e/private/secret.txt", 400, ""},
		{"backslash", "/..%5cprivate%5csecret.txt", 400, ""},
		{"nul", "/app.js%00.png", 400, ""},
		{"symlink_file_out", "/leak.txt", 403, ""},
		{"symlink_relative_out", "/relleak", 403, ""},
		{"symlink_dir_out", "/leakdir/other.txt", 403, ""},
		{"symlink_dir_out_listing", "/leakdir/", 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := get(h, "GET", tc.target, nil)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", res.StatusCode, tc.status, body)
			}
			if bytes.Contains(body, []byte(secret)) {
				t.Fatalf("secret leaked")
			}
			switch tc.status {
			case 200:
				if !strings.Contains(string(body), tc.body) {
					t.Errorf("body %q does not contain %q", body, tc.body)
				}
			case 301:
				if loc := res.Header.Get("Location"); loc != tc.body {
					t.Errorf("Location %q, want %q", loc, tc.body)
				}
			}
		})
	}
}

// TestServeRawRequests sends hostile request lines over a real socket, so no
// client-side URL handling can normalise them first.
func TestServeRawRequests(t *testing.T) {
	h, err := Handler(site(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	tests := []struct {
		name, target string
	}{
		{"raw_dotdot", "/../private/secret.txt"},
		{"raw_deep_dotdot", "/sub/../../private/secret.txt"},
		{"encoded", "/%2e%2e/private/secret.txt"},
		{"mixed_encoded", "/.%2e/private/secret.txt"},
		{"double_encoded", "/%252e%252e/private/secret.txt"},
		{"symlink", "/leak.txt"},
		{"absolute_form", "http://" + addr + "/../private/secret.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", tc.target, addr)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 400 && res.StatusCode != 403 && res.StatusCode != 404 {
				t.Fatalf("status %d, want 400, 403 or 404", res.StatusCode)
			}
			if bytes.Contains(body, []byte(secret)) {
				t.Fatalf("secret leaked")
			}
		})
	}
}

func TestServeHandlerRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	tests := []struct {
		name, root, msg string
	}{
		{"missing", filepath.Join(dir, "nope"), "no such file"},
		{"file", file, "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Handler(tc.root); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
}

// lineLog collects log lines and signals the first one.
type lineLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan string
	once  sync.Once
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if line, _, ok := strings.Cut(l.buf.String(), "\n"); ok {
		l.once.Do(func() { l.first <- line })
	}
	return len(p), nil
}

func TestServeListenAndServe(t *testing.T) {
	root := site(t)
	ctx, cancel := context.WithCancel(context.Background())
	logw := &lineLog{first: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", root, logw) }()
	var line string
	select {
	case line = <-logw.first:
	case err := <-done:
		t.Fatalf("ListenAndServe returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no startup line")
	}
	prefix := "Serving " + root + " at http://127.0.0.1:"
	if !strings.HasPrefix(line, prefix) || !strings.HasSuffix(line, "/") {
		t.Fatalf("startup line %q, want %q...", line, prefix)
	}
	base := strings.TrimPrefix(line, "Serving "+root+" at ")
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")

	t.Run("index", func(t *testing.T) {
		res, err := http.Get(base)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.Contains(string(body), "<title>demo</title>") {
			t.Fatalf("status %d body %.40q", res.StatusCode, body)
		}
		// Go's client asks for gzip and decodes it transparently.
		if !res.Uncompressed {
			t.Errorf("index.html was not gzip-compressed for a gzip-accepting client")
		}
	})
	t.Run("port_in_use", func(t *testing.T) {
		err := ListenAndServe(context.Background(), addr, root, nil)
		want := "cannot listen on " + addr + ": address already in use (is another server running? choose another address with --addr, e.g. --addr 127.0.0.1:9000, or make demo ADDR=127.0.0.1:9000)"
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v\nwant %s", err, want)
		}
	})
	t.Run("bad_address", func(t *testing.T) {
		err := ListenAndServe(context.Background(), "127.0.0.1:notaport", root, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "cannot listen on 127.0.0.1:notaport: ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad_root", func(t *testing.T) {
		if err := ListenAndServe(context.Background(), "127.0.0.1:0", filepath.Join(root, "nope"), nil); err == nil {
			t.Fatal("no error for a missing root")
		}
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown after cancel")
	}
	if _, err := http.Get(base); err == nil {
		t.Errorf("server still answering after shutdown")
	}
}

func TestServeTimeouts(t *testing.T) {
	srv := NewServer(http.NotFoundHandler(), nil)
	tests := []struct {
		name string
		got  time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout},
		{"ReadTimeout", srv.ReadTimeout},
		{"WriteTimeout", srv.WriteTimeout},
		{"IdleTimeout", srv.IdleTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got <= 0 {
				t.Errorf("%s is not set", tc.name)
			}
		})
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d", srv.MaxHeaderBytes)
	}
}
