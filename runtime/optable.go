package runtime

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// operand is what an op builder knows about one input: its shape and, for
// weights, its data.
type operand struct {
	name  string
	shape []int
	konst []float32 // non-nil for weight tensors
}

// layer is an op instance after shape inference: its output shapes, costs,
// and how to build its kernel.
type layer struct {
	outShapes [][]int
	macs      int64
	flops     int64
	view      bool   // output 0 shares input 0's buffer (reshape, flatten, dropout)
	algo      string // conv algorithm, for the summary
	// kernel builds the executable form (it may repack weights); called once
	// per session.
	kernel func(threads int) (kernel, error)
	// alternatives and withAlgo let the autotuner try other conv algorithms:
	// withAlgo builds the kernel with the given one.
	alternatives []ops.ConvAlgo
	withAlgo     func(algo ops.ConvAlgo) (kernel, error)
}

// kernel is a prepared layer: ws float32s of scratch and a run function that
// reads in and writes out (buffers of the shapes inferred at load).
type kernel struct {
	ws  int
	run func(in, out [][]float32, ws []float32, threads int)
}

// opContext carries what a builder needs beyond the node: the planner's
// choices and fused state.
type opContext struct {
	act     ops.Activation // fused activation (ActNone if none)
	algo    ops.ConvAlgo   // requested conv algorithm
	tunable bool           // no algorithm was forced: the autotuner may choose
}

type builder func(n *Node, a *attrs, in []operand, c opContext) (*layer, error)

type opSpec struct {
	minIn, maxIn int
	build        builder
	// weights lists input positions that must be weight tensors.
	weights []int
	// fusesAct reports that a following activation can be fused.
	fusesAct bool
}

// opTable is the set of ops the runtime runs. docs/FORMAT.md lists them with
// their attributes.
var opTable = map[string]opSpec{
	"Conv":               {2, 3, buildConv, []int{1, 2}, true},
	"MaxPool":            {1, 1, buildPool(ops.PoolMax), nil, false},
	"AveragePool":        {1, 1, buildPool(ops.PoolAvg), nil, false},
	"GlobalAveragePool":  {1, 1, buildGlobalPool(ops.PoolAvg), nil, false},
	"GlobalMaxPool":      {1, 1, buildGlobalPool(ops.PoolMax), nil, false},
	"Dense":              {2, 3, buildDense, []int{1, 2}, true},
	"Relu":               {1, 1, buildAct(ops.ActReLU), nil, false},
	"LeakyRelu":          {1, 1, buildAct(ops.ActLeakyReLU), nil, false},
	"Clip":               {1, 1, buildAct(ops.ActClip), nil, false},
	"Sigmoid":            {1, 1, buildAct(ops.ActSigmoid), nil, false},
	"Tanh":               {1, 1, buildAct(ops.ActTanh), nil, false},
	"Softmax":            {1, 1, buildSoftmax, nil, false},
	"BatchNormalization": {5, 5, buildBatchNorm, []int{1, 2, 3, 4}, false},
	"LRN":                {1, 1, buildLRN, nil, false},
	"Add":                {2, 2, buildBinary(ops.BinAdd), nil, true},
	"Sub":                {2, 2, buildBinary(ops.BinSub), nil, true},
	"Mul":                {2, 2, buildBinary(ops.BinMul), nil, true},
	"Div":                {2, 2, buildBinary(ops.BinDiv), nil, true},
	"Concat":             {1, 1 << 16, buildConcat, nil, false},
	"Flatten":            {1, 1, buildFlatten, nil, false},
	"Reshape":            {1, 1, buildReshape, nil, false},
	"Dropout":            {1, 1, buildDropout, nil, false},
	"Transpose":          {1, 1, buildTranspose, nil, false},
	"Pad":                {1, 1, buildPad, nil, false},
	"ConvTranspose":      {2, 3, buildConvTranspose, []int{1, 2}, true},
	"HardSigmoid":        {1, 1, buildHardSigmoid, nil, false},
	"HardSwish":          {1, 1, buildHardSwish, nil, false},
}

