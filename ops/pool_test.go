package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// poolCase is one pooling problem for the randomized comparison.
type poolCase struct {
	in []int // [N, C, spatial...]
	p  PoolParams
}

func (c poolCase) String() string {
	return fmt.Sprintf("%s_%v_k%v_s%v_d%v_p%v,%v_%v_ceil%v_cip%v", c.p.Kind, c.in[2:], c.p.Kernel, c.p.Strides,
		c.p.Dilations, c.p.PadsBegin, c.p.PadsEnd, c.p.AutoPad, c.p.CeilMode, c.p.CountIncludePad)
}

// randPoolCase draws a small pooling problem; strides may exceed the kernel,
// padding may be asymmetric and inputs may be one pixel wide.
func randPoolCase(rng *rand.Rand) poolCase {
	rank := 1 + rng.IntN(3)
	maxIn := []int{0, 12, 9, 6}[rank]
	in := []int{1 + rng.IntN(2), 1 + rng.IntN(3)}
	p := PoolParams{Kind: PoolKind(rng.IntN(2)), CeilMode: rng.IntN(2) == 0, CountIncludePad: rng.IntN(2) == 0}
	p.AutoPad = []AutoPad{PadExplicit, PadExplicit, PadExplicit, PadSameUpper, PadSameLower, PadValid}[rng.IntN(6)]
	for a := 0; a < rank; a++ {
		size := 1 + rng.IntN(maxIn)
		if rng.IntN(8) == 0 {
			size = 1
		}
		in = append(in, size)
		k := 1 + rng.IntN(4)
		p.Kernel = append(p.Kernel, k)
		p.Strides = append(p.Strides, 1+rng.IntN(4))
		d := 1
		if rng.IntN(3) == 0 {
			d = 2 + rng.IntN(2)
		}
		p.Dilations = append(p.Dilations, d)
		p.PadsBegin = append(p.PadsBegin, rng.IntN(k))
		p.PadsEnd = append(p.PadsEnd, rng.IntN(k))
	}
	return poolCase{in: in, p: p}
}

// refPoolSpec resolves c's geometry independently of NewPoolGeom, from
// PyTorch's and ONNX's formulas. ok is false if some axis has no output.
func refPoolSpec(c poolCase) (s ref.PoolSpec, ok bool) {
	s = ref.PoolSpec{Max: c.p.Kind == PoolMax, CountIncludePad: c.p.CountIncludePad, Kernel: c.p.Kernel,
		Strides: c.p.Strides, Dilations: c.p.Dilations}
	ok = true
	for a, in := range c.in[2:] {
		k, st, d := c.p.Kernel[a], c.p.Strides[a], c.p.Dilations[a]
		pb, pe := c.p.PadsBegin[a], c.p.PadsEnd[a]
		switch c.p.AutoPad {
		case PadValid:
			pb, pe = 0, 0
		case PadSameUpper, PadSameLower:
			pb, pe = ref.SamePads(in, k, st, d, c.p.AutoPad == PadSameUpper)
		}
		out := ref.PoolOutSize(in, k, st, d, pb, pe, c.p.CeilMode)
		if out < 1 {
			ok = false
		}
		s.PadsBegin = append(s.PadsBegin, pb)
		s.PadsEnd = append(s.PadsEnd, pe)
		s.Out = append(s.Out, out)
	}
	return s, ok
}

func TestPoolRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	valid, rejected := 0, 0
	for i := 0; i < 600; i++ {
		c := randPoolCase(rng)
		t.Run(fmt.Sprintf("%d_%s", i, c), func(t *testing.T) {
			spec, ok := refPoolSpec(c)
			g, err := NewPoolGeom(c.in, c.p)
			x := randSlice(rng, c.in[0]*c.in[1]*prodInts(c.in[2:]))
			if !ok {
				if err == nil {
					t.Fatalf("NewPoolGeom accepted a window larger than the padded input: out %v", g.Out)
				}
				rejected++
				return
			}
			want := ref.Pool(ref.To64(x), c.in[0], c.in[1], c.in[2:], spec)
			hasEmpty := false
			for _, v := range want {
				hasEmpty = hasEmpty || math.IsNaN(v)
			}
			if err != nil {
				if !hasEmpty {
					t.Fatalf("NewPoolGeom rejected a valid pooling: %v", err)
				}
				rejected++
				return
			}
			if hasEmpty {
				t.Fatalf("NewPoolGeom accepted a pooling with a window that covers only padding")
			}
			if wantShape := append(c.in[:2:2], spec.Out...); !EqualShapes(g.OutShape(), wantShape) {
				t.Fatalf("output shape %v, want %v", g.OutShape(), wantShape)
			}
			if c.p.AutoPad == PadSameUpper || c.p.AutoPad == PadSameLower {
				for a, in := range c.in[2:] {
					if o, st := spec.Out[a], c.p.Strides[a]; o != (in+st-1)/st {
						t.Fatalf("same padding: axis %d output %d, want ceil(%d/%d)", a, o, in, st)
					}
				}
			}
			dst, check := guarded(t, len(want))
			Pool(g, dst, x)
			check()
			tol := 1e-6
			if c.p.Kind == PoolMax {
				tol = 0 // the maximum is one of the inputs, exactly
			}
			checkClose(t, dst, want, tol)
			valid++
		})
	}
	t.Logf("%d poolings compared, %d rejected as invalid", valid, rejected)
	if valid < 300 {
		t.Fatalf("only %d valid random cases; the generator needs adjusting", valid)
	}
}

