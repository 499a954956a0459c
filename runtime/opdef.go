package runtime

import (
	"fmt"
	"math"
	"sort"

	"github.com/wasmnn/wasmnn/ops"
)

// OpDef describes one op of the .wnn format: the one place its facts live.
// The session builder, the float64 oracle, the trainer and the ONNX importer
// and exporter all read it: its inputs (which must be weights, which are
// optional), its attributes (types, ranges, defaults), whether it can take a
// fused activation, and how to infer its shapes and build its kernel.
// docs/ARCHITECTURE.md ("Adding an op") lists what a new op touches.
type OpDef struct {
	// Name is the op's name in .wnn files (ONNX's name where ONNX has the op).
	Name string
	// Doc is one line on what the op computes.
	Doc string
	// Inputs are the op's inputs in order. Optional inputs come last; a
	// Variadic last input may repeat (Concat).
	Inputs []InputSpec
	// Attrs are the op's attributes. Each name appears once.
	Attrs []AttrSpec
	// FusesAct reports that the op takes the fused-activation attributes
	// (activation, alpha, beta) and that the planner may fuse a following
	// activation into it.
	FusesAct bool
	// Act is the activation a standalone activation op computes (ActNone
	// for other ops); ActAttrs name its attributes that carry
	// ops.Activation's Alpha and Beta ("" if unused).
	Act      ops.ActKind
	ActAttrs [2]string
	// ONNX reports that ONNX has the op under the same name with the same
	// inputs and the same attributes (but for the Internal ones) and
	// defaults, so that import and export copy it as it is.
	ONNX bool
	// MultiOutput reports that the op has a number of outputs its builder
	// decides (Split: one per part); every other op has exactly one.
	MultiOutput bool

	build builder
}

// InputSpec describes one input of an op.
type InputSpec struct {
	Name     string
	Weight   bool // must be a weight tensor (a constant of the model)
	Optional bool // may be left out (only at the end)
	Variadic bool // the last input repeats, at least once
}

// AttrKind is the type of an attribute's value.
type AttrKind uint8

// Attribute kinds. In a Node's Attrs map their values are int64 (or int),
// float64 (or float32), string, []int64 (or []int) and []float64 (or
// []float32; an empty list may decode as []int64).
const (
	AttrInt AttrKind = iota + 1
	AttrFloat
	AttrString
	AttrInts
	AttrFloats
)

// AttrSpec describes one attribute of an op.
type AttrSpec struct {
	Name string
	Kind AttrKind
	// Default is the value an absent attribute takes: int64, float64 or
	// string; nil when absence has its own meaning (no list, no fused
	// activation) or the attribute is Required.
	Default  any
	Required bool
	// Min and Max bound integer values (and every element of a list).
	Min, Max int64
	// Internal marks attributes that only .wnn has (the fused activation):
	// ONNX export writes them as nodes of their own.
	Internal bool
}

// Inputs of the shapes of ops, shared by their declarations.
var (
	inX   = InputSpec{Name: "X"}
	inW   = InputSpec{Name: "W", Weight: true}
	inB   = InputSpec{Name: "B", Weight: true, Optional: true}
	unary = []InputSpec{inX}
)

func intAttr(name string, def, lo, hi int64) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrInt, Default: def, Min: lo, Max: hi}
}

func boolAttr(name string, def int64) AttrSpec { return intAttr(name, def, 0, 1) }

func floatAttr(name string, def float64) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrFloat, Default: def}
}

func stringAttr(name, def string) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrString, Default: def}
}

func intsAttr(name string, lo, hi int64) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrInts, Min: lo, Max: hi}
}

func floatsAttr(name string) AttrSpec { return AttrSpec{Name: name, Kind: AttrFloats} }

func required(s AttrSpec) AttrSpec {
	s.Required, s.Default = true, nil
	return s
}

// axisAttr is an axis attribute (negative counts from the end).
func axisAttr(def int64) AttrSpec { return intAttr("axis", def, -64, 64) }

// fusedActAttrs are the attributes of ops that take a fused activation: its
// name and parameters, whose defaults are those of the activation's own op.
var fusedActAttrs = []AttrSpec{
	{Name: "activation", Kind: AttrString, Internal: true},
	{Name: "alpha", Kind: AttrFloat, Internal: true},
	{Name: "beta", Kind: AttrFloat, Internal: true},
}

// windowAttrs are the sliding-window attributes of convolution and pooling.
var windowAttrs = []AttrSpec{
	intsAttr("strides", 1, ops.MaxElements),
	intsAttr("dilations", 1, ops.MaxElements),
	intsAttr("pads", 0, ops.MaxElements),
	stringAttr("auto_pad", ""),
}

