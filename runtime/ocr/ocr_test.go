package ocr

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

func TestDetSize(t *testing.T) {
	for _, c := range []struct {
		w, h, limit int
		typ         string
		ww, wh      int
	}{
		{480, 96, 960, "max", 480, 96},
		{1, 1, 960, "max", 32, 32},
		{1920, 1080, 960, "max", 960, 544},
		{20000, 10, 960, "max", 960, 32},
		{16384, 16384, 960, "max", 960, 960},
		{100, 50, 960, "max", 96, 64},  // 100/32 = 3.1 -> 96, 50/32 = 1.56 -> 64
		{112, 48, 960, "max", 128, 64}, // 3.5 and 1.5 round to even: 4 and 2
		{100, 50, 736, "min", 1472, 736},
		{16000, 10, 736, "min", 4096, 736},
	} {
		if w, h := detSize(c.w, c.h, c.limit, c.typ); w != c.ww || h != c.wh {
			t.Errorf("detSize(%d, %d, %d, %s) = %d x %d, want %d x %d", c.w, c.h, c.limit, c.typ, w, h, c.ww, c.wh)
		}
	}
}

// TestMinAreaRect fits rectangles to the pixels of rotated rectangles and
// checks their size and the corner order get_mini_boxes gives.
func TestMinAreaRect(t *testing.T) {
	for _, deg := range []float64{0, 7, 30, 45, 60, 90, 135, -20} {
		const w, h = 60.0, 14.0
		c, s := math.Cos(deg*math.Pi/180), math.Sin(deg*math.Pi/180)
		var ps []ipt
		for y := -60; y <= 60; y++ {
			for x := -60; x <= 60; x++ {
				u := float64(x)*c + float64(y)*s
				v := -float64(x)*s + float64(y)*c
				if math.Abs(u) <= w/2 && math.Abs(v) <= h/2 {
					ps = append(ps, ipt{x + 100, y + 100})
				}
			}
		}
		r := minAreaRect(convexHull(ps))
		long, short := math.Max(r.w, r.h), math.Min(r.w, r.h)
		if math.Abs(long-w) > 1.5 || math.Abs(short-h) > 1.5 {
			t.Errorf("%v degrees: rect %.2f x %.2f, want about %v x %v", deg, long, short, w, h)
		}
		if math.Abs(r.c.x-100) > 0.6 || math.Abs(r.c.y-100) > 0.6 {
			t.Errorf("%v degrees: centre %v, want (100, 100)", deg, r.c)
		}
		box, side := miniBox(r)
		if side != short {
			t.Errorf("%v degrees: side %v, want %v", deg, side, short)
		}
		// Top-left is left of top-right, bottom-left below top-left.
		if !(box[0].x <= box[1].x && box[3].x <= box[2].x && box[0].y <= box[3].y && box[1].y <= box[2].y) {
			t.Errorf("%v degrees: corners %v are not tl, tr, br, bl", deg, box)
		}
	}
	// Degenerate hulls.
	if r := minAreaRect(convexHull([]ipt{{3, 4}})); r.w != 0 || r.h != 0 {
		t.Errorf("one point: %+v", r)
	}
	if r := minAreaRect(convexHull([]ipt{{0, 0}, {10, 0}, {5, 0}})); math.Max(r.w, r.h) != 10 || math.Min(r.w, r.h) != 0 {
		t.Errorf("a segment: %+v", r)
	}
}

func TestUnclip(t *testing.T) {
	// A 100 x 20 box grows by 100*20*1.5/240 = 12.5 on every side.
	if d := unclipDistance(100, 20, 1.5); d != 12.5 {
		t.Errorf("unclipDistance = %v, want 12.5", d)
	}
	r := rect{c: pt{50, 10}, u: pt{1, 0}, w: 100, h: 20}.expand(12.5)
	box, side := miniBox(r)
	want := [4]pt{{-12.5, -12.5}, {112.5, -12.5}, {112.5, 32.5}, {-12.5, 32.5}}
	if box != want || side != 45 {
		t.Errorf("expanded box %v (side %v), want %v (45)", box, side, want)
	}
}

