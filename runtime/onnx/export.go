package onnx

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// ExportOpset is the default-domain opset Export writes (19 when a model
// needs AveragePool dilations, which opset 19 introduced, and 20 when it
// has a Gelu).
const ExportOpset = 17

// Export writes m as a standard ONNX model. The model is checked first
// (runtime.Summarize), so that any .wnn the runtime runs can be exported
// and nothing else is. Dense becomes Gemm, fused activations become their
// own nodes after the layer, and the metadata (labels, preprocessing) is
// kept in metadata_props so that Import restores it.
func Export(m *runtime.Model) ([]byte, error) {
	pm, err := ExportModel(m)
	if err != nil {
		return nil, err
	}
	return pm.Encode(), nil
}

// exporter holds the state of one export.
type exporter struct {
	g     *Graph
	names map[string]bool
	opset int64
}

// ExportModel converts m to a decoded ONNX model; see Export.
func ExportModel(m *runtime.Model) (*Model, error) {
	sum, err := runtime.Summarize(m, runtime.Options{})
	if err != nil {
		return nil, err
	}
	e := &exporter{g: &Graph{Name: m.Meta.Name}, names: map[string]bool{}, opset: ExportOpset}
	if e.g.Name == "" {
		e.g.Name = "wasmnn"
	}
	for _, in := range m.Inputs {
		e.names[in.Name] = true
	}
	for name := range m.Weights {
		e.names[name] = true
	}
	for _, n := range m.Nodes {
		e.names[n.Name] = true
		for _, o := range n.Outputs {
			e.names[o] = true
		}
	}
	for _, in := range sum.Inputs {
		e.g.Inputs = append(e.g.Inputs, tensorInfo(in.Name, in.Shape))
	}
	for _, out := range sum.Outputs {
		e.g.Outputs = append(e.g.Outputs, tensorInfo(out.Name, out.Shape))
	}
	for _, name := range m.WeightNames() {
		w := m.Weights[name]
		e.g.Initializers = append(e.g.Initializers, floatTensor(name, w.Shape, w.Data))
	}
	for _, n := range m.Nodes {
		if err := e.node(m, n); err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
		}
	}
	irVersion := int64(8)
	if e.opset >= 19 {
		irVersion = 9
	}
	pm := &Model{IRVersion: irVersion, Opsets: []OpsetID{{Domain: "", Version: e.opset}}, ProducerName: "wasmnn",
		ProducerVersion: "1", Graph: e.g, DocString: m.Meta.Description}
	if len(m.Meta.Labels) > 0 {
		b, _ := json.Marshal(m.Meta.Labels)
		pm.Metadata = append(pm.Metadata, KeyValue{metaLabels, string(b)})
	}
	if m.Meta.Preprocess != nil {
		b, _ := json.Marshal(m.Meta.Preprocess)
		pm.Metadata = append(pm.Metadata, KeyValue{metaPreprocess, string(b)})
	}
	if m.Meta.Description != "" {
		pm.Metadata = append(pm.Metadata, KeyValue{metaDescription, m.Meta.Description})
	}
	if m.Meta.Name != "" {
		pm.Metadata = append(pm.Metadata, KeyValue{metaName, m.Meta.Name})
	}
	keys := make([]string, 0, len(m.Meta.Extra))
	for k := range m.Meta.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pm.Metadata = append(pm.Metadata, KeyValue{metaExtraPrefix + k, m.Meta.Extra[k]})
	}
	return pm, nil
}

func tensorInfo(name string, shape []int) *ValueInfo {
	vi := &ValueInfo{Name: name, ElemType: TypeFloat, HasShape: true}
	for _, d := range shape {
		vi.Shape = append(vi.Shape, Dim{Value: int64(d), HasValue: true})
	}
	return vi
}

