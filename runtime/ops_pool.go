package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// poolOps are the pooling ops and the normalisations.
var poolOps = []*OpDef{
	{Name: "MaxPool", Doc: "max pooling", Inputs: unary, Attrs: poolAttrs, build: buildPool(ops.PoolMax)},
	{Name: "AveragePool", Doc: "average pooling", Inputs: unary, Attrs: poolAttrs, build: buildPool(ops.PoolAvg)},
	{Name: "GlobalAveragePool", Doc: "mean over the spatial axes", Inputs: unary, ONNX: true, build: buildGlobalPool(ops.PoolAvg)},
	{Name: "GlobalMaxPool", Doc: "maximum over the spatial axes", Inputs: unary, ONNX: true, build: buildGlobalPool(ops.PoolMax)},
	{Name: "BatchNormalization", Doc: "inference-mode batch normalisation with running statistics",
		Inputs: []InputSpec{inX, {Name: "scale", Weight: true}, {Name: "B", Weight: true}, {Name: "mean", Weight: true}, {Name: "var", Weight: true}},
		Attrs:  []AttrSpec{floatAttr("epsilon", 1e-5)}, build: buildBatchNorm},
	{Name: "LRN", Doc: "local response normalisation across channels", Inputs: unary,
		Attrs: []AttrSpec{required(intAttr("size", 0, 1, 1<<16)), floatAttr("alpha", 1e-4), floatAttr("beta", 0.75), floatAttr("bias", 1)},
		ONNX:  true, build: buildLRN},
	{Name: "Softmax", Doc: "softmax along one axis (ONNX opset 13 semantics)", Inputs: unary, Attrs: []AttrSpec{axisAttr(-1)}, build: buildSoftmax},
}

var poolAttrs = joinAttrs(windowAttrs, []AttrSpec{required(intsAttr("kernel_shape", 1, ops.MaxElements)),
	boolAttr("ceil_mode", 0), boolAttr("count_include_pad", 0)})

func buildPool(kind ops.PoolKind) builder {
	return func(a *attrs, in []operand, c opContext) (*layer, error) {
		x := in[0]
		rank, err := spatialRank(x)
		if err != nil {
			return nil, err
		}
		p := ops.PoolParams{Window: window(a, rank), Kind: kind, Kernel: a.ints("kernel_shape", rank),
			CeilMode: a.intv("ceil_mode") == 1, CountIncludePad: a.intv("count_include_pad") == 1}
		if a.err != nil {
			return nil, a.err
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
	return func(a *attrs, in []operand, c opContext) (*layer, error) {
		x := in[0]
		if len(x.shape) < 3 {
			return nil, fmt.Errorf("%w: input %s must have rank >= 3", ErrShape, ops.FormatShape(x.shape))
		}
		nb, ch, sp := x.shape[0], x.shape[1], ops.ShapeSize(x.shape[2:])
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

// channelParams checks that the inputs after X of a per-channel op are
// [C] vectors, named as names gives them.
func channelParams(in []operand, names []string) error {
	x := in[0]
	if len(x.shape) < 2 {
		return fmt.Errorf("%w: input %s must have rank >= 2", ErrShape, ops.FormatShape(x.shape))
	}
	for i, nm := range names {
		if !ops.EqualShapes(in[i+1].shape, []int{x.shape[1]}) {
			return fmt.Errorf("%w: %s %s must have shape [%d]", ErrShape, nm, ops.FormatShape(in[i+1].shape), x.shape[1])
		}
	}
	return nil
}

func buildBatchNorm(a *attrs, in []operand, c opContext) (*layer, error) {
	x := in[0]
	eps := a.float("epsilon")
	if err := channelParams(in, []string{"scale", "B", "mean", "var"}); err != nil {
		return nil, err
	}
	nb, sp := x.shape[0], ops.ShapeSize(x.shape[2:])
	var prm [4][]float32
	for i := range prm {
		prm[i] = in[i+1].konst
	}
	return &layer{outShapes: [][]int{x.shape}, flops: 2 * int64(nb) * int64(x.shape[1]) * int64(sp), // ops.BatchNorm.FLOPs
		kernel: func(int) (kernel, error) {
			bn, err := ops.NewBatchNorm(prm[0], prm[1], prm[2], prm[3], eps)
			if err != nil {
				return kernel{}, err
			}
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { bn.Forward(out[0], in[0], nb, sp) }}, nil
		}}, nil
}

func buildLRN(a *attrs, in []operand, c opContext) (*layer, error) {
	x := in[0]
	size := a.intv("size")
	alpha, beta, bias := a.float("alpha"), a.float("beta"), a.float("bias")
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("%w: input %s must have rank >= 2", ErrShape, ops.FormatShape(x.shape))
	}
	nb, ch, sp := x.shape[0], x.shape[1], ops.ShapeSize(x.shape[2:])
	return &layer{outShapes: [][]int{x.shape}, flops: ops.LRNFLOPs(nb, ch, sp, size),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) {
				ops.LRN(out[0], in[0], nb, ch, sp, size, alpha, beta, bias)
			}}, nil
		}}, nil
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

func buildSoftmax(a *attrs, in []operand, c opContext) (*layer, error) {
	shape := in[0].shape
	axis, err := normAxis(a.intv("axis"), len(shape))
	if err != nil {
		return nil, err
	}
	outer, mid, inner := ops.ShapeSize(shape[:axis]), shape[axis], ops.ShapeSize(shape[axis+1:])
	return &layer{outShapes: [][]int{shape}, flops: ops.SoftmaxFLOPs(outer, mid, inner),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Softmax(out[0], in[0], outer, mid, inner) }}, nil
		}}, nil
}
