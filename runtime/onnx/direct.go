package onnx

import (
	"context"
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Ops that ONNX and wasmnn share as they are (runtime.OpDef.ONNX): the
// same name, inputs and attributes with the same defaults. Their import and
// export read the runtime's declaration, so nothing about them is written
// here; the binary arithmetic ops among them are converted by lowerBinary,
// which folds constant operands.

// directHandlers returns a handler for every op the runtime shares with
// ONNX.
func directHandlers() map[string]handler {
	m := map[string]handler{}
	for _, d := range runtime.Ops() {
		if !d.ONNX {
			continue
		}
		lo, _ := d.Arity()
		if kind, ok := ops.ParseBinaryKind(d.Name); ok {
			m[d.Name] = handler{lo, lowerBinary(kind)}
			continue
		}
		m[d.Name] = handler{lo, lowerDirect(d)}
	}
	return m
}

// lowerDirect converts an op the runtime has as it is: the attributes it
// declares are copied with their declared kinds (absent ones keep their
// defaults, which are ONNX's), and the output shape comes from the op's own
// shape rule.
func lowerDirect(d *runtime.OpDef) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		attrs := map[string]any{}
		for _, s := range d.Attrs {
			if s.Internal || !c.a.has(s.Name) {
				continue
			}
			switch s.Kind {
			case runtime.AttrInt:
				attrs[s.Name] = c.a.int(s.Name, 0)
			case runtime.AttrFloat:
				attrs[s.Name] = float64(c.a.float(s.Name, 0))
			case runtime.AttrString:
				attrs[s.Name] = c.a.str(s.Name, "")
			case runtime.AttrInts:
				attrs[s.Name] = c.a.ints(s.Name)
			case runtime.AttrFloats:
				f := c.a.floats(s.Name)
				v := make([]float64, len(f))
				for i, x := range f {
					v[i] = float64(x)
				}
				attrs[s.Name] = v
			}
		}
		if c.a.err != nil {
			return c.a.err
		}
		var inputs []string
		var shapes [][]int
		var weights []bool
		for i, v := range c.in {
			if v == nil {
				if i < len(d.Inputs) && d.Inputs[i].Optional {
					break
				}
				return fmt.Errorf("%w: input %d is empty", ErrMalformed, i)
			}
			shapes = append(shapes, v.shape)
			weights = append(weights, v.c != nil)
		}
		outs, err := d.Shapes(attrs, shapes, weights)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if allConst(c.in[:len(shapes)]) {
			k, err := evalConst(d, attrs, c.in[:len(shapes)], outs[0])
			if err != nil {
				return err
			}
			c.constant(outs[0], k)
			return nil
		}
		for i := range shapes {
			inputs = append(inputs, c.dyn(i))
		}
		c.emit(d.Name, inputs, attrs, outs[0])
		return nil
	}
}

func allConst(in []*val) bool {
	for _, v := range in {
		if v == nil || v.c == nil {
			return false
		}
	}
	return len(in) > 0
}

// evalConst folds a runtime op whose inputs are all constants by running it
// (natively, in float32: the bits the model would compute at run time). The
// inputs the op needs as weights become weights, the others graph inputs.
func evalConst(d *runtime.OpDef, attrs map[string]any, in []*val, out []int) (*konst, error) {
	if n, _ := ops.NumElements(out); n > maxFoldElements {
		return nil, fmt.Errorf("%w: constant of shape %s is too large to fold", ErrUnsupported, ops.FormatShape(out))
	}
	m := &runtime.Model{Weights: map[string]*ops.Tensor{}, Outputs: []string{"y"}}
	node := &runtime.Node{Name: "fold", Op: d.Name, Outputs: []string{"y"}, Attrs: attrs}
	feeds := map[string]*ops.Tensor{}
	for i, v := range in {
		if v.c.isInt {
			return nil, fmt.Errorf("%w: %s of an integer tensor", ErrUnsupported, d.Name)
		}
		name := fmt.Sprintf("in%d", i)
		t := &ops.Tensor{Shape: v.shape, Data: v.c.floats()}
		if d.IsWeight(i) {
			m.Weights[name] = t
		} else {
			m.Inputs = append(m.Inputs, runtime.ValueInfo{Name: name, Shape: v.shape})
			feeds[name] = t
		}
		node.Inputs = append(node.Inputs, name)
	}
	m.Nodes = []*runtime.Node{node}
	if len(m.Inputs) == 0 || ops.ShapeSize(out) == 0 {
		return nil, fmt.Errorf("%w: %s of constants with an empty shape", ErrUnsupported, d.Name)
	}
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		return nil, fmt.Errorf("%w: folding %s: %w", ErrMalformed, d.Name, err)
	}
	res, err := sess.Run(context.Background(), feeds)
	if err != nil {
		return nil, fmt.Errorf("%w: folding %s: %w", ErrMalformed, d.Name, err)
	}
	return floatKonst(res["y"].Data), nil
}

// directAttrs returns the ONNX attributes of a node whose op ONNX shares:
// those present, as their declaration types them (absent ones have the same
// default in ONNX).
func directAttrs(d *runtime.OpDef, r *runtime.AttrReader) []*Attr {
	var out []*Attr
	for _, s := range d.Attrs {
		if s.Internal || !r.Has(s.Name) {
			continue
		}
		switch s.Kind {
		case runtime.AttrInt:
			out = append(out, attrInt(s.Name, int64(r.Int(s.Name))))
		case runtime.AttrFloat:
			out = append(out, attrFloat(s.Name, r.Float(s.Name)))
		case runtime.AttrString:
			out = append(out, attrStr(s.Name, r.String(s.Name)))
		case runtime.AttrInts:
			out = append(out, attrInts(s.Name, ints64(r.Ints(s.Name, -1))))
		case runtime.AttrFloats:
			out = append(out, &Attr{Name: s.Name, Type: AttrFloats, Floats: r.Floats(s.Name, -1)})
		}
	}
	return out
}

// runtimeDefault returns the declared default of attribute name of runtime
// op op, for converters that read an ONNX attribute the runtime op shares
// (ONNX's default is the runtime's: it is written once, in the runtime).
func runtimeDefault(op, name string) any {
	d, ok := runtime.Op(op)
	if !ok || d.Attr(name) == nil {
		panic("onnx: runtime op " + op + " has no attribute " + name)
	}
	return d.Attr(name).Default
}

// intDefault, floatDefault and stringDefault are runtimeDefault of each kind.
func intDefault(op, name string) int64 { v, _ := runtimeDefault(op, name).(int64); return v }

func floatDefault(op, name string) float32 {
	v, _ := runtimeDefault(op, name).(float64)
	return float32(v)
}

func stringDefault(op, name string) string { v, _ := runtimeDefault(op, name).(string); return v }
