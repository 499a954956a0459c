// Package explore computes what the demo's pages show besides a model's
// outputs: the feature maps of a single hand-picked convolution (and the
// pooling after it) for the Convolution explorer, and the output of every
// node of a model for the layer views. The demo build of the browser module
// (wasm/ with -tags demo, demo/lib/dist/wasmnn-demo.wasm) exposes both; the
// npm package's wasmnn.wasm does not link this package. They run the same
// kernels as models do, so what the page draws is what a network computes.
package explore

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Limits on Conv2D's arguments, so that a page cannot ask for more than a
// browser tab can hold.
const (
	MaxSide     = 2048 // image height and width
	MaxChannels = 64   // image channels and kernels
	MaxKernel   = 31   // kernel height and width
	MaxStride   = 16   // stride and pooling stride
	MaxDilation = 16
	MaxPad      = 64
	MaxPool     = 16 // pooling window side
)

// ErrSpec is wrapped by the errors Conv2D returns for settings out of range.
var ErrSpec = errors.New("bad convolution settings")

// ConvSpec describes one 2D convolution, with equal settings on both axes,
// optionally followed by a ReLU and by pooling. Zero values take the
// defaults: stride 1, no padding, dilation 1, algorithm auto, no pooling;
// pooling with PoolSize 0 uses a 2x2 window and PoolStride 0 the window size.
type ConvSpec struct {
	Stride     int    `json:"stride"`
	Pad        int    `json:"pad"`
	Dilation   int    `json:"dilation"`
	Algo       string `json:"algo"`
	ReLU       bool   `json:"relu"`
	Pool       string `json:"pool"` // "", "none", "max" or "avg"
	PoolSize   int    `json:"poolSize"`
	PoolStride int    `json:"poolStride"`
}

// ConvResult is Conv2D's answer: the convolution's output and, if the spec
// asks for pooling, the pooled output (nil otherwise), and the algorithm
// the convolution ran.
type ConvResult struct {
	Conv   *ops.Tensor
	Pooled *ops.Tensor
	Algo   ops.ConvAlgo
}

func inRange(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%w: %s %d is outside [%d, %d]", ErrSpec, name, v, lo, hi)
	}
	return nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Conv2D convolves x, of shape [1, C, H, W], with the kernels w, of shape
// [M, C, kh, kw], without bias, as spec says. Shape problems give errors
// wrapping ops.ErrShape, settings out of range errors wrapping ErrSpec (or
// ops.ErrAlgo for an algorithm that does not apply).
func Conv2D(x, w *ops.Tensor, spec ConvSpec) (*ConvResult, error) {
	if x == nil || w == nil {
		return nil, fmt.Errorf("%w: Conv2D needs an image and kernels", ops.ErrShape)
	}
	if len(x.Shape) != 4 || x.Shape[0] != 1 {
		return nil, fmt.Errorf("%w: the image has shape %s, want [1 C H W]", ops.ErrShape, ops.FormatShape(x.Shape))
	}
	if len(w.Shape) != 4 || w.Shape[1] != x.Shape[1] {
		return nil, fmt.Errorf("%w: the kernels have shape %s, want [M %d kh kw]", ops.ErrShape, ops.FormatShape(w.Shape), x.Shape[1])
	}
	for _, c := range []struct {
		name     string
		v, lo, h int
	}{
		{"image channels", x.Shape[1], 1, MaxChannels}, {"image height", x.Shape[2], 1, MaxSide},
		{"image width", x.Shape[3], 1, MaxSide}, {"kernel count", w.Shape[0], 1, MaxChannels},
		{"kernel height", w.Shape[2], 1, MaxKernel}, {"kernel width", w.Shape[3], 1, MaxKernel},
	} {
		if c.v < c.lo || c.v > c.h {
			return nil, fmt.Errorf("%w: %s %d is outside [%d, %d]", ops.ErrShape, c.name, c.v, c.lo, c.h)
		}
	}
	if n, _ := ops.NumElements(x.Shape); n != len(x.Data) {
		return nil, fmt.Errorf("%w: the image has %d values, shape %s needs %d", ops.ErrShape, len(x.Data), ops.FormatShape(x.Shape), n)
	}
	if n, _ := ops.NumElements(w.Shape); n != len(w.Data) {
		return nil, fmt.Errorf("%w: the kernels have %d values, shape %s needs %d", ops.ErrShape, len(w.Data), ops.FormatShape(w.Shape), n)
	}
	stride, dil := orDefault(spec.Stride, 1), orDefault(spec.Dilation, 1)
	if err := errors.Join(inRange("stride", stride, 1, MaxStride), inRange("dilation", dil, 1, MaxDilation),
		inRange("padding", spec.Pad, 0, MaxPad)); err != nil {
		return nil, err
	}
	algo, err := ops.ParseConvAlgo(spec.Algo)
	if err != nil {
		return nil, err
	}
	two := func(v int) []int { return []int{v, v} }
	g, err := ops.NewConvGeom(x.Shape, w.Shape, ops.ConvParams{Window: ops.Window{Strides: two(stride),
		Dilations: two(dil), PadsBegin: two(spec.Pad), PadsEnd: two(spec.Pad)}})
	if err != nil {
		return nil, err
	}
	act := ops.Activation{}
	if spec.ReLU {
		act.Kind = ops.ActReLU
	}
	conv, err := ops.NewConv(g, w.Data, nil, act, algo)
	if err != nil {
		return nil, err
	}
	out, err := ops.NewTensor(g.OutShape()...)
	if err != nil {
		return nil, err
	}
	conv.Forward(out.Data, x.Data, make([]float32, conv.WorkspaceLen()), 1)
	res := &ConvResult{Conv: out, Algo: conv.Algo()}

	var kind ops.PoolKind
	switch spec.Pool {
	case "", "none":
		return res, nil
	case "max":
		kind = ops.PoolMax
	case "avg":
		kind = ops.PoolAvg
	default:
		return nil, fmt.Errorf("%w: pooling %q is not none, max or avg", ErrSpec, spec.Pool)
	}
	size := orDefault(spec.PoolSize, 2)
	pstride := orDefault(spec.PoolStride, size)
	if err := errors.Join(inRange("pooling window", size, 1, MaxPool), inRange("pooling stride", pstride, 1, MaxStride)); err != nil {
		return nil, err
	}
	pg, err := ops.NewPoolGeom(out.Shape, ops.PoolParams{Kind: kind, Kernel: two(size), Window: ops.Window{Strides: two(pstride)}})
	if err != nil {
		return nil, err
	}
	pooled, err := ops.NewTensor(pg.OutShape()...)
	if err != nil {
		return nil, err
	}
	ops.Pool(pg, pooled.Data, out.Data)
	res.Pooled = pooled
	return res, nil
}

