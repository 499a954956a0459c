package runtime

import "github.com/wasmnn/wasmnn/ops"

// operand is what an op builder knows about one input: its shape and, for
// weights, its data (nil when only shapes are inferred).
type operand struct {
	name   string
	shape  []int
	weight bool
	konst  []float32
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

// builder checks a node's shapes and attributes (read through a, whose
// first error the caller also checks) and returns its layer; kernels are
// built later, from the weights in the operands.
type builder func(a *attrs, in []operand, c opContext) (*layer, error)
