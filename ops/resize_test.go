package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// resizeCase is one Resize of the kernel test.
type resizeCase struct {
	in []int
	t  ResizeTarget
	p  ResizeParams
}

func (c resizeCase) String() string {
	return fmt.Sprintf("%v %s/%s/%s scales%v sizes%v axes%v %s a=%g excl=%v roi%v", c.in, c.p.Mode, c.p.Coord, c.p.Nearest,
		c.t.Scales, c.t.Sizes, c.t.Axes, c.t.Policy, c.p.CubicA, c.p.ExcludeOutside, c.p.ROI)
}

// randResizeCase draws a Resize: nearest with scales whose coordinates are
// exact in float32 (so that ties fall the same way in float32 and float64),
// linear and cubic with any scales or sizes.
func randResizeCase(rng *rand.Rand) resizeCase {
	rank := 1 + rng.IntN(5)
	c := resizeCase{p: ResizeParams{Mode: ResizeMode(rng.IntN(3)), Coord: CoordMode(rng.IntN(7)), Nearest: NearestMode(rng.IntN(4)),
		CubicA: -0.75, Extrapolation: rng.Float32()*4 - 2}}
	if rng.IntN(3) == 0 {
		c.p.CubicA = -0.5
	}
	c.p.ExcludeOutside = c.p.Mode == ResizeCubic && rng.IntN(2) == 0
	nAxes := rank
	if rng.IntN(3) == 0 {
		nAxes = 1 + rng.IntN(rank)
		for _, a := range rng.Perm(rank)[:nAxes] {
			c.t.Axes = append(c.t.Axes, a)
		}
	}
	exact := []float32{0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4}
	for i := 0; i < rank; i++ {
		c.in = append(c.in, 1+rng.IntN(7))
	}
	useSizes := rng.IntN(2) == 0 && c.p.Mode != ResizeNearest
	for i := 0; i < nAxes; i++ {
		ax := i
		if c.t.Axes != nil {
			ax = c.t.Axes[i]
		}
		switch {
		case useSizes:
			c.t.Sizes = append(c.t.Sizes, 1+rng.IntN(2*c.in[ax]+2))
		case c.p.Mode == ResizeNearest:
			s := exact[rng.IntN(len(exact))]
			for float32(c.in[ax])*s < 1 {
				s *= 2
			}
			c.t.Scales = append(c.t.Scales, s)
		default:
			s := 0.3 + rng.Float32()*3
			for float32(c.in[ax])*s < 1 {
				s *= 2
			}
			c.t.Scales = append(c.t.Scales, s)
		}
	}
	if useSizes && rng.IntN(3) == 0 {
		c.t.Policy = AspectPolicy(1 + rng.IntN(2))
	}
	if c.p.Coord == CoordTFCropAndResize {
		for i := 0; i < 2*rank; i++ {
			c.p.ROI = append(c.p.ROI, 0)
		}
		for a := 0; a < rank; a++ {
			c.p.ROI[a] = rng.Float32()*0.6 - 0.2
			c.p.ROI[rank+a] = 0.5 + rng.Float32()*0.7
		}
	}
	return c
}

func (c resizeCase) refAttrs() ref.ResizeAttrs {
	a := ref.ResizeAttrs{Mode: c.p.Mode.String(), Coord: c.p.Coord.String(), Nearest: c.p.Nearest.String(), CubicA: float64(c.p.CubicA),
		ExcludeOutside: c.p.ExcludeOutside, Extrapolation: float64(c.p.Extrapolation), Scales: c.t.Scales, Sizes: c.t.Sizes,
		Axes: append([]int(nil), c.t.Axes...), Policy: c.t.Policy.String()}
	if c.p.ROI != nil {
		// The reference takes the region per listed axis.
		rank := len(c.in)
		axes := c.t.Axes
		if axes == nil {
			for i := 0; i < rank; i++ {
				axes = append(axes, i)
			}
		}
		roi := make([]float32, 2*len(axes))
		for i, ax := range axes {
			roi[i], roi[len(axes)+i] = c.p.ROI[ax], c.p.ROI[rank+ax]
		}
		a.ROI = roi
	}
	return a
}

func TestResizeKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 10))
	for i := 0; i < 400; i++ {
		c := randResizeCase(rng)
		out, scales, err := ResolveResize(c.in, c.t)
		if err != nil && c.t.Policy != AspectStretch {
			continue // a policy scale can empty an axis
		}
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		g, err := NewResizeGeom(c.in, out, scales, c.p)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		x := randSlice(rng, ShapeSize(c.in))
		y, check := guarded(t, ShapeSize(out))
		ws := make([]float32, g.Workspace())
		Resize(g, y, x, ws)
		check()
		want, wantShape := ref.Resize(ref.To64(x), c.in, c.refAttrs())
		if !EqualShapes(out, wantShape) {
			t.Fatalf("%v: shape %v, reference %v", c, out, wantShape)
		}
		if _, rel := errStats(y, want); rel > 1e-5 { // float32 coordinates and coefficients
			t.Fatalf("case %d %v: relative error %.3g\ngot  %v\nwant %v", i, c, rel, y, want)
		}
	}
}