// Layer is the output of one node of a model, as Probe.Run returns it.
type Layer struct {
	Name string // the node's name
	Op   string
	// Value is the name of the node's (first) output; Shape and Data are it.
	Value string
	Shape []int
	Data  []float32
}

// Probe runs a model and returns the output of every node. It plans the
// model without fusion, so that an activation fused into a convolution in
// a normal session is a layer of its own here.
type Probe struct {
	sess  *runtime.Session
	nodes []*runtime.Node
}

// NewProbe prepares a probe of m, which it does not modify (the probe
// shares m's weights). opts are as for runtime.NewSession; NoFusion is
// always set.
func NewProbe(m *runtime.Model, opts runtime.Options) (*Probe, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: no model", runtime.ErrBadModel)
	}
	cp := *m
	cp.Outputs = nil
	seen := map[string]bool{}
	var nodes []*runtime.Node
	for _, n := range m.Nodes {
		if len(n.Outputs) == 0 || seen[n.Outputs[0]] {
			continue
		}
		seen[n.Outputs[0]] = true
		cp.Outputs = append(cp.Outputs, n.Outputs[0])
		nodes = append(nodes, n)
	}
	for _, o := range m.Outputs { // keep graph outputs that no node makes, so planning reports them
		if !seen[o] {
			cp.Outputs = append(cp.Outputs, o)
		}
	}
	opts.NoFusion = true
	sess, err := runtime.NewSession(&cp, opts)
	if err != nil {
		return nil, err
	}
	return &Probe{sess: sess, nodes: nodes}, nil
}

// Inputs describes the model's inputs.
func (p *Probe) Inputs() []runtime.ValueInfo { return p.sess.Inputs() }

// Run runs the model on inputs (keyed by name) and returns every node's
// output in the model's node order.
func (p *Probe) Run(ctx context.Context, inputs map[string]*ops.Tensor) ([]Layer, error) {
	outs, err := p.sess.Run(ctx, inputs)
	if err != nil {
		return nil, err
	}
	layers := make([]Layer, 0, len(p.nodes))
	for _, n := range p.nodes {
		t := outs[n.Outputs[0]]
		layers = append(layers, Layer{Name: n.Name, Op: n.Op, Value: n.Outputs[0], Shape: t.Shape, Data: t.Data})
	}
	return layers, nil
}
