package ops

import "fmt"

// ConvParams are a convolution's attributes besides its weights. Groups 0
// means 1.
type ConvParams struct {
	Window
	Groups int
}

// ConvGeom is a convolution's fully resolved geometry. Every spatial quantity
// is given in 3 dimensions; 1D and 2D convolutions use 1 (stride 1, no padding)
// in the missing leading dimensions.
type ConvGeom struct {
	Rank    int // spatial rank: 1, 2 or 3
	N       int // batch
	C       int // input channels
	M       int // output channels
	G       int // groups
	In      Dims3
	Kernel  Dims3
	Out     Dims3
	Stride  Dims3
	Dilate  Dims3
	PadHead Dims3 // padding before each axis; padding after is implied by Out
}

// NewConvGeom validates a convolution of an input of shape in ([N, C,
// spatial...]) with weights of shape w ([M, C/groups, kernel...]) and
// resolves its geometry.
func NewConvGeom(in, w []int, p ConvParams) (ConvGeom, error) {
	var g ConvGeom
	rank := len(in) - 2
	if rank < 1 || rank > 3 {
		return g, fmt.Errorf("%w: conv input %s must have rank 3, 4 or 5", ErrShape, FormatShape(in))
	}
	if len(w) != len(in) {
		return g, fmt.Errorf("%w: conv weights %s must have the input's rank %d", ErrShape, FormatShape(w), len(in))
	}
	if _, err := NumElements(in); err != nil {
		return g, err
	}
	if _, err := NumElements(w); err != nil {
		return g, err
	}
	if err := checkWindowLens(rank, p.Window); err != nil {
		return g, err
	}
	groups := p.Groups
	if groups == 0 {
		groups = 1
	}
	g = ConvGeom{Rank: rank, N: in[0], C: in[1], M: w[0], G: groups}
	if g.N < 1 || g.C < 1 || g.M < 1 {
		return g, fmt.Errorf("%w: conv input %s, weights %s: batch and channels must be >= 1", ErrShape, FormatShape(in), FormatShape(w))
	}
	if groups < 1 || g.C%groups != 0 || g.M%groups != 0 || w[1]*groups != g.C {
		return g, fmt.Errorf("%w: conv input %s, weights %s, groups %d: need C = groups * weights[1] and M divisible by groups",
			ErrShape, FormatShape(in), FormatShape(w), groups)
	}
	g.In = to3(in[2:], rank, 1)
	g.Kernel = to3(w[2:], rank, 1)
	g.Stride = to3(p.Strides, rank, 1)
	g.Dilate = to3(p.Dilations, rank, 1)
	pb := to3(p.PadsBegin, rank, 0)
	pe := to3(p.PadsEnd, rank, 0)
	names := []string{"depth", "height", "width"}
	ins, ks, ss, ds, pbs, pes := dimsPtr(&g.In), dimsPtr(&g.Kernel), dimsPtr(&g.Stride), dimsPtr(&g.Dilate), dimsPtr(&pb), dimsPtr(&pe)
	outs, heads := dimsPtr(&g.Out), dimsPtr(&g.PadHead)
	for i := 0; i < 3; i++ {
		if i < 3-rank {
			*outs[i], *heads[i] = 1, 0
			continue
		}
		head, out, err := spatial(names[i], *ins[i], *ks[i], *ss[i], *ds[i], *pbs[i], *pes[i], p.AutoPad, false)
		if err != nil {
			return g, fmt.Errorf("conv input %s, weights %s: %w", FormatShape(in), FormatShape(w), err)
		}
		*outs[i], *heads[i] = out, head
	}
	if _, err := NumElements(g.OutShape()); err != nil {
		return g, err
	}
	return g, nil
}

// OutShape returns the output shape [N, M, spatial...].
func (g ConvGeom) OutShape() []int {
	return append([]int{g.N, g.M}, g.Out.slice(g.Rank)...)
}

// WeightShape returns the weight shape [M, C/G, kernel...].
func (g ConvGeom) WeightShape() []int {
	return append([]int{g.M, g.C / g.G}, g.Kernel.slice(g.Rank)...)
}

// InShape returns the input shape [N, C, spatial...].
func (g ConvGeom) InShape() []int {
	return append([]int{g.N, g.C}, g.In.slice(g.Rank)...)
}

// MACs returns the number of multiply-adds of the convolution (bias and
// activation excluded).
func (g ConvGeom) MACs() int64 {
	return int64(g.N) * int64(g.M) * int64(g.Out.prod()) * int64(g.C/g.G) * int64(g.Kernel.prod())
}

// FLOPs returns the convolution's FLOP count: 2 per multiply-add, plus one
// per output for the bias when hasBias.
func (g ConvGeom) FLOPs(hasBias bool) int64 {
	f := 2 * g.MACs()
	if hasBias {
		f += int64(g.N) * int64(g.M) * int64(g.Out.prod())
	}
	return f
}

// Depthwise reports whether every group has one input channel.
func (g ConvGeom) Depthwise() bool { return g.G > 1 && g.G == g.C }
