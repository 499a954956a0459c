//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/wasmnn/wasmnn/ops"
	wrt "github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/sniff"
)

type handler func(args []js.Value) (map[string]any, error)

var handlers = map[string]handler{
	"load":        load,
	"run":         func(a []js.Value) (map[string]any, error) { return run(a, false) },
	"runProfiled": func(a []js.Value) (map[string]any, error) { return run(a, true) },
	"classify":    classify,
	"summary":     summary,
	"dispose":     dispose,
	"memory":      memory,
}

// wrap turns a handler into a js.FuncOf body that never panics: errors and
// recovered panics come back as {error: message}.
func wrap(h handler) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (res any) {
		defer func() {
			if r := recover(); r != nil {
				res = map[string]any{"error": fmt.Sprintf("internal error: %v\n%s", r, debug.Stack())}
			}
		}()
		out, err := h(args)
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		if out == nil {
			out = map[string]any{}
		}
		return out
	}
}

type model struct {
	m    *wrt.Model
	sess *wrt.Session
	// conversion is what the ONNX importer did, for a model loaded from an
	// ONNX file (nil for a .wnn file); summary reports it.
	conversion *onnx.Report
	// inInfo are the model's inputs as declared (symbolic dimensions named
	// in Dims) and outNames its output names, in order.
	inInfo   []wrt.ValueInfo
	outNames []string
	// Buffers kept for the model's lifetime, so that runs reuse them and the
	// exported fast path (fast.go) can hand out their addresses: inputs and
	// outputs by name, and in the order of inInfo and outNames. They have the
	// current shapes (see setShapes), at first the representative ones.
	inputs, outputs map[string]*ops.Tensor
	inList, outList []*ops.Tensor
	// inDims and outDims are the current shapes as int32 values for the fast
	// path: a host writes the input shapes it wants into inDims and calls
	// wasmnn_set_shapes; outDims are the output shapes for the current input
	// shapes.
	inDims, outDims [][]int32
	// Scratch for setShapes: the wanted shapes, and the map
	// Session.OutputShapes takes.
	want   [][]int
	shapes map[string][]int
}

func newModel(m *wrt.Model, sess *wrt.Session) *model {
	md := &model{m: m, sess: sess, inInfo: sess.Inputs(), inputs: map[string]*ops.Tensor{},
		outputs: map[string]*ops.Tensor{}, shapes: map[string][]int{}}
	for _, in := range md.inInfo {
		t, _ := ops.NewTensor(in.Shape...)
		md.inputs[in.Name] = t
		md.inList = append(md.inList, t)
		md.inDims = append(md.inDims, dims32(nil, in.Shape))
		md.want = append(md.want, make([]int, len(in.Shape)))
	}
	for _, out := range sess.Outputs() {
		t, _ := ops.NewTensor(out.Shape...)
		md.outNames = append(md.outNames, out.Name)
		md.outputs[out.Name] = t
		md.outList = append(md.outList, t)
		md.outDims = append(md.outDims, dims32(nil, out.Shape))
	}
	return md
}

// dims32 copies shape into d as int32 values, reusing d's storage.
func dims32(d []int32, shape []int) []int32 {
	d = d[:0]
	for _, n := range shape {
		d = append(d, int32(n))
	}
	return d
}

// resize gives t the shape, keeping its storage when it is large enough, so
// that runs switching between shapes do not allocate once each has been
// seen. shape has been checked by the session (no overflow, within limits).
func resize(t *ops.Tensor, shape []int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n <= cap(t.Data) {
		t.Data = t.Data[:n]
	} else {
		t.Data = make([]float32, n)
	}
	t.Shape = append(t.Shape[:0], shape...)
}

// setShapes makes want (one shape per input, in order) the model's input
// shapes: the session checks them (fixed dimensions equal, symbolic ones at
// least 1, same-named ones equal) and plans them if it has no plan for them,
// then the input and output buffers are resized to fit. Nothing changes on
// error. Setting the current shapes again does nothing and allocates
// nothing.
func (md *model) setShapes(want [][]int) error {
	same := true
	for i, t := range md.inList {
		same = same && ops.EqualShapes(t.Shape, want[i])
	}
	if same {
		return nil
	}
	for i, in := range md.inInfo {
		md.shapes[in.Name] = want[i]
	}
	outs, err := md.sess.OutputShapes(md.shapes)
	if err != nil {
		return err
	}
	for i, t := range md.inList {
		resize(t, want[i])
		md.inDims[i] = dims32(md.inDims[i], t.Shape)
	}
	for _, o := range outs {
		for i, name := range md.outNames {
			if name == o.Name {
				resize(md.outList[i], o.Shape)
				md.outDims[i] = dims32(md.outDims[i], o.Shape)
			}
		}
	}
	return nil
}

var (
	models = map[int]*model{}
	nextID = 1
)

