package ops

import "fmt"

// AutoPad selects how spatial padding is computed, as in ONNX.
type AutoPad uint8

// AutoPad modes.
const (
	PadExplicit  AutoPad = iota // use PadsBegin/PadsEnd as given
	PadSameUpper                // output = ceil(in/stride); odd padding goes at the end
	PadSameLower                // output = ceil(in/stride); odd padding goes at the beginning
	PadValid                    // no padding
)

var autoPadNames = [...]string{"explicit", "same_upper", "same_lower", "valid"}

// String returns the mode's name.
func (p AutoPad) String() string {
	if int(p) < len(autoPadNames) {
		return autoPadNames[p]
	}
	return fmt.Sprintf("autopad(%d)", p)
}

// ParseAutoPad maps "explicit", "same" or "same_upper", "same_lower" and
// "valid" (case-sensitive, as written here; "" means explicit) to a mode.
func ParseAutoPad(s string) (AutoPad, error) {
	switch s {
	case "", "explicit", "NOTSET":
		return PadExplicit, nil
	case "same", "same_upper", "SAME_UPPER":
		return PadSameUpper, nil
	case "same_lower", "SAME_LOWER":
		return PadSameLower, nil
	case "valid", "VALID":
		return PadValid, nil
	}
	return 0, fmt.Errorf("unknown padding mode %q", s)
}

// Window describes a sliding window over 1 to 3 spatial dimensions. Nil
// slices take defaults: stride 1, dilation 1, padding 0.
type Window struct {
	Strides   []int
	Dilations []int
	PadsBegin []int
	PadsEnd   []int
	AutoPad   AutoPad
}

// Dims3 is a size in 3 spatial dimensions (depth, height, width). Lower-rank
// tensors use 1 for the missing leading dimensions.
type Dims3 struct{ D, H, W int }

func (d Dims3) slice(rank int) []int {
	all := []int{d.D, d.H, d.W}
	return all[3-rank:]
}

func (d Dims3) prod() int { return d.D * d.H * d.W }

func to3(v []int, rank, def int) Dims3 {
	r := Dims3{def, def, def}
	all := []*int{&r.D, &r.H, &r.W}
	for i := 0; i < rank && i < len(v); i++ {
		*all[3-rank+i] = v[i]
	}
	return r
}

// spatial resolves one spatial axis: it returns the begin padding and the
// output size.
func spatial(axis string, in, k, s, d, pb, pe int, mode AutoPad, ceil bool) (int, int, error) {
	if k < 1 || s < 1 || d < 1 {
		return 0, 0, fmt.Errorf("%w: %s: kernel %d, stride %d and dilation %d must be >= 1", ErrShape, axis, k, s, d)
	}
	if pb < 0 || pe < 0 {
		return 0, 0, fmt.Errorf("%w: %s: negative padding %d,%d", ErrShape, axis, pb, pe)
	}
	if in > MaxElements || k > MaxElements || s > MaxElements || d > MaxElements || pb > MaxElements || pe > MaxElements {
		return 0, 0, fmt.Errorf("%w: %s: size out of range", ErrShape, axis)
	}
	ek := (k-1)*d + 1 // effective kernel extent
	switch mode {
	case PadValid:
		pb, pe = 0, 0
	case PadSameUpper, PadSameLower:
		out := (in + s - 1) / s
		total := (out-1)*s + ek - in
		if total < 0 {
			total = 0
		}
		pb, pe = total/2, total-total/2
		if mode == PadSameLower {
			pb, pe = pe, pb
		}
	}
	span := in + pb + pe - ek
	out := 0
	switch {
	case !ceil && span >= 0:
		out = span/s + 1
	case ceil && span+s-1 >= 0:
		// PyTorch's and ONNX's ceil((in+pads-extent)/stride) + 1, which
		// accepts a window extending past the padded input (even a kernel
		// larger than it) as long as the window starts inside.
		out = (span+s-1)/s + 1
		// The last window must start inside the input or the begin padding.
		if (out-1)*s >= in+pb {
			out--
		}
	}
	if out < 1 {
		return 0, 0, fmt.Errorf("%w: %s: kernel extent %d is larger than padded input %d", ErrShape, axis, ek, in+pb+pe)
	}
	return pb, out, nil
}

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

func dimsPtr(d *Dims3) [3]*int { return [3]*int{&d.D, &d.H, &d.W} }

func checkWindowLens(rank int, w Window) error {
	for _, f := range []struct {
		name string
		v    []int
	}{{"strides", w.Strides}, {"dilations", w.Dilations}, {"pads_begin", w.PadsBegin}, {"pads_end", w.PadsEnd}} {
		if f.v != nil && len(f.v) != rank {
			return fmt.Errorf("%w: %s %v must have %d values (one per spatial axis)", ErrShape, f.name, f.v, rank)
		}
	}
	return nil
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