func TestHomography(t *testing.T) {
	q := [4]pt{{10, 20}, {110, 30}, {105, 70}, {12, 60}}
	m := newHomography(q, 100, 40)
	for i, p := range [4][2]float64{{0, 0}, {100, 0}, {100, 40}, {0, 40}} {
		x, y := m.at(p[0], p[1])
		if math.Abs(x-q[i].x) > 1e-9 || math.Abs(y-q[i].y) > 1e-9 {
			t.Errorf("corner %d maps to (%v, %v), want %v", i, x, y, q[i])
		}
	}
}

func TestSortReadingOrder(t *testing.T) {
	box := func(x, y float64) quad { return quad{p: [4]pt{{x, y}, {x + 10, y}, {x + 10, y + 5}, {x, y + 5}}} }
	qs := []quad{box(200, 52), box(10, 50), box(100, 48), box(10, 100), box(5, 120)}
	sortReadingOrder(qs, 10)
	var got []float64
	for _, q := range qs {
		got = append(got, q.p[0].x)
	}
	want := []float64{10, 100, 200, 10, 5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order by x: %v, want %v", got, want)
		}
	}
}

func TestCTCGreedy(t *testing.T) {
	dict := []string{"a", "b", " "}
	// Steps: a a blank a b b space blank.
	steps := [][4]float32{{0, .9, .1, 0}, {0, .7, .3, 0}, {.8, .1, .1, 0}, {.2, .6, .2, 0}, {0, 0, 1, 0}, {0, .4, .5, .1}, {0, 0, 0, 1}, {1, 0, 0, 0}}
	var prob []float32
	for _, s := range steps {
		prob = append(prob, s[:]...)
	}
	text, score := ctcGreedy(prob, len(steps), 4, dict, false)
	if text != "aab " {
		t.Errorf("text %q, want %q", text, "aab ")
	}
	if want := float32((0.9 + 0.6 + 1 + 1) / 4); math.Abs(float64(score-want)) > 1e-6 {
		t.Errorf("score %v, want %v", score, want)
	}
	if text, score := ctcGreedy([]float32{1, 0, 0, 0}, 1, 4, dict, false); text != "" || score != 0 {
		t.Errorf("blank only: %q %v", text, score)
	}
}

// TestCTCGreedyLogits: decoding the logits (the recogniser without its final
// Softmax) gives the text and the score bits of decoding ops.Softmax's
// probabilities of them.
func TestCTCGreedyLogits(t *testing.T) {
	dict := []string{"a", "b", "c", "d", "e", "f", "g"}
	const steps, classes = 40, 8
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 20 {
		logits := make([]float32, steps*classes)
		for i := range logits {
			logits[i] = float32(rng.NormFloat64() * 6)
		}
		prob := make([]float32, len(logits))
		ops.Softmax(prob, logits, steps, classes, 1)
		wantText, wantScore := ctcGreedy(prob, steps, classes, dict, false)
		text, score := ctcGreedy(logits, steps, classes, dict, true)
		if text != wantText || math.Float32bits(score) != math.Float32bits(wantScore) {
			t.Errorf("trial %d: logits give %q %v, probabilities %q %v", trial, text, score, wantText, wantScore)
		}
		if trial == 0 && len(wantText) < 10 {
			t.Fatalf("weak test: %q", wantText)
		}
	}
}

func TestParseDict(t *testing.T) {
	for _, c := range []struct {
		keys    string
		classes int
		want    []string
		err     string
	}{
		{"a\nb\nc", 5, []string{"a", "b", "c", " "}, ""},
		{"a\nb\nc\n", 5, []string{"a", "b", "c", " "}, ""},
		{"a\r\nb\r\nc\r\n", 4, []string{"a", "b", "c"}, ""},
		{"a\nb", 9, nil, "has 2 entries but the recogniser has 9 classes"},
		{"", 3, nil, "empty"},
		{"\xff\xfe", 3, nil, "not UTF-8"},
	} {
		got, err := parseDict([]byte(c.keys), c.classes)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrModel) {
				t.Errorf("%q: error %v, want one containing %q", c.keys, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: %q, %v; want %q", c.keys, got, err, c.want)
		}
	}
}

