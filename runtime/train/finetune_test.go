package train

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

// symbolNames are the five symbols of the fine-tuning task.
var symbolNames = []string{"line", "circle", "cross", "triangle", "square"}

// strokes returns the polylines of a symbol in a unit frame centred on 0
// (x right, y down, about ±1).
func strokes(class int, rng *rand.Rand) [][][2]float64 {
	j := func() float64 { return 0.12 * (2*rng.Float64() - 1) } // hand wobble
	switch class {
	case 0: // one stroke, roughly vertical
		return [][][2]float64{{{j(), -1 + j()}, {j(), 1 + j()}}}
	case 1: // a circle, open or overlapping a little where the pen closes it
		var pts [][2]float64
		start := 2 * math.Pi * rng.Float64()
		end := start + 2*math.Pi*(0.92+0.15*rng.Float64())
		aspect := 0.8 + 0.4*rng.Float64()
		for a := start; a <= end; a += 0.2 {
			pts = append(pts, [2]float64{0.9 * math.Cos(a) * aspect, 0.9 * math.Sin(a)})
		}
		return [][][2]float64{pts}
	case 2: // a cross: the two diagonals
		return [][][2]float64{
			{{-0.9 + j(), -0.9 + j()}, {0.9 + j(), 0.9 + j()}},
			{{0.9 + j(), -0.9 + j()}, {-0.9 + j(), 0.9 + j()}},
		}
	case 3: // a triangle, point up
		a, b, c := [2]float64{j(), -0.95 + j()}, [2]float64{0.95 + j(), 0.8 + j()}, [2]float64{-0.95 + j(), 0.8 + j()}
		return [][][2]float64{{a, b, c, {a[0] + j(), a[1] + j()}}}
	default: // a square
		a := [2]float64{-0.85 + j(), -0.85 + j()}
		return [][][2]float64{{a, {0.85 + j(), -0.85 + j()}, {0.85 + j(), 0.85 + j()}, {-0.85 + j(), 0.85 + j()}, {a[0] + j(), a[1] + j()}}}
	}
}

// drawSymbol draws a symbol the way someone draws on a 32x32 canvas: dark
// anti-aliased strokes of 1.5-3 px on white, at a random place, size,
// rotation and aspect.
func drawSymbol(class int, rng *rand.Rand) *image.Gray {
	const side = 32
	scale := 6 + 7*rng.Float64()
	aspect := 0.85 + 0.3*rng.Float64()
	rot := (2*rng.Float64() - 1) * 25 * math.Pi / 180
	cx, cy := 16+4*(2*rng.Float64()-1), 16+4*(2*rng.Float64()-1)
	width := 1.5 + 1.5*rng.Float64()
	sin, cos := math.Sincos(rot)
	var segs [][4]float64
	for _, line := range strokes(class, rng) {
		var prev [2]float64
		for i, p := range line {
			x, y := p[0]*scale*aspect, p[1]*scale
			q := [2]float64{cx + x*cos - y*sin, cy + x*sin + y*cos}
			if i > 0 {
				segs = append(segs, [4]float64{prev[0], prev[1], q[0], q[1]})
			}
			prev = q
		}
	}
	img := image.NewGray(image.Rect(0, 0, side, side))
	for py := 0; py < side; py++ {
		for px := 0; px < side; px++ {
			x, y := float64(px)+0.5, float64(py)+0.5
			d := math.Inf(1)
			for _, s := range segs {
				d = math.Min(d, segDist(x, y, s))
			}
			ink := math.Max(0, math.Min(1, width/2+0.5-d))
			img.SetGray(px, py, color.Gray{Y: uint8(math.Round(255 * (1 - ink)))})
		}
	}
	return img
}

// segDist is the distance from (x, y) to a segment.
func segDist(x, y float64, s [4]float64) float64 {
	dx, dy := s[2]-s[0], s[3]-s[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((x-s[0])*dx+(y-s[1])*dy)/l))
	}
	return math.Hypot(x-s[0]-t*dx, y-s[1]-t*dy)
}

// symbolImages draws perClass drawings of each symbol.
func symbolImages(perClass int, seed uint64) []LabeledImage {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []LabeledImage
	for i := 0; i < perClass; i++ {
		for c := range symbolNames {
			out = append(out, LabeledImage{Name: symbolNames[c], Image: drawSymbol(c, rng), Label: c})
		}
	}
	return out
}

// shippedLeNet loads demo/models/lenet5.wnn.
func shippedLeNet(t testing.TB) *runtime.Model {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "demo", "models", "lenet5.wnn"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFineTuneSymbols teaches the shipped digit reader five drawn symbols:
// a new 5-class head, the convolutions frozen, and at least 95% of a
// held-out set read right.
func TestFineTuneSymbols(t *testing.T) {
	start := time.Now()
	m := shippedLeNet(t)
	data, err := FromImages(symbolImages(60, 1), symbolNames, m.Meta.Preprocess, imageprep.InvertAuto)
	if err != nil {
		t.Fatal(err)
	}
	trainSet, heldOut, err := Split(data, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if trainSet.Len() != 200 || heldOut.Len() != 100 {
		t.Fatalf("split %d/%d, want 200/100", trainSet.Len(), heldOut.Len())
	}
	head, err := ReplaceHead(m, len(symbolNames), symbolNames, 1)
	if err != nil || head != "fc3" {
		t.Fatalf("head %q, %v", head, err)
	}
	frozen := []string{"conv1", "conv2"}
	before := weightsOf(m)
	tr, err := New(m, Config{Epochs: 15, BatchSize: 16, LR: 2e-3, Seed: 1, MaxShift: 2, Freeze: frozen,
		Optimizer: NewAdam(1e-4), Schedule: Schedule{Kind: Cosine, MinFactor: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := tr.Fit(context.Background(), trainSet)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := tr.Evaluate(context.Background(), heldOut)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d training drawings, last epoch loss %.4f acc %.3f; held-out %d/%d = %.1f%% in %s\n%s",
		trainSet.Len(), stats[len(stats)-1].Loss, stats[len(stats)-1].Accuracy, ev.Correct, ev.Total, 100*ev.Accuracy(),
		time.Since(start).Round(time.Millisecond), ev)
	if ev.Accuracy() < 0.95 {
		t.Errorf("held-out accuracy %.3f, want at least 0.95", ev.Accuracy())
	}
	after := weightsOf(m)
	for _, name := range []string{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"} {
		if !sameBits(map[string][]float32{name: before[name]}, map[string][]float32{name: after[name]}) {
			t.Errorf("frozen %s changed", name)
		}
	}
	for _, name := range []string{"fc1.weight", "fc3.weight"} {
		if sameBits(map[string][]float32{name: before[name]}, map[string][]float32{name: after[name]}) {
			t.Errorf("trainable %s did not change", name)
		}
	}
	if ev.Labels[4] != "square" || m.Meta.Labels[1] != "circle" {
		t.Errorf("labels %v, model %v", ev.Labels, m.Meta.Labels)
	}
}
