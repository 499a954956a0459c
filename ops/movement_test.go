package ops

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func randShape(rng *rand.Rand, rank, maxDim int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + rng.IntN(maxDim)
	}
	return s
}

func TestGatherKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for range 40 {
		xs := randShape(rng, 1+rng.IntN(4), 5)
		axis := rng.IntN(len(xs))
		is := randShape(rng, rng.IntN(3), 3)
		idx := make([]int, ShapeSize(is))
		norm := make([]int, len(idx))
		for i := range idx {
			idx[i] = rng.IntN(2*xs[axis]) - xs[axis]
			norm[i] = idx[i]
			if norm[i] < 0 {
				norm[i] += xs[axis]
			}
		}
		x := randSlice(rng, ShapeSize(xs))
		want, ws := ref.Gather(ref.To64(x), xs, axis, idx, is)
		dst, check := guarded(t, ShapeSize(ws))
		Gather(dst, x, ShapeSize(xs[:axis]), xs[axis], ShapeSize(xs[axis+1:]), norm)
		check()
		checkClose(t, dst, want, 0)
	}
}

func TestExpandKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for range 40 {
		out := randShape(rng, 1+rng.IntN(5), 4)
		xs := append([]int(nil), out[rng.IntN(len(out)):]...)
		for i := range xs {
			if rng.IntN(2) == 0 {
				xs[i] = 1
			}
		}
		shape := append([]int(nil), out...)
		for i := range shape { // the target may have 1s where x is larger
			if rng.IntN(4) == 0 && i >= len(shape)-len(xs) {
				shape[i] = 1
			}
		}
		g, err := NewBroadcastGeom(xs, shape)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(rng, ShapeSize(xs))
		want, ws := ref.Expand(ref.To64(x), xs, shape)
		if !EqualShapes(ws, g.Out) {
			t.Fatalf("%v to %v: shape %v, want %v", xs, shape, g.Out, ws)
		}
		dst, check := guarded(t, g.Size())
		Expand(g, dst, x)
		check()
		checkClose(t, dst, want, 0)
	}
}

func TestTileKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for range 40 {
		xs := randShape(rng, 1+rng.IntN(4), 4)
		reps := randShape(rng, len(xs), 3)
		g, err := NewTileGeom(xs, reps)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(rng, ShapeSize(xs))
		want, ws := ref.Tile(ref.To64(x), xs, reps)
		if !EqualShapes(ws, g.Out) {
			t.Fatalf("shape %v, want %v", g.Out, ws)
		}
		dst, check := guarded(t, ShapeSize(g.Out))
		Tile(g, dst, x)
		check()
		checkClose(t, dst, want, 0)
	}
	for _, c := range [][2][]int{{{2, 3}, {2}}, {{2, 3}, {1, 0}}} {
		if _, err := NewTileGeom(c[0], c[1]); !errors.Is(err, ErrShape) {
			t.Errorf("Tile %v by %v: err %v, want ErrShape", c[0], c[1], err)
		}
	}
}

func TestSplitKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for range 30 {
		xs := randShape(rng, 1+rng.IntN(4), 6)
		axis := rng.IntN(len(xs))
		var sizes []int
		for left := xs[axis]; left > 0; {
			s := 1 + rng.IntN(left)
			sizes = append(sizes, s)
			left -= s
		}
		x := randSlice(rng, ShapeSize(xs))
		want, shapes := ref.Split(ref.To64(x), xs, axis, sizes)
		dst := make([][]float32, len(sizes))
		checks := make([]func(), len(sizes))
		for i := range dst {
			dst[i], checks[i] = guarded(t, ShapeSize(shapes[i]))
		}
		Split(dst, x, ShapeSize(xs[:axis]), sizes, ShapeSize(xs[axis+1:]))
		for i := range dst {
			checks[i]()
			checkClose(t, dst[i], want[i], 0)
		}
	}
}

func TestDepthSpaceKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for range 20 {
		bs := 1 + rng.IntN(3)
		xs := []int{1 + rng.IntN(2), bs * bs * (1 + rng.IntN(3)), 1 + rng.IntN(4), 1 + rng.IntN(4)}
		x := randSlice(rng, ShapeSize(xs))
		for _, mode := range []string{"DCR", "CRD"} {
			view, perm, out, err := DepthToSpacePerm(xs, bs, mode)
			if err != nil {
				t.Fatal(err)
			}
			want, ws := ref.DepthToSpace(ref.To64(x), xs, bs, mode)
			if !EqualShapes(ws, out) {
				t.Fatalf("DepthToSpace %v: shape %v, want %v", xs, out, ws)
			}
			g, err := NewTransposeGeom(view, perm)
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]float32, g.Size())
			Transpose(g, dst, x)
			checkClose(t, dst, want, 0)
		}
		ys := []int{xs[0], 1 + rng.IntN(3), bs * (1 + rng.IntN(3)), bs * (1 + rng.IntN(3))}
		y := randSlice(rng, ShapeSize(ys))
		view, perm, out, err := SpaceToDepthPerm(ys, bs)
		if err != nil {
			t.Fatal(err)
		}
		want, ws := ref.SpaceToDepth(ref.To64(y), ys, bs)
		if !EqualShapes(ws, out) {
			t.Fatalf("SpaceToDepth %v: shape %v, want %v", ys, out, ws)
		}
		g, err := NewTransposeGeom(view, perm)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, g.Size())
		Transpose(g, dst, y)
		checkClose(t, dst, want, 0)
	}
	if _, _, _, err := DepthToSpacePerm([]int{1, 6, 2, 2}, 2, "DCR"); !errors.Is(err, ErrShape) {
		t.Errorf("DepthToSpace of 6 channels by 2: err %v", err)
	}
	if _, _, _, err := SpaceToDepthPerm([]int{1, 1, 3, 2}, 2); !errors.Is(err, ErrShape) {
		t.Errorf("SpaceToDepth of 3 rows by 2: err %v", err)
	}
}