// activationOp maps standalone activation ops to their kind, for fusion.
var activationOp = map[string]ops.ActKind{
	"Relu": ops.ActReLU, "LeakyRelu": ops.ActLeakyReLU, "Clip": ops.ActClip,
	"Sigmoid": ops.ActSigmoid, "Tanh": ops.ActTanh,
}

// OpNames returns the names of the ops the runtime supports.
func OpNames() []string {
	names := make([]string, 0, len(opTable))
	for k := range opTable {
		names = append(names, k)
	}
	return names
}

// activationAttr reads the fused-activation attributes shared by Conv, Dense
// and Add: activation ("", "relu", "leakyrelu", "clip", "sigmoid", "tanh")
// with alpha and beta.
func activationAttr(a *attrs) ops.Activation {
	name := a.str("activation", "")
	if name == "" {
		a.get("alpha")
		a.get("beta")
		return ops.Activation{}
	}
	kind, err := ops.ParseActKind(name)
	if err != nil {
		a.fail("attribute activation: %v", err)
		return ops.Activation{}
	}
	return actFromAttrs(kind, a, "alpha", "beta")
}

// actFromAttrs reads an activation's parameters: LeakyReLU's slope (default
// 0.01) from loName, Clip's bounds (default ±Inf) from loName and hiName.
func actFromAttrs(kind ops.ActKind, a *attrs, loName, hiName string) ops.Activation {
	act := ops.Activation{Kind: kind}
	switch kind {
	case ops.ActLeakyReLU:
		act.Alpha = a.float(loName, 0.01)
	case ops.ActClip:
		act.Alpha = a.float(loName, math.Inf(-1))
		act.Beta = a.float(hiName, math.Inf(1))
		if act.Alpha > act.Beta {
			a.fail("clip bounds %g > %g", act.Alpha, act.Beta)
		}
	}
	return act
}

func product(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

// window reads strides, dilations, pads and auto_pad for rank spatial axes.
func window(a *attrs, rank int) ops.Window {
	w := ops.Window{
		Strides:   a.ints("strides", rank, 1, ops.MaxElements),
		Dilations: a.ints("dilations", rank, 1, ops.MaxElements),
	}
	if pads := a.ints("pads", 2*rank, 0, ops.MaxElements); pads != nil {
		w.PadsBegin, w.PadsEnd = pads[:rank], pads[rank:]
	}
	mode, err := ops.ParseAutoPad(a.str("auto_pad", ""))
	if err != nil {
		a.fail("attribute auto_pad: %v", err)
	}
	w.AutoPad = mode
	return w
}

func buildConv(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	x, w := in[0], in[1]
	rank := len(x.shape) - 2
	if rank < 1 || rank > 3 {
		return nil, fmt.Errorf("%w: input %s must have rank 3, 4 or 5", ErrShape, ops.FormatShape(x.shape))
	}
	p := ops.ConvParams{Window: window(a, rank), Groups: a.intv("group", 1, 1, ops.MaxElements)}
	act := activationAttr(a)
	if a.err != nil {
		return nil, a.err
	}
	act, err := fuseAct(act, c.act)
	if err != nil {
		return nil, err
	}
	g, err := ops.NewConvGeom(x.shape, w.shape, p)
	if err != nil {
		return nil, err
	}
	bias, err := optionalBias(in, g.M)
	if err != nil {
		return nil, err
	}
	algo := c.algo
	if algo == "" || algo == ops.AlgoAuto {
		algo = ops.ChooseConvAlgo(g)
	} else if !hasAlgo(ops.ConvAlgos(g), algo) {
		return nil, fmt.Errorf("%w: conv algorithm %q does not apply to this layer (choose from %v)", errAlgo, algo, ops.ConvAlgos(g))
	}
	wdata := w.konst
	withAlgo := func(algo ops.ConvAlgo) (kernel, error) {
		conv, err := ops.NewConv(g, wdata, bias, act, algo)
		if err != nil {
			return kernel{}, err
		}
		return kernel{ws: conv.WorkspaceLen(), run: func(in, out [][]float32, ws []float32, threads int) {
			conv.Forward(out[0], in[0], ws, threads)
		}}, nil
	}
	l := &layer{
		outShapes: [][]int{g.OutShape()},
		macs:      g.MACs(),
		flops:     g.FLOPs(bias != nil) + int64(product(g.OutShape()))*act.FLOPsPerElement(),
		algo:      string(algo),
		kernel:    func(int) (kernel, error) { return withAlgo(algo) },
		withAlgo:  withAlgo,
	}
	if c.tunable {
		l.alternatives = ops.ConvAlgos(g)
	}
	return l, nil
}

// optionalBias returns the weight data of the optional third input (nil if
// absent), checking that it has shape [n].
func optionalBias(in []operand, n int) ([]float32, error) {
	if len(in) < 3 {
		return nil, nil
	}
	if !ops.EqualShapes(in[2].shape, []int{n}) {
		return nil, fmt.Errorf("%w: bias %s must have shape [%d]", ErrShape, ops.FormatShape(in[2].shape), n)
	}
	return in[2].konst, nil
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

func hasAlgo(list []ops.ConvAlgo, a ops.ConvAlgo) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func buildPool(kind ops.PoolKind) builder {
	return func(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
		x := in[0]
		rank := len(x.shape) - 2
		if rank < 1 || rank > 3 {
			return nil, fmt.Errorf("%w: input %s must have rank 3, 4 or 5", ErrShape, ops.FormatShape(x.shape))
		}
		p := ops.PoolParams{Window: window(a, rank), Kind: kind,
			Kernel:          a.ints("kernel_shape", rank, 1, ops.MaxElements),
			CeilMode:        a.intv("ceil_mode", 0, 0, 1) == 1,
			CountIncludePad: a.intv("count_include_pad", 0, 0, 1) == 1}
		if a.err != nil {
			return nil, a.err
		}
		if p.Kernel == nil {
			return nil, fmt.Errorf("attribute kernel_shape is required")
		}
		g, err := ops.NewPoolGeom(x.shape, p)
		if err != nil {
			return nil, err
		}
		return &layer{outShapes: [][]int{g.OutShape()}, flops: g.FLOPs(),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Pool(g, out[0], in[0]) }}, nil
			}}, nil
	}
}

