package runtime

import "github.com/wasmnn/wasmnn/ops"

// matmulOps is the matrix product of two tensors (activations or weights),
// numpy style.
var matmulOps = []*OpDef{
	{Name: "MatMul", Doc: "numpy matrix product: 1-D operands promoted, batch axes broadcast; either operand may be computed",
		Inputs: []InputSpec{{Name: "A"}, {Name: "B"}}, ONNX: true, build: buildMatMul},
}

func buildMatMul(a *attrs, in []operand, c opContext) (*layer, error) {
	g, err := ops.NewMatMulGeom(in[0].shape, in[1].shape)
	if err != nil {
		return nil, err
	}
	return &layer{outShapes: [][]int{g.Out}, macs: g.MACs(), flops: 2 * g.MACs(),
		kernel: func(int) (kernel, error) {
			return kernel{ws: g.WorkspaceLen(), run: func(in, out [][]float32, ws []float32, threads int) {
				ops.MatMul(g, out[0], in[0], in[1], ws, threads)
			}}, nil
		}}, nil
}