func TestOptions(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil || o != DefaultOptions() {
		t.Fatalf("zero options: %+v, %v; want the defaults", o, err)
	}
	for _, bad := range []Options{
		{LimitSideLen: 8}, {LimitSideLen: 5000}, {LimitType: "mid"}, {Thresh: 1}, {BoxThresh: 2},
		{Thresh: float32(math.NaN())}, {UnclipRatio: -1}, {MaxCandidates: -1}, {MaxRecWidth: 8}, {MaxRecWidth: 9000}, {Threads: -2},
	} {
		if _, err := bad.withDefaults(); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v, want ErrOptions", bad, err)
		}
	}
	if _, err := Load(nil, nil, nil, nil, Options{LimitType: "x"}); !errors.Is(err, ErrOptions) {
		t.Errorf("Load with bad options: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load([]byte("<html>not found</html>"), nil, nil, []byte("a"), Options{}); !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "detector") {
		t.Errorf("an HTML page as the detector: %v", err)
	}
	if _, err := Load(nil, nil, nil, nil, Options{}); !errors.Is(err, ErrModel) {
		t.Errorf("no bytes: %v", err)
	}
}

// TestBadImages: tiny, blank and huge images give an empty result or a
// clear error quickly, never a hang or a huge allocation.
func TestBadImages(t *testing.T) {
	r := reader(t)
	ctx := context.Background()
	white := func(w, h int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		return img
	}
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"1 pixel", white(1, 1)},
		{"blank page", white(640, 480)},
		{"a 1-pixel line 16000 wide", white(16000, 1)},
		{"black", image.NewRGBA(image.Rect(0, 0, 64, 64))},
		{"transparent", image.NewNRGBA(image.Rect(0, 0, 64, 64))},
	} {
		start := time.Now()
		lines, err := r.Read(ctx, c.img)
		if err != nil || len(lines) != 0 {
			t.Errorf("%s: %v, %v; want no lines", c.name, lines, err)
		}
		t.Logf("%s: %v", c.name, time.Since(start).Round(time.Millisecond))
	}
	// 20000 pixels wide is refused before anything is allocated for it.
	big := image.NewGray(image.Rect(0, 0, 20000, 1))
	if _, err := r.Read(ctx, big); !errors.Is(err, imageprep.ErrImage) || !strings.Contains(err.Error(), "20000x1") {
		t.Errorf("20000x1: %v, want an ErrImage naming the size", err)
	}
	if _, err := r.Read(ctx, nil); !errors.Is(err, imageprep.ErrImage) {
		t.Errorf("nil image: %v", err)
	}
	if _, _, err := r.ReadRGBA(ctx, make([]byte, 10), 2, 2); !errors.Is(err, imageprep.ErrImage) {
		t.Errorf("short RGBA buffer: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Read(cctx, render(t, 320, 64, textLine{"cancelled", "regular", 30, 10, 40})); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestRepeatable: a second read of the same image gives the same bits, and
// ReadRGBA reads the same as Read.
func TestRepeatable(t *testing.T) {
	r := reader(t)
	img := render(t, 320, 64, textLine{"Same bits 123", "bold", 30, 10, 44})
	a, err := r.Read(context.Background(), img)
	if err != nil || len(a) != 1 {
		t.Fatalf("%v, %v", a, err)
	}
	b, _, err := r.ReadRGBA(context.Background(), img.Pix, 320, 64)
	if err != nil || len(b) != 1 || a[0] != b[0] {
		t.Fatalf("ReadRGBA %v, %v; Read %v", b, err, a)
	}
	if !r.recLogits {
		t.Error("the recogniser's final Softmax was not cut")
	}
	if a[0].Text != "Same bits 123" {
		t.Errorf("text %q", a[0].Text)
	}
}
