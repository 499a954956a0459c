// Package ops holds wasmnn's tensor type and its kernels: convolution (direct
// sliding window, im2col+GEMM, 1x1-as-GEMM, depthwise), pooling, dense,
// activations, normalisation, softmax, add and concat.
//
// Kernels are pure functions (or prepared objects such as Conv) over float32
// buffers that the caller owns. Tensors are row-major, batch first, channels
// second: NCW, NCHW or NCDHW. Kernels never allocate in their hot paths and
// may split work across goroutines only by output region, so results never
// depend on the thread count.
//
// Float arithmetic is written with explicit float32(...) conversions around
// products so that no build fuses a multiply and an add: the native amd64 build
// and the GOOS=js wasm build produce bit-identical results.
//
// Misuse of a kernel (short buffers, inconsistent geometry) panics; shape
// problems that come from user data are reported as errors by the constructors
// (NewConvGeom, NewPoolGeom, ...) before any kernel runs.
package ops
