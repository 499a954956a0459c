// Package simd generates wasmnn's WebAssembly SIMD kernel module,
// wasmnn-simd.wasm, and embeds the committed copy.
//
// Go's compiler emits no WebAssembly SIMD instructions, so the hot loops of
// the wasm build are generated here, instruction by instruction, by a small
// binary encoder (enc.go) and kernel generators (gemm.go), and run as a second
// module that shares the Go module's linear memory:
//
//   - the kernel module imports the Go module's memory as (ImportModule,
//     ImportMemory), that is ("go", "mem"): Go's GOOS=js modules export
//     their memory as "mem";
//   - the Go module (package main of ../) declares the kernels with
//     //go:wasmimport wasmnn_simd <name>, so the host must provide the
//     HostModule ("wasmnn_simd") functions when it instantiates the Go
//     module: trampolines that forward to the kernel instance created right
//     after it (before the Go program runs), plus "available", which
//     returns 1 if the kernels are there and 0 to make the Go side keep its
//     pure-Go kernels.
//
// The kernels (exports of the module, all parameters i32, no results):
//
//	gemm(a, b, c, kc, m, n, ldc, flags, bias)
//	wino4_in(v, n, stride, p0, row0, ch0, ..., p3, row3, ch3)
//	wino4_out(y, stride, ldy, n, bias, flags, lo, hi, p0, row0, ch0, ..., p3, row3, ch3)
//	maxpool(dst, x, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw)
//	depthwise(dst, x, w, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, bias)
//	clip(c, rows, cols, ldc, lo, hi)
//	hardact(c, rows, cols, ldc, alpha, beta, swish)
//	binary(kind, dst, a, b, rows, n, ars, acs, brs, bcs)
//	sigmoid(c, rows, cols, ldc)
//	softmax(dst, x, rows, n)
//	packb(dst, src, rows, groups, srcRow, sw, step)
//	gather(dst, src, offs, n, srcLen)
//	globalavg(dst, x, planes, spatial)
//
// gemm sweeps the 4x8 register tiles of one packed block of ops' GEMM
// (ops.GemmKernel); wino4_in and wino4_out are the 2D Winograd F(4x4, 3x3)
// input and output transforms, four tiles per vector, each tile read from
// or written to its own strided place, the output with bias and clip
// fused (ops.Winograd4InKernel, ops.Winograd4OutKernel); maxpool sweeps the interior of 2D max pooling, four outputs per vector
// (ops.PoolMaxKernel); depthwise the interior of one plane of a 2D
// depthwise convolution, four outputs per vector (ops.DepthwiseKernel); clip
// applies ReLU or Clip to a strided block (ops.ClipKernel); hardact
// HardSigmoid or HardSwish (ops.HardActKernel); binary the rows of an
// elementwise Add, Sub, Mul or Div with either operand contiguous or
// broadcast along the row (ops.BinaryKernel); sigmoid applies Sigmoid to a
// strided block (ops.SigmoidKernel) and softmax normalises contiguous rows
// (ops.SoftmaxKernel), both computing ops.Exp64 in f64x2 lanes (fexp.go);
// packb copies groups of four values (contiguous or strided) of B's rows
// into the GEMM's packed panels (ops.PackBKernel); gather copies the values at a list of offsets
// (nearest Resize, ops.GatherKernel); globalavg averages whole planes,
// two per f64x2 (ops.GlobalAvgKernel).
// The Go module installs them together as an ops.Kernels table. GemmRef,
// Wino4InRef, Wino4OutRef, MaxPoolRef, DepthwiseRef, ClipRef, HardActRef,
// BinaryRef, SigmoidRef, SoftmaxRef, PackBRef, GatherRef and GlobalAvgRef
// are their
// pure-Go twins and document the arguments (pointers are byte addresses,
// sizes and strides in floats); the tests run ops/kerneltest's conformance
// suites against the twins and against the module under wazero. Results
// are bit-identical to ops' pure-Go kernels: every sum is taken in the same order with separately
// rounded products (f32x4.mul then f32x4.add, never fused).
//
// Run `go generate ./wasm/simd` after changing a generator: it rewrites
// wasmnn-simd.wasm (embedded by Module), and TestCommittedModule fails while
// the committed file differs from Build's output.
package simd

import (
	_ "embed"
)

//go:generate go run ./gen -o wasmnn-simd.wasm

// Import and export names shared by the module, the Go module and the hosts.
const (
	// ImportModule and ImportMemory name the memory the kernel module
	// imports: the Go module's exported memory.
	ImportModule = "go"
	ImportMemory = "mem"
	// HostModule is the import module of the Go module's kernel imports.
	HostModule = "wasmnn_simd"
)

// Kernels lists the kernel module's exported functions with their parameter
// counts (all i32, no results). The Go module imports each from HostModule
// under the same name, besides "available" () -> i32.
var Kernels = []struct {
	Name   string
	Params int
}{
	{"gemm", 9},
	{"wino4_in", 15},
	{"wino4_out", 20},
	{"maxpool", 11},
	{"depthwise", 13},
	{"clip", 6},
	{"hardact", 7},
	{"binary", 10},
	{"sigmoid", 4},
	{"softmax", 4},
	{"packb", 7},
	{"gather", 5},
	{"globalavg", 4},
}

//go:embed wasmnn-simd.wasm
var committed []byte

// Module returns the committed kernel module (wasmnn-simd.wasm). The slice
// is shared: do not modify it.
func Module() []byte { return committed }

// Build generates the kernel module.
func Build() []byte { return buildWith(gemmTileP, gemmTileQ, gemmUnroll) }

// buildWith generates the module with a GEMM register tile of p A panels by
// q B panels and the K loop unrolled unroll times (a power of 2).
func buildWith(p, q, unroll int) []byte {
	m := &module{memModule: ImportModule, memName: ImportMemory}
	addGemm(m, p, q, unroll)
	addWino4In(m)
	addWino4Out(m)
	addMaxPool(m)
	addDepthwise(m)
	addClip(m)
	addHardAct(m)
	addBinary(m)
	addSigmoid(m)
	addSoftmax(m)
	addPackB(m)
	addGather(m)
	addGlobalAvg(m)
	return m.encode()
}

// GemmRef is the pure-Go twin of the gemm kernel, on float32 slices instead
// of addresses: a holds ceil(m/2) packed A panels of kc*2 values (element
// (r, kk) of panel i at i*2*kc + kk*2 + r), b holds n/4 packed B panels of
// kc*4 values (element (kk, l) of panel j at j*4*kc + kk*4 + l), and C's
// element (i, j) is c[i*ldc+j]. For each of the m×n elements, starting from
// C's value when flags has GemmFlagLoad and from 0 otherwise, it adds the kc
// products of A's row i and B's column j in increasing kk, each rounded to
// float32, then bias[i] if bias is not nil. Rows past m of the last A panel
// are ignored. n must be a multiple of 4.
func GemmRef(a, b, c []float32, kc, m, n, ldc, flags int, bias []float32) {
	for i := 0; i < m; i++ {
		pa := i/2*2*kc + i%2
		for j := 0; j < n; j++ {
			pb := j/4*4*kc + j%4
			var s float32
			if flags&GemmFlagLoad != 0 {
				s = c[i*ldc+j]
			}
			for kk := 0; kk < kc; kk++ {
				s += float32(a[pa+2*kk] * b[pb+4*kk])
			}
			if bias != nil {
				s += bias[i]
			}
			c[i*ldc+j] = s
		}
	}
}
