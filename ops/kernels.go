package ops

// Kernels is the table of accelerated kernels: the inner loops a build may
// replace with faster code that computes the same float32 values, bit for
// bit (the wasm build installs generated WebAssembly SIMD kernels, see
// wasm/simd). A nil field keeps the pure-Go kernel, so the zero Kernels is
// pure Go throughout.
//
// Each field's type is the kernel's contract: what it computes, the order
// of its float32 operations (which an implementation must keep to stay
// bit-identical to the pure-Go kernels), and the exact slices it is called
// with. GoKernels returns the pure-Go kernels in this form; package
// ops/kerneltest checks any implementation against them.
type Kernels struct {
	// Gemm sweeps one packed block of every GEMM whose C has unit column
	// stride: Gemm, the im2col and 1x1 convolutions, Dense, and the
	// transform GEMMs of the Winograd and FFT convolutions. NewDense packs
	// its weights for it when it is installed.
	Gemm GemmKernel
	// Winograd4In and Winograd4Out are the 2D Winograd F(4x4, 3x3) input and
	// output transforms, four tiles at a time. Both are set, or neither; they
	// apply to the convolutions created (NewConv) while they are installed,
	// which size their scratch for them.
	Winograd4In  Winograd4InKernel
	Winograd4Out Winograd4OutKernel
	// PoolMax sweeps the interior of 2D (and 1D) max pooling, where an
	// interior row holds at least 4 outputs.
	PoolMax PoolMaxKernel
	// Depthwise sweeps the interior of one plane of a 2D (or 1D) depthwise
	// convolution, where an interior row holds at least 4 outputs.
	Depthwise DepthwiseKernel
	// Clip applies the ReLU and Clip activations fused into the GEMM-based
	// and depthwise convolutions and Dense.
	Clip ClipKernel
	// HardAct applies HardSigmoid and HardSwish wherever they run
	// (Activation.Apply, fused or standalone).
	HardAct HardActKernel
	// Binary sweeps the rows of the elementwise Add, Sub, Mul and Div
	// (Binary) whose operands are contiguous or broadcast along the row.
	Binary BinaryKernel
	// GlobalAvg is the global average pooling of whole planes (GlobalPool).
	GlobalAvg GlobalAvgKernel
	// Sigmoid applies the Sigmoid activation wherever it runs
	// (Activation.Apply, fused or standalone).
	Sigmoid SigmoidKernel
	// Softmax normalises contiguous rows: Softmax along the innermost axis.
	Softmax SoftmaxKernel
	// PackB copies whole column panels into the GEMM's packed B layout: the
	// rows of a row-major B (pointwise convolutions, MatMul) and the runs
	// of input rows that make up the im2col matrix.
	PackB PackBKernel
	// Gather copies the rows of nearest-neighbour Resize.
	Gather GatherKernel
}

// GemmKernel computes one packed block of a GEMM. For each of the m×n
// elements (i, j) of C, c[i*ldc+j], it must start from C's value when load
// is set and from 0 otherwise, add the kc products a(i, kk)·b(kk, j) in
// increasing kk, each rounded to float32 before it is added, then add
// bias[i] if bias is not nil, and store the sum; nothing else of c may
// change. a holds ceil(m/2) packed A panels of kc*2 values (element (r, kk)
// of panel p at p*2*kc+kk*2+r; the second row of a last, odd panel is
// padding), b holds n/4 packed B panels of kc*4 values (element (kk, l) of
// panel q at q*4*kc+kk*4+l), n is a multiple of 4. The slices are exactly
// as long as the data they hold (c: (m-1)*ldc+n values, bias: m).
type GemmKernel func(a, b, c []float32, kc, m, n, ldc int, load bool, bias []float32)

// Winograd4InKernel is the 2D Winograd F(4x4, 3x3) input transform of
// four tiles at a time (lane l of each group of four values belongs to the
// l-th tile). For each of n groups g (input channels), element (r, j) of
// tile l's 6×6 patch is src[l][g*ch[l]+r*row[l]+j]; the kernel stores the
// transformed patch Bᵀ x B, position p = i*6+j, at v[p*stride+g*4+l], and
// nothing else of v. It must compute exactly what Winograd4In does along
// the columns of the patch (H) and then along the rows of the result (W),
// operation for operation. len(src[l]) >= (n-1)*ch[l]+5*row[l]+6 and
// len(v) == 35*stride+n*4.
type Winograd4InKernel func(src [4][]float32, row, ch [4]int, v []float32, n, stride int)

