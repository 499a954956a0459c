package host

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/wasmnn/wasmnn/ops"
	wrt "github.com/wasmnn/wasmnn/runtime"
)

// ErrNotWasmnn reports a module that did not register wasmnn's API object
// (globalThis.__wasmnn): it is some other GOOS=js program.
var ErrNotWasmnn = errors.New("host: the module is not wasmnn.wasm (no __wasmnn object)")

// LoadOptions choose how the guest plans a model.
type LoadOptions struct {
	// Algo forces a conv algorithm for every layer it applies to ("" = auto).
	Algo string `json:"algo,omitempty"`
	// LayerAlgos forces algorithms for named conv layers.
	LayerAlgos map[string]string `json:"layerAlgos,omitempty"`
	// Autotune times the applicable algorithms of each conv layer once at
	// load and keeps the fastest.
	Autotune bool `json:"autotune,omitempty"`
}

// Model is a model loaded into wasmnn.wasm running under the host.
type Model struct {
	h  *Host
	id int
	// Inputs are the model's inputs, with their names and shapes, in order.
	// Symbolic dimensions are named in Dims (ShapeString prints [N 3 6 W]);
	// Shape holds the model's representative size for them.
	Inputs []wrt.ValueInfo
	// Outputs are the model's outputs, in order, with their shapes for the
	// representative input shapes (a run's outputs have the shapes of its
	// inputs).
	Outputs []wrt.ValueInfo
	// Meta holds the model's metadata as the guest reports it.
	Meta struct {
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Labels      []string          `json:"labels"`
		Preprocess  *wrt.Preprocess   `json:"preprocess"`
		Extra       map[string]string `json:"extra"`
	}
}

func (h *Host) api() (*Object, error) {
	api, ok := h.Global().Get("__wasmnn").(*Object)
	if !ok {
		return nil, ErrNotWasmnn
	}
	return api, nil
}

// callAPI calls a method of the guest's API object and turns {error} results
// into Go errors. It fails with ctx's error, without calling, once ctx has
// ended.
func (h *Host) callAPI(ctx context.Context, method string, args ...any) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	api, err := h.api()
	if err != nil {
		return nil, err
	}
	res, err := h.g.CallContext(ctx, api, method, args...)
	if err != nil {
		return nil, err
	}
	obj, ok := res.(*Object)
	if !ok {
		return nil, fmt.Errorf("host: %s returned %T, want an object", method, res)
	}
	if msg, ok := obj.Get("error").(string); ok {
		return nil, errors.New(msg)
	}
	return obj, nil
}

// Load decodes, checks and plans a .wnn model inside the guest.
func (h *Host) Load(model []byte, opts LoadOptions) (*Model, error) {
	o, _ := json.Marshal(opts)
	res, err := h.callAPI(context.Background(), "load", model, string(o))
	if err != nil {
		return nil, err
	}
	id, ok := res.Get("id").(float64)
	info, ok2 := res.Get("info").(string)
	if !ok || !ok2 {
		return nil, fmt.Errorf("host: load returned an unexpected result")
	}
	m := &Model{h: h, id: int(id)}
	var inf struct {
		Inputs  []wrt.ValueInfo `json:"inputs"`
		Outputs []wrt.ValueInfo `json:"outputs"`
		Meta    json.RawMessage `json:"meta"`
	}
	if err := json.Unmarshal([]byte(info), &inf); err != nil {
		return nil, fmt.Errorf("host: load info: %w", err)
	}
	m.Inputs, m.Outputs = inf.Inputs, inf.Outputs
	if err := json.Unmarshal(inf.Meta, &m.Meta); err != nil {
		return nil, fmt.Errorf("host: load meta: %w", err)
	}
	return m, nil
}

