package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/wasmnn/wasmnn/ops"
)

// Builder assembles a Model node by node, tracking shapes and creating
// weights from a seeded random generator: conv and dense weights are
// He-initialised (normal, std sqrt(2/fan_in)), biases uniform in
// ±1/sqrt(fan_in) as PyTorch does, and BatchNorm parameters and statistics
// are drawn near their identity values (scale and variance in [0.8, 1.2],
// shift and mean in ±0.1) so that folding them is exercised. The same seed
// gives the same model, bit for bit, on every platform.
//
// The first error sticks: later calls do nothing and Model returns it.
type Builder struct {
	m      *Model
	rng    *rand.Rand
	shapes map[string][]int
	err    error
}

// NewBuilder starts an empty model named name.
func NewBuilder(name string, seed uint64) *Builder {
	return &Builder{
		m:      &Model{Weights: map[string]*ops.Tensor{}, Meta: Meta{Name: name}, WeightDType: "f32"},
		rng:    rand.New(rand.NewPCG(seed, 0x5eed)),
		shapes: map[string][]int{},
	}
}

// Shape returns the shape of a value built so far.
func (b *Builder) Shape(name string) []int { return b.shapes[name] }

// Meta returns the model's metadata for the caller to fill in.
func (b *Builder) Meta() *Meta { return &b.m.Meta }

// Input adds a graph input.
func (b *Builder) Input(name string, shape ...int) string {
	b.m.Inputs = append(b.m.Inputs, ValueInfo{Name: name, Shape: shape})
	b.shapes[name] = shape
	return name
}

// Output marks values as graph outputs.
func (b *Builder) Output(names ...string) { b.m.Outputs = append(b.m.Outputs, names...) }

// Model returns the built model, or the first error met while building.
func (b *Builder) Model() (*Model, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.m, nil
}

func (b *Builder) weight(name string, shape []int, fill func(i int) float32) string {
	n := ops.ShapeSize(shape)
	data := make([]float32, n)
	for i := range data {
		data[i] = fill(i)
	}
	b.m.Weights[name] = &ops.Tensor{Shape: shape, Data: data}
	return name
}

func (b *Builder) normal(std float64) func(int) float32 {
	return func(int) float32 { return float32(b.rng.NormFloat64() * std) }
}

func (b *Builder) uniform(lo, hi float64) func(int) float32 {
	return func(int) float32 { return float32(lo + (hi-lo)*b.rng.Float64()) }
}

// node appends a node; its output shape comes from the op's shape rule
// (InferShapes), and must equal shape if that is given.
func (b *Builder) node(name, op string, inputs []string, attrs map[string]any, shape []int) string {
	b.nodeOuts(name, op, inputs, attrs, shape, []string{name})
	return name
}

// GenericOutputs adds a node of an op with several outputs (Split), named
// name/0, name/1, ... as many as the op's shape rule gives, and returns
// their names.
func (b *Builder) GenericOutputs(name, op string, inputs []string, attrs map[string]any) []string {
	return b.nodeOuts(name, op, inputs, attrs, nil, nil)
}

// nodeOuts appends a node with the given outputs (nil: name/i for each
// output the shape rule gives); its first output's shape must equal shape if
// that is given.
func (b *Builder) nodeOuts(name, op string, inputs []string, attrs map[string]any, shape []int, outNames []string) []string {
	if b.err != nil {
		return outNames
	}
	shapes := make([][]int, len(inputs))
	weights := make([]bool, len(inputs))
	for i, in := range inputs {
		if w, ok := b.m.Weights[in]; ok {
			shapes[i], weights[i] = w.Shape, true
		} else if s, ok := b.shapes[in]; ok {
			shapes[i] = s
		} else {
			b.err = fmt.Errorf("builder: node %q reads unknown value %q", name, in)
			return outNames
		}
	}
	n := &Node{Name: name, Op: op, Inputs: inputs, Outputs: outNames, Attrs: attrs}
	outs, err := InferShapes(n, shapes, weights)
	if err != nil {
		b.err = fmt.Errorf("builder: %w", err)
		return outNames
	}
	if shape != nil && !ops.EqualShapes(shape, outs[0]) {
		b.err = fmt.Errorf("builder: node %q: output shape %s, but %s was given", name, ops.FormatShape(outs[0]), ops.FormatShape(shape))
		return outNames
	}
	if n.Outputs == nil {
		for i := range outs {
			n.Outputs = append(n.Outputs, fmt.Sprintf("%s/%d", name, i))
		}
	}
	if len(n.Outputs) != len(outs) {
		b.err = fmt.Errorf("builder: node %q has %d outputs, its op gives %d", name, len(n.Outputs), len(outs))
		return n.Outputs
	}
	b.m.Nodes = append(b.m.Nodes, n)
	for i, o := range n.Outputs {
		b.shapes[o] = outs[i]
	}
	return n.Outputs
}

// ConvSpec gives a convolution's attributes for Builder.Conv. Kernel has one
// size per spatial axis; nil Strides/Dilations mean 1; Pads is [begin...,
// end...] (nil: none), or use AutoPad "same".
type ConvSpec struct {
	Kernel    []int
	Strides   []int
	Dilations []int
	Pads      []int
	AutoPad   string
	Groups    int
	Bias      bool
}

