//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/wasm/simd"
)

// The WebAssembly SIMD kernels (package wasm/simd) live in a second module,
// wasmnn-simd.wasm, that imports this module's memory. The host (the JS
// loader or wasm/host) provides the "wasmnn_simd" imports below when it
// instantiates this module: each forwards to the kernel instance it creates
// right afterwards, before the Go program starts. Where WebAssembly SIMD is
// missing, available returns 0 and the pure-Go kernels stay in use.

// simdAvailable reports whether the host instantiated the kernel module.
//
//go:wasmimport wasmnn_simd available
func simdAvailable() int32

// simdGemm is the kernel module's gemm (see simd.GemmRef and
// ops.GemmKernel): addresses of A's panels, B's panels, C(0, 0), then kc, m,
// n, ldc, flags (1: start from C), and the bias address (0: none).
//
//go:wasmimport wasmnn_simd gemm
func simdGemm(a, b, c, kc, m, n, ldc, flags, bias uint32)

// simdWino4In is the kernel module's wino4_in (see simd.Wino4InRef and
// ops.Winograd4InKernel): the address of V, the number of channel groups
// and V's position stride in floats, then per tile the patch address and
// its row and channel strides in floats.
//
//go:wasmimport wasmnn_simd wino4_in
func simdWino4In(v, n, stride, p0, row0, ch0, p1, row1, ch1, p2, row2, ch2, p3, row3, ch3 uint32)

// simdWino4Out is the kernel module's wino4_out (see simd.Wino4OutRef and
// ops.Winograd4OutKernel): the address of Y, its position stride and row
// stride in floats, the number of rows, the bias address (0: none), flags
// (1: clip) and the bits of the float32 bounds, then per tile the output
// address and its row and channel strides in floats.
//
//go:wasmimport wasmnn_simd wino4_out
func simdWino4Out(y, stride, ldy, n, bias, flags, lo, hi, p0, row0, ch0, p1, row1, ch1, p2, row2, ch2, p3, row3, ch3 uint32)

// simdMaxPool is the kernel module's maxpool (see simd.MaxPoolRef and
// ops.PoolMaxKernel): the output and input addresses, then n, rows and the
// strides in floats.
//
//go:wasmimport wasmnn_simd maxpool
func simdMaxPool(dst, x, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw uint32)

// simdDepthwise is the kernel module's depthwise (see simd.DepthwiseRef
// and ops.DepthwiseKernel): the output, input and weight addresses, then n,
// rows and the strides in floats, and the bias address (0: none).
//
//go:wasmimport wasmnn_simd depthwise
func simdDepthwise(dst, x, w, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, bias uint32)

// simdClip is the kernel module's clip (see simd.ClipRef and
// ops.ClipKernel): the block's address, rows, columns, row stride in floats
// and the bits of the float32 bounds.
//
//go:wasmimport wasmnn_simd clip
func simdClip(c, rows, cols, ldc, lo, hi uint32)

// simdHardAct is the kernel module's hardact (see simd.HardActRef and
// ops.HardActKernel): the block's address, rows, columns, row stride in
// floats, the bits of alpha and beta, and 1 for HardSwish.
//
//go:wasmimport wasmnn_simd hardact
func simdHardAct(c, rows, cols, ldc, alpha, beta, swish uint32)

// simdBinary is the kernel module's binary (see simd.BinaryRef and
// ops.BinaryKernel): the kind (0-3: Add, Sub, Mul, Div), the addresses of
// dst, a and b, rows, the row length, and a's and b's row and column
// strides in floats.
//
//go:wasmimport wasmnn_simd binary
func simdBinary(kind, dst, a, b, rows, n, ars, acs, brs, bcs uint32)

// simdSigmoid is the kernel module's sigmoid (see simd.SigmoidRef and
// ops.SigmoidKernel): the block's address, rows, columns and row stride in
// floats.
//
//go:wasmimport wasmnn_simd sigmoid
func simdSigmoid(c, rows, cols, ldc uint32)

