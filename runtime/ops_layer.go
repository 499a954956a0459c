package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// layerOps are the layers with weights: convolution, its transpose and the
// fully connected layer.
var layerOps = []*OpDef{
	{Name: "Conv", Doc: "N-d convolution (1 to 3 spatial axes), grouped and dilated; the algorithm is chosen per layer",
		Inputs: []InputSpec{inX, inW, inB}, Attrs: joinAttrs(windowAttrs, []AttrSpec{intAttr("group", 1, 1, ops.MaxElements)}, fusedActAttrs),
		FusesAct: true, build: buildConv},
	{Name: "ConvTranspose", Doc: "transposed convolution",
		Inputs: []InputSpec{inX, inW, inB}, Attrs: joinAttrs(windowAttrs, []AttrSpec{intAttr("group", 1, 1, ops.MaxElements),
			intsAttr("output_padding", 0, ops.MaxElements), intsAttr("output_shape", 1, ops.MaxElements)}, fusedActAttrs),
		FusesAct: true, build: buildConvTranspose},
	{Name: "Dense", Doc: "fully connected layer on [batch, features]; weights [out, in] when transposed, else [in, out] (ONNX: Gemm)",
		Inputs: []InputSpec{inX, inW, inB}, Attrs: joinAttrs([]AttrSpec{boolAttr("transposed", 1)}, fusedActAttrs),
		FusesAct: true, build: buildDense},
}

// window reads strides, dilations, pads and auto_pad for rank spatial axes.
func window(a *attrs, rank int) ops.Window {
	w := ops.Window{Strides: a.ints("strides", rank), Dilations: a.ints("dilations", rank)}
	if pads := a.ints("pads", 2*rank); pads != nil {
		w.PadsBegin, w.PadsEnd = pads[:rank], pads[rank:]
	}
	mode, err := ops.ParseAutoPad(a.str("auto_pad"))
	if err != nil {
		a.fail("attribute auto_pad: %v", err)
	}
	w.AutoPad = mode
	return w
}

// spatialRank returns the number of spatial axes of an N, C, spatial...
// input, which must be 1 to 3.
func spatialRank(x operand) (int, error) {
	rank := len(x.shape) - 2
	if rank < 1 || rank > 3 {
		return 0, fmt.Errorf("%w: input %s must have rank 3, 4 or 5", ErrShape, ops.FormatShape(x.shape))
	}
	return rank, nil
}

// layerAct reads a layer's own activation attribute and combines it with the
// one the planner fused into it.
func layerAct(a *attrs, c opContext) (ops.Activation, error) {
	act := fusedAct(a)
	if a.err != nil {
		return act, a.err
	}
	return fuseAct(act, c.act)
}

func buildConv(a *attrs, in []operand, c opContext) (*layer, error) {
	x, w := in[0], in[1]
	rank, err := spatialRank(x)
	if err != nil {
		return nil, err
	}
	p := ops.ConvParams{Window: window(a, rank), Groups: a.intv("group")}
	act, err := layerAct(a, c)
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
	algo := ops.ResolveConvAlgo(g, c.algo)
	if !hasAlgo(ops.ConvAlgos(g), algo) {
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
		flops:     g.FLOPs(len(in) > 2) + int64(ops.ShapeSize(g.OutShape()))*act.FLOPsPerElement(),
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

func hasAlgo(list []ops.ConvAlgo, a ops.ConvAlgo) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func buildConvTranspose(a *attrs, in []operand, c opContext) (*layer, error) {
	x, w := in[0], in[1]
	rank, err := spatialRank(x)
	if err != nil {
		return nil, err
	}
	p := ops.ConvTransposeParams{Window: window(a, rank), Groups: a.intv("group"),
		OutputPadding: a.ints("output_padding", rank), OutputShape: a.ints("output_shape", rank)}
	act, err := layerAct(a, c)
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
	// Where the kernel tiles the output (2x2 stride 2 and the like), the
	// GEMM computes the same sums in the same order.
	ws, algo := ops.ConvTransposeWorkspaceLen(g), ""
	if ws > 0 {
		algo = "gemm"
	}
	return &layer{outShapes: [][]int{out}, macs: g.MACs(), algo: algo,
		flops: g.FLOPs(len(in) > 2) + int64(ops.ShapeSize(out))*act.FLOPsPerElement(),
		kernel: func(int) (kernel, error) {
			return kernel{ws: ws, run: func(in, out [][]float32, ws []float32, threads int) {
				ops.ConvTransposeGemm(g, out[0], in[0], wdata, bias, act, ws, threads)
			}}, nil
		}}, nil
}

// denseShape returns the batch, input and output features of a Dense layer
// with input x and weights w, checking that they fit.
func denseShape(x, w []int, transposed bool) (batch, inF, outF int, err error) {
	if len(x) != 2 {
		return 0, 0, 0, fmt.Errorf("%w: input %s must have rank 2 [batch, features] (add a Flatten)", ErrShape, ops.FormatShape(x))
	}
	if len(w) != 2 {
		return 0, 0, 0, fmt.Errorf("%w: weights %s must have rank 2", ErrShape, ops.FormatShape(w))
	}
	batch, inF = x[0], x[1]
	wIn, outF := w[0], w[1]
	if transposed {
		wIn, outF = w[1], w[0]
	}
	if wIn != inF {
		return 0, 0, 0, fmt.Errorf("%w: input %s has %d features but weights %s (transposed=%v) expect %d",
			ErrShape, ops.FormatShape(x), inF, ops.FormatShape(w), transposed, wIn)
	}
	return batch, inF, outF, nil
}

func buildDense(a *attrs, in []operand, c opContext) (*layer, error) {
	x, w := in[0], in[1]
	transposed := a.intv("transposed") == 1
	act, err := layerAct(a, c)
	if err != nil {
		return nil, err
	}
	batch, inF, outF, err := denseShape(x.shape, w.shape, transposed)
	if err != nil {
		return nil, err
	}
	bias, err := optionalBias(in, outF)
	if err != nil {
		return nil, err
	}
	wdata := w.konst
	macs := int64(batch) * int64(inF) * int64(outF)
	flops := 2 * macs
	if len(in) > 2 {
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
