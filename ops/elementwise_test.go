package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		name               string
		outer, axis, inner int
		scale, offset      float32
		tol                float64
	}{
		{"classes_1000", 2, 1000, 1, 10, 0, 1e-6},
		{"single_class", 3, 1, 4, 1, 0, 0},
		{"channels_inner", 2, 21, 37, 5, 0, 1e-6},
		{"outer_only", 7, 3, 1, 1, 0, 1e-6},
		{"large_1e4", 2, 10, 3, 1e4, 0, 1e-6},
		{"offset_1e4", 1, 50, 1, 3, 1e4, 1e-6},
		{"negative_1e4", 1, 50, 2, 1, -1e4, 1e-6},
		{"empty_axis", 2, 0, 3, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.outer * tc.axis * tc.inner
			x := randSlice(rng, n)
			for i := range x {
				x[i] = x[i]*tc.scale + tc.offset
			}
			want := ref.Softmax(ref.To64(x), tc.outer, tc.axis, tc.inner)
			dst, check := guarded(t, n)
			Softmax(dst, x, tc.outer, tc.axis, tc.inner)
			check()
			checkClose(t, dst, want, tc.tol)
			// Each [outer, :, inner] column sums to 1.
			for o := 0; o < tc.outer; o++ {
				for i := 0; i < tc.inner; i++ {
					sum := 0.0
					for a := 0; a < tc.axis; a++ {
						sum += float64(dst[(o*tc.axis+a)*tc.inner+i])
					}
					if tc.axis > 0 && math.Abs(sum-1) > 1e-5 {
						t.Fatalf("column %d,%d sums to %v", o, i, sum)
					}
				}
			}
			// In place gives the same bits.
			in := append([]float32(nil), x...)
			Softmax(in, in, tc.outer, tc.axis, tc.inner)
			for i := range in {
				if math.Float32bits(in[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("in place: element %d is %v, want %v", i, in[i], dst[i])
				}
			}
		})
	}
}

func TestBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, tc := range []struct {
		name          string
		n, c, spatial int
		eps           float32
	}{
		{"nchw", 2, 16, 49, 1e-5},
		{"one_channel", 1, 1, 10, 1e-3},
		{"dense_like", 3, 64, 1, 1e-5},
		{"tiny_variance", 1, 8, 5, 1e-5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gamma, beta, mean := randSlice(rng, tc.c), randSlice(rng, tc.c), randSlice(rng, tc.c)
			variance := randSlice(rng, tc.c)
			for i := range variance {
				variance[i] = variance[i]*variance[i] + 0.01
				if tc.name == "tiny_variance" {
					variance[i] = 1e-7
				}
			}
			bn, err := NewBatchNorm(gamma, beta, mean, variance, tc.eps)
			if err != nil {
				t.Fatal(err)
			}
			n := tc.n * tc.c * tc.spatial
			x := randSlice(rng, n)
			want := ref.BatchNorm(ref.To64(x), ref.To64(gamma), ref.To64(beta), ref.To64(mean), ref.To64(variance),
				float64(tc.eps), tc.n, tc.spatial)
			dst, check := guarded(t, n)
			bn.Forward(dst, x, tc.n, tc.spatial)
			check()
			checkClose(t, dst, want, 1e-6)
			bn.Forward(x, x, tc.n, tc.spatial) // in place
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("in place: element %d is %v, want %v", i, x[i], dst[i])
				}
			}
		})
	}
}

func TestNewBatchNormErrors(t *testing.T) {
	one, two := []float32{1}, []float32{1, 1}
	for _, tc := range []struct {
		name                        string
		gamma, beta, mean, variance []float32
		eps                         float32
		shape                       bool // wraps ErrShape
	}{
		{"beta_length", one, two, one, one, 1e-5, true},
		{"mean_length", two, two, one, two, 1e-5, true},
		{"variance_length", two, two, two, one, 1e-5, true},
		{"empty", nil, nil, nil, nil, 1e-5, true},
		{"negative_variance", one, one, one, []float32{-1}, 1e-5, false},
		{"zero_variance_no_eps", one, one, one, []float32{0}, 0, false},
		{"nan_variance", one, one, one, []float32{float32(math.NaN())}, 1e-5, false},
		{"inf_variance", one, one, one, []float32{float32(math.Inf(1))}, 1e-5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewBatchNorm(tc.gamma, tc.beta, tc.mean, tc.variance, tc.eps)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrShape) != tc.shape {
				t.Fatalf("error %q: wraps ErrShape %v, want %v", err, !tc.shape, tc.shape)
			}
		})
	}
}