// simdSoftmax is the kernel module's softmax (see simd.SoftmaxRef and
// ops.SoftmaxKernel): the output and input addresses, rows and the row
// length in floats.
//
//go:wasmimport wasmnn_simd softmax
func simdSoftmax(dst, x, rows, n uint32)

// simdPackB is the kernel module's packb (see simd.PackBRef and
// ops.PackBKernel): the destination and source addresses, rows, groups of
// four values per row, and the source row stride, value stride and panel
// stride in floats.
//
//go:wasmimport wasmnn_simd packb
func simdPackB(dst, src, rows, groups, srcRow, sw, step uint32)

// simdGather is the kernel module's gather (see simd.GatherRef and
// ops.GatherKernel): the destination, source and offsets addresses, the
// number of values and the source's length in floats.
//
//go:wasmimport wasmnn_simd gather
func simdGather(dst, src, offs, n, srcLen uint32)

// simdGlobalAvg is the kernel module's globalavg (see simd.GlobalAvgRef and
// ops.GlobalAvgKernel): the output and input addresses, the number of
// planes and their size in floats.
//
//go:wasmimport wasmnn_simd globalavg
func simdGlobalAvg(dst, x, planes, spatial uint32)

// simdThreads is the number of threads the host runs kernels on (1: only
// the calling one). It is fixed when the module starts.
//
//go:wasmimport wasmnn_simd threads
func simdThreads() int32

// simdParallel runs the kernel module's export number kernel (the order of
// simd.Kernels) once per argument vector: parts vectors of nargs uint32
// values each, at address args, concurrently on the host's threads, and
// returns when every part is done. It returns 0, or a nonzero code after a
// failure (see threadFailure); the host then runs later calls on the calling
// thread alone.
//
//go:wasmimport wasmnn_simd parallel
func simdParallel(kernel, parts, args, nargs uint32) int32

// simdOn reports whether the SIMD kernels are installed.
var simdOn bool

// threads is simdThreads() once the kernels are installed, else 1.
var threads = 1

// Kernel numbers for simdParallel: positions in simd.Kernels.
var (
	kernelGemm     = kernelIndex("gemm")
	kernelWino4In  = kernelIndex("wino4_in")
	kernelWino4Out = kernelIndex("wino4_out")
	kernelMaxPool  = kernelIndex("maxpool")
	kernelClip     = kernelIndex("clip")
	kernelHardAct  = kernelIndex("hardact")
	kernelBinary   = kernelIndex("binary")
	kernelSigmoid  = kernelIndex("sigmoid")
	kernelSoftmax  = kernelIndex("softmax")
	kernelGlobAvg  = kernelIndex("globalavg")
)

func kernelIndex(name string) uint32 {
	for i, k := range simd.Kernels {
		if k.Name == name {
			return uint32(i)
		}
	}
	panic("wasmnn: no SIMD kernel " + name)
}

// parArgs holds the argument vectors of one simdParallel call. A package
// variable, so its address is fixed and nothing is allocated per call.
var parArgs [simd.MaxParts * 20]uint32

// threadFailure turns a nonzero simdParallel code into a panic, which the
// handler recovers into the caller's error; the host has by then switched
// to one thread, so the next call works.
func threadFailure(kernel string, code int32) {
	what := "a kernel trapped on a worker thread"
	if code == 2 {
		what = "a worker thread stopped answering"
	}
	panic(fmt.Sprintf("wasmnn: SIMD %s on threads: %s (error %d); later calls run on one thread", kernel, what, code))
}

