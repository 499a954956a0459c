//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"unsafe"

	wrt "github.com/wasmnn/wasmnn/runtime"
)

// The fast path: hosts that can reach the module's memory (the JS package
// and wasm/host) write inputs straight into the model's Go-owned input
// buffers, call wasmnn_run, and read the outputs from the output buffers. No
// JS values are created and steady-state runs allocate nothing. Go's
// collector does not move the buffers; byte views of the memory must be
// re-taken after every call, as memory may grow.
//
// Shapes: a model's buffers have its current input shapes (at first the
// representative ones of its info). To run on other shapes (a model whose
// inputs have symbolic dimensions, say a batch N or an image width W), the
// host writes each input's dims as int32 values at wasmnn_dims(id, 0, i)
// (wasmnn_rank(id, 0, i) of them) and calls wasmnn_set_shapes(id), which
// checks them, plans them once and resizes the buffers; after it, buffer
// addresses must be fetched again. wasmnn_rank and wasmnn_dims with kind 1
// give the output shapes for the current input shapes. A run is then:
//
//	write the dims; wasmnn_set_shapes(id)     (returns at once when unchanged)
//	for each input i: copy the data to wasmnn_buffer(id, 0, i)
//	wasmnn_run(id)
//	for each output i: read wasmnn_rank(id, 1, i) dims at wasmnn_dims(id, 1, i),
//	                   then their product of floats at wasmnn_buffer(id, 1, i)

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
// is no such buffer (or it is empty). It holds as many float32 values as
// the product of the current dims (wasmnn_dims).
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

// dimsOf returns the dims area of input (kind 0) or output (kind 1) number
// index of model id, or false if there is none.
func dimsOf(id, kind, index int32) ([]int32, bool) {
	m, ok := models[int(id)]
	if !ok {
		return nil, false
	}
	list := m.inDims
	if kind == 1 {
		list = m.outDims
	}
	if index < 0 || int(index) >= len(list) {
		return nil, false
	}
	return list[index], true
}

// wasmnnRank returns the rank of input (kind 0) or output (kind 1) number
// index of model id, or -1 if there is no such value.
//
//go:wasmexport wasmnn_rank
func wasmnnRank(id, kind, index int32) int32 {
	d, ok := dimsOf(id, kind, index)
	if !ok {
		return -1
	}
	return int32(len(d))
}

// wasmnnDims returns the address of the current dims (wasmnn_rank int32
// values) of input (kind 0) or output (kind 1) number index of model id, or
// 0 if there is no such value or it has rank 0. The host writes an input's
// wanted dims there before wasmnn_set_shapes.
//
//go:wasmexport wasmnn_dims
func wasmnnDims(id, kind, index int32) int32 {
	d, ok := dimsOf(id, kind, index)
	if !ok || len(d) == 0 {
		return 0
	}
	return int32(uintptr(unsafe.Pointer(&d[0])))
}

// wasmnnSetShapes makes the dims written at wasmnn_dims(id, 0, i) the input
// shapes of model id: the runtime checks them (fixed dimensions as the model
// says, symbolic ones at least 1, same-named ones equal), plans them unless
// it has a plan for them, and the input and output buffers are resized
// (keeping their storage when it is large enough). It returns 0 on success,
// at once and without allocating when the shapes are the current ones; on
// failure 1, with the message at wasmnn_error_ptr, and the dims and buffers
// are those of before.
//
//go:wasmexport wasmnn_set_shapes
func wasmnnSetShapes(id int32) (status int32) {
	m, ok := models[int(id)]
	defer func() {
		if r := recover(); r != nil {
			status = setError(fmt.Errorf("internal error: %v", r))
		}
		if status != 0 && ok {
			for i, t := range m.inList {
				m.inDims[i] = dims32(m.inDims[i], t.Shape)
			}
		}
	}()
	if !ok {
		return setError(fmt.Errorf("model %d is not loaded (disposed?)", id))
	}
	same := true
	for i, t := range m.inList {
		same = same && sameDims(m.inDims[i], t.Shape)
	}
	if same {
		return 0
	}
	for i, d := range m.inDims {
		w := m.want[i][:0]
		for _, n := range d {
			if n < 0 {
				return setError(fmt.Errorf("%w: input %q: dimension %d is negative (%d)", wrt.ErrInput, m.inInfo[i].Name, len(w), n))
			}
			w = append(w, int(n))
		}
		m.want[i] = w
	}
	if err := m.setShapes(m.want); err != nil {
		return setError(err)
	}
	return 0
}

// sameDims reports whether d holds shape.
func sameDims(d []int32, shape []int) bool {
	if len(d) != len(shape) {
		return false
	}
	for i, n := range d {
		if int(n) != shape[i] {
			return false
		}
	}
	return true
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
