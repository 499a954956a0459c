// Package kerneltest holds conformance suites for the accelerated kernels
// of package ops (ops.Kernels), in the style of gonum's testblas: each
// suite takes an implementation and checks it against the kernel's
// contract, so one suite runs against the pure-Go kernels (ops.GoKernels),
// the pure-Go twins of the SIMD kernels (wasm/simd) and the generated SIMD
// kernels themselves under wazero.
//
// A kernel suite (TestGemm, TestWinograd4In, TestWinograd4Out,
// TestPoolMax, TestDepthwise, TestClip, TestHardAct, TestBinary,
// TestGlobalAvg, TestSigmoid, TestSoftmax, TestPackB, TestGather, or
// TestKernels for a whole table)
// runs the implementation on edge and random sizes, with every buffer
// between guard values, and requires the result bit-identical to a loop
// written from the contract and to the pure-Go kernel, nothing written
// outside the outputs the contract names, and the inputs unchanged; the
// contract loops are themselves checked against float64 arithmetic.
// TestCallers installs a table and runs ops' convolutions, GEMM, Dense and
// pooling, requiring results bit-identical to the pure-Go table and every
// kernel call to receive the slices its contract describes.
//
// The package is for tests only.
package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// guard is the number of values kept before and after every buffer a
// suite passes to a kernel; they must come back unchanged.
const guard = 8

// TestKernels runs the suite of every kernel set in k.
func TestKernels(t *testing.T, k ops.Kernels) {
	t.Helper()
	run := func(name string, set bool, f func(t *testing.T)) {
		if set {
			t.Run(name, f)
		}
	}
	run("Gemm", k.Gemm != nil, func(t *testing.T) { TestGemm(t, k.Gemm) })
	run("Winograd4In", k.Winograd4In != nil, func(t *testing.T) { TestWinograd4In(t, k.Winograd4In) })
	run("Winograd4Out", k.Winograd4Out != nil, func(t *testing.T) { TestWinograd4Out(t, k.Winograd4Out) })
	run("PoolMax", k.PoolMax != nil, func(t *testing.T) { TestPoolMax(t, k.PoolMax) })
	run("Depthwise", k.Depthwise != nil, func(t *testing.T) { TestDepthwise(t, k.Depthwise) })
	run("Clip", k.Clip != nil, func(t *testing.T) { TestClip(t, k.Clip) })
	run("HardAct", k.HardAct != nil, func(t *testing.T) { TestHardAct(t, k.HardAct) })
	run("Binary", k.Binary != nil, func(t *testing.T) { TestBinary(t, k.Binary) })
	run("GlobalAvg", k.GlobalAvg != nil, func(t *testing.T) { TestGlobalAvg(t, k.GlobalAvg) })
	run("Sigmoid", k.Sigmoid != nil, func(t *testing.T) { TestSigmoid(t, k.Sigmoid) })
	run("Softmax", k.Softmax != nil, func(t *testing.T) { TestSoftmax(t, k.Softmax) })
	run("PackB", k.PackB != nil, func(t *testing.T) { TestPackB(t, k.PackB) })
	run("Gather", k.Gather != nil, func(t *testing.T) { TestGather(t, k.Gather) })
}

// buf is a buffer of n values between guard values: back holds them all,
// s the n values the kernel sees (its capacity runs to the end of back).
type buf struct {
	back []float32
	s    []float32
}

// newBuf returns a buffer of n random values in [-1, 1), guards included.
func newBuf(rng *rand.Rand, n int) buf {
	back := randSlice(rng, n+2*guard)
	return buf{back: back, s: back[guard : guard+n]}
}

// clone returns a copy of b with its own backing array.
func (b buf) clone() buf {
	back := slices.Clone(b.back)
	return buf{back: back, s: back[guard : guard+len(b.s)]}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

// specialFloats sets about a quarter of v to values that stress
// comparisons: NaNs with distinct payloads and signs, ±0, ±Inf.
func specialFloats(rng *rand.Rand, v []float32) {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1))}
	for i := range v {
		switch rng.IntN(16) {
		case 0:
			v[i] = math.Float32frombits(0x7fc00000 | uint32(rng.IntN(1<<20)))
		case 1:
			v[i] = math.Float32frombits(0xffc00000 | uint32(rng.IntN(1<<20)))
		case 2, 3, 4:
			v[i] = specials[rng.IntN(len(specials))]
		}
	}
}

// sameBits fails t at the first value where got and want differ in bits;
// index 0 is the first value the kernel sees, guards are negative or past
// the end.
func sameBits(t *testing.T, what string, got, want buf) {
	t.Helper()
	for i := range want.back {
		if math.Float32bits(got.back[i]) != math.Float32bits(want.back[i]) {
			t.Fatalf("%s[%d] = %v (%#08x), want %v (%#08x)", what, i-guard, got.back[i], math.Float32bits(got.back[i]),
				want.back[i], math.Float32bits(want.back[i]))
		}
	}
}

// unchanged fails t if an input buffer was modified.
func unchanged(t *testing.T, what string, got, orig buf) {
	t.Helper()
	sameBits(t, what+" (input)", got, orig)
}

// near fails t unless got is within tol·mag of the float64 value want.
func near(t *testing.T, what string, got float32, want, mag, tol float64) {
	t.Helper()
	if d := math.Abs(float64(got) - want); d > tol*mag+1e-30 {
		t.Fatalf("%s = %v, float64 %v (difference %g, magnitude %g)", what, got, want, d, mag)
	}
}

// orNil returns b's slice, or nil for a buffer that is not there.
func orNil(b *buf) []float32 {
	if b == nil {
		return nil
	}
	return b.s
}

// cloneOpt clones b if it is there.
func cloneOpt(b *buf) *buf {
	if b == nil {
		return nil
	}
	c := b.clone()
	return &c
}

// caseName formats a subtest name from alternating labels and values.
func caseName(kv ...any) string {
	s := ""
	for i := 0; i+1 < len(kv); i += 2 {
		if s != "" {
			s += "_"
		}
		s += fmt.Sprint(kv[i], kv[i+1])
	}
	return s
}
