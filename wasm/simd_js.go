//go:build js && wasm

package main

import (
	"fmt"
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

// simdOn reports whether the SIMD kernels are installed.
var simdOn bool

func init() {
	if simdAvailable() != 0 {
		ops.SetGemmKernel(gemmSIMD)
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
