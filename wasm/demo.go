//go:build js && wasm && demo

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/wasmnn/wasmnn/internal/explore"
	"github.com/wasmnn/wasmnn/ops"
	wrt "github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// The demo module's extra methods of globalThis.__wasmnn. They are built
// only with the demo build tag (make demo-wasm: demo/lib/dist/wasmnn-demo.wasm,
// which the demo pages load from their Web Worker); the npm package's
// js/dist/wasmnn.wasm is built without it, so it does not link
// internal/explore or runtime/zoo, and the JS package does not use them:
//
//	buildZoo(name, inputSize, seed, options) -> {id, info} | {error}
//	    builds a zoo architecture with random He-initialised weights in the
//	    module, as load does for a file (inputSize 0: the architecture's own)
//	reopen(id, options) -> {id, info} | {error}
//	    a new model id for the same network and weights, planned with other
//	    options (say another conv algorithm); the old id stays valid
//	layerOutputs(id, names, data) -> {names, ops, values, shapes, data} | {error}
//	    runs the model like run and returns the output of every node
//	conv2d(x, xShape, w, wShape, spec) -> {shape, data, algo, pooledShape?, pooledData?} | {error}
//	    one convolution of x [1 C H W] with kernels w [M C kh kw], spec being
//	    explore.ConvSpec as JSON
//	convAlgos() -> {algos: string[]}
func init() {
	handlers["buildZoo"] = buildZoo
	handlers["reopen"] = reopen
	handlers["layerOutputs"] = layerOutputs
	handlers["conv2d"] = conv2d
	handlers["convAlgos"] = convAlgos
}

// register plans m with o and adds it to models, answering like load; rep
// is the ONNX import report of the model's file, if it was one.
func register(m *wrt.Model, rep *onnx.Report, o loadOptions) (map[string]any, error) {
	sess, err := wrt.NewSession(m, o.runtime())
	if err != nil {
		return nil, err
	}
	id := nextID
	nextID++
	models[id] = newModel(m, sess)
	models[id].conversion = rep
	inf, _ := json.Marshal(info{Inputs: sess.Inputs(), Outputs: sess.Outputs(), Meta: metaJSON{Name: m.Meta.Name,
		Description: m.Meta.Description, Labels: m.Meta.Labels, Preprocess: m.Meta.Preprocess, Extra: m.Meta.Extra}})
	return map[string]any{"id": id, "info": string(inf)}, nil
}

func intArg(v js.Value, what string) (int, error) {
	if v.Type() != js.TypeNumber {
		return 0, fmt.Errorf("%s must be a number", what)
	}
	f := v.Float()
	if f != float64(int(f)) {
		return 0, fmt.Errorf("%s must be an integer, got %v", what, f)
	}
	return int(f), nil
}

func buildZoo(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 3, "buildZoo"); err != nil {
		return nil, err
	}
	if args[0].Type() != js.TypeString {
		return nil, fmt.Errorf("buildZoo: the architecture name must be a string")
	}
	size, err := intArg(args[1], "buildZoo: inputSize")
	if err != nil {
		return nil, err
	}
	seed, err := intArg(args[2], "buildZoo: seed")
	if err != nil {
		return nil, err
	}
	if seed < 0 {
		return nil, fmt.Errorf("buildZoo: seed must not be negative")
	}
	var o loadOptions
	if len(args) > 3 {
		if o, err = parseOptions(args[3]); err != nil {
			return nil, err
		}
	}
	m, err := zoo.Build(args[0].String(), zoo.Config{Seed: uint64(seed), InputSize: size})
	if err != nil {
		return nil, err
	}
	return register(m, nil, o)
}

func reopen(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 2, "reopen"); err != nil {
		return nil, err
	}
	md, err := getModel(args[0])
	if err != nil {
		return nil, err
	}
	o, err := parseOptions(args[1])
	if err != nil {
		return nil, err
	}
	return register(md.m, md.conversion, o)
}

// probes caches a layer-output probe per model id; entries of disposed or
// replaced models are dropped on the next call.
var probes = map[int]struct {
	owner *model
	probe *explore.Probe
}{}

