// Package gojs runs Go programs compiled with GOOS=js GOARCH=wasm under
// wazero, without a JavaScript engine: it implements in Go what Go's
// lib/wasm/wasm_exec.js provides (the "gojs" imports of syscall/js and the Go
// runtime) together with a small JS world for the guest to live in, and
// drives the module the way wasm_exec.js does (an event loop of timers and
// Promise reactions, nested resumes for callbacks).
//
// It knows nothing about wasmnn: package wasm/host builds the wasmnn client
// (its options, the SIMD kernel module, Load and Run) on top of it and
// re-exports the types users see. wazero itself only runs wasip1 guests
// since v1.7.0, and wasip1 has no syscall/js; this package is what lets the
// one GOOS=js artifact that browsers load run headless too.
//
// # Engines and Hosts
//
// An Engine is a wazero runtime with the "gojs" host module (and any further
// host modules its EngineConfig defines) and the modules compiled in it. New
// instantiates one guest in an Engine and returns its Host.
//
// # The JS world
//
// The guest sees a globalThis with Object, Array, Function, Error (and
// TypeError, RangeError, SyntaxError), Promise (constructor, resolve, reject,
// then, catch, finally), ArrayBuffer, the typed arrays (Uint8Array,
// Float32Array, Int32Array, Float64Array and the other integer kinds, backed
// by Go byte slices, with length, byteLength, byteOffset, buffer, subarray,
// slice, set, fill), Date (now, getTime, and getTimezoneOffset returning 0: the
// guest's time.Local is UTC), crypto.getRandomValues, performance.now,
// console, setTimeout/clearTimeout/queueMicrotask, and the fs, process and
// path polyfills of wasm_exec.js: writes to file descriptors 1 and 2 go to
// Config.Stdout and Config.Stderr, every other fs call fails with ENOSYS.
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
// stderr.
//
// # Calling the guest
//
// Host.Call invokes a JS function the guest made (or any function of the JS
// world) with Go arguments converted to JS values, and converts the result
// back; Host.Await settles a returned Promise by running the event loop
// (timers, goroutines woken by them, Promise reactions). Bulk data is best
// moved through //go:wasmexport functions called directly via
// Host.ExportedFunction and Host.Memory: a Call costs tens of microseconds, a
// direct export call well under one.
//
// If the guest exits or crashes (a Go panic makes the runtime exit with code
// 2), the call in progress and every later one fail with that error instead
// of hanging.
//
// # Other imports
//
// A guest may import more than the gojs functions: EngineConfig.HostModules
// defines further host modules in the runtime, and Config.Instantiated runs
// between instantiation and main, for modules that import the guest's memory
// (wasm/host instantiates wasmnn's SIMD kernel module there).
//
// # Concurrency
//
// A Host and its Objects are not safe for concurrent use: drive each Host
// from one goroutine at a time. Separate Hosts are independent and may run in
// parallel; those of one Engine share its compiled code.
package gojs
