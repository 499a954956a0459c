package ops

import "fmt"

// TransposeGeom is a resolved axis permutation of a tensor, as ONNX
// Transpose: output axis i is input axis Perm[i].
type TransposeGeom struct {
	In, Out []int
	Perm    []int
	// Merged form: axes of the output that stay adjacent in the input are
	// merged; dims[i] is a merged output axis and stride[i] its input stride.
	dims   []int
	stride []int
	size   int
}

// NewTransposeGeom validates perm (nil means reversing the axes) for a
// tensor of shape in and resolves the permutation.
func NewTransposeGeom(in []int, perm []int) (TransposeGeom, error) {
	var g TransposeGeom
	rank := len(in)
	if rank > maxBroadcastRank {
		return g, fmt.Errorf("%w: transpose of %s: rank above %d", ErrShape, FormatShape(in), maxBroadcastRank)
	}
	size, err := NumElements(in)
	if err != nil {
		return g, err
	}
	if perm == nil {
		perm = make([]int, rank)
		for i := range perm {
			perm[i] = rank - 1 - i
		}
	}
	if len(perm) != rank {
		return g, fmt.Errorf("%w: perm %v has %d axes, the input %s has %d", ErrShape, perm, len(perm), FormatShape(in), rank)
	}
	seen := make([]bool, rank)
	for _, p := range perm {
		if p < 0 || p >= rank || seen[p] {
			return g, fmt.Errorf("%w: perm %v is not a permutation of 0..%d", ErrShape, perm, rank-1)
		}
		seen[p] = true
	}
	g = TransposeGeom{In: append([]int(nil), in...), Perm: append([]int(nil), perm...), size: size}
	inStride := make([]int, rank)
	s := 1
	for i := rank - 1; i >= 0; i-- {
		inStride[i] = s
		s *= in[i]
	}
	g.Out = make([]int, rank)
	for i, p := range perm {
		g.Out[i] = in[p]
	}
	for _, p := range perm {
		d := in[p]
		if d == 1 {
			continue
		}
		if n := len(g.dims); n > 0 && g.stride[n-1] == inStride[p]*d {
			g.dims[n-1] *= d
			g.stride[n-1] = inStride[p]
			continue
		}
		g.dims = append(g.dims, d)
		g.stride = append(g.stride, inStride[p])
	}
	if len(g.dims) == 0 {
		g.dims, g.stride = []int{1}, []int{1}
	}
	return g, nil
}

// Size returns the number of elements.
func (g TransposeGeom) Size() int { return g.size }

// IsCopy reports whether the permutation keeps the elements' order (only
// size-1 axes move), so that the output is a reshaped view of the input.
func (g TransposeGeom) IsCopy() bool { return len(g.dims) == 1 && g.stride[0] == 1 }

// Transpose writes x permuted as g describes into dst. dst must not overlap
// x. Transpose panics if a buffer is too short.
func Transpose(g TransposeGeom, dst, x []float32) {
	if len(dst) < g.size || len(x) < g.size {
		panic(fmt.Sprintf("ops.Transpose: buffers of %d and %d values, need %d", len(dst), len(x), g.size))
	}
	if g.size == 0 {
		return
	}
	r := len(g.dims)
	inner, is := g.dims[r-1], g.stride[r-1]
	var idx [maxBroadcastRank]int
	off := 0
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
