// Package reftest evaluates a runtime.Model in float64 with the reference
// kernels of ops/ref, node by node as written (no fusion, no planning). It is
// the oracle that tests compare Session.Run against.
package reftest

import (
	"fmt"
	"math"
	"strings"

	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
)

type (
	Model = runtime.Model
	Node  = runtime.Node
)

func product(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

// resolveReshape applies ONNX Reshape's 0 and -1 rules.
func resolveReshape(in, want []int) ([]int, error) {
	out := append([]int(nil), want...)
	known, infer := 1, -1
	for i, d := range out {
		switch d {
		case 0:
			out[i] = in[i]
		case -1:
			infer = i
			continue
		}
		known *= out[i]
	}
	if infer >= 0 {
		out[infer] = product(in) / known
	}
	if product(out) != product(in) {
		return nil, fmt.Errorf("cannot reshape %v to %v", in, want)
	}
	return out, nil
}

// Eval runs m on inputs (keyed by input name) and returns every graph output.
func Eval(m *Model, inputs map[string][]float64) (map[string][]float64, error) {
	vals := map[string][]float64{}
	shapes := map[string][]int{}
	for _, in := range m.Inputs {
		vals[in.Name] = inputs[in.Name]
		shapes[in.Name] = in.Shape
	}
	for name, w := range m.Weights {
		vals[name] = ref.To64(w.Data)
		shapes[name] = w.Shape
	}
	pending := append([]*Node(nil), m.Nodes...)
	for len(pending) > 0 {
		progress := false
		rest := pending[:0]
		for _, n := range pending {
			ready := true
			for _, in := range n.Inputs {
				if _, ok := vals[in]; !ok {
					ready = false
				}
			}
			if !ready {
				rest = append(rest, n)
				continue
			}
			out, shape, err := refNode(n, vals, shapes)
			if err != nil {
				return nil, fmt.Errorf("reference %s %q: %w", n.Op, n.Name, err)
			}
			vals[n.Outputs[0]], shapes[n.Outputs[0]] = out, shape
			progress = true
		}
		pending = rest
		if !progress {
			return nil, fmt.Errorf("reference: graph is stuck")
		}
	}
	res := map[string][]float64{}
	for _, o := range m.Outputs {
		res[o] = vals[o]
	}
	return res, nil
}

func attrInts(a map[string]any, name string) []int {
	v, ok := a[name]
	if !ok {
		return nil
	}
	var out []int
	switch x := v.(type) {
	case []int64:
		for _, e := range x {
			out = append(out, int(e))
		}
	case []int:
		out = x
	}
	return out
}

func attrInt(a map[string]any, name string, def int) int {
	if v, ok := a[name]; ok {
		switch x := v.(type) {
		case int64:
			return int(x)
		case int:
			return x
		}
	}
	return def
}

func attrFloat(a map[string]any, name string, def float64) float64 {
	if v, ok := a[name]; ok {
		switch x := v.(type) {
		case float64:
			return x
		case float32:
			return float64(x)
		case int64:
			return float64(x)
		}
	}
	return def
}

// onnxAutoPad maps the .wnn auto_pad spellings to ONNX's.
func onnxAutoPad(s string) string {
	switch s {
	case "", "explicit":
		return "NOTSET"
	case "same":
		return "SAME_UPPER"
	}
	return strings.ToUpper(s)
}

func attrStr(a map[string]any, name string) string {
	s, _ := a[name].(string)
	return s
}

func refAct(kind string, a map[string]any, lo, hi string) func(float64) float64 {
	switch kind {
	case "relu", "Relu":
		return ref.ReLU
	case "leakyrelu", "LeakyRelu":
		al := attrFloat(a, lo, 0.01)
		return func(v float64) float64 { return ref.LeakyReLU(v, al) }
	case "clip", "Clip":
		l, h := attrFloat(a, lo, math.Inf(-1)), attrFloat(a, hi, math.Inf(1))
		return func(v float64) float64 { return ref.Clip(v, l, h) }
	case "sigmoid", "Sigmoid":
		return ref.Sigmoid
	case "tanh", "Tanh":
		return ref.Tanh
	}
	return nil
}

func refNode(n *Node, vals map[string][]float64, shapes map[string][]int) ([]float64, []int, error) {
	x, xs := vals[n.Inputs[0]], shapes[n.Inputs[0]]
	a := n.Attrs
	rank := len(xs) - 2
	split := func(p []int) ([]int, []int) {
		if p == nil {
			return nil, nil
		}
		return p[:len(p)/2], p[len(p)/2:]
	}
	applyAct := func(y []float64) []float64 {
		if f := refAct(attrStr(a, "activation"), a, "alpha", "beta"); f != nil {
			return ref.Map(y, f)
		}
		return y
	}
	switch n.Op {
	case "Conv":
		pb, pe := split(attrInts(a, "pads"))
		ca := ref.ConvAttrs{Strides: attrInts(a, "strides"), Dilations: attrInts(a, "dilations"), PadsBegin: pb, PadsEnd: pe,
			AutoPad: onnxAutoPad(attrStr(a, "auto_pad")), Groups: attrInt(a, "group", 1)}
		var b []float64
		if len(n.Inputs) == 3 {
			b = vals[n.Inputs[2]]
		}
		y, ys := ref.Conv(x, xs, vals[n.Inputs[1]], shapes[n.Inputs[1]], b, ca)
		return applyAct(y), ys, nil
	case "MaxPool", "AveragePool":
		k := attrInts(a, "kernel_shape")
		s := attrInts(a, "strides")
		d := attrInts(a, "dilations")
		pb, pe := split(attrInts(a, "pads"))
		ceil := attrInt(a, "ceil_mode", 0) == 1
		spec := ref.PoolSpec{Max: n.Op == "MaxPool", CountIncludePad: attrInt(a, "count_include_pad", 0) == 1, Kernel: k}
		out := []int{xs[0], xs[1]}
		for i := 0; i < rank; i++ {
			st, dl, b0, e0 := 1, 1, 0, 0
			if s != nil {
				st = s[i]
			}
			if d != nil {
				dl = d[i]
			}
			if pb != nil {
				b0, e0 = pb[i], pe[i]
			}
			spec.Strides = append(spec.Strides, st)
			spec.Dilations = append(spec.Dilations, dl)
			spec.PadsBegin = append(spec.PadsBegin, b0)
			spec.PadsEnd = append(spec.PadsEnd, e0)
			o := ref.PoolOutSize(xs[2+i], k[i], st, dl, b0, e0, ceil)
			spec.Out = append(spec.Out, o)
			out = append(out, o)
		}
		return ref.Pool(x, xs[0], xs[1], xs[2:], spec), out, nil
	case "GlobalAveragePool", "GlobalMaxPool":
		out := []int{xs[0], xs[1]}
		for range xs[2:] {
			out = append(out, 1)
		}
		return ref.GlobalPool(x, xs[0], xs[1], product(xs[2:]), n.Op == "GlobalMaxPool"), out, nil
	case "Dense":
		ws := shapes[n.Inputs[1]]
		tr := attrInt(a, "transposed", 1) == 1
		in, out := ws[0], ws[1]
		if tr {
			in, out = ws[1], ws[0]
		}
		var b []float64
		if len(n.Inputs) == 3 {
			b = vals[n.Inputs[2]]
		}
		return applyAct(ref.Dense(x, xs[0], in, out, vals[n.Inputs[1]], tr, b)), []int{xs[0], out}, nil
	case "Relu", "LeakyRelu", "Sigmoid", "Tanh":
		return ref.Map(x, refAct(n.Op, a, "alpha", "beta")), xs, nil
	case "Clip":
		return ref.Map(x, refAct(n.Op, a, "min", "max")), xs, nil
	case "Softmax":
		axis := attrInt(a, "axis", -1)
		if axis < 0 {
			axis += len(xs)
		}
		return ref.Softmax(x, product(xs[:axis]), xs[axis], product(xs[axis+1:])), xs, nil
	case "BatchNormalization":
		return ref.BatchNorm(x, vals[n.Inputs[1]], vals[n.Inputs[2]], vals[n.Inputs[3]], vals[n.Inputs[4]],
			attrFloat(a, "epsilon", 1e-5), xs[0], product(xs[2:])), xs, nil
	case "LRN":
		return ref.LRN(x, xs[0], xs[1], product(xs[2:]), attrInt(a, "size", 1), attrFloat(a, "alpha", 1e-4),
			attrFloat(a, "beta", 0.75), attrFloat(a, "bias", 1)), xs, nil
	case "Add", "Sub", "Mul", "Div":
		f := map[string]func(a, b float64) float64{
			"Add": func(a, b float64) float64 { return a + b },
			"Sub": func(a, b float64) float64 { return a - b },
			"Mul": func(a, b float64) float64 { return a * b },
			"Div": func(a, b float64) float64 { return a / b },
		}[n.Op]
		y, ys := ref.Binary(x, xs, vals[n.Inputs[1]], shapes[n.Inputs[1]], f)
		return applyAct(y), ys, nil
	case "Transpose":
		perm := attrInts(a, "perm")
		if perm == nil {
			for i := len(xs) - 1; i >= 0; i-- {
				perm = append(perm, i)
			}
		}
		y, ys := ref.Transpose(x, xs, perm)
		return y, ys, nil
	case "Pad":
		mode := attrStr(a, "mode")
		if mode == "" {
			mode = "constant"
		}
		y, ys := ref.Pad(x, xs, attrInts(a, "pads"), mode, attrFloat(a, "value", 0))
		return y, ys, nil
	case "HardSigmoid":
		al, be := attrFloat(a, "alpha", 0.2), attrFloat(a, "beta", 0.5)
		return ref.Map(x, func(v float64) float64 { return ref.HardSigmoid(v, al, be) }), xs, nil
	case "HardSwish":
		return ref.Map(x, ref.HardSwish), xs, nil
	case "Concat":
		axis := attrInt(a, "axis", 1)
		var srcs [][]float64
		var sizes []int
		out := append([]int(nil), xs...)
		out[axis] = 0
		for _, in := range n.Inputs {
			srcs = append(srcs, vals[in])
			sizes = append(sizes, shapes[in][axis])
			out[axis] += shapes[in][axis]
		}
		return ref.Concat(srcs, product(xs[:axis]), sizes, product(xs[axis+1:])), out, nil
	case "Flatten":
		axis := attrInt(a, "axis", 1)
		return x, []int{product(xs[:axis]), product(xs[axis:])}, nil
	case "Reshape":
		out, err := resolveReshape(xs, attrInts(a, "shape"))
		return x, out, err
	case "Dropout":
		return x, xs, nil
	}
	return nil, nil, fmt.Errorf("no reference for op %s", n.Op)
}
