package ops

import "fmt"

// ConvTransposeParams are a transposed convolution's attributes besides its
// weights, as ONNX ConvTranspose. Nil slices take defaults (stride 1,
// dilation 1, no padding, no output padding); a non-nil OutputShape (one
// size per spatial axis) fixes the output size and derives the padding from
// it. Groups 0 means 1.
type ConvTransposeParams struct {
	Window
	Groups        int
	OutputPadding []int
	OutputShape   []int
}

// ConvTransposeGeom is a transposed convolution's resolved geometry, with
// spatial sizes in 3 dimensions as ConvGeom. The input is [N, C, In...], the
// weights [C, M/G, Kernel...] and the output [N, M, Out...]; input position
// i and kernel tap k contribute to output position i*Stride - PadHead +
// k*Dilate.
type ConvTransposeGeom struct {
	Rank    int
	N, C, M int
	G       int
	In      Dims3
	Kernel  Dims3
	Out     Dims3
	Stride  Dims3
	Dilate  Dims3
	PadHead Dims3
}

// NewConvTransposeGeom validates a transposed convolution of an input of
// shape in with weights of shape w and resolves its geometry.
func NewConvTransposeGeom(in, w []int, p ConvTransposeParams) (ConvTransposeGeom, error) {
	var g ConvTransposeGeom
	rank := len(in) - 2
	if rank < 1 || rank > 3 {
		return g, fmt.Errorf("%w: conv transpose input %s must have rank 3, 4 or 5", ErrShape, FormatShape(in))
	}
	if len(w) != len(in) {
		return g, fmt.Errorf("%w: conv transpose weights %s must have the input's rank %d", ErrShape, FormatShape(w), len(in))
	}
	for _, s := range [][]int{in, w} {
		if _, err := NumElements(s); err != nil {
			return g, err
		}
	}
	if err := checkWindowLens(rank, p.Window); err != nil {
		return g, err
	}
	for name, v := range map[string][]int{"output_padding": p.OutputPadding, "output_shape": p.OutputShape} {
		if v != nil && len(v) != rank {
			return g, fmt.Errorf("%w: %s %v needs %d values", ErrShape, name, v, rank)
		}
	}
	groups := p.Groups
	if groups == 0 {
		groups = 1
	}
	g = ConvTransposeGeom{Rank: rank, N: in[0], C: in[1], M: w[1] * groups, G: groups}
	if g.N < 1 || g.C < 1 || w[1] < 1 || groups < 1 || g.C%groups != 0 || w[0] != g.C {
		return g, fmt.Errorf("%w: conv transpose input %s, weights %s, groups %d: need weights[0] = C, C divisible by groups and batch, channels >= 1",
			ErrShape, FormatShape(in), FormatShape(w), groups)
	}
	g.In = to3(in[2:], rank, 1)
	g.Kernel = to3(w[2:], rank, 1)
	g.Stride = to3(p.Strides, rank, 1)
	g.Dilate = to3(p.Dilations, rank, 1)
	pb, pe := to3(p.PadsBegin, rank, 0), to3(p.PadsEnd, rank, 0)
	adj := to3(p.OutputPadding, rank, 0)
	want := to3(p.OutputShape, rank, 0)
	ins, ks, ss, ds := dimsPtr(&g.In), dimsPtr(&g.Kernel), dimsPtr(&g.Stride), dimsPtr(&g.Dilate)
	pbs, pes, adjs, wants := dimsPtr(&pb), dimsPtr(&pe), dimsPtr(&adj), dimsPtr(&want)
	outs, heads := dimsPtr(&g.Out), dimsPtr(&g.PadHead)
	for i := 3 - rank; i < 3; i++ {
		n, k, s, d, a := *ins[i], *ks[i], *ss[i], *ds[i], *adjs[i]
		if n < 1 || k < 1 || s < 1 || d < 1 || a < 0 || *pbs[i] < 0 || *pes[i] < 0 {
			return g, fmt.Errorf("%w: conv transpose axis %d: sizes, kernel, stride and dilation must be >= 1, paddings >= 0", ErrShape, i-(3-rank))
		}
		if a >= s && a >= d {
			return g, fmt.Errorf("%w: conv transpose output_padding %d must be smaller than the stride %d or the dilation %d", ErrShape, a, s, d)
		}
		if n > MaxElements/s || k > MaxElements/d {
			return g, fmt.Errorf("%w: conv transpose sizes out of range", ErrShape)
		}
		full := s*(n-1) + a + (k-1)*d + 1 // output size without padding
		head, out := *pbs[i], 0
		switch {
		case p.OutputShape != nil || p.AutoPad == PadSameUpper || p.AutoPad == PadSameLower:
			out = *wants[i]
			if p.OutputShape == nil {
				out = n * s
			}
			total := max(full-out, 0)
			head = total / 2
			if p.AutoPad == PadSameLower {
				head = total - total/2
			}
		case p.AutoPad == PadValid:
			head, out = 0, full
		default:
			out = full - *pbs[i] - *pes[i]
		}
		if out < 1 {
			return g, fmt.Errorf("%w: conv transpose input %s, weights %s: output size %d along axis %d", ErrShape, FormatShape(in), FormatShape(w), out, i-(3-rank))
		}
		*outs[i], *heads[i] = out, head
	}
	for i := 0; i < 3-rank; i++ {
		*outs[i], *heads[i] = 1, 0
	}
	if _, err := NumElements(g.OutShape()); err != nil {
		return g, err
	}
	return g, nil
}

