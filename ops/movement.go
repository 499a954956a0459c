package ops

import "fmt"

// Data-movement kernels without arithmetic: Gather, Expand, Tile and Split.
// They copy float32 values as they are (bits included) and run on one
// goroutine.

// Gather copies, for each of outer blocks of an input laid out as
// [outer, dim, inner], the inner-sized rows named by idx (in [0, dim)) in
// order: dst is [outer, len(idx), inner]. Indices out of range or short
// buffers panic.
func Gather(dst, src []float32, outer, dim, inner int, idx []int) {
	if len(src) < outer*dim*inner || len(dst) < outer*len(idx)*inner {
		panic(fmt.Sprintf("ops.Gather: buffers of %d and %d values for [%d %d %d] and %d indices", len(src), len(dst), outer, dim, inner, len(idx)))
	}
	o := 0
	for b := 0; b < outer; b++ {
		base := b * dim * inner
		for _, j := range idx {
			if j < 0 || j >= dim {
				panic(fmt.Sprintf("ops.Gather: index %d out of range [0, %d)", j, dim))
			}
			copy(dst[o:o+inner], src[base+j*inner:base+(j+1)*inner])
			o += inner
		}
	}
}

// Expand copies a into dst broadcast to the output of g, which must be
// NewBroadcastGeom(a's shape, the target shape): the second operand only
// gives the shape. Short buffers panic.
func Expand(g BroadcastGeom, dst, a []float32) {
	if len(dst) < g.size || len(a) < g.na {
		panic(fmt.Sprintf("ops.Expand: buffers of %d and %d values, need %d and %d", len(dst), len(a), g.size, g.na))
	}
	if g.size == 0 {
		return
	}
	r := len(g.dims)
	inner, ia := g.dims[r-1], g.sa[r-1]
	var idx [maxBroadcastRank]int
	off := 0
	for o := 0; o < g.size; o += inner {
		row := dst[o : o+inner]
		if ia == 1 {
			copy(row, a[off:off+inner])
		} else {
			v := a[off]
			for i := range row {
				row[i] = v
			}
		}
		for ax := r - 2; ax >= 0; ax-- {
			idx[ax]++
			off += g.sa[ax]
			if idx[ax] < g.dims[ax] {
				break
			}
			off -= g.sa[ax] * g.dims[ax]
			idx[ax] = 0
		}
	}
}

// TileGeom is the geometry of ONNX Tile: the input repeated reps[i] times
// along axis i.
type TileGeom struct {
	In, Reps, Out []int
}

// NewTileGeom returns the geometry of tiling an input of shape in by reps
// (one non-negative count per axis). Errors wrap ErrShape.
func NewTileGeom(in, reps []int) (TileGeom, error) {
	if len(reps) != len(in) {
		return TileGeom{}, fmt.Errorf("%w: Tile of %s: %d repeats, want %d", ErrShape, FormatShape(in), len(reps), len(in))
	}
	if len(in) > maxBroadcastRank {
		return TileGeom{}, fmt.Errorf("%w: Tile of %s: rank above %d", ErrShape, FormatShape(in), maxBroadcastRank)
	}
	out := make([]int, len(in))
	for i, r := range reps {
		if r < 1 {
			return TileGeom{}, fmt.Errorf("%w: Tile of %s: repeats %v must be positive", ErrShape, FormatShape(in), reps)
		}
		if in[i] > 0 && r > MaxElements/in[i] {
			return TileGeom{}, fmt.Errorf("%w: Tile of %s by %v is too large", ErrShape, FormatShape(in), reps)
		}
		out[i] = in[i] * r
	}
	if _, err := NumElements(out); err != nil {
		return TileGeom{}, err
	}
	return TileGeom{In: append([]int(nil), in...), Reps: append([]int(nil), reps...), Out: out}, nil
}

// Tile writes src tiled as g describes into dst. Short buffers panic.
func Tile(g TileGeom, dst, src []float32) {
	n, no := ShapeSize(g.In), ShapeSize(g.Out)
	if len(src) < n || len(dst) < no {
		panic(fmt.Sprintf("ops.Tile: buffers of %d and %d values, need %d and %d", len(src), len(dst), n, no))
	}
	if len(g.In) == 0 {
		copy(dst[:1], src[:1])
		return
	}
	tileAxis(g, 0, dst[:no], src[:n])
}

