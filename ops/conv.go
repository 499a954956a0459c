package ops

import (
	"errors"
	"fmt"
	"slices"
)

// ErrAlgo is wrapped by errors that report an unknown algorithm or one that
// does not apply to the operation's geometry.
var ErrAlgo = errors.New("unsupported algorithm")

// ConvAlgo names a convolution algorithm.
type ConvAlgo string

// Convolution algorithms.
const (
	AlgoAuto      ConvAlgo = "auto"      // NewConv picks with ChooseConvAlgo
	AlgoDirect    ConvAlgo = "direct"    // sliding window
	AlgoIm2col    ConvAlgo = "im2col"    // im2col + packed GEMM; 1x1 stride-1 unpadded convs skip im2col and go straight to GEMM
	AlgoDepthwise ConvAlgo = "depthwise" // groups == C == M/multiplier: dedicated kernel
)

// ConvAlgos returns the algorithms applicable to g: direct and im2col
// always, depthwise when g.Depthwise(), winograd2 and winograd4 for 3x3 (or
// 1D 3-tap) stride-1 undilated convolutions without groups of rank 1 or 2,
// and fft for stride-1 undilated convolutions without groups whose FFT
// tiles and transformed weights fit the limits of fftChooseTile.
func ConvAlgos(g ConvGeom) []ConvAlgo {
	algos := []ConvAlgo{AlgoDirect, AlgoIm2col}
	if g.Depthwise() {
		algos = append(algos, AlgoDepthwise)
	}
	if winogradApplies(g) {
		algos = append(algos, AlgoWinograd2, AlgoWinograd4)
	}
	if fftApplies(g) {
		algos = append(algos, AlgoFFT)
	}
	return algos
}

// AlgoWinograd is an alias, not an algorithm of its own: the Winograd
// variant that suits each layer (ResolveConvAlgo). NewConv, ParseConvAlgo and
// runtime.Options.Algo accept it.
const AlgoWinograd ConvAlgo = "winograd"

// KnownConvAlgos lists every algorithm NewConv implements, "auto" first. The
// alias AlgoWinograd is not listed: it stands for winograd2 or winograd4.

func KnownConvAlgos() []ConvAlgo {
	return []ConvAlgo{AlgoAuto, AlgoDirect, AlgoIm2col, AlgoDepthwise, AlgoWinograd2, AlgoWinograd4, AlgoFFT}
}