func init() {
	if simdAvailable() != 0 {
		threads = max(1, min(int(simdThreads()), simd.MaxParts))
		ops.UseKernels(ops.Kernels{
			Gemm:         gemmSIMD,
			Winograd4In:  wino4InSIMD,
			Winograd4Out: wino4OutSIMD,
			PoolMax:      maxPoolSIMD,
			Depthwise:    depthwiseSIMD,
			Clip:         clipSIMD,
			HardAct:      hardActSIMD,
			Binary:       binarySIMD,
			Sigmoid:      sigmoidSIMD,
			Softmax:      softmaxSIMD,
			PackB:        packBSIMD,
			Gather:       gatherSIMD,
			GlobalAvg:    globalAvgSIMD,
		})
		simdOn = true
	}
}

// addr returns the linear-memory address of f's first element.
func addr(f []float32) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(f)))) }

// gemmSIMD is the ops.GemmKernel that runs the generated kernel. It checks
// the slice lengths first, since the kernel writes memory unchecked.
func gemmSIMD(a, b, c []float32, kc, m, n, ldc int, load bool, bias []float32) {
	if m <= 0 || n <= 0 {
		return
	}
	if kc < 0 || n%4 != 0 || ldc < n || len(a) < (m+1)/2*2*kc || len(b) < n*kc || len(c) < (m-1)*ldc+n || bias != nil && len(bias) < m {
		panic(fmt.Sprintf("wasmnn: SIMD gemm: bad arguments kc %d m %d n %d ldc %d, len(a) %d len(b) %d len(c) %d len(bias) %d",
			kc, m, n, ldc, len(a), len(b), len(c), len(bias)))
	}
	var flags, pbias uint32
	if load {
		flags = 1
	}
	if bias != nil {
		pbias = addr(bias)
	}
	args := [...]uint32{addr(a), addr(b), addr(c), uint32(kc), uint32(m), uint32(n), uint32(ldc), flags, pbias}
	switch parts := simd.GemmParts(m, n, kc, threads); {
	case parts <= 1:
		simdGemm(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8])
	case simd.GemmByRows(m, n):
		// Rows: A's panels of 2 rows hold 2*kc values each; C's rows and
		// the bias move along.
		adv := [...]advance{{0, kc * 4}, {2, ldc * 4}, {8, 4}}
		splitCall(kernelGemm, "gemm", args[:], 4, simd.GemmTileRows, adv[:], parts)
	default:
		// Columns: B's panels of 4 columns hold 4*kc values each.
		adv := [...]advance{{1, kc * 4}, {2, 4}}
		splitCall(kernelGemm, "gemm", args[:], 5, simd.GemmTileCols, adv[:], parts)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
	runtime.KeepAlive(bias)
}

// advance says that a split call's argument arg, an address (0: none, left
// as is), moves by bytes for each row a part starts after the first.
type advance struct {
	arg   int
	bytes int
}

// parallelRows runs the kernel call args (of kernel number kernel, named
// name in errors) split by its rows, as splitCall does, if it is worth it:
// work is the call's size in elementary operations (see simd.RowParts). It
// returns false, having done nothing, if not; the caller then makes the call
// itself.
func parallelRows(kernel uint32, name string, args []uint32, rowsArg int, adv []advance, work int) bool {
	parts := simd.RowParts(int(args[rowsArg]), work, threads)
	if parts <= 1 {
		return false
	}
	splitCall(kernel, name, args, rowsArg, 1, adv, parts)
	return true
}

// splitCall runs the kernel call args (of kernel number kernel, named name
// in errors) as up to parts calls on the host's threads, one per piece of
// its rows (simd.Piece, with inner bounds at multiples of align): argument
// rowsArg holds the number of rows, and the arguments in adv move to each
// piece's first row. Every output element is computed by the same
// instructions as in one call, so the result does not depend on parts.
func splitCall(kernel uint32, name string, args []uint32, rowsArg, align int, adv []advance, parts int) {
	rows := int(args[rowsArg])
	k := simd.Pieces(rows, align, parts)
	n := len(args)
	for p := 0; p < k; p++ {
		lo, hi := simd.Piece(rows, align, k, p)
		v := parArgs[p*n : p*n+n]
		copy(v, args)
		v[rowsArg] = uint32(hi - lo)
		for _, a := range adv {
			if v[a.arg] != 0 {
				v[a.arg] += uint32(lo * a.bytes)
			}
		}
	}
	if code := simdParallel(kernel, uint32(k), addr32(parArgs[:]), uint32(n)); code != 0 {
		threadFailure(name, code)
	}
}