func probeFor(id int, md *model) (*explore.Probe, error) {
	for k, p := range probes {
		if models[k] != p.owner {
			delete(probes, k)
		}
	}
	if p, ok := probes[id]; ok {
		return p.probe, nil
	}
	p, err := explore.NewProbe(md.m, wrt.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	probes[id] = struct {
		owner *model
		probe *explore.Probe
	}{md, p}
	return p, nil
}

func float32sArg(v js.Value, what string) ([]float32, error) {
	if v.Type() != js.TypeObject || !v.InstanceOf(uint8Array) {
		return nil, fmt.Errorf("%s must be a Uint8Array view of float32 values", what)
	}
	n := v.Get("length").Int()
	if n%4 != 0 {
		return nil, fmt.Errorf("%s has %d bytes, not a whole number of float32 values", what, n)
	}
	f := make([]float32, n/4)
	js.CopyBytesToGo(floatsOf(f), v)
	return f, nil
}

func shapeArg(v js.Value, what string) ([]int, error) {
	if v.Type() != js.TypeObject || v.Get("length").Type() != js.TypeNumber {
		return nil, fmt.Errorf("%s must be an array of numbers", what)
	}
	shape := make([]int, v.Length())
	for i := range shape {
		d, err := intArg(v.Index(i), what)
		if err != nil {
			return nil, err
		}
		shape[i] = d
	}
	return shape, nil
}

func tensorArg(data, shape js.Value, what string) (*ops.Tensor, error) {
	f, err := float32sArg(data, what)
	if err != nil {
		return nil, err
	}
	s, err := shapeArg(shape, what+" shape")
	if err != nil {
		return nil, err
	}
	t, err := ops.FromData(f, s...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return t, nil
}

func toJS(t *ops.Tensor) (js.Value, []any) {
	arr := uint8Array.New(4 * len(t.Data))
	js.CopyBytesToJS(arr, floatsOf(t.Data))
	dims := make([]any, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = d
	}
	return arr, dims
}

func layerOutputs(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 3, "layerOutputs"); err != nil {
		return nil, err
	}
	md, err := getModel(args[0])
	if err != nil {
		return nil, err
	}
	p, err := probeFor(args[0].Int(), md)
	if err != nil {
		return nil, err
	}
	names, datas := args[1], args[2]
	if names.Type() != js.TypeObject || datas.Type() != js.TypeObject || names.Length() != datas.Length() {
		return nil, fmt.Errorf("layerOutputs needs arrays of input names and data of equal length")
	}
	shapes := map[string][]int{}
	for _, in := range p.Inputs() {
		shapes[in.Name] = in.Shape
	}
	feeds := map[string]*ops.Tensor{}
	for i := 0; i < names.Length(); i++ {
		name := names.Index(i).String()
		shape, ok := shapes[name]
		if !ok {
			return nil, fmt.Errorf("%w: unknown input %q", wrt.ErrInput, name)
		}
		f, err := float32sArg(datas.Index(i), fmt.Sprintf("input %q", name))
		if err != nil {
			return nil, err
		}
		feeds[name] = &ops.Tensor{Shape: shape, Data: f}
	}
	layers, err := p.Run(context.Background(), feeds)
	if err != nil {
		return nil, err
	}
	var lnames, lops, values, lshapes, data []any
	for _, l := range layers {
		arr, dims := toJS(&ops.Tensor{Shape: l.Shape, Data: l.Data})
		lnames = append(lnames, l.Name)
		lops = append(lops, l.Op)
		values = append(values, l.Value)
		lshapes = append(lshapes, dims)
		data = append(data, arr)
	}
	return map[string]any{"names": lnames, "ops": lops, "values": values, "shapes": lshapes, "data": data}, nil
}

func conv2d(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 5, "conv2d"); err != nil {
		return nil, err
	}
	x, err := tensorArg(args[0], args[1], "conv2d: image")
	if err != nil {
		return nil, err
	}
	w, err := tensorArg(args[2], args[3], "conv2d: kernels")
	if err != nil {
		return nil, err
	}
	var spec explore.ConvSpec
	if args[4].Type() == js.TypeString && args[4].String() != "" {
		if err := json.Unmarshal([]byte(args[4].String()), &spec); err != nil {
			return nil, fmt.Errorf("conv2d: spec: %w", err)
		}
	}
	res, err := explore.Conv2D(x, w, spec)
	if err != nil {
		return nil, err
	}
	data, shape := toJS(res.Conv)
	out := map[string]any{"shape": shape, "data": data, "algo": string(res.Algo)}
	if res.Pooled != nil {
		pdata, pshape := toJS(res.Pooled)
		out["pooledShape"], out["pooledData"] = pshape, pdata
	}
	return out, nil
}

func convAlgos([]js.Value) (map[string]any, error) {
	var algos []any
	for _, a := range ops.KnownConvAlgos() {
		algos = append(algos, string(a))
	}
	return map[string]any{"algos": algos}, nil
}