// Winograd4OutKernel is the 2D Winograd F(4x4, 3x3) output transform of
// four tiles at a time, with the bias and a clip fused. For each of n
// groups g (output channels), the 36 products of tile l are
// y[p*stride+g*ldy+l]; the kernel computes the 4×4 output tile Aᵀ m A
// exactly as Winograd4Out along the columns (H) and then along the rows of
// the result (W), adds bias[g] (bias may be nil), then if clip replaces
// each value v by lo if v < lo and by hi if v > hi (both tests on the
// original v), and stores element (r, c) of tile l at
// dst[l][g*ch[l]+r*row[l]+c], writing nothing else. len(y) ==
// 35*stride+(n-1)*ldy+4, len(dst[l]) >= (n-1)*ch[l]+3*row[l]+4, len(bias)
// == n if set. The destinations of different tiles do not overlap, except
// for tiles whose results are dropped.
type Winograd4OutKernel func(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32)

// PoolMaxKernel is the interior sweep of 2D max pooling. For r < rows and
// t < n (n a positive multiple of 4) it must set dst[r*dstRow+t] to the
// maximum, in fmax32's semantics (Go's max: a NaN wins, the last NaN in tap
// order if there are several; -0 is below +0), folded from -Inf over the
// window taps x[r*xRow + jh*tapRow + t*sw + jw*dw] in increasing jh < kh,
// then jw < kw; nothing else of dst may change. x and dst end at the last
// tap and the last output.
type PoolMaxKernel func(dst, x []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int)

// DepthwiseKernel is the interior sweep of one plane of a 2D depthwise
// convolution. For r < rows and t < n (n a positive multiple of 4) it must
// set dst[r*dstRow+t] to the sum, starting from 0, of the products
// w[jh*kw+jw]·x[r*xRow + jh*tapRow + t*sw + jw*dw] in increasing jh < kh,
// then jw < kw, each product rounded to float32 before it is added, plus
// bias[0] if bias is not nil (one value), added last; nothing else of dst
// may change. len(w) == kh*kw; x and dst end at the last tap and the last
// output.
type DepthwiseKernel func(dst, x, w []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int, bias []float32)

// ClipKernel applies ReLU or Clip to a strided block. For r < rows and
// j < cols it must replace v = c[r*ldc+j] by lo if v < lo, then by hi if
// v > hi (both tests on the original v; a NaN passes), with lo <= hi or
// either of them NaN; ReLU is lo = +0, hi = +Inf. c holds exactly
// (rows-1)*ldc+cols values, and nothing outside the block may change.
type ClipKernel func(c []float32, rows, cols, ldc int, lo, hi float32)

// HardActKernel applies HardSigmoid or HardSwish to a strided block. For
// r < rows and j < cols it must replace v = c[r*ldc+j] by h = alpha*v
// rounded to float32 plus beta, then by 0 if h < 0, then by 1 if h > 1 (a
// NaN passes both tests); with swish it stores v*h (rounded) instead of h.
// c holds exactly (rows-1)*ldc+cols values, and nothing outside the block
// may change.
type HardActKernel func(c []float32, rows, cols, ldc int, alpha, beta float32, swish bool)

// BinaryKernel sweeps rows of one elementwise operation (kind BinAdd,
// BinSub, BinMul or BinDiv, never BinPow). For r < rows and t < n it must
// set dst[r*n+t] to A(r, t) op B(r, t), one float32 operation, where
// A(r, t) = a[r*ars + t*acs] and B(r, t) = b[r*brs + t*bcs], with acs and
// bcs each 0 (the operand is broadcast along the row) or 1, not both 0.
// Nothing else of dst may change. dst holds exactly rows*n values, a and b
// end at their last element read. dst may be a or b itself (same layout)
// but must not otherwise overlap them.
type BinaryKernel func(kind BinaryKind, dst, a, b []float32, rows, n, ars, acs, brs, bcs int)