func (e *exporter) fresh(base string) string {
	name := base
	for i := 1; e.names[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	e.names[name] = true
	return name
}

func (e *exporter) add(name, op string, inputs, outputs []string, attrs ...*Attr) {
	var list []*Attr
	for _, a := range attrs {
		if a != nil {
			list = append(list, a)
		}
	}
	e.g.Nodes = append(e.g.Nodes, &Node{Name: name, OpType: op, Inputs: inputs, Outputs: outputs, Attrs: list})
}

// constInt adds an int64 initializer and returns its name.
func (e *exporter) constInt(base string, shape []int, v []int64) string {
	name := e.fresh(base)
	e.g.Initializers = append(e.g.Initializers, intTensor(name, shape, v))
	return name
}

// constFloat adds a float scalar initializer and returns its name.
func (e *exporter) constFloat(base string, v float32) string {
	name := e.fresh(base)
	e.g.Initializers = append(e.g.Initializers, floatTensor(name, []int{}, []float32{v}))
	return name
}

func attrInt(name string, v int64) *Attr { return &Attr{Name: name, Type: AttrInt, I: v} }
func attrFloat(name string, v float32) *Attr {
	return &Attr{Name: name, Type: AttrFloat, F: v}
}
func attrStr(name, v string) *Attr { return &Attr{Name: name, Type: AttrString, S: []byte(v)} }
func attrInts(name string, v []int64) *Attr {
	return &Attr{Name: name, Type: AttrInts, Ints: append([]int64{}, v...)}
}

// intsAttr copies a list attribute if present.
func intsAttr(r *runtime.AttrReader, name string) *Attr {
	if r.Has(name) {
		return attrInts(name, ints64(r.Ints(name, -1)))
	}
	return nil
}

func autoPadAttr(r *runtime.AttrReader) *Attr {
	switch strings.ToLower(r.String("auto_pad")) {
	case "same", "same_upper":
		return attrStr("auto_pad", "SAME_UPPER")
	case "same_lower":
		return attrStr("auto_pad", "SAME_LOWER")
	case "valid":
		return attrStr("auto_pad", "VALID")
	}
	return nil
}

// node writes one runtime node as ONNX nodes.
func (e *exporter) node(m *runtime.Model, n *runtime.Node) error {
	a := runtime.ReadAttrs(n) // the model passed Summarize: attributes are valid
	out := n.Outputs[0]
	// A fused activation becomes its own node reading the layer's result.
	var act string
	if def, ok := runtime.Op(n.Op); ok && def.FusesAct {
		act = a.String("activation")
	}
	layerOut := out
	if act != "" {
		layerOut = e.fresh(out + "/preact")
	}
	outs := []string{layerOut}
	weightShape := func(i int) []int {
		if i < len(n.Inputs) {
			if w := m.Weights[n.Inputs[i]]; w != nil {
				return w.Shape
			}
		}
		return nil
	}
	def, ok := runtime.Op(n.Op)
	if !ok {
		return fmt.Errorf("%w: no ONNX mapping for op %s", ErrUnsupported, n.Op)
	}
	switch {
	case n.Op == "Conv" || n.Op == "ConvTranspose":
		ws := weightShape(1)
		if len(ws) < 3 {
			return fmt.Errorf("weights %v", ws)
		}
		attrs := []*Attr{attrInts("kernel_shape", ints64(ws[2:])), intsAttr(a, "strides"), intsAttr(a, "dilations"),
			intsAttr(a, "pads"), autoPadAttr(a), attrInt("group", int64(a.Int("group")))}
		if n.Op == "ConvTranspose" {
			attrs = append(attrs, intsAttr(a, "output_padding"), intsAttr(a, "output_shape"))
		}
		e.add(n.Name, n.Op, n.Inputs, outs, attrs...)
	case n.Op == "MaxPool" || n.Op == "AveragePool":
		attrs := []*Attr{intsAttr(a, "kernel_shape"), intsAttr(a, "strides"), intsAttr(a, "pads"), autoPadAttr(a)}
		if a.Int("ceil_mode") != 0 {
			attrs = append(attrs, attrInt("ceil_mode", 1))
		}
		if a.Has("dilations") {
			d := ints64(a.Ints("dilations", -1))
			dilated := false
			for _, x := range d {
				dilated = dilated || x != 1
			}
			if dilated || n.Op == "MaxPool" {
				attrs = append(attrs, attrInts("dilations", d))
			}
			if dilated && n.Op == "AveragePool" {
				e.opset = max(e.opset, 19)
			}
		}
		if a.Int("count_include_pad") != 0 && n.Op == "AveragePool" {
			attrs = append(attrs, attrInt("count_include_pad", 1))
		}
		e.add(n.Name, n.Op, n.Inputs, outs, attrs...)
	case isReduceOp(n.Op) || n.Op == "ArgMax" || n.Op == "ArgMin":
		e.reduce(n, a, layerOut)
	case def.ONNX:
		if n.Op == "Gelu" {
			e.opset = max(e.opset, 20) // ONNX's Gelu is opset 20's
		}
		e.add(n.Name, n.Op, n.Inputs, outs, directAttrs(def, a)...)
	case n.Op == "Dense":
		e.add(n.Name, "Gemm", n.Inputs, outs, attrInt("transB", int64(a.Int("transposed"))))
	case n.Op == "Clip":
		act, ok := runtime.ActivationOf(n)
		if !ok {
			return fmt.Errorf("%w: bad Clip attributes", runtime.ErrBadModel)
		}
		e.clip(n.Name, n.Inputs[0], layerOut, act)
	case n.Op == "Softmax" || n.Op == "Concat" || n.Op == "Flatten":
		e.add(n.Name, n.Op, n.Inputs, outs, attrInt("axis", int64(a.Int("axis"))))
	case n.Op == "BatchNormalization":
		e.add(n.Name, n.Op, n.Inputs, outs, directAttrs(def, a)...)
	case n.Op == "Reshape":
		shape := ints64(a.Ints("shape", -1))
		e.add(n.Name, n.Op, []string{n.Inputs[0], e.constInt(n.Name+"/shape", []int{len(shape)}, shape)}, outs)
	case n.Op == "Dropout":
		e.add(n.Name, "Identity", n.Inputs, outs)
	case n.Op == "Transpose":
		e.add(n.Name, n.Op, n.Inputs, outs, intsAttr(a, "perm"))
	case n.Op == "Gather":
		idx := ints64(a.Ints("indices", -1))
		shape := []int{len(idx)}
		if a.Has("indices_shape") {
			shape = a.Ints("indices_shape", -1)
		}
		e.add(n.Name, n.Op, []string{n.Inputs[0], e.constInt(n.Name+"/indices", shape, idx)}, outs, attrInt("axis", int64(a.Int("axis"))))
	case n.Op == "Expand" || n.Op == "Tile":
		name := map[string]string{"Expand": "shape", "Tile": "repeats"}[n.Op]
		v := ints64(a.Ints(name, -1))
		e.add(n.Name, n.Op, []string{n.Inputs[0], e.constInt(n.Name+"/"+name, []int{len(v)}, v)}, outs)
	case n.Op == "Split":
		split := ints64(a.Ints("split", -1))
		e.add(n.Name, n.Op, []string{n.Inputs[0], e.constInt(n.Name+"/split", []int{len(split)}, split)}, n.Outputs,
			attrInt("axis", int64(a.Int("axis"))))
	case n.Op == "Pad":
		pads, mode := ints64(a.Ints("pads", -1)), a.String("mode")
		inputs := []string{n.Inputs[0], e.constInt(n.Name+"/pads", []int{len(pads)}, pads)}
		if v := a.Float("value"); v != 0 && mode == "constant" {
			inputs = append(inputs, e.constFloat(n.Name+"/value", v))
		}
		e.add(n.Name, n.Op, inputs, outs, attrStr("mode", mode))
	case n.Op == "Resize":
		e.resize(n, a, outs)
	case n.Op == "Slice":
		e.slice(n, a, outs)
	default:
		return fmt.Errorf("%w: no ONNX mapping for op %s", ErrUnsupported, n.Op)
	}
	if act == "" {
		return nil
	}
	fused, err := runtime.FusedActivation(n)
	if err != nil {
		return err
	}
	actDef, ok := runtime.ActivationOp(fused.Kind)
	if !ok {
		return fmt.Errorf("%w: fused activation %q", ErrUnsupported, act)
	}
	name := n.Name + "/" + act
	if fused.Kind == ops.ActClip {
		e.clip(name, layerOut, out, fused)
		return nil
	}
	actNode := &runtime.Node{Name: name, Op: actDef.Name, Attrs: runtime.ActivationAttrs(fused)}
	e.add(name, actDef.Name, []string{layerOut}, []string{out}, directAttrs(actDef, runtime.ReadAttrs(actNode))...)
	return nil
}

// clip writes a Clip node (opset 11+: bounds are inputs; infinite bounds
// are left out).
func (e *exporter) clip(name, in, out string, act ops.Activation) {
	inputs := []string{in, "", ""}
	if !math.IsInf(float64(act.Alpha), -1) {
		inputs[1] = e.constFloat(name+"/min", act.Alpha)
	}
	if !math.IsInf(float64(act.Beta), 1) {
		inputs[2] = e.constFloat(name+"/max", act.Beta)
	}
	for len(inputs) > 1 && inputs[len(inputs)-1] == "" {
		inputs = inputs[:len(inputs)-1]
	}
	e.add(name, "Clip", inputs, []string{out})
}