// ParseConvAlgo checks that s names a known algorithm or the alias
// AlgoWinograd; "" means auto. The error wraps ErrAlgo and lists the known
// names.
func ParseConvAlgo(s string) (ConvAlgo, error) {
	switch s {
	case "":
		return AlgoAuto, nil
	case string(AlgoWinograd):
		return AlgoWinograd, nil
	}
	for _, a := range KnownConvAlgos() {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: unknown conv algorithm %q (known: %v, and winograd for the best Winograd variant)", ErrAlgo, s, KnownConvAlgos())
}

// ResolveConvAlgo turns the choices that depend on the layer into the
// algorithm that runs g: "" and AlgoAuto become ChooseConvAlgo(g), and
// AlgoWinograd the Winograd variant for g: winograd4 (four times the outputs
// per tile, the faster of the two on every measured layer, see
// ChooseConvAlgo) unless the output is narrower than a 4-wide tile along an
// axis the tiles span, where most of a F(4x4,3x3) tile would be wasted and
// winograd2 runs. AlgoWinograd stays as it is when Winograd does not apply to
// g, so NewConv reports that. Any other algorithm is returned unchanged.
func ResolveConvAlgo(g ConvGeom, a ConvAlgo) ConvAlgo {
	switch a {
	case "", AlgoAuto:
		return ChooseConvAlgo(g)
	case AlgoWinograd:
		if !winogradApplies(g) {
			return AlgoWinograd
		}
		twoD := g.Rank == 2 && g.Kernel.H == 3
		if g.Out.W < 4 || (twoD && g.Out.H < 4) {
			return AlgoWinograd2
		}
		return AlgoWinograd4
	}
	return a
}

// ChooseConvAlgo picks an algorithm for g by a simple cost rule: depthwise
// for depthwise convolutions; winograd4 for 3x3 (or 1D 3-tap) stride-1
// layers with at least 16 input and output channels and 4 output tiles;
// fft for stride-1 layers with at least 15 kernel taps and 8 input and
// output channels; direct when the GEMM would be too small to repay packing
// (fewer than 16 multiply-adds per output, fewer than 8 output channels per
// group, or fewer than 4 output positions); im2col otherwise.
//
// The rules follow single-thread measurements on amd64 (BenchmarkConv,
// effective GFLOP/s = direct-convolution FLOPs / time, on a busy 2-core
// machine so ±30%): im2col runs at 4.5-7.5 GFLOP/s everywhere; winograd4 at
// 18-22 on the ResNet-18 3x3 layers (64-64@56, 128-128@28, 256-256@14,
// 512-512@7), 10.5 at 16-16@56 against 6.5 for im2col, and even with
// im2col at 8-8@56; winograd2 reaches 8-16, always below winograd4. fft
// runs the 7x7 64-64@56 layer at 29-45 (im2col 4.2), a 5x5 64-64@56 at 36
// (5.2), 7x7 8-8@64 at 12 (5.5), and 1D 32-32 convolutions over 4096
// samples at 56 with 63 taps (4.5), 16 with 15 taps (3.5) and 7.5 with 7
// taps (5.6); it beats im2col on large 3x3 layers too (11-18 GFLOP/s) but
// loses to winograd4 there.
//
// In the wasm build with the SIMD kernels (ResNet-18 layers in Node, one
// thread) the same rule holds for the 3x3 layers: winograd4 runs the
// 512-512@7 layers in 6.3 ms against 9.9 for im2col and 8.0 for winograd2,
// 256-256@14 in 4.3 against 9.1 and 8.0. The direct threshold was 32
// multiply-adds per output until the SIMD GEMM: VGG-16's 3x3 3-64@224
// (27 per output) takes 110 ms direct and 18 im2col in wasm, against 25 and
// 28 natively, so im2col now starts at 16. Likewise the output-channel
// threshold went from 8 to 4: LeNet-5's first conv (1->6 channels, 5x5)
// takes 0.10 ms direct and 0.05 im2col natively, 0.49 and 0.06 in wasm with
// SIMD; with 2 output channels direct still wins (3x3 1->2 on 64x64: 20 us
// direct, 51 im2col natively).
//
// Pointwise convolutions (1x1 kernel, stride 1, no padding) always take
// im2col, which runs them as a GEMM on the input as it is (no im2col
// matrix, weights packed once in NewConv): with no padding taps the GEMM
// adds exactly the products direct adds, in the same order, so the result
// is the same bit for bit, while direct pays a call per input channel and
// output row. On PaddleOCR's MobileNetV3 (issue 15) the squeeze-excite 1x1
// convs on 1x1 maps took 0.4 ms each direct in the wasm build (10,000
// multiply-adds), and the 8- to 32-channel 1x1 layers ran at 0.7 GFLOP/s.
func ChooseConvAlgo(g ConvGeom) ConvAlgo {
	k := g.C / max(g.G, 1) * g.Kernel.prod()
	switch {
	case g.Depthwise():
		return AlgoDepthwise
	case g.pointwise():
		return AlgoIm2col
	case winogradApplies(g) && g.C >= 16 && g.M >= 16 && g.N*ceilDiv(g.Out.H, 4)*ceilDiv(g.Out.W, 4) >= 4:
		return AlgoWinograd4
	case g.Kernel.prod() >= 15 && g.C >= 8 && g.M >= 8 && fftApplies(g):
		return AlgoFFT
	case k < 16 || g.M/max(g.G, 1) < 4 || g.Out.prod() < 4:
		return AlgoDirect
	}
	return AlgoIm2col
}

// Conv is a prepared convolution: geometry, weights (repacked for its
// algorithm), bias and fused activation. It is immutable after NewConv, so
// one Conv may run Forward from several goroutines at once, each with its
// own workspace.
type Conv struct {
	g      ConvGeom
	algo   ConvAlgo
	act    Activation
	w      []float32 // direct, depthwise: [M, C/G, kd, kh, kw]
	bias   []float32 // nil or len M
	wsLen  int
	inLen  int // values of x
	outLen int // values of dst

	// im2col
	packed       []float32 // per group, A operands packed by packA
	gemmK, gemmN int
	pointwise    bool // 1x1, stride 1, no padding: the input is B as is
	im           im2colGeom
	units        int // GEMM work units per Forward
	slotLen      int // scratch per goroutine

	// winograd, fft
	xf   xformGemm
	wino winoGeom
	fft  fftGeom

	// depthwise: the padded path's geometry (nil: the bounds-testing path)
	dwPad *dwPadGeom
}

// validConvGeom reports whether g is internally consistent enough for the
// kernels (as NewConvGeom guarantees).
func validConvGeom(g ConvGeom) error {
	pos := func(d Dims3) bool { return d.D >= 1 && d.H >= 1 && d.W >= 1 }
	nonneg := func(d Dims3) bool { return d.D >= 0 && d.H >= 0 && d.W >= 0 }
	if g.Rank < 1 || g.Rank > 3 || g.N < 1 || g.C < 1 || g.M < 1 || g.G < 1 || g.C%g.G != 0 || g.M%g.G != 0 ||
		!pos(g.In) || !pos(g.Kernel) || !pos(g.Out) || !pos(g.Stride) || !pos(g.Dilate) || !nonneg(g.PadHead) {
		return fmt.Errorf("%w: inconsistent conv geometry %+v", ErrShape, g)
	}
	for _, s := range [][]int{g.InShape(), g.OutShape(), g.WeightShape()} {
		if _, err := NumElements(s); err != nil {
			return err
		}
	}
	return nil
}

// NewConv prepares a convolution of geometry g (see NewConvGeom) with
// weights w, of length prod(g.WeightShape()) in [M, C/G, kd, kh, kw]
// row-major order, bias nil or of length M, and activation act applied after
// the bias. algo selects the algorithm (AlgoAuto and AlgoWinograd are
// resolved by ResolveConvAlgo). NewConv
// copies or repacks w and bias, so the caller may reuse them. Wrong weight
// or bias lengths give an error wrapping ErrShape; an unknown or
// inapplicable algorithm (or activation) one wrapping ErrAlgo.
func NewConv(g ConvGeom, w, bias []float32, act Activation, algo ConvAlgo) (*Conv, error) {
	if err := validConvGeom(g); err != nil {
		return nil, err
	}
	wlen, _ := NumElements(g.WeightShape())
	if len(w) != wlen {
		return nil, fmt.Errorf("%w: conv weights %s need %d values, got %d", ErrShape, FormatShape(g.WeightShape()), wlen, len(w))
	}
	if bias != nil && len(bias) != g.M {
		return nil, fmt.Errorf("%w: conv bias has %d values, want %d (one per output channel)", ErrShape, len(bias), g.M)
	}
	if !act.Kind.valid() {
		return nil, fmt.Errorf("%w: activation %v", ErrAlgo, act.Kind)
	}
	algo = ResolveConvAlgo(g, algo)
	if !slices.Contains(ConvAlgos(g), algo) {
		return nil, fmt.Errorf("%w: conv algorithm %q does not apply to %s input with %s weights and %d groups (have %v)",
			ErrAlgo, algo, FormatShape(g.InShape()), FormatShape(g.WeightShape()), g.G, ConvAlgos(g))
	}
	c := &Conv{g: g, algo: algo, act: act}
	c.inLen, _ = NumElements(g.InShape())
	c.outLen, _ = NumElements(g.OutShape())
	if bias != nil {
		c.bias = slices.Clone(bias)
	}
	switch algo {
	case AlgoIm2col:
		c.im2colSetup(w)
	case AlgoWinograd2:
		c.winogradSetup(w, 2)
	case AlgoWinograd4:
		c.winogradSetup(w, 4)
	case AlgoFFT:
		c.fftSetup(w)
	case AlgoDepthwise:
		c.depthwiseSetup(w)
	default:
		c.w = slices.Clone(w)
	}
	return c, nil
}

// Algo returns the algorithm the convolution runs.
func (c *Conv) Algo() ConvAlgo { return c.algo }

// Geom returns the convolution's geometry.
func (c *Conv) Geom() ConvGeom { return c.g }

// WorkspaceLen returns the number of float32 scratch values Forward needs. It
// does not depend on the thread count: it covers up to MaxThreads goroutines
// (im2col keeps one packed B block per goroutine; winograd and fft keep the
// transformed inputs and products of one block of tiles per goroutine,
// about 2 MB unless a single FFT tile needs more; depthwise keeps a
// zero-bordered copy of one input plane per goroutine; direct needs none and
// returns 0).
func (c *Conv) WorkspaceLen() int { return c.wsLen }

// Forward computes the convolution of x (prod(g.InShape()) values, all N
// images) into dst (prod(g.OutShape()) values), adds the bias and applies
// the activation, using up to threads goroutines (clamped to MaxThreads).
// ws holds at least WorkspaceLen() values; its contents on entry do not
// matter. dst must not overlap x or ws. The result is bit-identical for every
// thread count. Forward does not allocate when threads <= 1. Short buffers
// panic.
func (c *Conv) Forward(dst, x, ws []float32, threads int) {
	inLen, outLen := c.inLen, c.outLen
	if len(x) < inLen || len(dst) < outLen || len(ws) < c.wsLen {
		panic(fmt.Sprintf("ops: Conv.Forward: x has %d values (need %d), dst %d (need %d), ws %d (need %d)",
			len(x), inLen, len(dst), outLen, len(ws), c.wsLen))
	}
	dst, x = dst[:outLen], x[:inLen]
	switch c.algo {
	case AlgoIm2col:
		c.forwardIm2col(dst, x, ws, threads)
	case AlgoDepthwise:
		c.forwardDepthwise(dst, x, ws, threads)
	case AlgoWinograd2, AlgoWinograd4, AlgoFFT:
		c.forwardXform(dst, x, ws, threads)
	default:
		c.forwardDirect(dst, x, threads)
	}
}

// accumRow adds to each row[ow] the taps wk[kw]·xrow[ow*sw-pw+kw*dw] that
// fall inside xrow, in increasing kw. It is the inner loop of the direct and
// depthwise kernels: row is one output row, xrow one input row.
func accumRow(row, xrow, wk []float32, sw, dw, pw int) {
	inW, kw, ow := len(xrow), len(wk), len(row)
	// Interior: outputs whose taps are all inside xrow.
	lo := min(ceilDiv(pw, sw), ow)
	hi := lo
	if last := inW - 1 - (kw-1)*dw + pw; last >= 0 {
		hi = max(min(last/sw+1, ow), lo)
	}
	edge := func(o int) {
		base := o*sw - pw
		acc := row[o]
		for i, wv := range wk {
			if iw := base + i*dw; iw >= 0 && iw < inW {
				acc += float32(wv * xrow[iw])
			}
		}
		row[o] = acc
	}
	for o := 0; o < lo; o++ {
		edge(o)
	}
	for o := hi; o < ow; o++ {
		edge(o)
	}
	if hi == lo {
		return
	}
	switch {
	case kw == 1 && sw == 1:
		w0 := wk[0]
		rs := row[lo:hi]
		xs := xrow[lo-pw : hi-pw]
		xs = xs[:len(rs)]
		for i := range rs {
			rs[i] += float32(w0 * xs[i])
		}
	case kw == 3 && sw == 1:
		w0, w1, w2 := wk[0], wk[1], wk[2]
		rs := row[lo:hi]
		n := len(rs)
		x0 := xrow[lo-pw : lo-pw+n]
		x1 := xrow[lo-pw+dw : lo-pw+dw+n]
		x2 := xrow[lo-pw+2*dw : lo-pw+2*dw+n]
		x0, x1, x2 = x0[:len(rs)], x1[:len(rs)], x2[:len(rs)]
		for i := range rs {
			acc := rs[i]
			acc += float32(w0 * x0[i])
			acc += float32(w1 * x1[i])
			acc += float32(w2 * x2[i])
			rs[i] = acc
		}
	case kw == 3:
		w0, w1, w2 := wk[0], wk[1], wk[2]
		for o := lo; o < hi; o++ {
			xs := xrow[o*sw-pw : o*sw-pw+2*dw+1]
			acc := row[o]
			acc += float32(w0 * xs[0])
			acc += float32(w1 * xs[dw])
			acc += float32(w2 * xs[2*dw])
			row[o] = acc
		}
	default:
		for o := lo; o < hi; o++ {
			xs := xrow[o*sw-pw:]
			acc := row[o]
			for i, wv := range wk {
				acc += float32(wv * xs[i*dw])
			}
			row[o] = acc
		}
	}
}

// finishRow adds the bias b (when hasBias) to an output row and applies the
// activation.
func finishRow(row []float32, b float32, hasBias bool, act Activation) {
	if hasBias {
		for i := range row {
			row[i] += b
		}
	}
	act.Apply(row)
}
