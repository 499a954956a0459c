// Package fuzz holds fuzz tests of wasmnn.wasm's entry points, driven through
// wasm/host (wazero): FuzzLoad gives the module's load arbitrary model bytes,
// FuzzRun gives run, classify and the wasmnn_buffer/wasmnn_run exports
// arbitrary model ids, input names, shapes, lengths and values. After every
// input a known-good model must still give its native result bit for bit.
//
// The tests use the module named by the WASMNN_WASM environment variable, or
// build one from the source tree when it is unset. scripts/fuzz.sh runs them
// (make fuzz); plain go test runs the seeds only.
package fuzz
