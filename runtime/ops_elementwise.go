package runtime

import "github.com/wasmnn/wasmnn/ops"

// elementwiseOps are the arithmetic ops on two tensors, with numpy
// broadcasting and an optional fused activation.
var elementwiseOps = []*OpDef{
	binaryOp(ops.BinAdd, "a + b"),
	binaryOp(ops.BinSub, "a - b"),
	binaryOp(ops.BinMul, "a * b"),
	binaryOp(ops.BinDiv, "a / b"),
	binaryOp(ops.BinPow, "a ** b (as C's pow)"),
}

// binaryOp declares the op computing kind, named as ONNX names it.
func binaryOp(kind ops.BinaryKind, doc string) *OpDef {
	return &OpDef{Name: kind.String(), Doc: doc + ", broadcast", Inputs: []InputSpec{{Name: "A"}, {Name: "B"}},
		Attrs: fusedActAttrs, FusesAct: true, ONNX: true, build: buildBinary(kind)}
}

// buildBinary builds a binary op. Add of two same-shaped inputs keeps Add's
// original kernel.
func buildBinary(kind ops.BinaryKind) builder {
	return func(a *attrs, in []operand, c opContext) (*layer, error) {
		act, err := layerAct(a, c)
		if err != nil {
			return nil, err
		}
		if kind == ops.BinAdd && ops.EqualShapes(in[0].shape, in[1].shape) {
			return &layer{outShapes: [][]int{in[0].shape}, flops: ops.AddFLOPs(ops.ShapeSize(in[0].shape), act),
				kernel: func(int) (kernel, error) {
					return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Add(out[0], in[0], in[1], act) }}, nil
				}}, nil
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
