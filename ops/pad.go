package ops

import "fmt"

// PadMode selects how Pad fills the border, as ONNX Pad's mode.
type PadMode uint8

// Pad modes.
const (
	PadConstant PadMode = iota // a constant value
	PadReflect                 // mirror without repeating the edge: [a b c] -> b | a b c | b
	PadEdge                    // repeat the edge value: [a b c] -> a | a b c | c
)

var padModeNames = [...]string{"constant", "reflect", "edge"}

// String returns the mode's ONNX name.
func (m PadMode) String() string {
	if int(m) < len(padModeNames) {
		return padModeNames[m]
	}
	return fmt.Sprintf("padmode(%d)", m)
}

// ParsePadMode maps "constant" (or ""), "reflect" and "edge" to a mode.
func ParsePadMode(s string) (PadMode, error) {
	switch s {
	case "", "constant":
		return PadConstant, nil
	case "reflect":
		return PadReflect, nil
	case "edge":
		return PadEdge, nil
	}
	return 0, fmt.Errorf("unknown pad mode %q (want constant, reflect or edge)", s)
}

// PadGeom is a resolved padding of a tensor: Begin[i] and End[i] elements
// are added before and after axis i.
type PadGeom struct {
	In, Out    []int
	Begin, End []int
	Mode       PadMode
	Value      float32
	size       int
	inSize     int
}

// NewPadGeom validates pads ([begin..., end...], one pair per axis of in,
// each >= 0) for mode and resolves the output shape. Reflect needs every
// padded axis longer than its pads, edge needs it non-empty.
func NewPadGeom(in, pads []int, mode PadMode, value float32) (PadGeom, error) {
	var g PadGeom
	rank := len(in)
	if rank == 0 || rank > maxBroadcastRank {
		return g, fmt.Errorf("%w: pad of %s: rank must be 1 to %d", ErrShape, FormatShape(in), maxBroadcastRank)
	}
	if len(pads) != 2*rank {
		return g, fmt.Errorf("%w: pads %v must have %d values for input %s", ErrShape, pads, 2*rank, FormatShape(in))
	}
	inSize, err := NumElements(in)
	if err != nil {
		return g, err
	}
	g = PadGeom{In: append([]int(nil), in...), Begin: append([]int(nil), pads[:rank]...), End: append([]int(nil), pads[rank:]...),
		Mode: mode, Value: value, inSize: inSize}
	g.Out = make([]int, rank)
	for i, d := range in {
		b, e := g.Begin[i], g.End[i]
		if b < 0 || e < 0 || b > MaxElements || e > MaxElements {
			return PadGeom{}, fmt.Errorf("%w: pads %v: negative or huge padding is not supported", ErrShape, pads)
		}
		if b+e > 0 {
			switch {
			case mode == PadReflect && (b >= d || e >= d):
				return PadGeom{}, fmt.Errorf("%w: reflect padding %d,%d needs axis %d of %s to be longer", ErrShape, b, e, i, FormatShape(in))
			case mode == PadEdge && d == 0:
				return PadGeom{}, fmt.Errorf("%w: edge padding of empty axis %d of %s", ErrShape, i, FormatShape(in))
			}
		}
		g.Out[i] = d + b + e
	}
	if g.size, err = NumElements(g.Out); err != nil {
		return PadGeom{}, err
	}
	return g, nil
}

// Size returns the number of output elements.
func (g PadGeom) Size() int { return g.size }

// source maps output coordinate o of axis i to an input coordinate, or -1
// for the constant border.
func (g *PadGeom) source(i, o int) int {
	c := o - g.Begin[i]
	d := g.In[i]
	if c >= 0 && c < d {
		return c
	}
	switch g.Mode {
	case PadReflect:
		if c < 0 {
			return -c
		}
		return 2*(d-1) - c
	case PadEdge:
		if c < 0 {
			return 0
		}
		return d - 1
	}
	return -1
}

// Pad writes x padded as g describes into dst. dst must not overlap x. Pad
// panics if a buffer is too short.
func Pad(g PadGeom, dst, x []float32) {
	if len(dst) < g.size || len(x) < g.inSize {
		panic(fmt.Sprintf("ops.Pad: buffers of %d and %d values, need %d and %d", len(dst), len(x), g.size, g.inSize))
	}
	if g.size == 0 {
		return
	}
	r := len(g.In)
	ow, iw := g.Out[r-1], g.In[r-1]
	var idx [maxBroadcastRank]int
	for o := 0; o < g.size; o += ow {
		row := dst[o : o+ow]
		// Source row offset of the outer coordinates, or -1.
		off := 0
		for ax := 0; ax < r-1; ax++ {
			s := g.source(ax, idx[ax])
			if s < 0 {
				off = -1
				break
			}
			off = off*g.In[ax] + s
		}
		if off < 0 || iw == 0 {
			for i := range row {
				row[i] = g.Value
			}
		} else {
			src := x[off*iw : off*iw+iw]
			b := g.Begin[r-1]
			for j := 0; j < b; j++ {
				row[j] = g.border(src, r-1, j)
			}
			copy(row[b:b+iw], src)
			for j := b + iw; j < ow; j++ {
				row[j] = g.border(src, r-1, j)
			}
		}
		for ax := r - 2; ax >= 0; ax-- {
			idx[ax]++
			if idx[ax] < g.Out[ax] {
				break
			}
			idx[ax] = 0
		}
	}
}

func (g *PadGeom) border(src []float32, axis, o int) float32 {
	if s := g.source(axis, o); s >= 0 {
		return src[s]
	}
	return g.Value
}