// TestResizeEdges pins cases whose answer is known.
func TestResizeEdges(t *testing.T) {
	run := func(in []int, x []float32, tg ResizeTarget, p ResizeParams) []float32 {
		out, scales, err := ResolveResize(in, tg)
		if err != nil {
			t.Fatal(err)
		}
		g, err := NewResizeGeom(in, out, scales, p)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]float32, ShapeSize(out))
		Resize(g, y, x, make([]float32, g.Workspace()))
		return y
	}
	x := []float32{1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		tg   ResizeTarget
		p    ResizeParams
		want []float32
	}{
		{"nearest-2x-asymmetric-floor", ResizeTarget{Scales: []float32{2}}, ResizeParams{Coord: CoordAsymmetric, Nearest: NearestFloor},
			[]float32{1, 1, 2, 2, 3, 3, 4, 4}},
		{"nearest-half-pixel-down-prefer-floor", ResizeTarget{Scales: []float32{0.5}}, ResizeParams{}, []float32{1, 3}},
		{"nearest-half-pixel-down-prefer-ceil", ResizeTarget{Scales: []float32{0.5}}, ResizeParams{Nearest: NearestRoundPreferCeil}, []float32{2, 4}},
		{"linear-half-pixel-2x", ResizeTarget{Scales: []float32{2}}, ResizeParams{Mode: ResizeLinear},
			[]float32{1, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4}},
		{"linear-align-corners", ResizeTarget{Sizes: []int{7}}, ResizeParams{Mode: ResizeLinear, Coord: CoordAlignCorners},
			[]float32{1, 1.5, 2, 2.5, 3, 3.5, 4}},
		{"same-shape-copy", ResizeTarget{Scales: []float32{1.1}}, ResizeParams{Mode: ResizeCubic}, x},
		{"crop-extrapolate", ResizeTarget{Sizes: []int{3}}, ResizeParams{Mode: ResizeLinear, Coord: CoordTFCropAndResize,
			ROI: []float32{-0.5, 1}, Extrapolation: 9}, []float32{9, 1.75, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run([]int{4}, x, tc.tg, tc.p)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResolveResizeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int
		t    ResizeTarget
	}{
		{"none", []int{1, 2}, ResizeTarget{}},
		{"both", []int{1, 2}, ResizeTarget{Scales: []float32{1, 2}, Sizes: []int{1, 4}}},
		{"count", []int{1, 2}, ResizeTarget{Scales: []float32{2}}},
		{"negative-scale", []int{1, 2}, ResizeTarget{Scales: []float32{1, -2}}},
		{"empty-output", []int{1, 2}, ResizeTarget{Scales: []float32{1, 0.25}}},
		{"zero-size", []int{1, 2}, ResizeTarget{Sizes: []int{1, 0}}},
		{"axis-twice", []int{1, 2}, ResizeTarget{Scales: []float32{2, 2}, Axes: []int{1, -1}}},
		{"axis-range", []int{1, 2}, ResizeTarget{Scales: []float32{2}, Axes: []int{2}}},
		{"huge", []int{1, 2}, ResizeTarget{Scales: []float32{1, 3e9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ResolveResize(tc.in, tc.t); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestResizeNoAllocs(t *testing.T) {
	in := []int{1, 3, 9, 11}
	for _, mode := range []ResizeMode{ResizeNearest, ResizeLinear, ResizeCubic} {
		out, scales, _ := ResolveResize(in, ResizeTarget{Scales: []float32{1, 1, 2, 0.75}})
		g, err := NewResizeGeom(in, out, scales, ResizeParams{Mode: mode, CubicA: -0.75})
		if err != nil {
			t.Fatal(err)
		}
		x, y, ws := make([]float32, ShapeSize(in)), make([]float32, ShapeSize(out)), make([]float32, g.Workspace())
		if n := testing.AllocsPerRun(10, func() { Resize(g, y, x, ws) }); n != 0 {
			t.Errorf("%s: %v allocations per run", mode, n)
		}
	}
}

// BenchmarkResizeNearest times the PP-OCRv4 detector's largest upsampling:
// nearest, scale 2 on 96x60x80 (and 8 on 24x15x20).
func BenchmarkResizeNearest(b *testing.B) {
	for _, c := range []struct {
		in    []int
		scale float32
	}{{[]int{1, 96, 60, 80}, 2}, {[]int{1, 24, 15, 20}, 8}} {
		scales := []float32{1, 1, c.scale, c.scale}
		out, sc, err := ResolveResize(c.in, ResizeTarget{Scales: scales})
		if err != nil {
			b.Fatal(err)
		}
		g, err := NewResizeGeom(c.in, out, sc, ResizeParams{Mode: ResizeNearest, Coord: CoordAsymmetric, Nearest: NearestFloor})
		if err != nil {
			b.Fatal(err)
		}
		x, y := make([]float32, ShapeSize(c.in)), make([]float32, ShapeSize(out))
		b.Run(fmt.Sprintf("%v_x%g", c.in, c.scale), func(b *testing.B) {
			for b.Loop() {
				Resize(g, y, x, nil)
			}
		})
	}
}
