// Package serve is the static file server behind `wasmnn serve`, which hosts
// the browser demo (HTML, JavaScript, the .wasm module, .wnn models).
//
// Behaviour:
//
//   - Only GET and HEAD are allowed; other methods get 405 with an Allow
//     header.
//   - Paths are checked before any file access: a ".." segment (also when
//     percent-encoded once or twice, e.g. %2e%2e or %252e%252e), a backslash
//     or a NUL byte gives 400; a segment starting with "." (dotfiles such as
//     .git) gives 404. The file is then resolved with all symlinks followed
//     and must lie inside the root, else 403.
//   - Directories are never listed: a directory request serves its
//     index.html if there is one, else 404. A directory path without a
//     trailing slash is redirected (301) to the path with one, so relative
//     links in index.html work.
//   - Content types come from a fixed table (not the system MIME database),
//     e.g. .wasm application/wasm, .js text/javascript, .wnn and .npy
//     application/octet-stream; unknown extensions are
//     application/octet-stream. X-Content-Type-Options is nosniff.
//   - Text-like and model files (.wasm, .js, .mjs, .css, .html, .json, .svg,
//     .txt, .map, .wnn, .npy) are sent gzip-compressed when the client accepts
//     gzip, with Vary: Accept-Encoding. Compressed bytes are cached in memory
//     keyed by path, modification time and size (bounded LRU, see
//     GzipCacheBytes); files larger than MaxGzipFileBytes are sent as they are.
//   - Caching: every response has an ETag (from size and modification time;
//     the gzip variant has its own) and Last-Modified, and conditional and
//     range requests are answered by http.ServeContent (304, 206). HTML is
//     sent with Cache-Control: no-cache (always revalidated, so a rebuilt
//     demo shows up on reload); everything else with
//     Cache-Control: public, max-age=60 (short, as this is a development
//     server and .wasm or .wnn files change when rebuilt).
//   - Every response is sent with Cross-Origin-Opener-Policy: same-origin and
//     Cross-Origin-Embedder-Policy: require-corp, which make the pages
//     cross-origin isolated: browsers then allow the SharedArrayBuffer
//     memory that wasmnn's threads need (see js/README.md, "Threads").
package serve

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MaxGzipFileBytes is the largest file that is compressed; larger files are
// sent uncompressed.
const MaxGzipFileBytes = 32 << 20

// GzipCacheBytes bounds the total size of cached compressed files.
const GzipCacheBytes = 128 << 20

// Server timeouts and limits used by ListenAndServe.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 2 * time.Minute
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
	ShutdownTimeout   = 5 * time.Second
)

// contentTypes maps lower-case extensions to Content-Type values.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".htm":   "text/html; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".wasm":  "application/wasm",
	".wnn":   "application/octet-stream",
	".npy":   "application/octet-stream",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".ico":   "image/x-icon",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/markdown; charset=utf-8",
	".woff2": "font/woff2",
}

// compressible lists the extensions sent gzip-compressed when accepted.
var compressible = map[string]bool{
	".html": true, ".htm": true, ".css": true, ".js": true, ".mjs": true, ".json": true, ".map": true,
	".wasm": true, ".wnn": true, ".npy": true, ".svg": true, ".txt": true, ".md": true,
}