func joinAttrs(lists ...[]AttrSpec) []AttrSpec {
	var out []AttrSpec
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// opTable indexes every op the runtime runs, from the per-family lists
// declared next to their builders.
var opTable = indexOps(layerOps, poolOps, activationOps, elementwiseOps, shapeOps, matmulOps, movementOps, unaryOps, variadicOps, reduceOps, normOps, resizeOps, sliceOps)

// actOp returns the standalone op that computes an activation kind (nil if
// none does).
func actOp(kind ops.ActKind) *OpDef {
	for _, d := range activationOps {
		if d.Act == kind && kind != ops.ActNone {
			return d
		}
	}
	return nil
}

func indexOps(families ...[]*OpDef) map[string]*OpDef {
	m := map[string]*OpDef{}
	for _, f := range families {
		for _, d := range f {
			if _, dup := m[d.Name]; dup {
				panic("runtime: op " + d.Name + " is declared twice")
			}
			m[d.Name] = d
		}
	}
	return m
}

// Op returns the definition of the op with the given name.
func Op(name string) (*OpDef, bool) {
	d, ok := opTable[name]
	return d, ok
}

// Ops returns the definitions of every op, sorted by name.
func Ops() []*OpDef {
	list := make([]*OpDef, 0, len(opTable))
	for _, d := range opTable {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// OpNames returns the names of the ops the runtime supports, sorted.
func OpNames() []string {
	var names []string
	for _, d := range Ops() {
		names = append(names, d.Name)
	}
	return names
}

// Attr returns the declaration of the op's attribute name, or nil.
func (d *OpDef) Attr(name string) *AttrSpec {
	for i := range d.Attrs {
		if d.Attrs[i].Name == name {
			return &d.Attrs[i]
		}
	}
	return nil
}

// Arity returns the smallest and largest number of inputs the op takes
// (math.MaxInt with a variadic last input).
func (d *OpDef) Arity() (lo, hi int) {
	for _, in := range d.Inputs {
		if !in.Optional {
			lo++
		}
	}
	hi = len(d.Inputs)
	if n := len(d.Inputs); n > 0 && d.Inputs[n-1].Variadic {
		hi = math.MaxInt
	}
	return lo, hi
}

// IsWeight reports whether input i must be a weight tensor.
func (d *OpDef) IsWeight(i int) bool {
	if n := len(d.Inputs); i >= n && n > 0 && d.Inputs[n-1].Variadic {
		i = n - 1
	}
	return i < len(d.Inputs) && d.Inputs[i].Weight
}

// CheckArity returns an error wrapping ErrBadModel if n inputs is not a
// number the op takes.
func (d *OpDef) CheckArity(n int) error {
	lo, hi := d.Arity()
	if n < lo || n > hi {
		if hi == math.MaxInt {
			return fmt.Errorf("%w: has %d inputs, want at least %d", ErrBadModel, n, lo)
		}
		return fmt.Errorf("%w: has %d inputs, want %d to %d", ErrBadModel, n, lo, hi)
	}
	return nil
}

// lookupOp returns the definition of n's op or an error wrapping
// ErrUnsupportedOp.
func lookupOp(n *Node) (*OpDef, error) {
	d, ok := opTable[n.Op]
	if !ok {
		return nil, fmt.Errorf("%w: %q (node %q)", ErrUnsupportedOp, n.Op, n.Name)
	}
	return d, nil
}

// InferShapes returns the output shapes of node n for inputs of the given
// shapes, with every check NewSession makes (number of inputs, weights,
// attributes, shapes); weight[i] reports that input i is a weight tensor.
// Errors name the node and the input shapes, as NewSession's do. It is the
// one authority on shapes for packages that interpret nodes themselves (the
// trainer, the ONNX importer).
func InferShapes(n *Node, shapes [][]int, weight []bool) ([][]int, error) {
	d, err := lookupOp(n)
	if err != nil {
		return nil, err
	}
	out, err := d.shapes(n.Inputs, n.Attrs, shapes, weight)
	if err != nil {
		return nil, nodeErr(n, err)
	}
	return out, nil
}

// Shapes is the op's shape rule: the output shapes for inputs of the given
// shapes and attributes, with every check NewSession makes; weight[i]
// reports that input i is a weight tensor. Errors describe the inputs but do
// not name a node (InferShapes does).
func (d *OpDef) Shapes(attrs map[string]any, shapes [][]int, weight []bool) ([][]int, error) {
	return d.shapes(nil, attrs, shapes, weight)
}

// shapes runs the shape rule on inputs named by names (or by position).
func (d *OpDef) shapes(names []string, attrs map[string]any, shapes [][]int, weight []bool) ([][]int, error) {
	in := make([]operand, len(shapes))
	for i, s := range shapes {
		in[i] = operand{name: fmt.Sprintf("input %d", i), shape: s, weight: i < len(weight) && weight[i]}
		if i < len(names) {
			in[i].name = names[i]
		}
	}
	l, err := d.check(attrs, in, opContext{})
	if err != nil {
		return nil, err
	}
	return l.outShapes, nil
}

// infer checks a node against its definition and runs its shape rule;
// errors name the node.
func (d *OpDef) infer(n *Node, in []operand, c opContext) (*layer, error) {
	l, err := d.check(n.Attrs, in, c)
	if err != nil {
		return nil, nodeErr(n, err)
	}
	return l, nil
}

// check checks the inputs and attributes against the definition and runs
// the builder.
func (d *OpDef) check(attrs map[string]any, in []operand, c opContext) (*layer, error) {
	if err := d.CheckArity(len(in)); err != nil {
		return nil, err
	}
	for i, op := range in {
		if d.IsWeight(i) && !op.weight {
			return nil, fmt.Errorf("%w: input %d (%q) must be a weight tensor", ErrBadModel, i, op.name)
		}
	}
	a := newAttrs(d, attrs)
	var l *layer
	err := a.err
	if err == nil {
		l, err = d.build(a, in, c)
	}
	if err == nil {
		err = a.err
	}
	if err != nil {
		return nil, fmt.Errorf("inputs %s: %w", describeOperands(in), err)
	}
	return l, nil
}
