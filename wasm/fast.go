//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"unsafe"
)

// The fast path: hosts that can reach the module's memory (the JS package
// and wasm/host) write inputs straight into the model's Go-owned input
// buffers, call wasmnn_run, and read the outputs from the output buffers. No
// JS values are created and steady-state runs allocate nothing. Buffers live
// as long as the model; Go's collector does not move them. Byte views of the
// memory must be re-taken after every call, as memory may grow.

var lastError []byte

func setError(err error) int32 {
	lastError = append(lastError[:0], err.Error()...)
	return 1
}

func floatsPtr(f []float32) int32 {
	if len(f) == 0 {
		return 0
	}
	return int32(uintptr(unsafe.Pointer(&f[0])))
}

// wasmnnBuffer returns the address of input (kind 0) or output (kind 1)
// number index of model id, in the order of the model's info, or 0 if there
// is no such buffer.
//
//go:wasmexport wasmnn_buffer
func wasmnnBuffer(id, kind, index int32) int32 {
	m, ok := models[int(id)]
	if !ok {
		return 0
	}
	list := m.inList
	if kind == 1 {
		list = m.outList
	}
	if index < 0 || int(index) >= len(list) {
		return 0
	}
	return floatsPtr(list[index].Data)
}

// wasmnnRun runs model id on the contents of its input buffers and fills its
// output buffers. It returns 0 on success and 1 on failure; the message is
// then at wasmnn_error_ptr (wasmnn_error_len bytes).
//
//go:wasmexport wasmnn_run
func wasmnnRun(id int32) (status int32) {
	defer func() {
		if r := recover(); r != nil {
			status = setError(fmt.Errorf("internal error: %v", r))
		}
	}()
	m, ok := models[int(id)]
	if !ok {
		return setError(fmt.Errorf("model %d is not loaded (disposed?)", id))
	}
	if err := m.sess.RunInto(context.Background(), m.inputs, m.outputs); err != nil {
		return setError(err)
	}
	return 0
}

// wasmnnErrorPtr returns the address of the last fast-path error message.
//
//go:wasmexport wasmnn_error_ptr
func wasmnnErrorPtr() int32 {
	if len(lastError) == 0 {
		return 0
	}
	return int32(uintptr(unsafe.Pointer(&lastError[0])))
}

// wasmnnErrorLen returns the length of the last fast-path error message.
//
//go:wasmexport wasmnn_error_len
func wasmnnErrorLen() int32 { return int32(len(lastError)) }
