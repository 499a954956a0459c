// Package equiv holds the equivalence tests of wasmnn: they run the native Go
// runtime and the browser module (wasmnn.wasm, GOOS=js) under wazero on the
// same models and inputs and require bit-identical float32 outputs on amd64
// (within 1e-6 relative elsewhere).
//
// The tests use the module named by the WASMNN_WASM environment variable
// (make test sets it to js/dist/wasmnn.wasm), or build one from the source
// tree when it is unset.
package equiv