// addr32 returns the linear-memory address of u's first element.
func addr32(u []uint32) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(u)))) }

// wino4InSIMD is ops.Winograd4InKernel on the generated kernel. It checks
// every tile's patches lie inside its slice, since the kernel reads memory
// unchecked.
func wino4InSIMD(src [4][]float32, row, ch [4]int, v []float32, n, stride int) {
	if n <= 0 {
		return
	}
	bad := stride < 0 || len(v) < 35*stride+n*4
	for l := range src {
		bad = bad || row[l] < 0 || ch[l] < 0 || len(src[l]) < (n-1)*ch[l]+5*row[l]+6
	}
	if bad {
		panic(fmt.Sprintf("wasmnn: SIMD wino4_in: bad arguments n %d stride %d row %v ch %v, len(v) %d len(src) %d %d %d %d",
			n, stride, row, ch, len(v), len(src[0]), len(src[1]), len(src[2]), len(src[3])))
	}
	args := [...]uint32{addr(v), uint32(n), uint32(stride),
		addr(src[0]), uint32(row[0]), uint32(ch[0]), addr(src[1]), uint32(row[1]), uint32(ch[1]),
		addr(src[2]), uint32(row[2]), uint32(ch[2]), addr(src[3]), uint32(row[3]), uint32(ch[3])}
	// Split by channel groups: group g's outputs are v[p*stride+g*4+l].
	adv := [...]advance{{0, 16}, {3, ch[0] * 4}, {6, ch[1] * 4}, {9, ch[2] * 4}, {12, ch[3] * 4}}
	if !parallelRows(kernelWino4In, "wino4_in", args[:], 1, adv[:], n*4*36*4) {
		simdWino4In(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8],
			args[9], args[10], args[11], args[12], args[13], args[14])
	}
	runtime.KeepAlive(src)
	runtime.KeepAlive(v)
}

// wino4OutSIMD is ops.Winograd4OutKernel on the generated kernel. It checks
// every tile's outputs lie inside its slice, since the kernel writes
// memory unchecked.
func wino4OutSIMD(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32) {
	if n <= 0 {
		return
	}
	bad := stride < 0 || ldy < 0 || len(y) < 35*stride+(n-1)*ldy+4 || bias != nil && len(bias) < n
	for l := range dst {
		bad = bad || row[l] < 0 || ch[l] < 0 || len(dst[l]) < (n-1)*ch[l]+3*row[l]+4
	}
	if bad {
		panic(fmt.Sprintf("wasmnn: SIMD wino4_out: bad arguments stride %d ldy %d n %d row %v ch %v, len(y) %d len(bias) %d len(dst) %d %d %d %d",
			stride, ldy, n, row, ch, len(y), len(bias), len(dst[0]), len(dst[1]), len(dst[2]), len(dst[3])))
	}
	var pbias, flags uint32
	if bias != nil {
		pbias = addr(bias)
	}
	if clip {
		flags = 1
	}
	args := [...]uint32{addr(y), uint32(stride), uint32(ldy), uint32(n), pbias, flags, math.Float32bits(lo), math.Float32bits(hi),
		addr(dst[0]), uint32(row[0]), uint32(ch[0]), addr(dst[1]), uint32(row[1]), uint32(ch[1]),
		addr(dst[2]), uint32(row[2]), uint32(ch[2]), addr(dst[3]), uint32(row[3]), uint32(ch[3])}
	// Split by groups: group g reads y[p*stride+g*ldy+l] and bias[g].
	adv := [...]advance{{0, ldy * 4}, {4, 4}, {8, ch[0] * 4}, {11, ch[1] * 4}, {14, ch[2] * 4}, {17, ch[3] * 4}}
	if !parallelRows(kernelWino4Out, "wino4_out", args[:], 3, adv[:], n*4*36*4) {
		simdWino4Out(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9],
			args[10], args[11], args[12], args[13], args[14], args[15], args[16], args[17], args[18], args[19])
	}
	runtime.KeepAlive(y)
	runtime.KeepAlive(dst)
	runtime.KeepAlive(bias)
}

