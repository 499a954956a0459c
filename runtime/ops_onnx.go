package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// Builders of the ops added for ONNX models: broadcasting arithmetic,
// Transpose, Pad, ConvTranspose and the hard activations.

// buildBinary builds Add, Sub, Mul and Div with numpy broadcasting and an
// optional fused activation. Add of two same-shaped inputs keeps Add's
// original kernel.
func buildBinary(kind ops.BinaryKind) builder {
	return func(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
		if kind == ops.BinAdd && ops.EqualShapes(in[0].shape, in[1].shape) {
			return buildAdd(n, a, in, c)
		}
		act := activationAttr(a)
		if a.err != nil {
			return nil, a.err
		}
		if c.act.Kind != ops.ActNone {
			if act.Kind != ops.ActNone {
				return nil, fmt.Errorf("cannot fuse a second activation")
			}
			act = c.act
		}
		g, err := ops.NewBroadcastGeom(in[0].shape, in[1].shape)
		if err != nil {
			return nil, err
		}
		return &layer{outShapes: [][]int{g.Out}, flops: ops.BinaryFLOPs(g.Size(), act),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Binary(kind, g, out[0], in[0], in[1], act) }}, nil
			}}, nil
	}
}

func buildTranspose(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	perm := a.ints("perm", len(in[0].shape), 0, 64)
	if a.err != nil {
		return nil, a.err
	}
	g, err := ops.NewTransposeGeom(in[0].shape, perm)
	if err != nil {
		return nil, err
	}
	if g.IsCopy() {
		return viewLayer(g.Out), nil
	}
	return &layer{outShapes: [][]int{g.Out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Transpose(g, out[0], in[0]) }}, nil
		}}, nil
}

func buildPad(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	shape := in[0].shape
	pads := a.ints("pads", 2*len(shape), 0, ops.MaxElements)
	modeName := a.str("mode", "constant")
	value := a.float("value", 0)
	if a.err != nil {
		return nil, a.err
	}
	if pads == nil {
		return nil, fmt.Errorf("attribute pads is required")
	}
	mode, err := ops.ParsePadMode(modeName)
	if err != nil {
		return nil, fmt.Errorf("attribute mode: %w", err)
	}
	g, err := ops.NewPadGeom(shape, pads, mode, value)
	if err != nil {
		return nil, err
	}
	return &layer{outShapes: [][]int{g.Out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Pad(g, out[0], in[0]) }}, nil
		}}, nil
}

func buildConvTranspose(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	x, w := in[0], in[1]
	rank := len(x.shape) - 2
	if rank < 1 || rank > 3 {
		return nil, fmt.Errorf("%w: input %s must have rank 3, 4 or 5", ErrShape, ops.FormatShape(x.shape))
	}
	p := ops.ConvTransposeParams{Window: window(a, rank), Groups: a.intv("group", 1, 1, ops.MaxElements),
		OutputPadding: a.ints("output_padding", rank, 0, ops.MaxElements),
		OutputShape:   a.ints("output_shape", rank, 1, ops.MaxElements)}
	act := activationAttr(a)
	if a.err != nil {
		return nil, a.err
	}
	act, err := fuseAct(act, c.act)
	if err != nil {
		return nil, err
	}
	g, err := ops.NewConvTransposeGeom(x.shape, w.shape, p)
	if err != nil {
		return nil, err
	}
	bias, err := optionalBias(in, g.M)
	if err != nil {
		return nil, err
	}
	wdata := w.konst
	out := g.OutShape()
	return &layer{outShapes: [][]int{out}, macs: g.MACs(),
		flops: g.FLOPs(bias != nil) + int64(product(out))*act.FLOPsPerElement(),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, threads int) {
				ops.ConvTranspose(g, out[0], in[0], wdata, bias, act, threads)
			}}, nil
		}}, nil
}

func buildHardSigmoid(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	alpha, beta := a.float("alpha", 0.2), a.float("beta", 0.5)
	if a.err != nil {
		return nil, a.err
	}
	size := product(in[0].shape)
	return &layer{outShapes: [][]int{in[0].shape}, flops: 4 * int64(size),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.HardSigmoid(out[0], in[0], alpha, beta) }}, nil
		}}, nil
}

func buildHardSwish(n *Node, a *attrs, in []operand, c opContext) (*layer, error) {
	size := product(in[0].shape)
	return &layer{outShapes: [][]int{in[0].shape}, flops: 5 * int64(size),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.HardSwish(out[0], in[0]) }}, nil
		}}, nil
}