// OutShape returns [N, M, Out...].
func (g ConvTransposeGeom) OutShape() []int {
	return append([]int{g.N, g.M}, g.Out.slice(g.Rank)...)
}

// MACs returns the multiply-adds of the operation: every input element times
// every kernel tap of its group's output channels.
func (g ConvTransposeGeom) MACs() int64 {
	return int64(g.N) * int64(g.C) * int64(g.In.prod()) * int64(g.M/g.G) * int64(g.Kernel.prod())
}

// FLOPs returns 2 per multiply-add plus one per output element
// for the bias.
func (g ConvTransposeGeom) FLOPs(hasBias bool) int64 {
	f := 2 * g.MACs()
	if hasBias {
		f += int64(g.N) * int64(g.M) * int64(g.Out.prod())
	}
	return f
}

// ConvTranspose computes the transposed convolution of x with weights w
// ([C, M/G, kernel...]) and optional bias ([M] or nil) into dst, followed by
// act. Each output element starts from its bias (or 0) and adds the products
// of its input channels in increasing order and, within a channel, of its
// kernel taps in increasing (kd, kh, kw) order (a direct sliding window);
// the work is split over output planes across threads. ConvTranspose panics
// if a buffer is too short.
//
// The loops run output row by output row: for each input channel and each
// kernel row that reaches the output row, every kernel column scatters one
// input row into it (output column iw*stride - pad + kw*dilation). Each
// output element still receives its products in the order above; only the
// order in which different elements are visited changes.
func ConvTranspose(g ConvTransposeGeom, dst, x, w, bias []float32, act Activation, threads int) {
	mg, cg := g.M/g.G, g.C/g.G
	inN, outN, kN := g.In.prod(), g.Out.prod(), g.Kernel.prod()
	if len(x) < g.N*g.C*inN || len(dst) < g.N*g.M*outN || len(w) < g.C*mg*kN || (bias != nil && len(bias) < g.M) {
		panic(fmt.Sprintf("ops.ConvTranspose: buffers of %d, %d, %d values are too short", len(dst), len(x), len(w)))
	}
	ParallelFor(g.N*g.M, threads, func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			n, m := p/g.M, p%g.M
			grp, ml := m/mg, m%mg
			plane := dst[p*outN : (p+1)*outN]
			b := float32(0)
			if bias != nil {
				b = bias[m]
			}
			for i := range plane {
				plane[i] = b
			}
			xg := x[(n*g.C+grp*cg)*inN : (n*g.C+(grp+1)*cg)*inN]
			g.accumPlaneRows(plane, xg, w, grp*cg, ml, mg, cg)
			act.Apply(plane)
		}
	})
}