func ints64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// Conv adds a convolution with outC output channels.
func (b *Builder) Conv(name, x string, outC int, s ConvSpec) string {
	if b.err != nil {
		return name
	}
	in := b.shapes[x]
	if len(in) < 3 {
		b.err = fmt.Errorf("builder: conv %q: input %q has shape %v", name, x, in)
		return name
	}
	groups := max(s.Groups, 1)
	wshape := append([]int{outC, in[1] / groups}, s.Kernel...)
	attrs := map[string]any{"group": int64(groups)}
	if s.Strides != nil {
		attrs["strides"] = ints64(s.Strides)
	}
	if s.Dilations != nil {
		attrs["dilations"] = ints64(s.Dilations)
	}
	if s.Pads != nil {
		attrs["pads"] = ints64(s.Pads)
	}
	if s.AutoPad != "" {
		attrs["auto_pad"] = s.AutoPad
	}
	fanIn := float64(ops.ShapeSize(wshape[1:]))
	inputs := []string{x, b.weight(name+".weight", wshape, b.normal(math.Sqrt(2/fanIn)))}
	if s.Bias {
		bound := 1 / math.Sqrt(fanIn)
		inputs = append(inputs, b.weight(name+".bias", []int{outC}, b.uniform(-bound, bound)))
	}
	return b.node(name, "Conv", inputs, attrs, nil)
}

// BatchNorm adds an inference-mode batch normalisation.
func (b *Builder) BatchNorm(name, x string, eps float64) string {
	c := 0
	if s := b.shapes[x]; len(s) >= 2 {
		c = s[1]
	}
	inputs := []string{x,
		b.weight(name+".weight", []int{c}, b.uniform(0.8, 1.2)),
		b.weight(name+".bias", []int{c}, b.uniform(-0.1, 0.1)),
		b.weight(name+".running_mean", []int{c}, b.uniform(-0.1, 0.1)),
		b.weight(name+".running_var", []int{c}, b.uniform(0.8, 1.2)),
	}
	return b.node(name, "BatchNormalization", inputs, map[string]any{"epsilon": eps}, nil)
}

// Act adds a standalone activation op ("Relu", "Sigmoid", ...).
func (b *Builder) Act(name, op, x string, attrs map[string]any) string {
	return b.node(name, op, []string{x}, attrs, nil)
}

// Pool adds MaxPool or AveragePool with a square/cubic kernel k, stride s and
// symmetric padding pad on every spatial axis.
func (b *Builder) Pool(name, op, x string, k, s, pad int, ceil bool) string {
	if b.err != nil {
		return name
	}
	in := b.shapes[x]
	rank := len(in) - 2
	rep := func(v int) []int {
		out := make([]int, max(rank, 0))
		for i := range out {
			out[i] = v
		}
		return out
	}
	ceilInt := int64(0)
	if ceil {
		ceilInt = 1
	}
	attrs := map[string]any{"kernel_shape": ints64(rep(k)), "strides": ints64(rep(s)),
		"pads": ints64(append(rep(pad), rep(pad)...)), "ceil_mode": ceilInt}
	return b.node(name, op, []string{x}, attrs, nil)
}

// GlobalAvgPool adds a global average pooling.
func (b *Builder) GlobalAvgPool(name, x string) string {
	return b.node(name, "GlobalAveragePool", []string{x}, nil, nil)
}

// Flatten adds a flatten to [N, rest].
func (b *Builder) Flatten(name, x string) string {
	return b.node(name, "Flatten", []string{x}, nil, nil)
}

// Dense adds a fully connected layer with PyTorch's [out, in] weight layout
// and a bias.
func (b *Builder) Dense(name, x string, out int) string {
	in := b.shapes[x]
	if len(in) != 2 {
		if b.err == nil {
			b.err = fmt.Errorf("builder: dense %q: input %q has shape %v, want rank 2", name, x, in)
		}
		return name
	}
	fanIn := float64(in[1])
	bound := 1 / math.Sqrt(fanIn)
	inputs := []string{x,
		b.weight(name+".weight", []int{out, in[1]}, b.normal(math.Sqrt(2/fanIn))),
		b.weight(name+".bias", []int{out}, b.uniform(-bound, bound))}
	return b.node(name, "Dense", inputs, map[string]any{"transposed": int64(1)}, nil)
}

// Add adds an elementwise sum.
func (b *Builder) Add(name, x, y string) string {
	return b.node(name, "Add", []string{x, y}, nil, nil)
}

// Concat adds a concatenation along the channel axis.
func (b *Builder) Concat(name string, xs ...string) string {
	if b.err != nil || len(xs) == 0 {
		return name
	}
	return b.node(name, "Concat", xs, map[string]any{"axis": int64(1)}, nil)
}

// Dropout adds a dropout (the identity at inference).
func (b *Builder) Dropout(name, x string, ratio float64) string {
	return b.node(name, "Dropout", []string{x}, map[string]any{"ratio": ratio}, nil)
}

// Generic adds any node with explicit attributes. Its output shape comes
// from the op's shape rule; a non-nil shape must agree with it.
func (b *Builder) Generic(name, op string, inputs []string, attrs map[string]any, shape []int) string {
	return b.node(name, op, inputs, attrs, shape)
}