func prodInts(v []int) int {
	p := 1
	for _, d := range v {
		p *= d
	}
	return p
}

// TestPoolPinned pins hand-computed cases. The 4x4 input is x[r][c] = 4r+c+1
// (1..16). With kernel 3, stride 2, pads 1 and ceil mode each axis has 3
// windows: (4+1+1-3)/2 = 1.5 rounds up to 2, plus 1; the third window starts
// at 3 < 4+1, so it is kept. Window rows are R0={-1,0,1}, R1={1,2,3},
// R2={3,4,5}: in-bounds taps {0,1}, {1,2,3}, {3}; taps inside the padded
// extent [-1, 5): 3, 3 and 2 (5 lies beyond the explicit padding).
//
// Without count_include_pad, y = 4*mean(rows) + mean(cols) + 1 with means
// 0.5, 2, 3: [3.5 5 6; 9.5 11 12; 13.5 15 16].
// With it, y = sum/(padded count): sums are (in-bounds count) * mean:
// y00 = 4*3.5/9 = 14/9, y01 = 6*5/9 = 30/9, y02 = 2*6/6 = 2,
// y10 = 6*9.5/9 = 57/9, y11 = 9*11/9 = 11, y12 = 3*12/6 = 6,
// y20 = 2*13.5/6 = 4.5, y21 = 3*15/6 = 7.5, y22 = 16/4 = 4.
// Max pooling takes the largest row and column of each window: rows 1, 3, 3,
// so y = 4*r+c+1 = [6 8 8; 14 16 16; 14 16 16].
//
// The 1D input [1 2 3] with kernel 2, stride 2, pads 1 and ceil mode has
// (3+2-2)/2 = 1.5 -> 2, plus 1 = 3 windows by the ceil formula, but the third
// would start at 4-1 = 3, in the end padding, and is dropped: windows
// {-1,0} and {1,2}.
func TestPoolPinned(t *testing.T) {
	x16 := make([]float32, 16)
	for i := range x16 {
		x16[i] = float32(i + 1)
	}
	win := Window{Strides: []int{2, 2}, PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}
	win1 := Window{Strides: []int{2}, PadsBegin: []int{1}, PadsEnd: []int{1}}
	for _, tc := range []struct {
		name string
		in   []int
		p    PoolParams
		x    []float32
		want []float64
	}{
		{"avg_ceil", []int{1, 1, 4, 4}, PoolParams{Window: win, Kind: PoolAvg, Kernel: []int{3, 3}, CeilMode: true}, x16,
			[]float64{3.5, 5, 6, 9.5, 11, 12, 13.5, 15, 16}},
		{"avg_ceil_include_pad", []int{1, 1, 4, 4}, PoolParams{Window: win, Kind: PoolAvg, Kernel: []int{3, 3}, CeilMode: true, CountIncludePad: true}, x16,
			[]float64{14.0 / 9, 30.0 / 9, 2, 57.0 / 9, 11, 6, 4.5, 7.5, 4}},
		{"max_ceil", []int{1, 1, 4, 4}, PoolParams{Window: win, Kind: PoolMax, Kernel: []int{3, 3}, CeilMode: true}, x16,
			[]float64{6, 8, 8, 14, 16, 16, 14, 16, 16}},
		{"avg_floor", []int{1, 1, 4, 4}, PoolParams{Window: win, Kind: PoolAvg, Kernel: []int{3, 3}}, x16,
			[]float64{3.5, 5, 9.5, 11}},
		{"1d_ceil_drop_max", []int{1, 1, 3}, PoolParams{Window: win1, Kind: PoolMax, Kernel: []int{2}, CeilMode: true},
			[]float32{1, 2, 3}, []float64{1, 3}},
		{"1d_ceil_drop_avg_include_pad", []int{1, 1, 3}, PoolParams{Window: win1, Kind: PoolAvg, Kernel: []int{2}, CeilMode: true, CountIncludePad: true},
			[]float32{1, 2, 3}, []float64{0.5, 2.5}},
		{"negative_max_ignores_padding", []int{1, 1, 2}, PoolParams{Window: win1, Kind: PoolMax, Kernel: []int{2}},
			[]float32{-3, -5}, []float64{-3, -5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewPoolGeom(tc.in, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			dst, check := guarded(t, len(tc.want))
			Pool(g, dst, tc.x)
			check()
			checkClose(t, dst, tc.want, 1e-7)
		})
	}
}

func TestPoolMaxNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, pos := range []int{0, 7, 24} {
		t.Run(fmt.Sprint(pos), func(t *testing.T) {
			in := []int{1, 1, 5, 5}
			p := PoolParams{Kind: PoolMax, Kernel: []int{2, 2}, Window: Window{Strides: []int{2, 2}}, CeilMode: true}
			g, err := NewPoolGeom(in, p)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(rng, 25)
			x[pos] = float32(math.NaN())
			spec, _ := refPoolSpec(poolCase{in: in, p: PoolParams{Kind: PoolMax, Kernel: p.Kernel, CeilMode: true,
				Window: Window{Strides: []int{2, 2}, Dilations: []int{1, 1}, PadsBegin: []int{0, 0}, PadsEnd: []int{0, 0}}}})
			want := ref.Pool(ref.To64(x), 1, 1, in[2:], spec)
			got := make([]float32, len(want))
			Pool(g, got, x)
			nans := 0
			for i, w := range want {
				if math.IsNaN(w) != math.IsNaN(float64(got[i])) || (!math.IsNaN(w) && float64(got[i]) != w) {
					t.Fatalf("output %d = %v, want %v", i, got[i], w)
				}
				if math.IsNaN(w) {
					nans++
				}
			}
			if nans != 1 {
				t.Fatalf("%d NaN outputs, want 1", nans)
			}
		})
	}
}