// ContentType returns the Content-Type the server sends for a file name.
func ContentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(filepath.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// handler serves files below root.
type handler struct {
	root string // absolute, symlinks resolved
	gz   *gzipCache
}

// Handler returns an http.Handler serving the files below root, which must
// be an existing directory.
func Handler(root string) (http.Handler, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("directory %q: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("directory %q: %w", root, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("directory %q: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%q is not a directory", root)
	}
	return &handler{root: real, gz: newGzipCache(GzipCacheBytes)}, nil
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
	w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	urlPath := r.URL.Path
	if status := checkPath(r.URL); status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	rel := path.Clean(urlPath)
	full, status := h.resolve(rel)
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	fi, err := os.Stat(full)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	name := path.Base(rel)
	if fi.IsDir() {
		if !strings.HasSuffix(urlPath, "/") {
			target := rel + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		full, status = h.resolve(path.Join(rel, "index.html"))
		if status != 0 {
			http.Error(w, http.StatusText(status), status)
			return
		}
		name = "index.html"
	}
	h.serveFile(w, r, full, name)
}

// checkPath returns 400 for paths that try to leave the root (".." segments,
// also after one or two more rounds of percent-decoding), backslashes and NUL
// bytes; 404 for dotfile segments; and 0 for acceptable paths.
func checkPath(u *url.URL) int {
	p := u.Path
	if p == "" || p[0] != '/' {
		return http.StatusBadRequest
	}
	// u.Path is decoded once already; decode up to two more times to catch
	// double and triple encodings meant to fool a later decoding step.
	forms := []string{p, u.EscapedPath()}
	for s, i := p, 0; i < 2 && strings.Contains(s, "%"); i++ {
		d, err := url.PathUnescape(s)
		if err != nil {
			break
		}
		forms = append(forms, d)
		s = d
	}
	for _, f := range forms {
		if strings.ContainsAny(f, "\\\x00") {
			return http.StatusBadRequest
		}
		for _, seg := range strings.Split(f, "/") {
			if seg == ".." {
				return http.StatusBadRequest
			}
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return http.StatusNotFound
		}
	}
	return 0
}

// resolve maps a cleaned URL path to a real file path inside the root, with
// symlinks resolved. It returns a status of 404 if the file does not exist
// and 403 if it resolves outside the root.
func (h *handler) resolve(rel string) (string, int) {
	full := filepath.Join(h.root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", http.StatusNotFound
	}
	if real != h.root && !strings.HasPrefix(real, h.root+string(filepath.Separator)) {
		return "", http.StatusForbidden
	}
	return real, 0
}

// serveFile sends one regular file.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, full, name string) {
	f, err := os.Open(full)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	ext := strings.ToLower(filepath.Ext(name))
	hdr := w.Header()
	hdr.Set("Content-Type", ContentType(name))
	hdr.Set("X-Content-Type-Options", "nosniff")
	if ext == ".html" || ext == ".htm" {
		hdr.Set("Cache-Control", "no-cache")
	} else {
		hdr.Set("Cache-Control", "public, max-age=60")
	}
	mod := fi.ModTime()
	etag := `"` + strconv.FormatInt(fi.Size(), 16) + "-" + strconv.FormatInt(mod.UnixNano(), 16)
	if compressible[ext] {
		hdr.Add("Vary", "Accept-Encoding")
		if fi.Size() <= MaxGzipFileBytes && acceptsGzip(r.Header.Get("Accept-Encoding")) {
			key := gzKey{path: full, mod: mod.UnixNano(), size: fi.Size()}
			gz, ok := h.gz.get(key)
			if !ok {
				gz, err = compress(f, fi.Size())
				if err != nil {
					http.Error(w, "500 cannot read file", http.StatusInternalServerError)
					return
				}
				h.gz.put(key, gz)
			}
			if int64(len(gz)) < fi.Size() {
				hdr.Set("Content-Encoding", "gzip")
				hdr.Set("ETag", etag+`-gzip"`)
				http.ServeContent(w, r, name, mod, bytes.NewReader(gz))
				return
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				http.Error(w, "500 cannot read file", http.StatusInternalServerError)
				return
			}
		}
	}
	hdr.Set("ETag", etag+`"`)
	http.ServeContent(w, r, name, mod, f)
}

// compress gzips the first size bytes of r.
func compress(r io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.Copy(zw, io.LimitReader(r, size)); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip: "gzip"
// or "x-gzip" listed with a non-zero quality, or "*" with a non-zero quality
// and gzip not refused explicitly.
func acceptsGzip(header string) bool {
	star, explicit := false, false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(p, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			if q > 0 {
				return true
			}
			explicit = true
		case "*":
			star = q > 0
		}
	}
	return star && !explicit
}

// gzKey identifies one version of a file.
type gzKey struct {
	path      string
	mod, size int64
}

// gzEntry is one cached compressed file.
type gzEntry struct {
	key  gzKey
	data []byte
}

// gzipCache is an LRU cache of compressed files, bounded in total bytes.
// Each path has at most one entry; a changed file replaces its old entry.
type gzipCache struct {
	mu    sync.Mutex
	limit int64
	used  int64
	order *list.List // front: most recently used; values are *gzEntry
	byKey map[string]*list.Element
}

// newGzipCache returns an empty cache holding at most limit bytes.
func newGzipCache(limit int64) *gzipCache {
	return &gzipCache{limit: limit, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the compressed bytes for key, if cached.
func (c *gzipCache) get(key gzKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key.path]
	if !ok || el.Value.(*gzEntry).key != key {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*gzEntry).data, true
}

// put stores data for key, replacing any older version of the same path and
// evicting the least recently used entries beyond the limit.
func (c *gzipCache) put(key gzKey, data []byte) {
	if int64(len(data)) > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key.path]; ok {
		c.remove(el)
	}
	c.byKey[key.path] = c.order.PushFront(&gzEntry{key: key, data: data})
	c.used += int64(len(data))
	for c.used > c.limit {
		c.remove(c.order.Back())
	}
}

// remove drops one entry; c.mu must be held.
func (c *gzipCache) remove(el *list.Element) {
	e := c.order.Remove(el).(*gzEntry)
	delete(c.byKey, e.key.path)
	c.used -= int64(len(e.data))
}

// listenError reports a failure to bind the listening socket.
type listenError struct {
	addr string
	err  error
}

// Error implements error.
func (e *listenError) Error() string {
	if isAddrInUse(e.err) {
		return fmt.Sprintf("cannot listen on %s: address already in use (is another server running? choose another address with --addr, e.g. --addr 127.0.0.1:9000, or make demo ADDR=127.0.0.1:9000)", e.addr)
	}
	return fmt.Sprintf("cannot listen on %s: %v", e.addr, e.err)
}

// Unwrap returns the underlying error.
func (e *listenError) Unwrap() error { return e.err }

// isAddrInUse recognises "address already in use" on every platform.
func isAddrInUse(err error) bool {
	if errors.Is(err, syscall.EADDRINUSE) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "address already in use") || strings.Contains(s, "Only one usage of each socket address")
}

// NewServer returns an http.Server for h with the package's timeouts and
// header limit, logging server errors to logw (nil discards them).
func NewServer(h http.Handler, logw io.Writer) *http.Server {
	if logw == nil {
		logw = io.Discard
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          log.New(logw, "serve: ", 0),
	}
}

// ListenAndServe serves the files below root on the TCP address addr until
// ctx is cancelled, then shuts down gracefully (in-flight requests get
// ShutdownTimeout to finish) and returns nil. Once the socket is bound it
// prints "Serving ROOT at http://HOST:PORT/" on logw (nil discards it), with
// the absolute root and the actual bound address, so a port of 0 can be
// used. If the port is taken the error says so and suggests --addr.
func ListenAndServe(ctx context.Context, addr, root string, logw io.Writer) error {
	if logw == nil {
		logw = io.Discard
	}
	h, err := Handler(root)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return &listenError{addr: addr, err: err}
	}
	srv := NewServer(h, logw)
	shown, err := filepath.Abs(root)
	if err != nil {
		shown = root
	}
	fmt.Fprintf(logw, "Serving %s at http://%s/\n", shown, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