// transposeTaps returns, for output coordinate o of an axis, the first
// kernel tap whose input position (o + head - tap*d)/s is a non-negative
// integer, and the step between such taps; ok is false if there is none.
// Callers skip positions past the input's end.
func transposeTaps(o, head, k, s, d int) (k0, step int, ok bool) {
	for kk := 0; kk < k; kk++ {
		v := o + head - kk*d
		if v < 0 {
			return 0, 0, false
		}
		if v%s == 0 {
			// The next valid tap is kk + s/gcd(s, d).
			return kk, s / gcd(s, d), true
		}
	}
	return 0, 0, false
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// accumPlaneRows adds to the output plane of output channel ml (within its
// group) the contributions of the cg input channel planes xg (channels
// c0..c0+cg-1 of w), output row by output row.
func (g *ConvTransposeGeom) accumPlaneRows(plane, xg, w []float32, c0, ml, mg, cg int) {
	inN, kN := g.In.prod(), g.Kernel.prod()
	for od := 0; od < g.Out.D; od++ {
		kd0, sd, okd := transposeTaps(od, g.PadHead.D, g.Kernel.D, g.Stride.D, g.Dilate.D)
		if !okd {
			continue
		}
		for oh := 0; oh < g.Out.H; oh++ {
			kh0, sh, okh := transposeTaps(oh, g.PadHead.H, g.Kernel.H, g.Stride.H, g.Dilate.H)
			if !okh {
				continue
			}
			row := plane[(od*g.Out.H+oh)*g.Out.W : (od*g.Out.H+oh+1)*g.Out.W]
			for cl := 0; cl < cg; cl++ {
				xc := xg[cl*inN : (cl+1)*inN]
				wc := w[((c0+cl)*mg+ml)*kN : ((c0+cl)*mg+ml+1)*kN]
				for kd := kd0; kd < g.Kernel.D; kd += sd {
					id := (od + g.PadHead.D - kd*g.Dilate.D) / g.Stride.D
					if od+g.PadHead.D-kd*g.Dilate.D < 0 {
						break
					}
					if id >= g.In.D {
						continue
					}
					for kh := kh0; kh < g.Kernel.H; kh += sh {
						v := oh + g.PadHead.H - kh*g.Dilate.H
						if v < 0 {
							break
						}
						ih := v / g.Stride.H
						if ih >= g.In.H {
							continue
						}
						xr := xc[(id*g.In.H+ih)*g.In.W : (id*g.In.H+ih+1)*g.In.W]
						wr := wc[(kd*g.Kernel.H+kh)*g.Kernel.W : (kd*g.Kernel.H+kh+1)*g.Kernel.W]
						g.scatterRow(row, xr, wr)
					}
				}
			}
		}
	}
}

// scatterRow adds xr[iw]·wr[kw] to row[iw*s - pad + kw*d] for every kernel
// column kw in increasing order and every input column iw whose output
// column falls inside the row.
func (g *ConvTransposeGeom) scatterRow(row, xr, wr []float32) {
	s, d, pad := g.Stride.W, g.Dilate.W, g.PadHead.W
	outW, inW := len(row), len(xr)
	if s == 2 && d == 1 && pad == 0 && len(wr) == 2 && outW >= 2*inW {
		// Kernel 2, stride 2 (the upsampling of FPN-style heads): the two
		// taps of input column iw land on output columns 2iw and 2iw+1.
		w0, w1 := wr[0], wr[1]
		row = row[:2*inW]
		for iw, xv := range xr {
			o := row[2*iw : 2*iw+2]
			o[0] += float32(xv * w0)
			o[1] += float32(xv * w1)
		}
		return
	}
	for kw, wv := range wr {
		off := kw*d - pad
		lo := 0
		if off < 0 {
			lo = ceilDiv(-off, s)
		}
		if outW-1-off < 0 {
			continue
		}
		hi := min(inW, (outW-1-off)/s+1)
		if s == 1 {
			if hi > lo {
				rs := row[lo+off : hi+off]
				xs := xr[lo:hi]
				xs = xs[:len(rs)]
				for i := range rs {
					rs[i] += float32(xs[i] * wv)
				}
			}
			continue
		}
		for iw := lo; iw < hi; iw++ {
			row[iw*s+off] += float32(xr[iw] * wv)
		}
	}
}

// convTransposeGemm reports whether g is a transposed convolution whose
// kernel tiles the output: along every axis the kernel equals the stride
// (or both are 1), dilation 1, no padding and no output padding. Each
// output element then receives exactly one kernel tap of every input
// channel of its group, so it is one GEMM per batch element and group.
func (g ConvTransposeGeom) convTransposeGemm() bool {
	for _, a := range [][5]int{
		{g.Kernel.D, g.Stride.D, g.Dilate.D, g.PadHead.D, g.Out.D - g.In.D*g.Stride.D},
		{g.Kernel.H, g.Stride.H, g.Dilate.H, g.PadHead.H, g.Out.H - g.In.H*g.Stride.H},
		{g.Kernel.W, g.Stride.W, g.Dilate.W, g.PadHead.W, g.Out.W - g.In.W*g.Stride.W},
	} {
		if a[0] != a[1] || (a[2] != 1 && a[0] != 1) || a[3] != 0 || a[4] != 0 {
			return false
		}
	}
	return true
}

// convTransposeGemmParams is the GEMM of one batch element and group: rows
// (output channel, kernel tap), one per tap of each of the group's output
// channels, read from w as Aᵀ; the group's input channels as K; the input
// positions as columns; accumulating onto C, which starts at the bias.
func (g ConvTransposeGeom) convTransposeGemmParams() GemmParams {
	mt := g.M / g.G * g.Kernel.prod()
	return GemmParams{M: mt, N: g.In.prod(), K: g.C / g.G, TransA: true, LDA: mt, Accumulate: true}
}

// ConvTransposeWorkspaceLen returns the float32 scratch ConvTransposeGemm
// needs for g, or 0 if g does not run as a GEMM (then ConvTransposeGemm is
// ConvTranspose).
func ConvTransposeWorkspaceLen(g ConvTransposeGeom) int {
	if !g.convTransposeGemm() {
		return 0
	}
	p := g.convTransposeGemmParams()
	return p.M*p.N + GemmWorkspaceLen(p)
}

// ConvTransposeGemm computes what ConvTranspose does, bit for bit, on the
// blocked GEMM (and so on the installed Gemm kernel) where the kernel tiles
// the output (kernel equal to the stride along every axis, no padding, no
// dilation: the 2x2 stride-2 upsampling of FPN-style heads): for each batch
// element and group, C = bias + Wᵀ·X over the group's input channels, in
// increasing channel order as ConvTranspose sums them, then every row of C
// (one output channel and kernel tap) is scattered to its output positions
// and act applied. ws must hold ConvTransposeWorkspaceLen(g) values; where
// that is 0, ConvTransposeGemm calls ConvTranspose.
func ConvTransposeGemm(g ConvTransposeGeom, dst, x, w, bias []float32, act Activation, ws []float32, threads int) {
	if !g.convTransposeGemm() {
		ConvTranspose(g, dst, x, w, bias, act, threads)
		return
	}
	mg, cg := g.M/g.G, g.C/g.G
	inN, outN, kN := g.In.prod(), g.Out.prod(), g.Kernel.prod()
	if len(x) < g.N*g.C*inN || len(dst) < g.N*g.M*outN || len(w) < g.C*mg*kN || (bias != nil && len(bias) < g.M) ||
		len(ws) < ConvTransposeWorkspaceLen(g) {
		panic(fmt.Sprintf("ops.ConvTransposeGemm: buffers of %d, %d, %d, %d values are too short", len(dst), len(x), len(w), len(ws)))
	}
	p := g.convTransposeGemmParams()
	c, gws := ws[:p.M*p.N], ws[p.M*p.N:]
	for n := 0; n < g.N; n++ {
		for grp := 0; grp < g.G; grp++ {
			for ml := 0; ml < mg; ml++ {
				b := float32(0)
				if bias != nil {
					b = bias[grp*mg+ml]
				}
				row := c[ml*kN*inN : (ml+1)*kN*inN]
				for i := range row {
					row[i] = b
				}
			}
			a := w[grp*cg*mg*kN : (grp+1)*cg*mg*kN]
			xb := x[(n*g.C+grp*cg)*inN : (n*g.C+(grp+1)*cg)*inN]
			Gemm(p, a, xb, c, gws, threads)
			first := n*g.M + grp*mg
			ParallelFor(mg, threads, func(_, lo, hi int) {
				for ml := lo; ml < hi; ml++ {
					plane := dst[(first+ml)*outN : (first+ml+1)*outN]
					g.scatterTaps(plane, c[ml*kN*inN:(ml+1)*kN*inN])
					act.Apply(plane)
				}
			})
		}
	}
}

// scatterTaps writes the kN rows of one output channel's GEMM result (row
// t: kernel tap t = (kd, kh, kw), one value per input position) to their
// output positions (i*stride + k along each axis).
func (g ConvTransposeGeom) scatterTaps(plane, rows []float32) {
	inN := g.In.prod()
	oh, ow := g.Out.H, g.Out.W
	t := 0
	for kd := 0; kd < g.Kernel.D; kd++ {
		for kh := 0; kh < g.Kernel.H; kh++ {
			for kw := 0; kw < g.Kernel.W; kw++ {
				src := rows[t*inN : (t+1)*inN]
				t++
				for id := 0; id < g.In.D; id++ {
					for ih := 0; ih < g.In.H; ih++ {
						xr := src[(id*g.In.H+ih)*g.In.W : (id*g.In.H+ih+1)*g.In.W]
						o := ((id*g.Stride.D+kd)*oh+ih*g.Stride.H+kh)*ow + kw
						if g.Stride.W == 2 {
							out := plane[o : o+2*len(xr)-1]
							for iw, v := range xr {
								out[2*iw] = v
							}
							continue
						}
						for iw, v := range xr {
							plane[o+iw*g.Stride.W] = v
						}
					}
				}
			}
		}
	}
}