// maxPoolSIMD is ops.PoolMaxKernel on the generated kernel. It checks that
// the last output and the last tap lie inside dst and x, since the kernel
// accesses memory unchecked.
func maxPoolSIMD(dst, x []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int) {
	if n <= 0 || rows <= 0 || kh <= 0 || kw <= 0 {
		return
	}
	if n%4 != 0 || dstRow < n || xRow < 0 || tapRow < 0 || sw < 1 || dw < 1 ||
		len(dst) < (rows-1)*dstRow+n || len(x) < (rows-1)*xRow+(kh-1)*tapRow+(n-1)*sw+(kw-1)*dw+1 {
		panic(fmt.Sprintf("wasmnn: SIMD maxpool: bad arguments n %d rows %d dstRow %d xRow %d k %dx%d tapRow %d sw %d dw %d, len(dst) %d len(x) %d",
			n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, len(dst), len(x)))
	}
	args := [...]uint32{addr(dst), addr(x), uint32(n), uint32(rows), uint32(dstRow), uint32(xRow), uint32(kh), uint32(kw),
		uint32(tapRow), uint32(sw), uint32(dw)}
	adv := [...]advance{{0, dstRow * 4}, {1, xRow * 4}}
	if !parallelRows(kernelMaxPool, "maxpool", args[:], 3, adv[:], rows*n*kh*kw) {
		simdMaxPool(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10])
	}
	runtime.KeepAlive(dst)
	runtime.KeepAlive(x)
}

// depthwiseSIMD is ops.DepthwiseKernel on the generated kernel. It checks
// that the last output, the last tap and the weights lie inside dst, x and
// w, since the kernel accesses memory unchecked.
func depthwiseSIMD(dst, x, w []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int, bias []float32) {
	if n <= 0 || rows <= 0 || kh <= 0 || kw <= 0 {
		return
	}
	if n%4 != 0 || dstRow < n || xRow < 0 || tapRow < 0 || sw < 1 || dw < 1 || len(w) < kh*kw || bias != nil && len(bias) < 1 ||
		len(dst) < (rows-1)*dstRow+n || len(x) < (rows-1)*xRow+(kh-1)*tapRow+(n-1)*sw+(kw-1)*dw+1 {
		panic(fmt.Sprintf("wasmnn: SIMD depthwise: bad arguments n %d rows %d dstRow %d xRow %d k %dx%d tapRow %d sw %d dw %d, len(dst) %d len(x) %d len(w) %d len(bias) %d",
			n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, len(dst), len(x), len(w), len(bias)))
	}
	var pbias uint32
	if bias != nil {
		pbias = addr(bias)
	}
	simdDepthwise(addr(dst), addr(x), addr(w), uint32(n), uint32(rows), uint32(dstRow), uint32(xRow), uint32(kh), uint32(kw),
		uint32(tapRow), uint32(sw), uint32(dw), pbias)
	runtime.KeepAlive(dst)
	runtime.KeepAlive(x)
	runtime.KeepAlive(w)
	runtime.KeepAlive(bias)
}