// f32Bytes encodes float32 values as little-endian bytes.
func f32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, f := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// Run runs the model on inputs keyed by input name and returns its outputs.
// An input may have any shape that fits the model's (Inputs: fixed
// dimensions as given, symbolic ones, named in Dims, any size from 1, equal
// for equal names); the outputs have the shapes that follow. The guest plans
// each new set of input shapes once and keeps the recent plans. Tensor data
// goes straight into and out of the guest's buffers in its linear memory (the
// module's wasmnn_set_shapes, wasmnn_buffer, wasmnn_run and wasmnn_dims
// exports), copied once each way.
//
// Once ctx has ended Run returns its error without calling the module. A run
// in progress goes on to its end, unless the Host was made
// WithCloseOnContextDone(true): then it stops when ctx ends, and the Host is
// closed (the error wraps ctx.Err()).
func (m *Model) Run(ctx context.Context, inputs map[string]*ops.Tensor) (map[string]*ops.Tensor, error) {
	if err := m.checkInputs(inputs); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	buffer, run := m.h.ExportedFunction("wasmnn_buffer"), m.h.ExportedFunction("wasmnn_run")
	if buffer == nil || run == nil {
		return nil, ErrNotWasmnn
	}
	if err := m.h.g.Err(); err != nil {
		return nil, err
	}
	if err := m.setShapes(ctx, inputs); err != nil {
		return nil, err
	}
	mem := m.h.Memory()
	for i, in := range m.Inputs {
		res, err := buffer.Call(ctx, uint64(m.id), 0, uint64(i))
		if err != nil {
			return nil, m.h.exportError(ctx, err)
		}
		data := inputs[in.Name].Data
		if len(data) > 0 && (res[0] == 0 || !mem.Write(uint32(res[0]), f32Bytes(data))) {
			return nil, fmt.Errorf("model %d is not loaded (disposed?)", m.id)
		}
	}
	res, err := run.Call(ctx, uint64(m.id))
	if err != nil {
		return nil, m.h.exportError(ctx, err)
	}
	if res[0] != 0 {
		return nil, m.h.fastError(ctx)
	}
	outs := make(map[string]*ops.Tensor, len(m.Outputs))
	for i, o := range m.Outputs {
		shape := o.Shape
		if m.h.ExportedFunction("wasmnn_set_shapes") != nil {
			if shape, err = m.dims(ctx, 1, i); err != nil {
				return nil, err
			}
		}
		t, err := ops.NewTensor(shape...)
		if err != nil {
			return nil, fmt.Errorf("host: output %q: %w", o.Name, err)
		}
		if len(t.Data) == 0 {
			outs[o.Name] = t
			continue
		}
		res, err := buffer.Call(ctx, uint64(m.id), 1, uint64(i))
		if err != nil {
			return nil, m.h.exportError(ctx, err)
		}
		b, ok := mem.Read(uint32(res[0]), uint32(4*len(t.Data)))
		if !ok || res[0] == 0 {
			return nil, fmt.Errorf("host: output %q is out of the module's memory", o.Name)
		}
		for j := range t.Data {
			t.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
		outs[o.Name] = t
	}
	return outs, nil
}

// setShapes gives the guest the inputs' shapes (wasmnn_dims and
// wasmnn_set_shapes); the guest checks them and resizes its buffers, and
// does nothing when they are the current ones. A module without the export
// (built before dynamic shapes) takes only the shapes of m.Inputs.
func (m *Model) setShapes(ctx context.Context, inputs map[string]*ops.Tensor) error {
	set, dims := m.h.ExportedFunction("wasmnn_set_shapes"), m.h.ExportedFunction("wasmnn_dims")
	if set == nil || dims == nil {
		for _, in := range m.Inputs {
			if t := inputs[in.Name]; !ops.EqualShapes(t.Shape, in.Shape) {
				return fmt.Errorf("%w: input %q has shape %s, the model expects %s (this wasmnn.wasm predates dynamic shapes)",
					wrt.ErrInput, in.Name, ops.FormatShape(t.Shape), ops.FormatShape(in.Shape))
			}
		}
		return nil
	}
	mem := m.h.Memory()
	for i, in := range m.Inputs {
		shape := inputs[in.Name].Shape
		if len(shape) == 0 {
			continue
		}
		res, err := dims.Call(ctx, uint64(m.id), 0, uint64(i))
		if err != nil {
			return m.h.exportError(ctx, err)
		}
		b := make([]byte, 4*len(shape))
		for j, d := range shape {
			binary.LittleEndian.PutUint32(b[4*j:], uint32(int32(d)))
		}
		if res[0] == 0 || !mem.Write(uint32(res[0]), b) {
			return fmt.Errorf("model %d is not loaded (disposed?)", m.id)
		}
	}
	res, err := set.Call(ctx, uint64(m.id))
	if err != nil {
		return m.h.exportError(ctx, err)
	}
	if res[0] != 0 {
		return m.h.fastError(ctx)
	}
	return nil
}

// dims reads the current shape of input (kind 0) or output (kind 1) number
// index from the guest (wasmnn_rank, wasmnn_dims).
func (m *Model) dims(ctx context.Context, kind, index int) ([]int, error) {
	rank, err := m.h.ExportedFunction("wasmnn_rank").Call(ctx, uint64(m.id), uint64(kind), uint64(index))
	if err != nil {
		return nil, m.h.exportError(ctx, err)
	}
	r := int32(rank[0])
	if r < 0 {
		return nil, fmt.Errorf("model %d is not loaded (disposed?)", m.id)
	}
	shape := make([]int, r)
	if r == 0 {
		return shape, nil
	}
	p, err := m.h.ExportedFunction("wasmnn_dims").Call(ctx, uint64(m.id), uint64(kind), uint64(index))
	if err != nil {
		return nil, m.h.exportError(ctx, err)
	}
	b, ok := m.h.Memory().Read(uint32(p[0]), uint32(4*r))
	if !ok || p[0] == 0 {
		return nil, fmt.Errorf("host: the shape of value %d is out of the module's memory", index)
	}
	for i := range shape {
		shape[i] = int(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return shape, nil
}

// checkInputs validates inputs by name, rank and length before any call; the
// guest checks the dimensions themselves.
func (m *Model) checkInputs(inputs map[string]*ops.Tensor) error {
	for _, in := range m.Inputs {
		t, ok := inputs[in.Name]
		if !ok || t == nil {
			return fmt.Errorf("%w: missing input %q (shape %s)", wrt.ErrInput, in.Name, in.ShapeString())
		}
		if len(t.Shape) != len(in.Shape) {
			return fmt.Errorf("%w: input %q has shape %s, the model expects rank %d: %s",
				wrt.ErrInput, in.Name, ops.FormatShape(t.Shape), len(in.Shape), in.ShapeString())
		}
		for i, d := range t.Shape {
			if d < 0 || d > math.MaxInt32 {
				return fmt.Errorf("%w: input %q has shape %s: dimension %d is out of range", wrt.ErrInput, in.Name, ops.FormatShape(t.Shape), i)
			}
		}
		n, err := ops.NumElements(t.Shape)
		if err != nil {
			return fmt.Errorf("%w: input %q: %w", wrt.ErrInput, in.Name, err)
		}
		if len(t.Data) != n {
			return fmt.Errorf("%w: input %q has shape %s and %d float32 values; the shape needs %d",
				wrt.ErrInput, in.Name, ops.FormatShape(t.Shape), len(t.Data), n)
		}
	}
	if len(inputs) != len(m.Inputs) {
		for name := range inputs {
			found := false
			for _, in := range m.Inputs {
				found = found || in.Name == name
			}
			if !found {
				return fmt.Errorf("%w: unknown input %q", wrt.ErrInput, name)
			}
		}
	}
	return nil
}

// fastError reads the message of the last failed fast-path call.
func (h *Host) fastError(ctx context.Context) error {
	p, err1 := h.ExportedFunction("wasmnn_error_ptr").Call(ctx)
	n, err2 := h.ExportedFunction("wasmnn_error_len").Call(ctx)
	if err1 != nil || err2 != nil {
		return h.exportError(ctx, errors.Join(err1, err2))
	}
	b, ok := h.Memory().Read(uint32(p[0]), uint32(n[0]))
	if !ok {
		return errors.New("host: the module reported an error it could not describe")
	}
	return errors.New(string(b))
}

// RunProfiled is Run that also returns each layer's time in milliseconds, in
// the order of the summary's layers (of the plan for these shapes). It goes through the guest's JS API
// rather than the fast path, so it copies more; ctx acts as for Run.
func (m *Model) RunProfiled(ctx context.Context, inputs map[string]*ops.Tensor) (map[string]*ops.Tensor, []float64, error) {
	return m.run(ctx, "runProfiled", inputs)
}

func (m *Model) run(ctx context.Context, method string, inputs map[string]*ops.Tensor) (map[string]*ops.Tensor, []float64, error) {
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	jsNames, jsData, jsShapes := make([]any, len(names)), make([]any, len(names)), make([]any, len(names))
	for i, name := range names {
		t := inputs[name]
		if t == nil {
			return nil, nil, fmt.Errorf("input %q is nil", name)
		}
		dims := make([]any, len(t.Shape))
		for j, d := range t.Shape {
			dims[j] = d
		}
		jsNames[i], jsData[i], jsShapes[i] = name, f32Bytes(t.Data), dims
	}
	res, err := m.h.callAPI(ctx, method, m.id, jsNames, jsData, jsShapes)
	if err != nil {
		return nil, nil, err
	}
	on, _ := res.Get("names").(*Object)
	os, _ := res.Get("shapes").(*Object)
	od, _ := res.Get("data").(*Object)
	if on == nil || os == nil || od == nil {
		return nil, nil, fmt.Errorf("host: %s returned an unexpected result", method)
	}
	outs := make(map[string]*ops.Tensor, on.Len())
	for i := 0; i < on.Len(); i++ {
		name, _ := on.Index(i).(string)
		shapeObj, _ := os.Index(i).(*Object)
		data, _ := od.Index(i).([]byte)
		if shapeObj == nil {
			return nil, nil, fmt.Errorf("host: output %q has no shape", name)
		}
		shape := make([]int, shapeObj.Len())
		for j := range shape {
			d, _ := shapeObj.Index(j).(float64)
			shape[j] = int(d)
		}
		vals := make([]float32, len(data)/4)
		for j := range vals {
			vals[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*j:]))
		}
		t, err := ops.FromData(vals, shape...)
		if err != nil {
			return nil, nil, fmt.Errorf("host: output %q: %w", name, err)
		}
		outs[name] = t
	}
	var times []float64
	if tl, ok := res.Get("times").(*Object); ok {
		for i := 0; i < tl.Len(); i++ {
			v, _ := tl.Index(i).(float64)
			times = append(times, v)
		}
	}
	return outs, times, nil
}

// Summary returns the guest's summary of the model (as planned there).
func (m *Model) Summary() (wrt.Summary, error) {
	var sum wrt.Summary
	res, err := m.h.callAPI(context.Background(), "summary", m.id)
	if err != nil {
		return sum, err
	}
	s, _ := res.Get("result").(string)
	err = json.Unmarshal([]byte(s), &sum)
	return sum, err
}

// Classify classifies an image given as non-premultiplied RGBA pixels,
// preprocessed in the guest per the model's metadata, and returns the topK
// classes. ctx acts as for Run.
func (m *Model) Classify(ctx context.Context, rgba []byte, width, height, topK int) ([]wrt.Prediction, error) {
	res, err := m.h.callAPI(ctx, "classify", m.id, rgba, width, height, topK)
	if err != nil {
		return nil, err
	}
	s, _ := res.Get("result").(string)
	var preds []wrt.Prediction
	err = json.Unmarshal([]byte(s), &preds)
	return preds, err
}

// ID returns the model's id inside the guest (ids are not reused).
func (m *Model) ID() int { return m.id }

// Dispose frees the model inside the guest; later calls fail.
func (m *Model) Dispose() error {
	_, err := m.h.callAPI(context.Background(), "dispose", m.id)
	return err
}

// LoadedModels reports how many models the guest holds.
func (h *Host) LoadedModels() (int, error) {
	res, err := h.callAPI(context.Background(), "memory")
	if err != nil {
		return 0, err
	}
	n, _ := res.Get("models").(float64)
	return int(n), nil
}

// exportError turns a failed direct export call into the host's terminal
// error: a trap, or a stop when ctx ended (WithCloseOnContextDone), leaves
// the Go runtime inside the module in an unknown state, so the host refuses
// later calls.
func (h *Host) exportError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return h.g.Fail(fmt.Errorf("host: the module was stopped when the context ended (%w) and cannot be used any more: %w", cerr, err))
	}
	return h.g.Fail(fmt.Errorf("host: the module trapped and cannot be used any more: %w", err))
}
