package ops

import (
	"fmt"
	"math"
	"slices"
)

// Resize, as ONNX Resize (opsets 10 to 19) and Upsample define it, with the
// arithmetic of ONNX Runtime's CPU kernel: the coordinate of every output
// index in the input is computed in float32 as ONNX Runtime computes it (so
// that nearest-neighbour ties and output sizes fall the same way), per axis,
// once, when the geometry is built. Nearest is a gather; linear and cubic
// are separable passes, one per resized axis from the last to the first,
// each output a weighted sum of 2 or 4 taps in a fixed order.

// ResizeMode is the interpolation of Resize.
type ResizeMode uint8

// Resize modes.
const (
	ResizeNearest ResizeMode = iota // the nearest input element (see NearestMode)
	ResizeLinear                    // n-linear: 2 taps per axis
	ResizeCubic                     // Keys cubic convolution: 4 taps per axis
)

var resizeModeNames = [...]string{"nearest", "linear", "cubic"}

// String returns the mode's ONNX name.
func (m ResizeMode) String() string {
	if int(m) < len(resizeModeNames) {
		return resizeModeNames[m]
	}
	return fmt.Sprintf("resizemode(%d)", m)
}

// CoordMode is ONNX Resize's coordinate_transformation_mode: how an output
// index maps to a coordinate in the input.
type CoordMode uint8

// Coordinate transformation modes (x is the output index, s the scale, in
// and out the axis lengths).
const (
	CoordHalfPixel          CoordMode = iota // (x+0.5)/s - 0.5
	CoordHalfPixelSymmetric                  // half_pixel around the centre of the input (opset 19)
	CoordPytorchHalfPixel                    // half_pixel, 0 when out is 1
	CoordAlignCorners                        // x*(in-1)/(out-1), 0 when out is 1
	CoordAsymmetric                          // x/s
	CoordTFHalfPixelForNN                    // (x+0.5)/s
	CoordTFCropAndResize                     // over the region of interest; outside it, the extrapolation value
)

var coordModeNames = [...]string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
	"asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"}

// String returns the mode's ONNX name.
func (m CoordMode) String() string {
	if int(m) < len(coordModeNames) {
		return coordModeNames[m]
	}
	return fmt.Sprintf("coordmode(%d)", m)
}

// NearestMode is ONNX Resize's nearest_mode: how nearest mode rounds an
// input coordinate.
type NearestMode uint8

// Nearest modes.
const (
	NearestRoundPreferFloor NearestMode = iota // round, halves down
	NearestRoundPreferCeil                     // round, halves up
	NearestFloor
	NearestCeil
)

var nearestModeNames = [...]string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}

// String returns the mode's ONNX name.
func (m NearestMode) String() string {
	if int(m) < len(nearestModeNames) {
		return nearestModeNames[m]
	}
	return fmt.Sprintf("nearestmode(%d)", m)
}

// AspectPolicy is ONNX Resize's keep_aspect_ratio_policy (opset 18), which
// applies to sizes.
type AspectPolicy uint8

// Aspect ratio policies.
const (
	AspectStretch    AspectPolicy = iota // each axis to its size
	AspectNotLarger                      // one scale, the smallest: no axis exceeds its size
	AspectNotSmaller                     // one scale, the largest: no axis falls short of its size
)

var aspectPolicyNames = [...]string{"stretch", "not_larger", "not_smaller"}

// String returns the policy's ONNX name.
func (p AspectPolicy) String() string {
	if int(p) < len(aspectPolicyNames) {
		return aspectPolicyNames[p]
	}
	return fmt.Sprintf("aspectpolicy(%d)", p)
}

