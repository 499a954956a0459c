// Package reftest evaluates a runtime.Model in float64 with the reference
// kernels of ops/ref, node by node as written (no fusion, no planning). It is
// the oracle that tests compare Session.Run against.
package reftest

import (
	"fmt"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
)

type (
	Model = runtime.Model
	Node  = runtime.Node
)

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
			if n.Op == "Split" { // the op with several outputs
				outs, outShapes, err := refSplit(n, vals, shapes)
				if err != nil {
					return nil, fmt.Errorf("reference %s %q: %w", n.Op, n.Name, err)
				}
				for i, o := range n.Outputs {
					vals[o], shapes[o] = outs[i], outShapes[i]
				}
				progress = true
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

// refAct returns the float64 form of an activation.
func refAct(act ops.Activation) func(float64) float64 {
	al, be := float64(act.Alpha), float64(act.Beta)
	switch act.Kind {
	case ops.ActReLU:
		return ref.ReLU
	case ops.ActLeakyReLU:
		return func(v float64) float64 { return ref.LeakyReLU(v, al) }
	case ops.ActClip:
		return func(v float64) float64 { return ref.Clip(v, al, be) }
	case ops.ActSigmoid:
		return ref.Sigmoid
	case ops.ActTanh:
		return ref.Tanh
	case ops.ActHardSigmoid:
		return func(v float64) float64 { return ref.HardSigmoid(v, al, be) }
	case ops.ActHardSwish:
		return ref.HardSwish
	}
	return nil
}

// refNode evaluates one node. Attributes are read through the runtime's op
// declarations (their types and defaults are declared once, there); the
// shapes and the arithmetic are the oracle's own.
func refNode(n *Node, vals map[string][]float64, shapes map[string][]int) ([]float64, []int, error) {
	d, ok := runtime.Op(n.Op)
	if !ok {
		return nil, nil, fmt.Errorf("no reference for op %s", n.Op)
	}
	if err := d.CheckArity(len(n.Inputs)); err != nil {
		return nil, nil, err
	}
	a := runtime.ReadAttrs(n)
	if err := a.Err(); err != nil {
		return nil, nil, err
	}
	x, xs := vals[n.Inputs[0]], shapes[n.Inputs[0]]
	rank := len(xs) - 2
	split := func(p []int) ([]int, []int) {
		if p == nil {
			return nil, nil
		}
		return p[:len(p)/2], p[len(p)/2:]
	}
	applyAct := func(y []float64) []float64 {
		if f := refAct(a.Fused()); f != nil {
			return ref.Map(y, f)
		}
		return y
	}
	optional := func(i int) []float64 {
		if i < len(n.Inputs) {
			return vals[n.Inputs[i]]
		}
		return nil
	}
	switch n.Op {
	case "Conv":
		pb, pe := split(a.Ints("pads", -1))
		ca := ref.ConvAttrs{Strides: a.Ints("strides", -1), Dilations: a.Ints("dilations", -1), PadsBegin: pb, PadsEnd: pe,
			AutoPad: onnxAutoPad(a.String("auto_pad")), Groups: a.Int("group")}
		y, ys := ref.Conv(x, xs, vals[n.Inputs[1]], shapes[n.Inputs[1]], optional(2), ca)
		return applyAct(y), ys, nil
	case "MaxPool", "AveragePool":
		k := a.Ints("kernel_shape", -1)
		s := a.Ints("strides", -1)
		dl := a.Ints("dilations", -1)
		pb, pe := split(a.Ints("pads", -1))
		ceil := a.Int("ceil_mode") == 1
		spec := ref.PoolSpec{Max: n.Op == "MaxPool", CountIncludePad: a.Int("count_include_pad") == 1, Kernel: k}
		out := []int{xs[0], xs[1]}
		for i := 0; i < rank; i++ {
			st, di, b0, e0 := 1, 1, 0, 0
			if s != nil {
				st = s[i]
			}
			if dl != nil {
				di = dl[i]
			}
			if pb != nil {
				b0, e0 = pb[i], pe[i]
			}
			spec.Strides = append(spec.Strides, st)
			spec.Dilations = append(spec.Dilations, di)
			spec.PadsBegin = append(spec.PadsBegin, b0)
			spec.PadsEnd = append(spec.PadsEnd, e0)
			o := ref.PoolOutSize(xs[2+i], k[i], st, di, b0, e0, ceil)
			spec.Out = append(spec.Out, o)
			out = append(out, o)
		}
		return ref.Pool(x, xs[0], xs[1], xs[2:], spec), out, nil
	case "GlobalAveragePool", "GlobalMaxPool":
		out := []int{xs[0], xs[1]}
		for range xs[2:] {
			out = append(out, 1)
		}
		return ref.GlobalPool(x, xs[0], xs[1], ops.ShapeSize(xs[2:]), n.Op == "GlobalMaxPool"), out, nil
	case "Dense":
		ws := shapes[n.Inputs[1]]
		tr := a.Int("transposed") == 1
		in, out := ws[0], ws[1]
		if tr {
			in, out = ws[1], ws[0]
		}
		return applyAct(ref.Dense(x, xs[0], in, out, vals[n.Inputs[1]], tr, optional(2))), []int{xs[0], out}, nil
	case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip":
		return ref.Map(x, refAct(a.Act())), xs, nil
	case "Softmax":
		axis := a.Int("axis")
		if axis < 0 {
			axis += len(xs)
		}
		return ref.Softmax(x, ops.ShapeSize(xs[:axis]), xs[axis], ops.ShapeSize(xs[axis+1:])), xs, nil
	case "BatchNormalization":
		return ref.BatchNorm(x, vals[n.Inputs[1]], vals[n.Inputs[2]], vals[n.Inputs[3]], vals[n.Inputs[4]],
			float64(a.Float("epsilon")), xs[0], ops.ShapeSize(xs[2:])), xs, nil
	case "LRN":
		return ref.LRN(x, xs[0], xs[1], ops.ShapeSize(xs[2:]), a.Int("size"), float64(a.Float("alpha")),
			float64(a.Float("beta")), float64(a.Float("bias"))), xs, nil
	case "Transpose":
		perm := a.Ints("perm", -1)
		if perm == nil {
			for i := len(xs) - 1; i >= 0; i-- {
				perm = append(perm, i)
			}
		}
		y, ys := ref.Transpose(x, xs, perm)
		return y, ys, nil
	case "Pad":
		y, ys := ref.Pad(x, xs, a.Ints("pads", -1), a.String("mode"), float64(a.Float("value")))
		return y, ys, nil
	case "HardSigmoid":
		al, be := float64(a.Float("alpha")), float64(a.Float("beta"))
		return ref.Map(x, func(v float64) float64 { return ref.HardSigmoid(v, al, be) }), xs, nil
	case "HardSwish":
		return ref.Map(x, ref.HardSwish), xs, nil
	case "Concat":
		axis := a.Int("axis")
		if axis < 0 {
			axis += len(xs)
		}
		var srcs [][]float64
		var sizes []int
		out := append([]int(nil), xs...)
		out[axis] = 0
		for _, in := range n.Inputs {
			srcs = append(srcs, vals[in])
			sizes = append(sizes, shapes[in][axis])
			out[axis] += shapes[in][axis]
		}
		return ref.Concat(srcs, ops.ShapeSize(xs[:axis]), sizes, ops.ShapeSize(xs[axis+1:])), out, nil
	case "Flatten":
		axis := a.Int("axis")
		if axis < 0 {
			axis += len(xs)
		}
		return x, []int{ops.ShapeSize(xs[:axis]), ops.ShapeSize(xs[axis:])}, nil
	case "Reshape":
		out, err := runtime.ResolveReshape(xs, a.Ints("shape", -1))
		return x, out, err
	case "Dropout":
		return x, xs, nil
	case "ConvTranspose":
		if a.String("auto_pad") != "" || a.Has("output_shape") {
			return nil, nil, fmt.Errorf("no reference for ConvTranspose with auto_pad or output_shape")
		}
		ins := make([][]int, len(n.Inputs))
		for i, in := range n.Inputs {
			ins[i] = shapes[in]
		}
		outs, err := runtime.InferShapes(n, ins, []bool{false, true, true})
		if err != nil {
			return nil, nil, err
		}
		pb, _ := split(a.Ints("pads", -1))
		ta := ref.ConvTransposeAttrs{Strides: a.Ints("strides", -1), Dilations: a.Ints("dilations", -1), PadsBegin: pb,
			Out: outs[0][2:], Groups: a.Int("group")}
		y, ys := ref.ConvTranspose(x, xs, vals[n.Inputs[1]], shapes[n.Inputs[1]], optional(2), ta)
		return applyAct(y), ys, nil
	case "Resize":
		return refResize(a, x, xs)
	case "MatMul":
		y, ys := ref.MatMul(x, xs, vals[n.Inputs[1]], shapes[n.Inputs[1]])
		if y == nil {
			return nil, nil, fmt.Errorf("shapes %v and %v do not multiply", xs, shapes[n.Inputs[1]])
		}
		return y, ys, nil
	case "Gather":
		axis := a.Int("axis")
		if axis < 0 {
			axis += len(xs)
		}
		idx := a.Ints("indices", -1)
		is := []int{len(idx)}
		if a.Has("indices_shape") {
			is = a.Ints("indices_shape", -1)
		}
		y, ys := ref.Gather(x, xs, axis, idx, is)
		return y, ys, nil
	case "Expand":
		y, ys := ref.Expand(x, xs, a.Ints("shape", -1))
		return y, ys, nil
	case "Tile":
		y, ys := ref.Tile(x, xs, a.Ints("repeats", -1))
		return y, ys, nil
	case "Slice":
		y, ys := ref.Slice(x, xs, int64s(a.Ints("starts", -1)), int64s(a.Ints("ends", -1)), int64s(a.Ints("axes", -1)), int64s(a.Ints("steps", -1)))
		return y, ys, nil
	case "DepthToSpace":
		y, ys := ref.DepthToSpace(x, xs, a.Int("blocksize"), a.String("mode"))
		return y, ys, nil
	case "SpaceToDepth":
		y, ys := ref.SpaceToDepth(x, xs, a.Int("blocksize"))
		return y, ys, nil
	}
	if f := ref.UnaryFunc(n.Op); f != nil {
		return ref.Map(x, f), xs, nil
	}
	switch n.Op {
	case "Gelu":
		tanh := a.String("approximate") == "tanh"
		return ref.Map(x, func(v float64) float64 { return ref.Gelu(v, tanh) }), xs, nil
	case "PRelu":
		y, ys := ref.Binary(x, xs, vals[n.Inputs[1]], shapes[n.Inputs[1]], ref.PRelu)
		return y, ys, nil
	case "Sum", "Mean", "Max", "Min":
		var ins [][]float64
		var ss [][]int
		for _, in := range n.Inputs {
			ins, ss = append(ins, vals[in]), append(ss, shapes[in])
		}
		y, ys := ref.Variadic(n.Op, ins, ss)
		return y, ys, nil
	}
	if y, ys, ok, err := refReduceNorm(n, a, vals, shapes); ok {
		return y, ys, err
	}
	if f := ref.BinaryFunc(n.Op); f != nil {
		y, ys := ref.Binary(x, xs, vals[n.Inputs[1]], shapes[n.Inputs[1]], f)
		return applyAct(y), ys, nil
	}
	return nil, nil, fmt.Errorf("no reference for op %s", n.Op)
}

// refSplit evaluates a Split node: one output per part.
func refSplit(n *Node, vals map[string][]float64, shapes map[string][]int) ([][]float64, [][]int, error) {
	a := runtime.ReadAttrs(n)
	sizes := a.Ints("split", -1)
	if err := a.Err(); err != nil {
		return nil, nil, err
	}
	if len(n.Inputs) != 1 || len(sizes) != len(n.Outputs) {
		return nil, nil, fmt.Errorf("%d inputs and %d outputs for %d parts", len(n.Inputs), len(n.Outputs), len(sizes))
	}
	xs := shapes[n.Inputs[0]]
	axis := a.Int("axis")
	if axis < 0 {
		axis += len(xs)
	}
	ys, yss := ref.Split(vals[n.Inputs[0]], xs, axis, sizes)
	return ys, yss, nil
}