func buildGlobalPool(kind ops.PoolKind) builder {
	return func(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
		x := in[0]
		if len(x.shape) < 3 {
			return nil, fmt.Errorf("%w: input %s must have rank >= 3", ErrShape, ops.FormatShape(x.shape))
		}
		nb, ch, sp := x.shape[0], x.shape[1], product(x.shape[2:])
		if sp == 0 {
			return nil, fmt.Errorf("%w: input %s has no spatial elements", ErrShape, ops.FormatShape(x.shape))
		}
		out := []int{nb, ch}
		for range x.shape[2:] {
			out = append(out, 1)
		}
		return &layer{outShapes: [][]int{out}, flops: ops.GlobalPoolFLOPs(nb, ch, sp),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.GlobalPool(kind, out[0], in[0], nb, ch, sp) }}, nil
			}}, nil
	}
}

func buildDense(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	x, w := in[0], in[1]
	transposed := a.intv("transposed", 1, 0, 1) == 1
	act := activationAttr(a)
	if a.err != nil {
		return nil, a.err
	}
	act, err := fuseAct(act, c.act)
	if err != nil {
		return nil, err
	}
	if len(x.shape) != 2 {
		return nil, fmt.Errorf("%w: input %s must have rank 2 [batch, features] (add a Flatten)", ErrShape, ops.FormatShape(x.shape))
	}
	if len(w.shape) != 2 {
		return nil, fmt.Errorf("%w: weights %s must have rank 2", ErrShape, ops.FormatShape(w.shape))
	}
	batch, inF := x.shape[0], x.shape[1]
	wIn, outF := w.shape[0], w.shape[1]
	if transposed {
		wIn, outF = w.shape[1], w.shape[0]
	}
	if wIn != inF {
		return nil, fmt.Errorf("%w: input %s has %d features but weights %s (transposed=%v) expect %d",
			ErrShape, ops.FormatShape(x.shape), inF, ops.FormatShape(w.shape), transposed, wIn)
	}
	bias, err := optionalBias(in, outF)
	if err != nil {
		return nil, err
	}
	wdata := w.konst
	macs := int64(batch) * int64(inF) * int64(outF)
	flops := 2 * macs
	if bias != nil {
		flops += int64(batch * outF)
	}
	flops += int64(batch*outF) * act.FLOPsPerElement()
	return &layer{outShapes: [][]int{{batch, outF}}, macs: macs, flops: flops,
		kernel: func(int) (kernel, error) {
			d, err := ops.NewDense(wdata, bias, inF, outF, transposed, act)
			if err != nil {
				return kernel{}, err
			}
			return kernel{ws: d.WorkspaceLen(batch), run: func(in, out [][]float32, ws []float32, threads int) {
				d.Forward(out[0], in[0], ws, batch, threads)
			}}, nil
		}}, nil
}

