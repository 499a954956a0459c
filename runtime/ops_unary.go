package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// unaryOps are the elementwise functions of one tensor (ops.UnaryKind), Gelu
// and PRelu.
var unaryOps = []*OpDef{
	unaryOp(ops.UnSqrt, "sqrt(x), correctly rounded; NaN for x < 0"),
	unaryOp(ops.UnExp, "e**x"),
	unaryOp(ops.UnLog, "ln(x); NaN for x < 0, -Inf at 0"),
	unaryOp(ops.UnErf, "the error function erf(x)"),
	unaryOp(ops.UnAbs, "|x|"),
	unaryOp(ops.UnFloor, "the largest integer <= x"),
	unaryOp(ops.UnCeil, "the smallest integer >= x"),
	unaryOp(ops.UnNeg, "-x"),
	unaryOp(ops.UnReciprocal, "1/x"),
	{Name: "Gelu", Doc: "x/2 * (1 + erf(x/sqrt(2))), or with approximate \"tanh\" x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))",
		Inputs: unary, Attrs: []AttrSpec{stringAttr("approximate", "none")}, ONNX: true, build: buildGelu},
	{Name: "PRelu", Doc: "x if x >= 0 else slope*x, slope broadcast to x (unidirectionally)",
		Inputs: []InputSpec{inX, {Name: "slope"}}, ONNX: true, build: buildPRelu},
}

// unaryOp declares the op computing kind, named as ONNX names it.
func unaryOp(kind ops.UnaryKind, doc string) *OpDef {
	return &OpDef{Name: kind.String(), Doc: doc, Inputs: unary, ONNX: true, build: buildUnary(kind)}
}

func buildUnary(kind ops.UnaryKind) builder {
	return func(a *attrs, in []operand, c opContext) (*layer, error) {
		size := ops.ShapeSize(in[0].shape)
		return &layer{outShapes: [][]int{in[0].shape}, flops: ops.UnaryFLOPs(size),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Unary(kind, out[0], in[0]) }}, nil
			}}, nil
	}
}

func buildGelu(a *attrs, in []operand, c opContext) (*layer, error) {
	var tanh bool
	switch s := a.str("approximate"); s {
	case "none":
	case "tanh":
		tanh = true
	default:
		return nil, fmt.Errorf("%w: attribute approximate is %q, want \"none\" or \"tanh\"", ErrBadModel, s)
	}
	size := ops.ShapeSize(in[0].shape)
	return &layer{outShapes: [][]int{in[0].shape}, flops: ops.GeluFLOPs(size, tanh),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Gelu(out[0], in[0], tanh) }}, nil
		}}, nil
}

func buildPRelu(a *attrs, in []operand, c opContext) (*layer, error) {
	g, err := ops.NewBroadcastGeom(in[0].shape, in[1].shape)
	if err != nil {
		return nil, err
	}
	if !ops.EqualShapes(g.Out, in[0].shape) {
		return nil, fmt.Errorf("%w: slope %s does not broadcast to X %s (it would make %s)", ops.ErrShape,
			ops.FormatShape(in[1].shape), ops.FormatShape(in[0].shape), ops.FormatShape(g.Out))
	}
	return &layer{outShapes: [][]int{g.Out}, flops: 2 * int64(g.Size()),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.PRelu(g, out[0], in[0], in[1]) }}, nil
		}}, nil
}