func TestPoolShortBufferPanics(t *testing.T) {
	g, err := NewPoolGeom([]int{1, 2, 4, 4}, PoolParams{Kind: PoolAvg, Kernel: []int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		dst, x  int
		wantErr bool
	}{{"ok", 18, 32, false}, {"short_dst", 17, 32, true}, {"short_x", 18, 31, true}} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); (r != nil) != tc.wantErr {
					t.Fatalf("panic %v, want panic %v", r, tc.wantErr)
				}
			}()
			Pool(g, make([]float32, tc.dst), make([]float32, tc.x))
		})
	}
}

func TestGlobalPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ n, c, spatial int }{{1, 1, 1}, {1, 3, 49}, {2, 5, 17}, {2, 64, 196}, {1, 2, 3136}} {
		for _, kind := range []PoolKind{PoolMax, PoolAvg} {
			t.Run(fmt.Sprintf("%s_%dx%dx%d", kind, tc.n, tc.c, tc.spatial), func(t *testing.T) {
				x := randSlice(rng, tc.n*tc.c*tc.spatial)
				for i := range x {
					x[i] += 3 // a nonzero mean makes a poor summation show up
				}
				want := ref.GlobalPool(ref.To64(x), tc.n, tc.c, tc.spatial, kind == PoolMax)
				dst, check := guarded(t, tc.n*tc.c)
				GlobalPool(kind, dst, x, tc.n, tc.c, tc.spatial)
				check()
				tol := 1e-7
				if kind == PoolMax {
					tol = 0
				}
				checkClose(t, dst, want, tol)
			})
		}
	}
}

// TestGlobalPoolMatchesPool checks that GlobalPool equals Pool with a window
// covering the whole input, bit for bit.
func TestGlobalPoolMatchesPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kind := range []PoolKind{PoolMax, PoolAvg} {
		t.Run(kind.String(), func(t *testing.T) {
			in := []int{2, 3, 5, 7}
			g, err := NewPoolGeom(in, PoolParams{Kind: kind, Kernel: []int{5, 7}})
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(rng, 2*3*35)
			a, b := make([]float32, 6), make([]float32, 6)
			Pool(g, a, x)
			GlobalPool(kind, b, x, 2, 3, 35)
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("channel %d: Pool %v, GlobalPool %v", i, a[i], b[i])
				}
			}
		})
	}
}