// loadOptions are the JSON options of load and summary.
type loadOptions struct {
	Algo       string            `json:"algo"`
	LayerAlgos map[string]string `json:"layerAlgos"`
	Autotune   bool              `json:"autotune"`
	Limits     *limitsJSON       `json:"limits"`
}

// limitsJSON are runtime.Limits as JS passes them (0 = default, -1 = none).
type limitsJSON struct {
	MaxModelBytes      int64 `json:"maxModelBytes"`
	MaxTensorElements  int64 `json:"maxTensorElements"`
	MaxNodes           int   `json:"maxNodes"`
	MaxGraphDepth      int   `json:"maxGraphDepth"`
	MaxInputRank       int   `json:"maxInputRank"`
	MaxActivationBytes int64 `json:"maxActivationBytes"`
}

func (o loadOptions) limits() wrt.Limits {
	if o.Limits == nil {
		return wrt.Limits{}
	}
	l := o.Limits
	return wrt.Limits{MaxModelBytes: l.MaxModelBytes, MaxTensorElements: l.MaxTensorElements, MaxNodes: l.MaxNodes,
		MaxGraphDepth: l.MaxGraphDepth, MaxInputRank: l.MaxInputRank, MaxActivationBytes: l.MaxActivationBytes}
}

func (o loadOptions) runtime() wrt.Options {
	opts := wrt.Options{Algo: ops.ConvAlgo(o.Algo), Threads: 1, Autotune: o.Autotune, Limits: o.limits()}
	if len(o.LayerAlgos) > 0 {
		opts.LayerAlgos = map[string]ops.ConvAlgo{}
		for k, v := range o.LayerAlgos {
			opts.LayerAlgos[k] = ops.ConvAlgo(v)
		}
	}
	return opts
}

func argCount(args []js.Value, n int, what string) error {
	if len(args) < n {
		return fmt.Errorf("%s needs %d arguments, got %d", what, n, len(args))
	}
	return nil
}

var uint8Array = js.Global().Get("Uint8Array")

func bytesArg(v js.Value, what string) ([]byte, error) {
	if v.Type() != js.TypeObject || !v.InstanceOf(uint8Array) {
		return nil, fmt.Errorf("%s must be a Uint8Array", what)
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

func parseOptions(v js.Value) (loadOptions, error) {
	var o loadOptions
	if v.Type() == js.TypeString && v.String() != "" {
		if err := json.Unmarshal([]byte(v.String()), &o); err != nil {
			return o, fmt.Errorf("options: %w", err)
		}
	}
	return o, nil
}

// info is what load returns about a model (as JSON).
type info struct {
	Inputs  []wrt.ValueInfo `json:"inputs"`
	Outputs []wrt.ValueInfo `json:"outputs"`
	Meta    metaJSON        `json:"meta"`
}

type metaJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Labels      []string          `json:"labels,omitempty"`
	Preprocess  *wrt.Preprocess   `json:"preprocess,omitempty"`
	Extra       map[string]string `json:"extra,omitempty"`
}

func load(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 1, "load"); err != nil {
		return nil, err
	}
	b, err := bytesArg(args[0], "model bytes")
	if err != nil {
		return nil, err
	}
	var o loadOptions
	if len(args) > 1 {
		if o, err = parseOptions(args[1]); err != nil {
			return nil, err
		}
	}
	m, rep, err := decodeModel(b, o.limits())
	if err != nil {
		return nil, err
	}
	sess, err := wrt.NewSession(m, o.runtime())
	if err != nil {
		return nil, err
	}
	id := nextID
	nextID++
	models[id] = newModel(m, sess)
	models[id].conversion = rep
	// The file bytes and the planner's garbage are large for big models:
	// collect them now rather than when the heap doubles.
	b = nil
	runtime.GC()
	inf, _ := json.Marshal(info{Inputs: sess.Inputs(), Outputs: sess.Outputs(), Meta: metaJSON{Name: m.Meta.Name,
		Description: m.Meta.Description, Labels: m.Meta.Labels, Preprocess: m.Meta.Preprocess, Extra: m.Meta.Extra}})
	return map[string]any{"id": id, "info": string(inf)}, nil
}

// decodeModel reads a .wnn file or converts an ONNX file with the importer
// `wasmnn convert` uses (runtime/onnx, default options: symbolic dimensions
// stay symbolic), under the same limits: the file's size before it is
// decoded, each weight's size after. Any other file is refused with a
// message saying what it looks like (runtime/sniff).
func decodeModel(b []byte, lim wrt.Limits) (*wrt.Model, *onnx.Report, error) {
	switch sniff.Detect(b) {
	case sniff.WNN, sniff.Msgpack:
		m, err := wrt.LoadWithLimits(b, lim)
		return m, nil, err
	case sniff.ONNX:
		if err := lim.CheckFileSize(int64(len(b))); err != nil {
			return nil, nil, err
		}
		m, rep, err := onnx.Import(b, onnx.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("ONNX import: %w", err)
		}
		if err := lim.CheckWeights(m); err != nil {
			return nil, nil, err
		}
		return m, rep, nil
	}
	return nil, nil, fmt.Errorf("%w: %s", wrt.ErrBadModel, sniff.Explain(b))
}

