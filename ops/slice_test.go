package ops

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// randSliceBounds draws a start or end for an axis of size dim: inside,
// negative, beyond either end, or an extreme.
func randSliceBound(rng *rand.Rand, dim int) int {
	switch rng.IntN(8) {
	case 0:
		return math.MaxInt64
	case 1:
		return math.MinInt64
	case 2:
		return -dim - 1 - rng.IntN(3)
	case 3:
		return dim + rng.IntN(3)
	}
	return rng.IntN(2*dim+1) - dim
}

func TestSliceKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for it := range 400 {
		xs := randShape(rng, 1+rng.IntN(5), 6)
		if it%40 == 0 {
			xs[rng.IntN(len(xs))] = 0
		}
		rank := len(xs)
		k := 1 + rng.IntN(rank)
		perm := rng.Perm(rank)[:k]
		starts, ends, axes, steps := make([]int, k), make([]int, k), make([]int, k), make([]int, k)
		for i, ax := range perm {
			axes[i] = ax
			if rng.IntN(2) == 0 {
				axes[i] -= rank
			}
			starts[i], ends[i] = randSliceBound(rng, xs[ax]), randSliceBound(rng, xs[ax])
			steps[i] = 1 + rng.IntN(3)
			switch rng.IntN(6) {
			case 0, 1:
				steps[i] = -steps[i]
			case 2:
				steps[i] = math.MaxInt64
			case 3:
				if rng.IntN(3) == 0 {
					steps[i] = math.MinInt64
				}
			}
		}
		var ax, st []int
		if rng.IntN(4) > 0 || !isPrefix(perm) {
			ax = axes
		}
		if rng.IntN(4) > 0 {
			st = steps
		} else {
			for i := range steps {
				steps[i] = 1
			}
		}
		g, err := NewSliceGeom(xs, starts, ends, ax, st)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(rng, ShapeSize(xs))
		want, ws := ref.Slice(ref.To64(x), xs, int64s(starts), int64s(ends), int64s(ax), int64s(st))
		if !EqualShapes(ws, g.Out) {
			t.Fatalf("%v starts %v ends %v axes %v steps %v: shape %v, want %v", xs, starts, ends, ax, st, g.Out, ws)
		}
		dst, check := guarded(t, g.Size())
		Slice(g, dst, x)
		check()
		for i, w := range want {
			if float64(dst[i]) != w {
				t.Fatalf("%v starts %v ends %v axes %v steps %v: [%d] = %v, want %v", xs, starts, ends, ax, st, i, dst[i], w)
			}
		}
		if g.IsCopy() && !EqualShapes(g.Out, xs) {
			t.Fatalf("%v: IsCopy with output %v", xs, g.Out)
		}
	}
}

func TestSliceGeomErrors(t *testing.T) {
	for _, c := range []struct {
		in                        []int
		starts, ends, axes, steps []int
	}{
		{[]int{4, 5}, []int{0}, []int{1, 2}, nil, nil},
		{[]int{4, 5}, []int{0}, []int{1}, []int{2}, nil},
		{[]int{4, 5}, []int{0}, []int{1}, []int{-3}, nil},
		{[]int{4, 5}, []int{0, 0}, []int{1, 1}, []int{1, -1}, nil},
		{[]int{4, 5}, []int{0}, []int{1}, nil, []int{0}},
		{[]int{4}, []int{0, 0}, []int{1, 1}, nil, nil},
	} {
		if _, err := NewSliceGeom(c.in, c.starts, c.ends, c.axes, c.steps); !errors.Is(err, ErrShape) {
			t.Errorf("%+v: error %v, want ErrShape", c, err)
		}
	}
}

func TestSliceIdentityIsCopy(t *testing.T) {
	g, err := NewSliceGeom([]int{3, 4}, []int{0, -100}, []int{math.MaxInt64, 4}, nil, nil)
	if err != nil || !g.IsCopy() {
		t.Fatalf("full slice: IsCopy %v, %v", g.IsCopy(), err)
	}
	g, _ = NewSliceGeom([]int{3, 4}, []int{1}, []int{3}, nil, nil)
	if g.IsCopy() {
		t.Fatal("a proper slice is not a copy")
	}
}

func isPrefix(axes []int) bool {
	for i, a := range axes {
		if a != i {
			return false
		}
	}
	return true
}

func int64s(v []int) []int64 {
	if v == nil {
		return nil
	}
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// TestSliceByHand checks the kernel and the reference on slices worked out
// by hand.
func TestSliceByHand(t *testing.T) {
	x := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, c := range []struct {
		start, end, step int
		want             []float32
	}{
		{8, math.MinInt64, -3, []float32{8, 5, 2}},
		{-1, -11, -1, []float32{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{-3, math.MaxInt64, 1, []float32{7, 8, 9}},
		{1, -1, 4, []float32{1, 5}},
		{20, 0, -4, []float32{9, 5, 1}},
		{5, 5, 1, []float32{}},
		{2, 9, math.MaxInt64, []float32{2}},
		{2, 0, math.MinInt64, []float32{2}},
	} {
		g, err := NewSliceGeom([]int{10}, []int{c.start}, []int{c.end}, nil, []int{c.step})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, g.Size())
		Slice(g, got, x)
		want, _ := ref.Slice(ref.To64(x), []int{10}, []int64{int64(c.start)}, []int64{int64(c.end)}, nil, []int64{int64(c.step)})
		if len(got) != len(c.want) || len(want) != len(c.want) {
			t.Fatalf("%+v: got %v, reference %v", c, got, want)
		}
		for i := range got {
			if got[i] != c.want[i] || want[i] != float64(c.want[i]) {
				t.Fatalf("%+v: got %v, reference %v", c, got, want)
			}
		}
	}
}

// FuzzSlice resolves arbitrary bounds on small shapes: NewSliceGeom must
// refuse them or give a geometry whose kernel stays in bounds and matches
// the reference.
func FuzzSlice(f *testing.F) {
	f.Add(uint8(3), uint8(4), int64(1), int64(-1), int64(1), int64(1), int64(2))
	f.Add(uint8(5), uint8(1), int64(math.MaxInt64), int64(math.MinInt64), int64(-1), int64(0), int64(math.MinInt64))
	f.Add(uint8(0), uint8(2), int64(-7), int64(9), int64(-2), int64(-1), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, d0, d1 uint8, start, end, axis, step0, step1 int64) {
		xs := []int{int(d0 % 9), int(d1 % 9)}
		starts, ends := []int{int(start), int(end)}, []int{int(end), int(start)}
		axes, steps := []int{int(axis), int(axis) + 1}, []int{int(step0), int(step1)}
		g, err := NewSliceGeom(xs, starts, ends, axes, steps)
		if err != nil {
			if !errors.Is(err, ErrShape) {
				t.Fatalf("error %v does not wrap ErrShape", err)
			}
			return
		}
		x := make([]float32, ShapeSize(xs))
		for i := range x {
			x[i] = float32(i)
		}
		dst := make([]float32, g.Size())
		Slice(g, dst, x)
		want, ws := ref.Slice(ref.To64(x), xs, int64s(starts), int64s(ends), int64s(axes), int64s(steps))
		if !EqualShapes(ws, g.Out) {
			t.Fatalf("shape %v, reference %v", g.Out, ws)
		}
		for i, w := range want {
			if float64(dst[i]) != w {
				t.Fatalf("[%d] = %v, reference %v", i, dst[i], w)
			}
		}
	})
}
