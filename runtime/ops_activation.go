package runtime

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// activationOps are the elementwise activations, all ops.Activation kinds,
// so the planner can fuse them into the layer before them (Conv,
// ConvTranspose, Dense, the elementwise binary ops) with the same float32
// operations as the standalone op.
var activationOps = []*OpDef{
	{Name: "Relu", Doc: "max(x, 0)", Inputs: unary, Act: ops.ActReLU, ONNX: true, build: buildAct},
	{Name: "LeakyRelu", Doc: "x if x >= 0 else alpha*x", Inputs: unary, Act: ops.ActLeakyReLU, ActAttrs: [2]string{"alpha", ""},
		Attrs: []AttrSpec{floatAttr("alpha", 0.01)}, ONNX: true, build: buildAct},
	{Name: "Clip", Doc: "min(max(x, min), max); ONNX opset 11 and later give the bounds as inputs", Inputs: unary,
		Act: ops.ActClip, ActAttrs: [2]string{"min", "max"},
		Attrs: []AttrSpec{floatAttr("min", math.Inf(-1)), floatAttr("max", math.Inf(1))}, build: buildAct},
	{Name: "Sigmoid", Doc: "1/(1+e**-x)", Inputs: unary, Act: ops.ActSigmoid, ONNX: true, build: buildAct},
	{Name: "Tanh", Doc: "tanh(x)", Inputs: unary, Act: ops.ActTanh, ONNX: true, build: buildAct},
	{Name: "HardSigmoid", Doc: "max(0, min(1, alpha*x + beta))", Inputs: unary, Act: ops.ActHardSigmoid, ActAttrs: [2]string{"alpha", "beta"},
		Attrs: []AttrSpec{floatAttr("alpha", 0.2), floatAttr("beta", 0.5)}, ONNX: true, build: buildAct},
	{Name: "HardSwish", Doc: "x * HardSigmoid(x) with alpha 1/6, beta 0.5", Inputs: unary, Act: ops.ActHardSwish, ONNX: true, build: buildAct},
}

// opAct reads the activation a standalone activation op computes.
func opAct(a *attrs) ops.Activation {
	act := ops.Activation{Kind: a.def.Act}
	for i, name := range a.def.ActAttrs {
		if name == "" {
			continue
		}
		v := a.float(name)
		if i == 0 {
			act.Alpha = v
		} else {
			act.Beta = v
		}
	}
	checkAct(a, act)
	return act
}

// fusedAct reads the fused activation of ops that take one: activation ("",
// "relu", "leakyrelu", "clip", "sigmoid", "tanh", "hardsigmoid",
// "hardswish") with alpha and beta, whose defaults are those of the
// activation's own op (LeakyRelu's alpha, Clip's min and max, HardSigmoid's
// alpha and beta).
func fusedAct(a *attrs) ops.Activation {
	name := a.str("activation")
	if name == "" {
		return ops.Activation{}
	}
	kind, err := ops.ParseActKind(name)
	d := actOp(kind)
	if err != nil || d == nil {
		a.fail("attribute activation: unknown activation %q", name)
		return ops.Activation{}
	}
	act := ops.Activation{Kind: kind}
	for i, param := range [2]string{"alpha", "beta"} {
		own := d.ActAttrs[i]
		if own == "" {
			continue
		}
		v := float64(0)
		if x, ok := a.m[param]; ok {
			v, _ = toFloat(x)
		} else {
			v, _ = d.Attr(own).Default.(float64)
		}
		if i == 0 {
			act.Alpha = float32(v)
		} else {
			act.Beta = float32(v)
		}
	}
	checkAct(a, act)
	return act
}

func checkAct(a *attrs, act ops.Activation) {
	if act.Kind == ops.ActClip && act.Alpha > act.Beta {
		a.fail("clip bounds %g > %g", act.Alpha, act.Beta)
	}
}

// ActivationOp returns the standalone op that computes an activation kind.
func ActivationOp(kind ops.ActKind) (*OpDef, bool) {
	d := actOp(kind)
	return d, d != nil
}

// ActivationOf returns the activation node n computes if n is one of the
// activation ops the planner fuses (ok false otherwise, or if its attributes
// are invalid).
func ActivationOf(n *Node) (act ops.Activation, ok bool) {
	d, found := opTable[n.Op]
	if !found || d.Act == ops.ActNone {
		return act, false
	}
	a := newAttrs(d, n.Attrs)
	act = opAct(a)
	return act, a.err == nil
}

// FusedActivation returns the fused activation given by the attributes of a
// node whose op takes one (ActNone if none).
func FusedActivation(n *Node) (ops.Activation, error) {
	d, err := lookupOp(n)
	if err != nil {
		return ops.Activation{}, err
	}
	if !d.FusesAct {
		return ops.Activation{}, nil
	}
	a := newAttrs(d, n.Attrs)
	act := fusedAct(a)
	return act, a.err
}

// FuseActivationAttrs returns a copy of attrs (a node's whose op takes a
// fused activation) with act written as its fused activation.
func FuseActivationAttrs(attrs map[string]any, act ops.Activation) map[string]any {
	out := make(map[string]any, len(attrs)+3)
	for k, v := range attrs {
		out[k] = v
	}
	delete(out, "alpha")
	delete(out, "beta")
	out["activation"] = act.Kind.String()
	if d := actOp(act.Kind); d != nil {
		for i, param := range [2]string{"alpha", "beta"} {
			if d.ActAttrs[i] == "" {
				continue
			}
			v := act.Alpha
			if i == 1 {
				v = act.Beta
			}
			out[param] = float64(v)
		}
	}
	return out
}

// ActivationAttrs returns the attributes of the standalone op that computes
// act (ActivationOp(act.Kind)), leaving out those equal to their default.
func ActivationAttrs(act ops.Activation) map[string]any {
	out := map[string]any{}
	d := actOp(act.Kind)
	if d == nil {
		return out
	}
	for i, name := range d.ActAttrs {
		if name == "" {
			continue
		}
		v := act.Alpha
		if i == 1 {
			v = act.Beta
		}
		if def, _ := d.Attr(name).Default.(float64); float32(def) != v {
			out[name] = float64(v)
		}
	}
	return out
}

func buildAct(a *attrs, in []operand, c opContext) (*layer, error) {
	act := opAct(a)
	if a.err != nil {
		return nil, a.err
	}
	size := ops.ShapeSize(in[0].shape)
	return &layer{outShapes: [][]int{in[0].shape}, flops: int64(size) * act.FLOPsPerElement(),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) {
				copy(out[0], in[0])
				act.Apply(out[0])
			}}, nil
		}}, nil
}

// fuseAct combines a layer's own activation attribute with one the planner
// fused into it; a layer cannot take both.
func fuseAct(own, fused ops.Activation) (ops.Activation, error) {
	if fused.Kind == ops.ActNone {
		return own, nil
	}
	if own.Kind != ops.ActNone {
		return own, fmt.Errorf("cannot fuse a second activation")
	}
	return fused, nil
}