func TestLRN(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, tc := range []struct {
		name                string
		n, c, spatial, size int
		alpha, beta, bias   float32
		scale               float32
	}{
		// AlexNet (as in Caffe / PyTorch): size 5, alpha 1e-4, beta 0.75, k 2.
		{"alexnet", 2, 16, 30, 5, 1e-4, 0.75, 2, 50},
		// ONNX defaults: alpha 1e-4, beta 0.75, bias 1.
		{"onnx_defaults", 1, 7, 9, 3, 1e-4, 0.75, 1, 20},
		{"even_size", 1, 6, 4, 4, 0.5, 0.75, 1, 2},
		{"size_1", 1, 3, 5, 1, 1, 0.5, 1, 3},
		{"size_wider_than_channels", 2, 3, 4, 9, 0.1, 1.5, 0.5, 2},
		{"strong", 1, 12, 8, 5, 2, 0.75, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n * tc.c * tc.spatial
			x := randSlice(rng, n)
			for i := range x {
				x[i] *= tc.scale
			}
			want := ref.LRN(ref.To64(x), tc.n, tc.c, tc.spatial, tc.size, float64(tc.alpha), float64(tc.beta), float64(tc.bias))
			dst, check := guarded(t, n)
			LRN(dst, x, tc.n, tc.c, tc.spatial, tc.size, tc.alpha, tc.beta, tc.bias)
			check()
			checkClose(t, dst, want, 1e-6)
		})
	}
}

// TestLRNWindow pins the channel window for an even size, where ONNX's
// [c-floor((size-1)/2), c+ceil((size-1)/2)] is asymmetric: with size 2 the
// window of channel c is {c, c+1}. Input: channel values 1, 2, 3 (one pixel),
// alpha = size so that alpha/size = 1, beta 1, bias 0: y[c] = x[c] / sum.
// y = [1/(1+4), 2/(4+9), 3/9].
func TestLRNWindow(t *testing.T) {
	x := []float32{1, 2, 3}
	got := make([]float32, 3)
	LRN(got, x, 1, 3, 1, 2, 2, 1, 0)
	checkClose(t, got, []float64{1.0 / 5, 2.0 / 13, 3.0 / 9}, 1e-7)
}

func TestAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, tc := range []struct {
		name  string
		n     int
		alias string // "", "a" or "b": dst is that operand
		act   Activation
		f     func(float64) float64
	}{
		{"plain", 1000, "", Activation{}, func(v float64) float64 { return v }},
		{"relu", 257, "", Activation{Kind: ActReLU}, ref.ReLU},
		{"relu_alias_a", 100, "a", Activation{Kind: ActReLU}, ref.ReLU},
		{"alias_b", 100, "b", Activation{}, func(v float64) float64 { return v }},
		{"relu6_alias_a", 300, "a", ReLU6, func(v float64) float64 { return ref.Clip(v, 0, 6) }},
		{"sigmoid", 50, "", Activation{Kind: ActSigmoid}, ref.Sigmoid},
		{"empty", 0, "", Activation{Kind: ActReLU}, ref.ReLU},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := randSlice(rng, tc.n), randSlice(rng, tc.n)
			for i := range a {
				a[i] *= 8
			}
			sum := ref.Add(ref.To64(a), ref.To64(b))
			// Reference: float32 addition is exact-rounded, so round the sum once
			// before the activation, as the kernel does.
			want := ref.Map(ref.To64(ref.To32(sum)), tc.f)
			var dst []float32
			check := func() {}
			switch tc.alias {
			case "a":
				dst = a
			case "b":
				dst = b
			default:
				dst, check = guarded(t, tc.n)
			}
			Add(dst, a, b, tc.act)
			check()
			checkClose(t, dst, want, 1e-7)
		})
	}
	t.Run("length_mismatch_panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		Add(make([]float32, 3), make([]float32, 3), make([]float32, 2), Activation{})
	})
}

func TestConcat(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, tc := range []struct {
		name  string
		outer int
		sizes []int
		inner int
	}{
		{"channels_3_inputs", 2, []int{3, 1, 4}, 25},
		{"last_axis", 5, []int{2, 7, 1}, 1},
		{"first_axis", 1, []int{4, 2, 3}, 6},
		{"with_empty", 3, []int{2, 0, 5}, 4},
		{"single", 2, []int{3}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srcs := make([][]float32, len(tc.sizes))
			srcs64 := make([][]float64, len(tc.sizes))
			total := 0
			for i, s := range tc.sizes {
				srcs[i] = randSlice(rng, tc.outer*s*tc.inner)
				srcs64[i] = ref.To64(srcs[i])
				total += s
			}
			want := ref.Concat(srcs64, tc.outer, tc.sizes, tc.inner)
			dst, check := guarded(t, tc.outer*total*tc.inner)
			Concat(dst, srcs, tc.outer, tc.sizes, tc.inner)
			check()
			checkClose(t, dst, want, 0)
		})
	}
	for _, tc := range []struct {
		name  string
		srcs  [][]float32
		sizes []int
		dst   int
	}{
		{"count_mismatch", [][]float32{make([]float32, 2)}, []int{1, 1}, 4},
		{"short_source", [][]float32{make([]float32, 2), make([]float32, 1)}, []int{1, 2}, 6},
		{"short_dst", [][]float32{make([]float32, 2), make([]float32, 2)}, []int{1, 1}, 3},
	} {
		t.Run(fmt.Sprint("panics_", tc.name), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			Concat(make([]float32, tc.dst), tc.srcs, 1, tc.sizes, 2)
		})
	}
}