// GlobalAvgKernel is the global average pooling of planes whole planes:
// for p < planes it must set dst[p] to the float32 rounding of s/spatial,
// where s is the float64 sum, from 0 in increasing i, of the float32
// values x[p*spatial+i], i < spatial, each converted to float64. len(dst) ==
// planes and len(x) == planes*spatial, spatial >= 1.
type GlobalAvgKernel func(dst, x []float32, planes, spatial int)

// SigmoidKernel applies Sigmoid to a strided block: for r < rows and
// j < cols it must replace v = c[r*ldc+j] by Sigmoid32(v), that is
// float32(1 / (1 + Exp64(-float64(v)))), with Exp64 computed as
// Exp64Constants describes. c holds exactly (rows-1)*ldc+cols values, and
// nothing outside the block may change.
type SigmoidKernel func(c []float32, rows, cols, ldc int)

// SoftmaxKernel normalises rows rows of n >= 1 contiguous values, as
// Softmax does with inner = 1: for each row x (x[r*n:(r+1)*n]) it must take
// m = x[0], then m = v for each later v > m; set dst[j] to float32(e_j),
// e_j = Exp64(float64(x[j]) - float64(m)), adding each e_j in increasing j
// to a float64 sum from 0; then replace each dst[j] by
// float32(float64(dst[j]) / sum). dst and x hold exactly rows*n values;
// dst may be x itself but must not otherwise overlap it. Where the sum
// meets two NaNs, the NaN stored may have either's payload.
type SoftmaxKernel func(dst, x []float32, rows, n int)

// PackBKernel copies rows rows of groups groups of gemmNR (4) values, read
// sw values apart, into packed B panels: for r < rows, q < groups and
// l < 4 it must set dst[q*step+r*4+l] to src[r*srcRow+(q*4+l)*sw], and
// change nothing else of dst. dst holds exactly (groups-1)*step+rows*4
// values and src (rows-1)*srcRow+(groups*4-1)*sw+1; sw >= 1,
// step >= rows*4 and srcRow >= 0.
type PackBKernel func(dst, src []float32, rows, groups, srcRow, sw, step int)

// GatherKernel sets dst[j] = src[offs[j]] for j < len(dst) (a copy of the
// value's bits). len(offs) >= len(dst) and every offs[j] is in
// [0, len(src)); an implementation that does not check may clamp offsets to
// that range instead, but must never read outside src.
type GatherKernel func(dst, src []float32, offs []int32)

// installed is the kernel table in use (zero: pure Go).
var installed Kernels

// UseKernels installs k for every later kernel call (and, for the Winograd
// transforms, every later NewConv); nil fields select the pure-Go kernels,
// so UseKernels(Kernels{}) restores them. It panics if only one of
// Winograd4In and Winograd4Out is set. The wasm build calls it at startup
// to route the kernels to generated WebAssembly SIMD code. Call it before
// any kernel runs: it is not synchronized.
func UseKernels(k Kernels) {
	if (k.Winograd4In == nil) != (k.Winograd4Out == nil) {
		panic("ops: UseKernels needs both Winograd4In and Winograd4Out, or neither")
	}
	installed = k
}

// InstalledKernels returns the table UseKernels installed last (the zero
// Kernels if it was never called).
func InstalledKernels() Kernels { return installed }

// GoKernels returns the pure-Go kernels as a table, every field set: the
// loops that run when a field of the installed table is nil, in the
// form of the kernel contracts. Conformance tests compare other
// implementations with them; installing them gives results bit-identical
// to the zero table.
func GoKernels() Kernels {
	return Kernels{
		Gemm:         gemmKernelGo,
		Winograd4In:  winograd4InGo,
		Winograd4Out: winograd4OutGo,
		PoolMax:      poolMaxGo,
		Depthwise:    depthwiseGo,
		Clip:         clipGo,
		HardAct:      hardSigmoidGo,
		Binary:       binaryKernelGo,
		GlobalAvg:    globalAvgGo,
		Sigmoid:      sigmoidGo,
		Softmax:      softmaxRowsGo,
		PackB:        packBGo,
		Gather:       gatherGo,
	}
}