func getModel(v js.Value) (*model, error) {
	if v.Type() != js.TypeNumber {
		return nil, fmt.Errorf("model id must be a number")
	}
	m, ok := models[v.Int()]
	if !ok {
		return nil, fmt.Errorf("model %d is not loaded (disposed?)", v.Int())
	}
	return m, nil
}

// floatsOf views a float32 slice as its bytes (little-endian on wasm).
func floatsOf(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), len(f)*4)
}

// run copies the inputs given by name into the model's buffers, with their
// shapes when args[3] gives them (an array of dims, one per name; else the
// current shapes stay), runs the model and returns every output.
func run(args []js.Value, profiled bool) (map[string]any, error) {
	if err := argCount(args, 3, "run"); err != nil {
		return nil, err
	}
	m, err := getModel(args[0])
	if err != nil {
		return nil, err
	}
	names, datas := args[1], args[2]
	if names.Type() != js.TypeObject || datas.Type() != js.TypeObject || names.Length() != datas.Length() {
		return nil, fmt.Errorf("run needs arrays of input names and data of equal length")
	}
	var shapes js.Value
	if len(args) > 3 && args[3].Type() != js.TypeUndefined && args[3].Type() != js.TypeNull {
		shapes = args[3]
		if shapes.Type() != js.TypeObject || shapes.Length() != names.Length() {
			return nil, fmt.Errorf("run needs one shape per input name")
		}
	}
	want := make([][]int, len(m.inList))
	for i, t := range m.inList {
		want[i] = append([]int(nil), t.Shape...)
	}
	index := make([]int, names.Length())
	for i := range index {
		name := names.Index(i).String()
		index[i] = -1
		for j, in := range m.inInfo {
			if in.Name == name {
				index[i] = j
			}
		}
		if index[i] < 0 {
			return nil, fmt.Errorf("%w: unknown input %q", wrt.ErrInput, name)
		}
		if shapes.Truthy() {
			if want[index[i]], err = inputShapeArg(shapes.Index(i), name); err != nil {
				return nil, err
			}
		}
	}
	if err := m.setShapes(want); err != nil {
		return nil, err
	}
	feeds := make(map[string]*ops.Tensor, names.Length())
	for i, j := range index {
		name := m.inInfo[j].Name
		t := m.inList[j]
		d := datas.Index(i)
		if d.Type() != js.TypeObject || !d.InstanceOf(uint8Array) {
			return nil, fmt.Errorf("input %q: data must be a Uint8Array view of float32 values", name)
		}
		if n := d.Get("length").Int(); n != 4*len(t.Data) {
			return nil, fmt.Errorf("%w: input %q has %d float32 values, shape %s needs %d", wrt.ErrInput, name, n/4, ops.FormatShape(t.Shape), len(t.Data))
		}
		js.CopyBytesToGo(floatsOf(t.Data), d)
		feeds[name] = t
	}
	var times []any
	if profiled {
		var err error
		times, err = runTimed(m, feeds)
		if err != nil {
			return nil, err
		}
	} else if err := m.sess.RunInto(context.Background(), feeds, m.outputs); err != nil {
		return nil, err
	}
	outNames, outShapes, data := []any{}, []any{}, []any{}
	u8 := uint8Array
	for i, name := range m.outNames {
		t := m.outList[i]
		arr := u8.New(4 * len(t.Data))
		js.CopyBytesToJS(arr, floatsOf(t.Data))
		dims := make([]any, len(t.Shape))
		for i, d := range t.Shape {
			dims[i] = d
		}
		outNames = append(outNames, name)
		outShapes = append(outShapes, dims)
		data = append(data, arr)
	}
	res := map[string]any{"names": outNames, "shapes": outShapes, "data": data}
	if profiled {
		res["times"] = times
	}
	return res, nil
}

// inputShapeArg reads a JS array of dimensions (non-negative integers).
func inputShapeArg(v js.Value, name string) ([]int, error) {
	if v.Type() != js.TypeObject || v.Get("length").Type() != js.TypeNumber {
		return nil, fmt.Errorf("%w: input %q: the shape must be an array of dimensions", wrt.ErrInput, name)
	}
	n := v.Length()
	if n > maxRank {
		return nil, fmt.Errorf("%w: input %q: a shape of rank %d (the most is %d)", wrt.ErrInput, name, n, maxRank)
	}
	shape := make([]int, n)
	for i := range shape {
		d := v.Index(i)
		if d.Type() != js.TypeNumber || d.Float() != math.Trunc(d.Float()) || d.Float() < 0 || d.Float() > math.MaxInt32 {
			return nil, fmt.Errorf("%w: input %q: dimension %d is not an integer in [0, 2^31)", wrt.ErrInput, name, i)
		}
		shape[i] = d.Int()
	}
	return shape, nil
}