func buildAct(kind ops.ActKind) builder {
	return func(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
		act := actFromAttrs(kind, a, "alpha", "beta")
		if kind == ops.ActClip {
			act = actFromAttrs(kind, a, "min", "max")
		}
		if a.err != nil {
			return nil, a.err
		}
		size := product(in[0].shape)
		return &layer{outShapes: [][]int{in[0].shape}, flops: int64(size) * act.FLOPsPerElement(),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) {
					copy(out[0], in[0])
					act.Apply(out[0])
				}}, nil
			}}, nil
	}
}

// normAxis maps a possibly negative axis to [0, rank).
func normAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("%w: axis %d is out of range for rank %d", ErrShape, axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

func buildSoftmax(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	shape := in[0].shape
	axis, err := normAxis(a.intv("axis", -1, -64, 64), len(shape))
	if a.err != nil {
		return nil, a.err
	}
	if err != nil {
		return nil, err
	}
	outer, mid, inner := product(shape[:axis]), shape[axis], product(shape[axis+1:])
	return &layer{outShapes: [][]int{shape}, flops: ops.SoftmaxFLOPs(outer, mid, inner),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Softmax(out[0], in[0], outer, mid, inner) }}, nil
		}}, nil
}

func buildBatchNorm(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	x := in[0]
	eps := a.float("epsilon", 1e-5)
	if a.err != nil {
		return nil, a.err
	}
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("%w: input %s must have rank >= 2", ErrShape, ops.FormatShape(x.shape))
	}
	ch := x.shape[1]
	for i, nm := range []string{"scale", "B", "mean", "var"} {
		if !ops.EqualShapes(in[i+1].shape, []int{ch}) {
			return nil, fmt.Errorf("%w: %s %s must have shape [%d]", ErrShape, nm, ops.FormatShape(in[i+1].shape), ch)
		}
	}
	bn, err := ops.NewBatchNorm(in[1].konst, in[2].konst, in[3].konst, in[4].konst, eps)
	if err != nil {
		return nil, err
	}
	nb, sp := x.shape[0], product(x.shape[2:])
	return &layer{outShapes: [][]int{x.shape}, flops: bn.FLOPs(nb, sp),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { bn.Forward(out[0], in[0], nb, sp) }}, nil
		}}, nil
}

func buildLRN(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	x := in[0]
	size := a.intv("size", 0, 1, 1<<16)
	alpha, beta, bias := a.float("alpha", 1e-4), a.float("beta", 0.75), a.float("bias", 1)
	if a.err != nil {
		return nil, a.err
	}
	if _, ok := a.m["size"]; !ok {
		return nil, fmt.Errorf("attribute size is required")
	}
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("%w: input %s must have rank >= 2", ErrShape, ops.FormatShape(x.shape))
	}
	nb, ch, sp := x.shape[0], x.shape[1], product(x.shape[2:])
	return &layer{outShapes: [][]int{x.shape}, flops: ops.LRNFLOPs(nb, ch, sp, size),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) {
				ops.LRN(out[0], in[0], nb, ch, sp, size, alpha, beta, bias)
			}}, nil
		}}, nil
}