// clipSIMD is ops.ClipKernel on the generated kernel. It checks the block
// lies inside c, since the kernel accesses memory unchecked.
func clipSIMD(c []float32, rows, cols, ldc int, lo, hi float32) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ldc < cols || len(c) < (rows-1)*ldc+cols {
		panic(fmt.Sprintf("wasmnn: SIMD clip: bad arguments rows %d cols %d ldc %d, len(c) %d", rows, cols, ldc, len(c)))
	}
	args := [...]uint32{addr(c), uint32(rows), uint32(cols), uint32(ldc), math.Float32bits(lo), math.Float32bits(hi)}
	adv := [...]advance{{0, ldc * 4}}
	if !parallelRows(kernelClip, "clip", args[:], 1, adv[:], rows*cols) {
		simdClip(args[0], args[1], args[2], args[3], args[4], args[5])
	}
	runtime.KeepAlive(c)
}

// hardActSIMD is ops.HardActKernel on the generated kernel. It checks the
// block lies inside c, since the kernel accesses memory unchecked.
func hardActSIMD(c []float32, rows, cols, ldc int, alpha, beta float32, swish bool) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ldc < cols || len(c) < (rows-1)*ldc+cols {
		panic(fmt.Sprintf("wasmnn: SIMD hardact: bad arguments rows %d cols %d ldc %d, len(c) %d", rows, cols, ldc, len(c)))
	}
	var sw uint32
	if swish {
		sw = 1
	}
	args := [...]uint32{addr(c), uint32(rows), uint32(cols), uint32(ldc), math.Float32bits(alpha), math.Float32bits(beta), sw}
	adv := [...]advance{{0, ldc * 4}}
	if !parallelRows(kernelHardAct, "hardact", args[:], 1, adv[:], 2*rows*cols) {
		simdHardAct(args[0], args[1], args[2], args[3], args[4], args[5], args[6])
	}
	runtime.KeepAlive(c)
}

// binarySIMD is ops.BinaryKernel on the generated kernel (Add, Sub, Mul,
// Div; ops never passes Pow). It checks that dst and the last element read
// of a and b lie inside their slices, since the kernel accesses memory
// unchecked.
func binarySIMD(kind ops.BinaryKind, dst, a, b []float32, rows, n, ars, acs, brs, bcs int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if kind > ops.BinDiv || acs|1 != 1 || bcs|1 != 1 || acs+bcs == 0 || ars < 0 || brs < 0 || len(dst) < rows*n ||
		len(a) < (rows-1)*ars+(n-1)*acs+1 || len(b) < (rows-1)*brs+(n-1)*bcs+1 {
		panic(fmt.Sprintf("wasmnn: SIMD binary: bad arguments kind %v rows %d n %d a (%d, %d) b (%d, %d), len(dst) %d len(a) %d len(b) %d",
			kind, rows, n, ars, acs, brs, bcs, len(dst), len(a), len(b)))
	}
	args := [...]uint32{uint32(kind), addr(dst), addr(a), addr(b), uint32(rows), uint32(n), uint32(ars), uint32(acs), uint32(brs), uint32(bcs)}
	adv := [...]advance{{1, n * 4}, {2, ars * 4}, {3, brs * 4}}
	if !parallelRows(kernelBinary, "binary", args[:], 4, adv[:], rows*n) {
		simdBinary(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9])
	}
	runtime.KeepAlive(dst)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

// sigmoidSIMD is ops.SigmoidKernel on the generated kernel. It checks the
// block lies inside c, since the kernel accesses memory unchecked.
func sigmoidSIMD(c []float32, rows, cols, ldc int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ldc < cols || len(c) < (rows-1)*ldc+cols {
		panic(fmt.Sprintf("wasmnn: SIMD sigmoid: bad arguments rows %d cols %d ldc %d, len(c) %d", rows, cols, ldc, len(c)))
	}
	args := [...]uint32{addr(c), uint32(rows), uint32(cols), uint32(ldc)}
	adv := [...]advance{{0, ldc * 4}}
	// An exponential costs about 20 vector operations per two values.
	if !parallelRows(kernelSigmoid, "sigmoid", args[:], 1, adv[:], 10*rows*cols) {
		simdSigmoid(args[0], args[1], args[2], args[3])
	}
	runtime.KeepAlive(c)
}