// maxRank bounds the rank of a shape a host passes in.
const maxRank = 64

func runTimed(m *model, feeds map[string]*ops.Tensor) ([]any, error) {
	var times []any
	last := time.Now()
	err := m.sess.RunProfiled(context.Background(), feeds, m.outputs, func(layer int) {
		now := time.Now()
		times = append(times, float64(now.Sub(last).Microseconds())/1000)
		last = now
	})
	return times, err
}

// classified is one entry of classify's result, as `wasmnn classify --json`
// prints it: a prediction and whether the image was inverted before the
// model saw it.
type classified struct {
	wrt.Prediction
	Inverted bool `json:"inverted"`
}

// classify preprocesses RGBA pixels as the model's metadata says and returns
// its top k classes. args[5], the invert mode ("auto", the default, "yes" or
// "no"), says whether to invert the image: auto inverts for a model that
// inverts only an image of dark marks on a light ground
// (imageprep.ResolveInvert, the rule of `wasmnn classify --invert`).
func classify(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 5, "classify"); err != nil {
		return nil, err
	}
	m, err := getModel(args[0])
	if err != nil {
		return nil, err
	}
	pp := m.m.Meta.Preprocess
	if pp == nil {
		return nil, fmt.Errorf("the model has no preprocessing metadata: it is not an image classifier")
	}
	rgba, err := bytesArg(args[1], "pixels")
	if err != nil {
		return nil, err
	}
	w, h, k := args[2].Int(), args[3].Int(), args[4].Int()
	mode := imageprep.InvertAuto
	if len(args) > 5 && args[5].Type() == js.TypeString {
		if mode, err = imageprep.ParseInvertMode(args[5].String()); err != nil {
			return nil, err
		}
	}
	img, err := imageprep.FromRGBA(rgba, w, h)
	if err != nil {
		return nil, err
	}
	invert := imageprep.ResolveInvert(img, mode, pp.Invert)
	data, shape, err := imageprep.ToTensor(img, imageprep.Params{Width: pp.Width, Height: pp.Height,
		ContentWidth: pp.ContentWidth, ContentHeight: pp.ContentHeight, Channels: pp.Channels, Invert: invert,
		Scale: pp.Scale, Mean: pp.Mean, Std: pp.Std})
	if err != nil {
		return nil, err
	}
	// The image is one input of the preprocessing's size: it must fit the
	// model's first input, whose dimensions may be symbolic (a batch, or an
	// image height and width); the session plans a new size once.
	in := m.inInfo[0]
	outs, err := m.sess.Run(context.Background(), map[string]*ops.Tensor{in.Name: {Shape: shape, Data: data}})
	if errors.Is(err, wrt.ErrInput) && len(m.inInfo) == 1 {
		return nil, fmt.Errorf("%w: the preprocessed image has shape %s but input %q expects %s", wrt.ErrInput, ops.FormatShape(shape), in.Name, in.ShapeString())
	}
	if err != nil {
		return nil, err
	}
	preds := wrt.TopK(outs[m.outNames[0]].Data, m.m.Meta.Labels, k)
	res := make([]classified, len(preds))
	for i, p := range preds {
		res[i] = classified{p, invert}
	}
	b, _ := json.Marshal(res)
	return map[string]any{"result": string(b)}, nil
}

// summaryJSON is what summary returns: the session's summary, as `wasmnn
// summary --json` prints it, plus, for a model converted from ONNX, the
// importer's report as `wasmnn convert --json` prints it.
type summaryJSON struct {
	wrt.Summary
	Conversion *onnx.Report `json:"conversion,omitempty"`
}

func summary(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 1, "summary"); err != nil {
		return nil, err
	}
	m, err := getModel(args[0])
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(summaryJSON{Summary: m.sess.Summary(), Conversion: m.conversion})
	if err != nil {
		return nil, err
	}
	return map[string]any{"result": string(b)}, nil
}

func dispose(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 1, "dispose"); err != nil {
		return nil, err
	}
	if _, err := getModel(args[0]); err != nil {
		return nil, err
	}
	delete(models, args[0].Int())
	// Give the model's memory back to the heap now, so the next load reuses
	// it instead of growing the linear memory (which never shrinks).
	runtime.GC()
	return nil, nil
}

func memory(args []js.Value) (map[string]any, error) {
	return map[string]any{"models": len(models), "readers": len(readers)}, nil
}
