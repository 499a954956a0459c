package ops

import "fmt"

// SliceGeom is a resolved ONNX Slice of a tensor: along each axis the output
// takes Out[i] entries of the input, from index Start[i] in steps of Step[i]
// (negative steps walk backwards).
type SliceGeom struct {
	In, Out, Start, Step []int
	// Merged form: output axes whose input positions stay contiguous are
	// merged; dims[i] is a merged output axis and stride[i] its input stride
	// (negative for negative steps); base is the input offset of the first
	// output element.
	dims   []int
	stride []int
	base   int
	size   int
}

// NewSliceGeom resolves a Slice of a tensor of shape in with ONNX's rules
// (opset 13): starts, ends, axes and steps have one entry per sliced axis
// (axes nil: the first len(starts) axes; steps nil: all 1); negative starts
// and ends count from the end of the axis, then both are clamped to
// [0, dim] for positive steps and to [0, dim-1] (starts) and [-1, dim-1]
// (ends) for negative ones, so that math.MaxInt64 means "to the end". Axes
// must be distinct and steps non-zero. Errors wrap ErrShape.
func NewSliceGeom(in []int, starts, ends, axes, steps []int) (SliceGeom, error) {
	var g SliceGeom
	rank := len(in)
	if rank > maxBroadcastRank {
		return g, fmt.Errorf("%w: slice of %s: rank above %d", ErrShape, FormatShape(in), maxBroadcastRank)
	}
	if _, err := NumElements(in); err != nil {
		return g, err
	}
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return g, fmt.Errorf("%w: slice of %s: starts %v, ends %v, axes %v and steps %v differ in length", ErrShape, FormatShape(in), starts, ends, axes, steps)
	}
	if len(starts) > rank {
		return g, fmt.Errorf("%w: slice of %s: %d starts for %d axes", ErrShape, FormatShape(in), len(starts), rank)
	}
	g = SliceGeom{In: append([]int(nil), in...), Out: append([]int(nil), in...), Start: make([]int, rank), Step: make([]int, rank)}
	for i := range g.Step {
		g.Step[i] = 1
	}
	seen := make([]bool, rank)
	for i := range starts {
		ax := i
		if axes != nil {
			ax = axes[i]
			if ax < -rank || ax >= rank {
				return g, fmt.Errorf("%w: slice of %s: axis %d is out of range", ErrShape, FormatShape(in), ax)
			}
			if ax < 0 {
				ax += rank
			}
		}
		if seen[ax] {
			return g, fmt.Errorf("%w: slice of %s: axis %d is sliced twice", ErrShape, FormatShape(in), ax)
		}
		seen[ax] = true
		step := 1
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return g, fmt.Errorf("%w: slice of %s: step 0 on axis %d", ErrShape, FormatShape(in), ax)
		}
		first, n := sliceAxis(in[ax], starts[i], ends[i], step)
		g.Start[ax], g.Step[ax], g.Out[ax] = first, step, n
	}
	g.size = ShapeSize(g.Out)
	inStride := make([]int, rank)
	s := 1
	for i := rank - 1; i >= 0; i-- {
		inStride[i] = s
		s *= in[i]
	}
	for ax := 0; ax < rank; ax++ {
		g.base += g.Start[ax] * inStride[ax]
	}
	// Merge the output axes that read contiguous runs; size-1 axes drop out.
	for ax := 0; ax < rank; ax++ {
		d, st := g.Out[ax], g.Step[ax]*inStride[ax]
		if d == 1 {
			continue
		}
		if n := len(g.dims); n > 0 && g.stride[n-1] == st*d {
			g.dims[n-1] *= d
			g.stride[n-1] = st
			continue
		}
		g.dims = append(g.dims, d)
		g.stride = append(g.stride, st)
	}
	if len(g.dims) == 0 {
		g.dims, g.stride = []int{1}, []int{1}
	}
	return g, nil
}

// sliceAxis resolves one axis of a Slice: the first index and the count.
func sliceAxis(dim, start, end, step int) (first, n int) {
	if start < 0 {
		start += dim // cannot overflow: dim is positive
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start, end = min(max(start, 0), dim), min(max(end, 0), dim)
		if end > start {
			n = (end-start-1)/step + 1
		}
		return start, n
	}
	start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
	if start > end {
		n = 1 - (start-end-1)/step // step < 0; -step could overflow
	}
	if n == 0 {
		start = 0
	}
	return start, n
}

// Size returns the number of output elements.
func (g SliceGeom) Size() int { return g.size }

// IsCopy reports whether the slice keeps every element in order, so that the
// output is a view of the input.
func (g SliceGeom) IsCopy() bool {
	return EqualShapes(g.Out, g.In) && (g.size == 0 || g.base == 0 && len(g.dims) == 1 && g.stride[0] == 1)
}

// Slice writes the part of x that g selects into dst, which must not overlap
// x. Short buffers panic.
func Slice(g SliceGeom, dst, x []float32) {
	n := ShapeSize(g.In)
	if len(dst) < g.size || len(x) < n {
		panic(fmt.Sprintf("ops.Slice: buffers of %d and %d values, need %d and %d", len(dst), len(x), g.size, n))
	}
	if g.size == 0 {
		return
	}
	r := len(g.dims)
	inner, is := g.dims[r-1], g.stride[r-1]
	var idx [maxBroadcastRank]int
	off := g.base
	for o := 0; o < g.size; o += inner {
		row := dst[o : o+inner]
		if is == 1 {
			copy(row, x[off:off+inner])
		} else {
			j := off
			for i := range row {
				row[i] = x[j]
				j += is
			}
		}
		for ax := r - 2; ax >= 0; ax-- {
			idx[ax]++
			off += g.stride[ax]
			if idx[ax] < g.dims[ax] {
				break
			}
			off -= g.stride[ax] * g.dims[ax]
			idx[ax] = 0
		}
	}
}