// softmaxSIMD is ops.SoftmaxKernel on the generated kernel. It checks that
// dst and x hold the rows, since the kernel accesses memory unchecked.
func softmaxSIMD(dst, x []float32, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if len(dst) < rows*n || len(x) < rows*n {
		panic(fmt.Sprintf("wasmnn: SIMD softmax: bad arguments rows %d n %d, len(dst) %d len(x) %d", rows, n, len(dst), len(x)))
	}
	args := [...]uint32{addr(dst), addr(x), uint32(rows), uint32(n)}
	adv := [...]advance{{0, n * 4}, {1, n * 4}}
	if !parallelRows(kernelSoftmax, "softmax", args[:], 2, adv[:], 10*rows*n) {
		simdSoftmax(args[0], args[1], args[2], args[3])
	}
	runtime.KeepAlive(dst)
	runtime.KeepAlive(x)
}

// packBSIMD is ops.PackBKernel on the generated kernel. It checks that the
// copies lie inside dst and src, since the kernel accesses memory
// unchecked.
func packBSIMD(dst, src []float32, rows, groups, srcRow, sw, step int) {
	if rows <= 0 || groups <= 0 {
		return
	}
	if srcRow < 0 || sw < 1 || step < rows*4 || len(dst) < (groups-1)*step+rows*4 || len(src) < (rows-1)*srcRow+(groups*4-1)*sw+1 {
		panic(fmt.Sprintf("wasmnn: SIMD packb: bad arguments rows %d groups %d srcRow %d sw %d step %d, len(dst) %d len(src) %d",
			rows, groups, srcRow, sw, step, len(dst), len(src)))
	}
	simdPackB(addr(dst), addr(src), uint32(rows), uint32(groups), uint32(srcRow), uint32(sw), uint32(step))
	runtime.KeepAlive(dst)
	runtime.KeepAlive(src)
}

// gatherSIMD is ops.GatherKernel on the generated kernel, which clamps
// every offset to src, so that it reads nothing else; it checks the lengths.
func gatherSIMD(dst, src []float32, offs []int32) {
	if len(dst) == 0 {
		return
	}
	if len(offs) < len(dst) || len(src) == 0 {
		panic(fmt.Sprintf("wasmnn: SIMD gather: bad arguments len(dst) %d len(src) %d len(offs) %d", len(dst), len(src), len(offs)))
	}
	simdGather(addr(dst), addr(src), uint32(uintptr(unsafe.Pointer(unsafe.SliceData(offs)))), uint32(len(dst)), uint32(len(src)))
	runtime.KeepAlive(dst)
	runtime.KeepAlive(src)
	runtime.KeepAlive(offs)
}

// globalAvgSIMD is ops.GlobalAvgKernel on the generated kernel. It checks
// dst and x hold the planes, since the kernel accesses memory unchecked.
func globalAvgSIMD(dst, x []float32, planes, spatial int) {
	if planes <= 0 || spatial <= 0 {
		return
	}
	if len(dst) < planes || len(x) < planes*spatial {
		panic(fmt.Sprintf("wasmnn: SIMD globalavg: bad arguments planes %d spatial %d, len(dst) %d len(x) %d", planes, spatial, len(dst), len(x)))
	}
	args := [...]uint32{addr(dst), addr(x), uint32(planes), uint32(spatial)}
	adv := [...]advance{{0, 4}, {1, spatial * 4}}
	if !parallelRows(kernelGlobAvg, "globalavg", args[:], 2, adv[:], planes*spatial) {
		simdGlobalAvg(args[0], args[1], args[2], args[3])
	}
	runtime.KeepAlive(dst)
	runtime.KeepAlive(x)
}

// wasmnnSIMD returns 1 if the SIMD kernels are in use, 0 if the module runs
// its pure-Go kernels.
//
//go:wasmexport wasmnn_simd
func wasmnnSIMD() int32 {
	if simdOn {
		return 1
	}
	return 0
}