// tileAxis tiles src (axes ax.. of the input) into dst (axes ax.. of the
// output): each input block along ax is tiled by the axes after it, then the
// whole tiled row is repeated reps[ax] times.
func tileAxis(g TileGeom, ax int, dst, src []float32) {
	d := g.In[ax]
	if ax == len(g.In)-1 {
		for r := 0; r < g.Reps[ax]; r++ {
			copy(dst[r*d:(r+1)*d], src)
		}
		return
	}
	inBlk, outBlk := ShapeSize(g.In[ax+1:]), ShapeSize(g.Out[ax+1:])
	for i := 0; i < d; i++ {
		tileAxis(g, ax+1, dst[i*outBlk:(i+1)*outBlk], src[i*inBlk:(i+1)*inBlk])
	}
	row := d * outBlk
	for r := 1; r < g.Reps[ax]; r++ {
		copy(dst[r*row:(r+1)*row], dst[:row])
	}
}

// Split copies src, laid out as [outer, sum(sizes), inner], into one dst
// per size: dst[i] is [outer, sizes[i], inner] (Concat's inverse). Short
// buffers panic.
func Split(dst [][]float32, src []float32, outer int, sizes []int, inner int) {
	if len(dst) != len(sizes) {
		panic(fmt.Sprintf("ops.Split: %d destinations but %d sizes", len(dst), len(sizes)))
	}
	total := 0
	for i, s := range sizes {
		if s < 0 || len(dst[i]) < outer*s*inner {
			panic(fmt.Sprintf("ops.Split: destination %d has %d values, need [%d %d %d]", i, len(dst[i]), outer, s, inner))
		}
		total += s
	}
	if len(src) < outer*total*inner {
		panic(fmt.Sprintf("ops.Split: source has %d values, need [%d %d %d]", len(src), outer, total, inner))
	}
	row := total * inner
	off := 0
	for i, d := range dst {
		chunk := sizes[i] * inner
		for o := 0; o < outer; o++ {
			copy(d[o*chunk:(o+1)*chunk], src[o*row+off:o*row+off+chunk])
		}
		off += chunk
	}
}

// DepthToSpacePerm returns the 6-D view and permutation that express ONNX
// DepthToSpace of an [N, C, H, W] input with block size bs as a Transpose:
// mode "DCR" views the channels as [bs, bs, C/bs²], "CRD" as [C/bs², bs, bs].
// Errors wrap ErrShape.
func DepthToSpacePerm(in []int, bs int, mode string) (view, perm, out []int, err error) {
	if len(in) != 4 || bs < 1 || in[1]%(bs*bs) != 0 {
		return nil, nil, nil, fmt.Errorf("%w: DepthToSpace of %s with blocksize %d: need [N, C, H, W] with C a multiple of %d", ErrShape, FormatShape(in), bs, bs*bs)
	}
	n, c, h, w := in[0], in[1]/(bs*bs), in[2], in[3]
	switch mode {
	case "DCR":
		view, perm = []int{n, bs, bs, c, h, w}, []int{0, 3, 4, 1, 5, 2}
	case "CRD":
		view, perm = []int{n, c, bs, bs, h, w}, []int{0, 1, 4, 2, 5, 3}
	default:
		return nil, nil, nil, fmt.Errorf("%w: DepthToSpace mode %q (want DCR or CRD)", ErrShape, mode)
	}
	return view, perm, []int{n, c, h * bs, w * bs}, nil
}

// SpaceToDepthPerm returns the 6-D view and permutation that express ONNX
// SpaceToDepth of an [N, C, H, W] input with block size bs as a Transpose.
// Errors wrap ErrShape.
func SpaceToDepthPerm(in []int, bs int) (view, perm, out []int, err error) {
	if len(in) != 4 || bs < 1 || in[2]%bs != 0 || in[3]%bs != 0 {
		return nil, nil, nil, fmt.Errorf("%w: SpaceToDepth of %s with blocksize %d: need [N, C, H, W] with H and W multiples of %d", ErrShape, FormatShape(in), bs, bs)
	}
	n, c, h, w := in[0], in[1], in[2]/bs, in[3]/bs
	return []int{n, c, h, bs, w, bs}, []int{0, 3, 5, 1, 2, 4}, []int{n, c * bs * bs, h, w}, nil
}
