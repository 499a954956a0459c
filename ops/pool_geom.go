package ops

import "fmt"

// PoolKind selects max or average pooling.
type PoolKind uint8

// Pool kinds.
const (
	PoolMax PoolKind = iota
	PoolAvg
)

// String returns "max" or "avg".
func (k PoolKind) String() string {
	if k == PoolMax {
		return "max"
	}
	return "avg"
}

// PoolParams are a pooling window's attributes.
type PoolParams struct {
	Window
	Kind            PoolKind
	Kernel          []int // one size per spatial axis
	CeilMode        bool
	CountIncludePad bool // average pooling divides by the full window, padding included
}

// PoolGeom is a pooling operation's fully resolved geometry (see ConvGeom for
// the 3-dimensional convention).
type PoolGeom struct {
	Kind            PoolKind
	CountIncludePad bool
	Rank            int
	N, C            int
	In              Dims3
	Kernel          Dims3
	Out             Dims3
	Stride          Dims3
	Dilate          Dims3
	PadHead         Dims3
	PadTail         Dims3 // padding after each axis, as given or computed (for count_include_pad)
}

// NewPoolGeom validates pooling of an input of shape in ([N, C, spatial...])
// and resolves its geometry.
func NewPoolGeom(in []int, p PoolParams) (PoolGeom, error) {
	var g PoolGeom
	rank := len(in) - 2
	if rank < 1 || rank > 3 {
		return g, fmt.Errorf("%w: pool input %s must have rank 3, 4 or 5", ErrShape, FormatShape(in))
	}
	if _, err := NumElements(in); err != nil {
		return g, err
	}
	if len(p.Kernel) != rank {
		return g, fmt.Errorf("%w: pool kernel %v must have %d values for input %s", ErrShape, p.Kernel, rank, FormatShape(in))
	}
	if err := checkWindowLens(rank, p.Window); err != nil {
		return g, err
	}
	if p.Kind != PoolMax && p.Kind != PoolAvg {
		return g, fmt.Errorf("%w: unknown pool kind %d", ErrShape, p.Kind)
	}
	g = PoolGeom{Kind: p.Kind, CountIncludePad: p.CountIncludePad, Rank: rank, N: in[0], C: in[1]}
	if g.N < 1 || g.C < 1 {
		return g, fmt.Errorf("%w: pool input %s: batch and channels must be >= 1", ErrShape, FormatShape(in))
	}
	g.In = to3(in[2:], rank, 1)
	g.Kernel = to3(p.Kernel, rank, 1)
	g.Stride = to3(p.Strides, rank, 1)
	g.Dilate = to3(p.Dilations, rank, 1)
	pb := to3(p.PadsBegin, rank, 0)
	pe := to3(p.PadsEnd, rank, 0)
	names := []string{"depth", "height", "width"}
	ins, ks, ss, ds, pbs, pes := dimsPtr(&g.In), dimsPtr(&g.Kernel), dimsPtr(&g.Stride), dimsPtr(&g.Dilate), dimsPtr(&pb), dimsPtr(&pe)
	outs, heads, tails := dimsPtr(&g.Out), dimsPtr(&g.PadHead), dimsPtr(&g.PadTail)
	for i := 0; i < 3; i++ {
		if i < 3-rank {
			*outs[i], *heads[i], *tails[i] = 1, 0, 0
			continue
		}
		head, out, err := spatial(names[i], *ins[i], *ks[i], *ss[i], *ds[i], *pbs[i], *pes[i], p.AutoPad, p.CeilMode)
		if err != nil {
			return g, fmt.Errorf("pool input %s: %w", FormatShape(in), err)
		}
		*outs[i], *heads[i] = out, head
		tail := *pes[i]
		switch p.AutoPad {
		case PadValid:
			tail = 0
		case PadSameUpper, PadSameLower:
			ek := (*ks[i]-1)**ds[i] + 1
			tail = max(0, (out-1)**ss[i]+ek-*ins[i]) - head
		}
		*tails[i] = tail
	}
	// Bounding the window's taps keeps per-window counts (average pooling's
	// divisor) and FLOPs from overflowing.
	if _, err := NumElements(g.Kernel.slice(rank)); err != nil {
		return g, fmt.Errorf("%w: pool input %s: kernel %v has more than %d taps", ErrShape, FormatShape(in), p.Kernel, MaxElements)
	}
	if _, err := NumElements(g.OutShape()); err != nil {
		return g, err
	}
	for i := 3 - rank; i < 3; i++ {
		if o := emptyWindow(*ins[i], *ks[i], *ss[i], *ds[i], *heads[i], *outs[i]); o >= 0 {
			return g, fmt.Errorf("%w: pool input %s: %s window %d covers only padding", ErrShape, FormatShape(in), names[i], o)
		}
	}
	return g, nil
}

// emptyWindow returns the index of the first of out windows (start o*s-head,
// k taps d apart) with no tap inside [0, in), or -1 if every window reads
// input. Pooling such a window has no defined value.
func emptyWindow(in, k, s, d, head, out int) int {
	for o := 0; o < out; o++ {
		start := o*s - head
		j := 0
		if start < 0 {
			j = (-start + d - 1) / d // first tap at or after 0
		}
		if j >= k || start+j*d >= in {
			return o
		}
		if d <= in && o < out-2 {
			// Taps d <= in apart cannot skip over the input, and window
			// starts grow with o: only the first and last windows can miss it.
			o = out - 2
		}
	}
	return -1
}

// OutShape returns the output shape [N, C, spatial...].
func (g PoolGeom) OutShape() []int {
	return append([]int{g.N, g.C}, g.Out.slice(g.Rank)...)
}

// FLOPs returns one operation per window element visited (a comparison or an
// add) and, for average pooling, one division per output.
func (g PoolGeom) FLOPs() int64 {
	outs := int64(g.N) * int64(g.C) * int64(g.Out.prod())
	f := outs * int64(g.Kernel.prod())
	if g.Kind == PoolAvg {
		f += outs
	}
	return f
}