func buildAdd(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	act := activationAttr(a)
	if a.err != nil {
		return nil, a.err
	}
	act, err := fuseAct(act, c.act)
	if err != nil {
		return nil, err
	}
	if !ops.EqualShapes(in[0].shape, in[1].shape) {
		return nil, fmt.Errorf("%w: inputs %s and %s must have the same shape", ErrShape,
			ops.FormatShape(in[0].shape), ops.FormatShape(in[1].shape))
	}
	size := int64(product(in[0].shape))
	return &layer{outShapes: [][]int{in[0].shape}, flops: size * (1 + act.FLOPsPerElement()),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Add(out[0], in[0], in[1], act) }}, nil
		}}, nil
}

func buildConcat(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	first := in[0].shape
	axis, err := normAxis(a.intv("axis", 1, -64, 64), len(first))
	if a.err != nil {
		return nil, a.err
	}
	if err != nil {
		return nil, err
	}
	sizes := make([]int, len(in))
	total := 0
	for i, op := range in {
		if len(op.shape) != len(first) {
			return nil, fmt.Errorf("%w: input %d %s has a different rank from %s", ErrShape, i, ops.FormatShape(op.shape), ops.FormatShape(first))
		}
		for d := range first {
			if d != axis && op.shape[d] != first[d] {
				return nil, fmt.Errorf("%w: input %d %s differs from %s outside axis %d", ErrShape, i, ops.FormatShape(op.shape), ops.FormatShape(first), axis)
			}
		}
		sizes[i] = op.shape[axis]
		total += sizes[i]
	}
	out := append([]int(nil), first...)
	out[axis] = total
	if _, err := ops.NumElements(out); err != nil {
		return nil, err
	}
	outer, inner := product(first[:axis]), product(first[axis+1:])
	return &layer{outShapes: [][]int{out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Concat(out[0], in, outer, sizes, inner) }}, nil
		}}, nil
}

func viewLayer(shape []int) *layer {
	return &layer{outShapes: [][]int{shape}, view: true,
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) {}}, nil
		}}
}

func buildFlatten(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	shape := in[0].shape
	axis := a.intv("axis", 1, -64, 64)
	if a.err != nil {
		return nil, a.err
	}
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis > len(shape) {
		return nil, fmt.Errorf("%w: axis out of range for input %s", ErrShape, ops.FormatShape(shape))
	}
	return viewLayer([]int{product(shape[:axis]), product(shape[axis:])}), nil
}

func buildReshape(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	shape := in[0].shape
	want := a.ints("shape", -1, -1, ops.MaxElements)
	if a.err != nil {
		return nil, a.err
	}
	if want == nil {
		return nil, fmt.Errorf("attribute shape is required")
	}
	out, err := ResolveReshape(shape, want)
	if err != nil {
		return nil, err
	}
	return viewLayer(out), nil
}

// ResolveReshape returns the shape a Reshape of an input of shape in to want
// produces, by ONNX Reshape's rules: 0 copies the input dimension at that
// position, -1 (at most once) is inferred from the element count. Errors wrap
// ErrShape.
func ResolveReshape(in, want []int) ([]int, error) {
	total := product(in)
	out := make([]int, len(want))
	infer := -1
	known := 1
	for i, d := range want {
		switch {
		case d == 0:
			if i >= len(in) {
				return nil, fmt.Errorf("%w: reshape %v: 0 at position %d but input %s has rank %d", ErrShape, want, i, ops.FormatShape(in), len(in))
			}
			d = in[i]
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("%w: reshape %v has more than one -1", ErrShape, want)
			}
			infer = i
			continue
		}
		out[i] = d
		if d != 0 && known > ops.MaxElements/d {
			return nil, fmt.Errorf("%w: reshape %v is too large", ErrShape, want)
		}
		known *= d
	}
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("%w: cannot reshape %s (%d elements) to %v", ErrShape, ops.FormatShape(in), total, want)
		}
		out[infer] = total / known
		known = total
	}
	if known != total {
		return nil, fmt.Errorf("%w: cannot reshape %s (%d elements) to %s", ErrShape, ops.FormatShape(in), total, ops.FormatShape(out))
	}
	return out, nil
}

func buildDropout(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	a.float("ratio", 0.5)
	if a.err != nil {
		return nil, a.err
	}
	return viewLayer(in[0].shape), nil
}