func parseName(kind, s string, names []string) (int, error) {
	for i, n := range names {
		if s == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (want one of %v)", kind, s, names)
}

// ParseResizeMode maps an ONNX mode name to a ResizeMode.
func ParseResizeMode(s string) (ResizeMode, error) {
	i, err := parseName("resize mode", s, resizeModeNames[:])
	return ResizeMode(i), err
}

// ParseCoordMode maps an ONNX coordinate_transformation_mode to a CoordMode.
func ParseCoordMode(s string) (CoordMode, error) {
	i, err := parseName("coordinate_transformation_mode", s, coordModeNames[:])
	return CoordMode(i), err
}

// ParseNearestMode maps an ONNX nearest_mode to a NearestMode.
func ParseNearestMode(s string) (NearestMode, error) {
	i, err := parseName("nearest_mode", s, nearestModeNames[:])
	return NearestMode(i), err
}

// ParseAspectPolicy maps an ONNX keep_aspect_ratio_policy to an AspectPolicy.
func ParseAspectPolicy(s string) (AspectPolicy, error) {
	i, err := parseName("keep_aspect_ratio_policy", s, aspectPolicyNames[:])
	return AspectPolicy(i), err
}

// ResizeTarget is what a Resize is asked for: Scales or Sizes (exactly one),
// one per entry of Axes (every axis, in order, when Axes is nil).
type ResizeTarget struct {
	Scales []float32
	Sizes  []int
	Axes   []int // distinct, in [-rank, rank)
	Policy AspectPolicy
}

// ResolveResize returns the output shape of a Resize of an input of shape in
// and the scale of every axis (the one the coordinate transformation
// divides by), as ONNX Runtime computes them: with scales, out =
// floor(in*scale) (the product in float32), axes not listed keep scale 1;
// with sizes, scale = out/in in float32, or under a keep-aspect-ratio
// policy one scale for the listed axes (their smallest or largest) and out
// = round(in*scale). Errors wrap ErrShape.
func ResolveResize(in []int, t ResizeTarget) (out []int, scales []float32, err error) {
	rank := len(in)
	if rank == 0 || rank > maxBroadcastRank {
		return nil, nil, fmt.Errorf("%w: resize of %s: rank must be 1 to %d", ErrShape, FormatShape(in), maxBroadcastRank)
	}
	if (t.Scales == nil) == (t.Sizes == nil) {
		return nil, nil, fmt.Errorf("%w: resize needs exactly one of scales and sizes", ErrShape)
	}
	axes := t.Axes
	if axes == nil {
		axes = make([]int, rank)
		for i := range axes {
			axes[i] = i
		}
	}
	n := len(t.Scales) + len(t.Sizes)
	if n != len(axes) {
		return nil, nil, fmt.Errorf("%w: resize of %s: %d scales or sizes for %d axes", ErrShape, FormatShape(in), n, len(axes))
	}
	full := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, a := range axes {
		if a < -rank || a >= rank {
			return nil, nil, fmt.Errorf("%w: resize axis %d is out of range for %s", ErrShape, a, FormatShape(in))
		}
		if a < 0 {
			a += rank
		}
		if seen[a] {
			return nil, nil, fmt.Errorf("%w: resize axis %d is given twice", ErrShape, a)
		}
		seen[a] = true
		full[i] = a
	}
	out = append([]int(nil), in...)
	scales = make([]float32, rank)
	for i := range scales {
		scales[i] = 1
	}
	if t.Scales != nil {
		for i, a := range full {
			s := t.Scales[i]
			if !(s > 0) || math.IsInf(float64(s), 0) {
				return nil, nil, fmt.Errorf("%w: resize scale %g must be positive and finite", ErrShape, s)
			}
			scales[a] = s
			o := float64(s * float32(in[a]))
			if o >= MaxElements {
				return nil, nil, fmt.Errorf("%w: resize of %s by %v is too large", ErrShape, FormatShape(in), t.Scales)
			}
			out[a] = int(o)
		}
	} else {
		for i, a := range full {
			if t.Sizes[i] <= 0 || t.Sizes[i] > MaxElements {
				return nil, nil, fmt.Errorf("%w: resize size %d must be in [1, %d]", ErrShape, t.Sizes[i], MaxElements)
			}
			if in[a] == 0 {
				return nil, nil, fmt.Errorf("%w: resize of empty axis %d of %s", ErrShape, a, FormatShape(in))
			}
			out[a] = t.Sizes[i]
			scales[a] = float32(t.Sizes[i]) / float32(in[a])
		}
		if t.Policy != AspectStretch {
			p := scales[full[0]]
			for _, a := range full[1:] {
				if t.Policy == AspectNotLarger {
					p = min(p, scales[a])
				} else {
					p = max(p, scales[a])
				}
			}
			for _, a := range full {
				scales[a] = p
				out[a] = int(math.Round(float64(p * float32(in[a]))))
			}
		}
	}
	for a, d := range out {
		if d < 1 {
			return nil, nil, fmt.Errorf("%w: resize of %s gives %s: an empty axis %d", ErrShape, FormatShape(in), FormatShape(out), a)
		}
	}
	if _, err := NumElements(out); err != nil {
		return nil, nil, err
	}
	return out, scales, nil
}

// ResizeParams are the interpolation parameters of a Resize.
type ResizeParams struct {
	Mode           ResizeMode
	Coord          CoordMode
	Nearest        NearestMode
	CubicA         float32   // cubic_coeff_a (ONNX's default -0.75)
	ExcludeOutside bool      // cubic: taps outside the input get weight 0, the others are renormalised
	Extrapolation  float32   // tf_crop_and_resize: the value outside the region of interest
	ROI            []float32 // tf_crop_and_resize: [starts..., ends...], one pair per axis, normalised
}

// ResizeGeom is a resolved Resize: the per-axis index and weight tables,
// built once. Resize reads it; it is not modified by a run.
type ResizeGeom struct {
	In, Out []int
	Scales  []float32
	Params  ResizeParams
	inSize  int
	outSize int
	copy    bool
	// nearest: per axis, the input offset of every output index (-1: the
	// extrapolation value); last32: the last axis's offsets as int32 when
	// none is -1 (nil otherwise), and lastMax the largest of them.
	offs    [][]int
	last32  []int32
	lastMax int
	// linear and cubic: the passes, in order.
	passes   []resizePass
	bufA, ws int
}

// resizePass resamples one axis of a tensor viewed as [outer, inLen, inner]
// to [outer, outLen, inner].
type resizePass struct {
	outer, inLen, outLen, inner int
	taps                        int
	idx                         []int32   // outLen*taps input indices along the axis
	wt                          []float32 // outLen*taps weights
	extrap                      []bool    // output index takes the extrapolation value (nil: none)
}

// NewResizeGeom builds the tables of a Resize of an input of shape in to
// shape out with the per-axis scales (as ResolveResize returns them). An
// axis whose scale is 1 is copied, as in ONNX Runtime; an output the shape
// of the input is a copy of it.
func NewResizeGeom(in, out []int, scales []float32, p ResizeParams) (*ResizeGeom, error) {
	rank := len(in)
	if rank == 0 || rank > maxBroadcastRank || len(out) != rank || len(scales) != rank {
		return nil, fmt.Errorf("%w: resize of %s to %s with %d scales", ErrShape, FormatShape(in), FormatShape(out), len(scales))
	}
	if p.Coord == CoordTFCropAndResize && len(p.ROI) != 2*rank {
		return nil, fmt.Errorf("%w: tf_crop_and_resize needs a region of interest of %d values, got %d", ErrShape, 2*rank, len(p.ROI))
	}
	if p.Mode > ResizeCubic || p.Coord > CoordTFCropAndResize || p.Nearest > NearestCeil {
		return nil, fmt.Errorf("%w: bad resize parameters %+v", ErrShape, p)
	}
	inSize, err := NumElements(in)
	if err != nil {
		return nil, err
	}
	outSize, err := NumElements(out)
	if err != nil {
		return nil, err
	}
	for a := range in {
		if in[a] < 1 || out[a] < 1 {
			return nil, fmt.Errorf("%w: resize of %s to %s: empty axis", ErrShape, FormatShape(in), FormatShape(out))
		}
	}
	g := &ResizeGeom{In: append([]int(nil), in...), Out: append([]int(nil), out...), Scales: append([]float32(nil), scales...),
		Params: p, inSize: inSize, outSize: outSize}
	g.Params.ROI = append([]float32(nil), p.ROI...)
	if EqualShapes(in, out) {
		g.copy = true
		return g, nil
	}
	if p.Mode == ResizeNearest {
		g.offs = make([][]int, rank)
		stride := 1
		for a := rank - 1; a >= 0; a-- {
			o := make([]int, out[a])
			for x := range o {
				if scales[a] == 1 {
					o[x] = min(x, in[a]-1) * stride
					continue
				}
				c := g.coord(a, x)
				if p.Coord == CoordTFCropAndResize && (c < 0 || c > float32(in[a]-1)) {
					o[x] = -1
					continue
				}
				o[x] = min(max(nearestIndex(c, p.Nearest), 0), in[a]-1) * stride
			}
			g.offs[a] = o
			stride *= in[a]
		}
		if last := g.offs[rank-1]; !slices.Contains(last, -1) {
			g.last32 = make([]int32, len(last))
			for j, off := range last {
				g.last32[j] = int32(off) // < in[rank-1], an int
				g.lastMax = max(g.lastMax, off)
			}
		}
		return g, nil
	}
	cur := append([]int(nil), in...)
	var sizes []int
	for a := rank - 1; a >= 0; a-- {
		if scales[a] == 1 && in[a] == out[a] {
			continue
		}
		ps := resizePass{outer: ShapeSize(cur[:a]), inLen: in[a], outLen: out[a], inner: ShapeSize(cur[a+1:])}
		g.buildTaps(&ps, a)
		g.passes = append(g.passes, ps)
		cur[a] = out[a]
		sizes = append(sizes, ShapeSize(cur))
	}
	var bufB int
	for i := 0; i < len(sizes)-1; i++ {
		if i%2 == 0 {
			g.bufA = max(g.bufA, sizes[i])
		} else {
			bufB = max(bufB, sizes[i])
		}
	}
	g.ws = g.bufA + bufB
	return g, nil
}

// Workspace returns the float32s of scratch Resize needs.
func (g *ResizeGeom) Workspace() int { return g.ws }

// coord maps output index x of axis a to its input coordinate, in float32
// as ONNX Runtime computes it.
func (g *ResizeGeom) coord(a, x int) float32 {
	s := g.Scales[a]
	xf, lin, lout := float32(x), float32(g.In[a]), float32(g.Out[a])
	switch g.Params.Coord {
	case CoordAsymmetric:
		return xf / s
	case CoordPytorchHalfPixel:
		if lout > 1 {
			return (xf+0.5)/s - 0.5
		}
		return 0
	case CoordTFHalfPixelForNN:
		return (xf + 0.5) / s
	case CoordAlignCorners:
		if lout == 1 {
			return 0
		}
		return float32(xf*(lin-1)) / (lout - 1)
	case CoordTFCropAndResize:
		r0, r1 := g.Params.ROI[a], g.Params.ROI[len(g.In)+a]
		if lout > 1 {
			return float32(r0*(lin-1)) + float32(float32(xf*(r1-r0))*(lin-1))/(lout-1)
		}
		return float32(0.5 * float64(r0+r1) * float64(lin-1))
	case CoordHalfPixelSymmetric:
		outW := float32(s * lin)
		adj := lout / outW
		center := lin / 2
		offset := float32(center * (1 - adj))
		return float32(float64(offset) + (float64(xf)+0.5)/float64(s) - 0.5)
	}
	return (xf+0.5)/s - 0.5
}

// nearestIndex rounds a coordinate as nearest_mode says (ONNX Runtime's
// round_prefer_floor: halves down, other values by C's round).
func nearestIndex(c float32, m NearestMode) int {
	switch m {
	case NearestRoundPreferCeil:
		return int(math.Round(float64(c)))
	case NearestFloor:
		return int(math.Floor(float64(c)))
	case NearestCeil:
		return int(math.Ceil(float64(c)))
	}
	if c == float32(int64(c))+0.5 {
		return int(math.Floor(float64(c)))
	}
	return int(math.Round(float64(c)))
}

// cubicCoeffs returns Keys' cubic convolution weights for the 4 taps around
// a coordinate with fractional part s, in float32 as ONNX Runtime computes
// them (every product rounded: no fused multiply-add).
func cubicCoeffs(s, a float32) [4]float32 {
	m := func(x, y float32) float32 { return float32(x * y) }
	s1, s2, s3 := s+1, 1-s, 2-s
	return [4]float32{
		m(m(m(a, s1)-m(5, a), s1)+m(8, a), s1) - m(4, a),
		m(m(m(a+2, s)-(a+3), s), s) + 1,
		m(m(m(a+2, s2)-(a+3), s2), s2) + 1,
		m(m(m(a, s3)-m(5, a), s3)+m(8, a), s3) - m(4, a),
	}
}

// buildTaps fills the index and weight tables of the pass over axis a.
func (g *ResizeGeom) buildTaps(ps *resizePass, a int) {
	p := g.Params
	n := g.In[a]
	ps.taps = 2
	if p.Mode == ResizeCubic {
		ps.taps = 4
	}
	ps.idx = make([]int32, ps.outLen*ps.taps)
	ps.wt = make([]float32, ps.outLen*ps.taps)
	if p.Coord == CoordTFCropAndResize {
		ps.extrap = make([]bool, ps.outLen)
	}
	last := float32(n - 1)
	for x := 0; x < ps.outLen; x++ {
		c := float32(x)
		if g.Scales[a] != 1 {
			c = g.coord(a, x)
		}
		if ps.extrap != nil && (c < 0 || c > last) {
			ps.extrap[x] = true
			continue
		}
		idx, wt := ps.idx[x*ps.taps:(x+1)*ps.taps], ps.wt[x*ps.taps:(x+1)*ps.taps]
		if p.Mode == ResizeLinear {
			v := max(0, min(c, last))
			x1 := min(int(v), n-1)
			x2 := min(x1+1, n-1)
			idx[0], idx[1] = int32(x1), int32(x2)
			if x1 == x2 {
				wt[0], wt[1] = 0.5, 0.5
			} else {
				wt[0] = float32(math.Abs(float64(v - float32(x2))))
				wt[1] = float32(math.Abs(float64(v - float32(x1))))
			}
			continue
		}
		fl := float32(math.Floor(float64(c)))
		xi := int(fl)
		co := cubicCoeffs(c-fl, p.CubicA)
		sum := float32(1)
		if p.ExcludeOutside {
			sum = 0
			for t := range co {
				if j := xi - 1 + t; j < 0 || j >= n {
					co[t] = 0
				}
				sum += co[t]
			}
		}
		for t := range co {
			idx[t] = int32(min(max(xi-1+t, 0), n-1))
			wt[t] = co[t] / sum
		}
	}
}

// Resize resamples in (shape g.In) into out (shape g.Out) with ws of at
// least g.Workspace() float32s of scratch. It does not allocate.
func Resize(g *ResizeGeom, out, in, ws []float32) {
	if len(in) < g.inSize || len(out) < g.outSize || len(ws) < g.ws {
		panic(fmt.Sprintf("ops.Resize: buffers %d, %d, %d for %s -> %s (workspace %d)", len(in), len(out), len(ws),
			FormatShape(g.In), FormatShape(g.Out), g.ws))
	}
	switch {
	case g.copy:
		copy(out[:g.outSize], in[:g.inSize])
	case g.offs != nil:
		g.gather(out, in)
	default:
		src := in[:g.inSize]
		bufA, bufB := ws[:g.bufA], ws[g.bufA:g.ws]
		for i := range g.passes {
			ps := &g.passes[i]
			dst := out
			if i < len(g.passes)-1 {
				dst = bufA
				if i%2 == 1 {
					dst = bufB
				}
			}
			ps.run(dst, src, g.Params.Extrapolation)
			src = dst
		}
	}
}

// gather is nearest mode: every output element copies the input element at
// the sum of its per-axis offsets. An output row whose outer offsets are
// those of the row before (upsampling along an outer axis repeats rows) is
// a copy of that row.
func (g *ResizeGeom) gather(out, in []float32) {
	rank := len(g.Out)
	var ctr [maxBroadcastRank]int
	lastOffs := g.offs[rank-1]
	row := g.Out[rank-1]
	e := g.Params.Extrapolation
	prevBase, prev := -1, 0 // the previous row's base (-1: none, or outside) and offset in out
	for o := 0; o < g.outSize; o += row {
		base, outside := 0, false
		for a := 0; a < rank-1; a++ {
			off := g.offs[a][ctr[a]]
			if off < 0 {
				outside = true
			}
			base += off
		}
		dst := out[o : o+row]
		switch {
		case outside:
			for j := range dst {
				dst[j] = e
			}
			base = -1
		case base == prevBase:
			copy(dst, out[prev:prev+row])
		case g.last32 != nil:
			src := in[base : base+g.lastMax+1]
			if k := installed.Gather; k != nil && row >= minKernelRun {
				k(dst, src, g.last32)
			} else {
				gatherGo(dst, src, g.last32)
			}
		default:
			for j, off := range lastOffs {
				if off < 0 {
					dst[j] = e
				} else {
					dst[j] = in[base+off]
				}
			}
		}
		prevBase, prev = base, o
		for a := rank - 2; a >= 0; a-- {
			if ctr[a]++; ctr[a] < g.Out[a] {
				break
			}
			ctr[a] = 0
		}
	}
}

// gatherGo is the pure-Go GatherKernel.
func gatherGo(dst, src []float32, offs []int32) {
	offs = offs[:len(dst)]
	for j, off := range offs {
		dst[j] = src[off]
	}
}

// run applies the pass: each output is the sum, in tap order, of the taps'
// weighted inputs.
func (ps *resizePass) run(dst, src []float32, e float32) {
	inner, taps := ps.inner, ps.taps
	for o := 0; o < ps.outer; o++ {
		s := src[o*ps.inLen*inner : (o+1)*ps.inLen*inner]
		d := dst[o*ps.outLen*inner : (o+1)*ps.outLen*inner]
		for x := 0; x < ps.outLen; x++ {
			row := d[x*inner : (x+1)*inner]
			if ps.extrap != nil && ps.extrap[x] {
				for i := range row {
					row[i] = e
				}
				continue
			}
			idx, wt := ps.idx[x*taps:(x+1)*taps], ps.wt[x*taps:(x+1)*taps]
			if inner == 1 {
				var acc float32
				for t, j := range idx {
					acc += float32(wt[t] * s[j])
				}
				row[0] = acc
				continue
			}
			r0 := s[int(idx[0])*inner : int(idx[0]+1)*inner]
			w0 := wt[0]
			for i := range row {
				row[i] = float32(w0 * r0[i])
			}
			for t := 1; t < taps; t++ {
				r := s[int(idx[t])*inner : int(idx[t]+1)*inner]
				w := wt[t]
				for i := range row {
					row[i] += float32(w * r[i])
				}
			}
		}
	}
}

// FLOPs returns the multiplications and additions of one run (0 for nearest
// and copies).
func (g *ResizeGeom) FLOPs() int64 {
	var n int64
	for _, ps := range g.passes {
		n += int64(2*ps.taps-1) * int64(ps.outer*ps.outLen*ps.inner)
	}
	return n
}
