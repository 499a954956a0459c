// Package host runs wasmnn.wasm, the browser module (GOOS=js GOARCH=wasm),
// headless under wazero: the same artifact browsers load, driven from Go.
//
// New starts a module; Host.Load plans a .wnn model inside it; Model.Run
// computes, moving tensor data straight through the module's linear memory.
// Results are bit-identical to the browser's, and to native runs of package
// runtime on amd64.
//
// # Any GOOS=js module
//
// The generic layer (the "gojs" imports that Go's lib/wasm/wasm_exec.js
// provides, a small JS world, the event loop) lives in wasmnn's internal
// package gojs and is re-exported here: New runs any GOOS=js module, and
// Host.Call, Host.Await, Object, Func, Null and Undefined drive it the way
// JavaScript would. wazero removed its own GOOS=js support in v1.7.0 and runs
// only wasip1 guests, which have no syscall/js; wasmnn keeps this layer so
// that browsers and Go run one artifact.
//
// The guest sees a globalThis with Object, Array, Function, Error (and
// TypeError, RangeError, SyntaxError), Promise, ArrayBuffer, the typed
// arrays, Date (its time.Local is UTC), crypto.getRandomValues,
// performance.now, console, setTimeout/clearTimeout/queueMicrotask, and the
// fs, process and path polyfills of wasm_exec.js: writes to file descriptors
// 1 and 2 go to WithStdout and WithStderr, every other fs call fails with
// ENOSYS.
//
// # Readiness contract
//
// A guest meant to be driven from Go sets up what it exports (typically
// js.Global().Set("name", object of js.FuncOf functions) or
// //go:wasmexport functions), then signals readiness and blocks forever:
//
//	js.Global().Set("mylib", exports)
//	js.Global().Call("__wasmnnReady") // or js.Global().Set("__wasmnnReady", true)
//	select {}
//
// New returns once the guest is ready. If main exits before that, New fails
// with an error wrapping an *ExitError carrying the exit code and the tail of
// stderr. If the guest exits or crashes later (a Go panic makes the runtime
// exit with code 2), the call in progress and every later one fail with that
// error instead of hanging.
//
// # SIMD kernels
//
// wasmnn.wasm imports its WebAssembly SIMD kernels from the module
// "wasmnn_simd" (see package wasm/simd). New defines those imports for every
// guest and, unless WithSIMD(false) is given, instantiates the kernel module
// (simd.Module) against the guest's memory right after the guest and before
// its main runs, so the guest finds them available at startup; with
// WithSIMD(false) the guest keeps its pure-Go kernels. Results are
// bit-identical either way. Host.SIMD and Host.SIMDCalls report what
// happened.
//
// WithThreads(n) runs the kernels on n threads as the JS package's workers
// do in a browser: the guest's memory is made shared (package
// wasm/sharedmem, wazero's threads feature), n kernel instances use it, and
// the large kernel calls the guest splits by output region (the "parallel"
// import) run their parts on up to n goroutines. Outputs stay bit-identical
// for every n; Host.Threads and Host.SplitCalls report what happened.
//
// # Cancellation
//
// Model.Run, RunProfiled and Classify check their context before they call
// the module. A call already in the module runs to its end, unless the Host
// was made WithCloseOnContextDone(true): then the call stops as soon as the
// context ends, and the Host is closed with it (see WithCloseOnContextDone).
//
// # Concurrency
//
// A Host, its Models and its Objects are not safe for concurrent use: drive
// each Host from one goroutine at a time. Separate Hosts are independent and
// may run in parallel; they share compiled code.
package host
