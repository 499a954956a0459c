package runtime

import "github.com/wasmnn/wasmnn/ops"

// variadicOps are the elementwise reductions over one or more tensors, with
// numpy broadcasting across all of them, evaluated left to right.
var variadicOps = []*OpDef{
	variadicOp("Sum", ops.VarSum, "the sum of the inputs, added left to right"),
	variadicOp("Mean", ops.VarMean, "the sum of the inputs (left to right) divided by their count"),
	variadicOp("Max", ops.VarMax, "the largest input; NaN if any is NaN"),
	variadicOp("Min", ops.VarMin, "the smallest input; NaN if any is NaN"),
}

func variadicOp(name string, kind ops.VariadicKind, doc string) *OpDef {
	return &OpDef{Name: name, Doc: doc + "; numpy broadcasting; any input may be a weight",
		Inputs: []InputSpec{{Name: "data_0", Variadic: true}}, ONNX: true, build: buildVariadic(kind)}
}

func buildVariadic(kind ops.VariadicKind) builder {
	return func(a *attrs, in []operand, c opContext) (*layer, error) {
		out := []int{}
		for _, op := range in {
			g, err := ops.NewBroadcastGeom(out, op.shape)
			if err != nil {
				return nil, err
			}
			out = g.Out
		}
		gs := make([]ops.BroadcastGeom, len(in))
		for i, op := range in {
			g, err := ops.NewBroadcastGeom(out, op.shape)
			if err != nil {
				return nil, err
			}
			gs[i] = g
		}
		return &layer{outShapes: [][]int{out}, flops: ops.VariadicFLOPs(kind, len(in), ops.ShapeSize(out)),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Variadic(kind, gs, out[0], in) }}, nil
			}}, nil
	}
}
