//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"github.com/wasmnn/wasmnn/ops"
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

// simdWino4In is the kernel module's wino4_in (see ops.WinogradKernels):
// addresses of the gathered patches and of V, the number of channel groups
// and V's position stride in floats.
//
//go:wasmimport wasmnn_simd wino4_in
func simdWino4In(d, v, n, stride uint32)

// simdWino4Out is the kernel module's wino4_out: address of Y, its position
// stride and row stride in floats, the output address, the number of rows
// and the bias address (0: none).
//
//go:wasmimport wasmnn_simd wino4_out
func simdWino4Out(y, stride, ldy, o, n, bias uint32)

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

// simdOn reports whether the SIMD kernels are installed.
var simdOn bool

func init() {
	if simdAvailable() != 0 {
		ops.SetGemmKernel(gemmSIMD)
		ops.SetWinogradKernels(ops.WinogradKernels{In4: wino4InSIMD, Out4: wino4OutSIMD})
		ops.SetPoolMaxKernel(maxPoolSIMD)
		ops.SetDepthwiseKernel(depthwiseSIMD)
		ops.SetClipKernel(clipSIMD)
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
	simdGemm(addr(a), addr(b), addr(c), uint32(kc), uint32(m), uint32(n), uint32(ldc), flags, pbias)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
	runtime.KeepAlive(bias)
}

// wino4InSIMD is WinogradKernels.In4 on the generated kernel.
func wino4InSIMD(d, v []float32, n, stride int) {
	if n <= 0 {
		return
	}
	if stride < 0 || len(d) < n*144 || len(v) < 35*stride+n*4 {
		panic(fmt.Sprintf("wasmnn: SIMD wino4_in: bad arguments n %d stride %d, len(d) %d len(v) %d", n, stride, len(d), len(v)))
	}
	simdWino4In(addr(d), addr(v), uint32(n), uint32(stride))
	runtime.KeepAlive(d)
	runtime.KeepAlive(v)
}

// wino4OutSIMD is WinogradKernels.Out4 on the generated kernel.
func wino4OutSIMD(y []float32, stride, ldy int, o []float32, n int, bias []float32) {
	if n <= 0 {
		return
	}
	if stride < 0 || ldy < 0 || len(y) < 35*stride+(n-1)*ldy+4 || len(o) < n*64 || bias != nil && len(bias) < n {
		panic(fmt.Sprintf("wasmnn: SIMD wino4_out: bad arguments stride %d ldy %d n %d, len(y) %d len(o) %d len(bias) %d",
			stride, ldy, n, len(y), len(o), len(bias)))
	}
	var pbias uint32
	if bias != nil {
		pbias = addr(bias)
	}
	simdWino4Out(addr(y), uint32(stride), uint32(ldy), addr(o), uint32(n), pbias)
	runtime.KeepAlive(y)
	runtime.KeepAlive(o)
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
	simdMaxPool(addr(dst), addr(x), uint32(n), uint32(rows), uint32(dstRow), uint32(xRow), uint32(kh), uint32(kw),
		uint32(tapRow), uint32(sw), uint32(dw))
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
	simdClip(addr(c), uint32(rows), uint32(cols), uint32(ldc), math.Float32bits(lo), math.Float32bits(hi))
	runtime.KeepAlive(c)
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
