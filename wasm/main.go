//go:build js && wasm

// Command wasm is wasmnn's browser module: built with GOOS=js GOARCH=wasm into
// js/dist/wasmnn.wasm. It registers one object, globalThis.__wasmnn, whose
// methods the JS package (js/wasmnn.js) and the Go host (wasm/host) call:
//
//	load(bytes: Uint8Array, options: string /* JSON */) -> {id, info: string /* JSON */} | {error}
//	run(id, names: string[], data: Uint8Array[], shapes?: number[][]) -> {names, shapes, data: Uint8Array[]} | {error}
//	runProfiled(id, names, data, shapes?) -> as run, plus times: number[] (ms per layer)
//	classify(id, rgba: Uint8Array, width, height, topK, invert?: string) -> {result: string /* JSON */} | {error}
//	summary(id, options: string) -> {result: string /* JSON */} | {error}
//	dispose(id) -> {} | {error}
//	memory() -> {models, readers, trainers}
//	ocrLoad(det, cls, rec, keys: Uint8Array, options: string /* JSON */) -> {id} | {error}
//	ocrRead(id, rgba: Uint8Array, width, height) -> {lines: string /* JSON */, detect, classify, recognize, boxes} | {error}
//	ocrDispose(id) -> {} | {error}
//	trainStart(model: Uint8Array | string, images: Uint8Array, labels: Uint8Array, options: string /* JSON */) -> {id, info: string /* JSON */} | {error}
//	trainStep(id, maxSteps, budgetMs) -> {epoch, epochs, batch, batches, step, steps, loss, accuracy, lr, done, stats} | {error}
//	trainEvaluate(id) -> {result: string /* JSON */} | {error}
//	trainSave(id) -> {model: Uint8Array} | {error}
//	trainDispose(id) -> {} | {error}
//
// load takes a .wnn file or an ONNX file, which it converts with runtime/onnx
// (the importer of `wasmnn convert`; summary then has its report as
// "conversion"); other bytes are refused with a message saying what they look
// like (runtime/sniff). classify's invert is "auto" (default), "yes" or "no"
// (runtime/imageprep.ResolveInvert), and each of its results says whether the
// image was inverted. The ocr methods (ocr.go) read the text in an image
// with PaddleOCR's three models (runtime/ocr, as `wasmnn ocr` does). The
// train methods (train.go) train or fine-tune a classifier in slices of
// steps (runtime/train, set up as `wasmnn train` does: the same weights bit
// for bit). load's
// info lists the inputs as {name, shape, dims?}: dims names the symbolic axes ("" for fixed ones), shape has the representative sizes. run
// takes any input shapes that fit (shapes omitted: the current ones) and
// returns the outputs with their shapes; each new set of shapes is planned
// once and kept (runtime.Session). Tensor data crosses the boundary as the
// bytes of little-endian float32 values, copied once in each direction.
// Hosts that can reach the linear memory use the exported fast path instead
// (fast.go: wasmnn_set_shapes, wasmnn_buffer, wasmnn_run, wasmnn_rank,
// wasmnn_dims), which copies into and out of Go-owned buffers and allocates
// nothing in steady state. Every call recovers from panics, so
// an error never ends the program: it comes back as {error: message} and the
// next call works. When the object is ready the module calls
// globalThis.__wasmnnReady() if it exists.
//
// The module imports its WebAssembly SIMD kernels from "wasmnn_simd"
// (simd_js.go, package wasm/simd): hosts must provide those imports and, when
// SIMD is available, instantiate wasmnn-simd.wasm against this module's
// memory before running it. The //go:wasmexport wasmnn_simd reports whether
// the kernels are in use.
//
// Built with the demo build tag (make demo-wasm), the same package is the demo
// pages' module, demo/lib/dist/wasmnn-demo.wasm: it answers a few more
// methods, for the demo's Model lab and Convolution explorer (demo.go). The
// npm package ships the module without them.
package main

import (
	"syscall/js"
)

func main() {
	api := js.Global().Get("Object").New()
	for name, fn := range handlers {
		api.Set(name, js.FuncOf(wrap(fn)))
	}
	js.Global().Set("__wasmnn", api)
	if ready := js.Global().Get("__wasmnnReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}
