package onnx

import (
	"errors"
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// nodeCtx is what a converter sees of one ONNX node.
type nodeCtx struct {
	im      *importer
	n       *Node
	in      []*val // nil for omitted optional inputs
	a       *nodeAttrs
	outs    []*val
	name    string // base name for the runtime nodes
	removed bool   // the node became an alias (Identity, Dropout, no-op)
}

func (c *nodeCtx) label() string {
	if c.n.Name != "" {
		return fmt.Sprintf("%s %q", c.n.OpType, c.n.Name)
	}
	return fmt.Sprintf("%s (output %q)", c.n.OpType, c.n.Outputs[0])
}

func (c *nodeCtx) errorf(format string, args ...any) error {
	return fmt.Errorf("node %s: %w", c.label(), fmt.Errorf(format, args...))
}

// wrap prefixes err with the node, marking errors that are not already
// classified as malformed input.
func (c *nodeCtx) wrap(err error) error {
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
		err = fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return fmt.Errorf("node %s: %w", c.label(), err)
}

// input returns input i or nil if it is absent.
func (c *nodeCtx) input(i int) *val {
	if i < len(c.in) {
		return c.in[i]
	}
	return nil
}

// dyn returns input i's runtime name (materializing a constant).
func (c *nodeCtx) dyn(i int) string { return c.im.materialize(c.in[i]) }

// konstIn returns input i, which must be a constant; what names it in errors.
func (c *nodeCtx) konstIn(i int, what string) (*val, error) {
	v := c.input(i)
	if v == nil {
		return nil, nil
	}
	if v.c == nil {
		return nil, fmt.Errorf("%w: %s (input %d, %q) must be a constant: wasmnn needs it at conversion time", ErrUnsupported, what, i, c.n.Inputs[i])
	}
	return v, nil
}

// intsIn returns constant input i as integers (nil if absent).
func (c *nodeCtx) intsIn(i int, what string) ([]int64, bool, error) {
	v, err := c.konstIn(i, what)
	if err != nil || v == nil {
		return nil, false, err
	}
	return v.c.ints(), true, nil
}

// scalarIn returns constant input i as one float (ok false if absent).
func (c *nodeCtx) scalarIn(i int, what string) (float64, bool, error) {
	v, err := c.konstIn(i, what)
	if err != nil || v == nil {
		return 0, false, err
	}
	if v.c.len() != 1 {
		return 0, false, fmt.Errorf("%w: %s must be a scalar, got shape %s", ErrMalformed, what, ops.FormatShape(v.shape))
	}
	return v.c.at(0), true, nil
}

// out sets output 0 to a new runtime value produced by op, named after the
// node's first output.
func (c *nodeCtx) emit(op string, inputs []string, attrs map[string]any, shape []int) *val {
	out := c.im.fresh(c.n.Outputs[0])
	c.im.emit(c.name, op, inputs, attrs, out)
	v := &val{shape: shape, name: out}
	c.outs = []*val{v}
	return v
}

// emitTemp appends a helper node whose output is an intermediate value.
func (c *nodeCtx) emitTemp(suffix, op string, inputs []string, attrs map[string]any, shape []int) *val {
	out := c.im.fresh(c.n.Outputs[0] + "/" + suffix)
	c.im.emit(c.name+"/"+suffix, op, inputs, attrs, out)
	return &val{shape: shape, name: out}
}

// alias makes output 0 the same value as v.
func (c *nodeCtx) alias(v *val) {
	c.outs = []*val{v}
	if v.c == nil {
		c.removed = true
	}
}

// constant sets output 0 to a constant.
func (c *nodeCtx) constant(shape []int, k *konst) {
	c.outs = []*val{{shape: shape, c: k}}
}

// nodeAttrs reads an ONNX node's attributes with type checks; the first
// error sticks.
type nodeAttrs struct {
	m   map[string]*Attr
	err error
}

func newNodeAttrs(n *Node) *nodeAttrs {
	a := &nodeAttrs{m: map[string]*Attr{}}
	for _, at := range n.Attrs {
		if _, dup := a.m[at.Name]; dup && a.err == nil {
			a.err = fmt.Errorf("%w: attribute %q is given twice", ErrMalformed, at.Name)
		}
		if at.RefName != "" && a.err == nil {
			a.err = fmt.Errorf("%w: attribute %q refers to a function attribute", ErrMalformed, at.Name)
		}
		a.m[at.Name] = at
	}
	return a
}

func (a *nodeAttrs) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

func (a *nodeAttrs) has(name string) bool { _, ok := a.m[name]; return ok }

func (a *nodeAttrs) typed(name string, t AttrType) *Attr {
	at, ok := a.m[name]
	if !ok {
		return nil
	}
	if at.Type != t {
		a.fail("%w: attribute %s has type %d, want %d", ErrMalformed, name, at.Type, t)
		return nil
	}
	return at
}

func (a *nodeAttrs) int(name string, def int64) int64 {
	if at := a.typed(name, AttrInt); at != nil {
		return at.I
	}
	return def
}

func (a *nodeAttrs) float(name string, def float32) float32 {
	if at := a.typed(name, AttrFloat); at != nil {
		if math.IsNaN(float64(at.F)) {
			a.fail("%w: attribute %s is NaN", ErrMalformed, name)
		}
		return at.F
	}
	return def
}

func (a *nodeAttrs) str(name, def string) string {
	if at := a.typed(name, AttrString); at != nil {
		return string(at.S)
	}
	return def
}

// ints returns an integer list attribute, or nil if absent.
func (a *nodeAttrs) ints(name string) []int64 {
	if at := a.typed(name, AttrInts); at != nil {
		if at.Ints == nil {
			return []int64{}
		}
		return at.Ints
	}
	return nil
}

func (a *nodeAttrs) floats(name string) []float32 {
	if at := a.typed(name, AttrFloats); at != nil {
		if at.Floats == nil {
			return []float32{}
		}
		return at.Floats
	}
	return nil
}

// intList converts an int64 list to ints, checking the range.
func intList(v []int64, what string, lo, hi int64) ([]int, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		if x < lo || x > hi {
			return nil, fmt.Errorf("%w: %s value %d is out of range [%d, %d]", ErrMalformed, what, x, lo, hi)
		}
		out[i] = int(x)
	}
	return out, nil
}

// normAxis maps a possibly negative axis to [0, rank).
func normAxis(axis int64, rank int, what string) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("%w: %s %d is out of range for rank %d", ErrMalformed, what, axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}
