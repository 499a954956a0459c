package ops

import "fmt"

// ConvBackwardWorkspaceLen returns the number of float32 scratch values
// ConvBackward needs for geometry g, for any thread count (up to MaxThreads
// goroutines): one im2col matrix of one image and group ([C/G·kernel,
// output positions]) plus the larger of the two GEMMs' workspaces.
func ConvBackwardWorkspaceLen(g ConvGeom) int {
	kc, p, mg := gradConvDims(g)
	return kc*p + max(GemmWorkspaceLen(gradConvDWParams(kc, p, mg, false)), GemmWorkspaceLen(gradConvDXParams(kc, p, mg)))
}

// gradConvDims returns the rows of one group's im2col matrix (C/G times the
// kernel size), the output positions per image and the output channels per
// group.
func gradConvDims(g ConvGeom) (kc, p, mg int) {
	return g.C / g.G * g.Kernel.prod(), g.Out.prod(), g.M / g.G
}

// gradConvDWParams is the GEMM dW_g (+)= dY_g · colsᵀ: [Mg, P] times the
// transposed [Kc, P] im2col matrix.
func gradConvDWParams(kc, p, mg int, acc bool) GemmParams {
	return GemmParams{M: mg, N: kc, K: p, TransB: true, Accumulate: acc}
}

// gradConvDXParams is the GEMM dCols = W_gᵀ · dY_g: the transposed [Mg, Kc]
// weights times [Mg, P].
func gradConvDXParams(kc, p, mg int) GemmParams {
	return GemmParams{M: kc, N: p, K: mg, TransA: true}
}

// ConvBackward computes the gradients of the convolution y = conv(x, w) + b
// of geometry g (any rank 1 to 3, stride, padding, dilation, groups and
// depthwise) given dy = ∂L/∂y ([N, M, out...]):
//
//   - dx = ∂L/∂x ([N, C, in...]), or nil to skip it;
//   - dw = ∂L/∂w ([M, C/G, kernel...]), or nil to skip it;
//   - db = ∂L/∂b ([M]: dy summed over batch and positions), or nil to skip it.
//
// The outputs are overwritten, not accumulated. x is needed only for dw and w
// only for dx (either may be nil when its gradient is skipped). ws holds at
// least ConvBackwardWorkspaceLen(g) values; their contents on entry do not
// matter. Per image and group, dw accumulates dy·im2col(x)ᵀ (a Gemm, images
// in increasing order) and dx scatters (col2im) the product wᵀ·dy; db sums in
// float64. Work is split across up to threads goroutines only inside each
// Gemm, so the results are bit-identical for every thread count.
// ConvBackward allocates nothing itself (only the Gemm calls might). Outputs
// must not overlap the inputs or ws; short buffers panic.
func ConvBackward(g ConvGeom, x, w, dy, dx, dw, db []float32, ws []float32, threads int) {
	if g.Rank < 1 || g.Rank > 3 || g.N < 1 || g.C < 1 || g.M < 1 || g.G < 1 || g.C%g.G != 0 || g.M%g.G != 0 ||
		g.Out.prod() < 1 || g.In.prod() < 1 || g.Kernel.prod() < 1 {
		panic(fmt.Sprintf("ops: ConvBackward: inconsistent geometry %+v", g))
	}
	kc, p, mg := gradConvDims(g)
	cg := g.C / g.G
	inPlane := g.In.prod()
	inLen, outLen, wLen := g.N*g.C*inPlane, g.N*g.M*p, g.M*kc
	if len(dy) < outLen ||
		dx != nil && (len(dx) < inLen || len(w) < wLen) ||
		dw != nil && (len(dw) < wLen || len(x) < inLen) ||
		db != nil && len(db) < g.M {
		panic(fmt.Sprintf("ops: ConvBackward: buffers x %d, w %d, dy %d, dx %d, dw %d, db %d too short for input %v, weights %v, output %v",
			len(x), len(w), len(dy), len(dx), len(dw), len(db), g.InShape(), g.WeightShape(), g.OutShape()))
	}
	if db != nil {
		for m := 0; m < g.M; m++ {
			s := 0.0
			for n := 0; n < g.N; n++ {
				for _, v := range dy[(n*g.M+m)*p : (n*g.M+m+1)*p] {
					s += float64(v)
				}
			}
			db[m] = float32(s)
		}
	}
	if dx == nil && dw == nil {
		return
	}
	if need := ConvBackwardWorkspaceLen(g); len(ws) < need {
		panic(fmt.Sprintf("ops: ConvBackward: workspace has %d values, need %d", len(ws), need))
	}
	cols := ws[:kc*p]
	gws := ws[kc*p:]
	if dx != nil {
		clear(dx[:inLen])
	}
	for n := 0; n < g.N; n++ {
		for gi := 0; gi < g.G; gi++ {
			xg := (n*g.C + gi*cg) * inPlane
			dyg := dy[(n*g.M+gi*mg)*p : (n*g.M+(gi+1)*mg)*p]
			if dw != nil {
				gradIm2col(&g, cols, x[xg:xg+cg*inPlane], cg)
				Gemm(gradConvDWParams(kc, p, mg, n > 0), dyg, cols, dw[gi*mg*kc:(gi+1)*mg*kc], gws, threads)
			}
			if dx != nil {
				Gemm(gradConvDXParams(kc, p, mg), w[gi*mg*kc:(gi+1)*mg*kc], dyg, cols, gws, threads)
				gradCol2im(&g, dx[xg:xg+cg*inPlane], cols, cg)
			}
		}
	}
}

// gradIm2col writes the im2col matrix of the cg input planes xg into cols:
// row (c, kd, kh, kw), column (od, oh, ow) holds the input value under that
// tap at that output position, or 0 in the padding.
func gradIm2col(g *ConvGeom, cols, xg []float32, cg int) {
	gradColWalk(g, cols, xg, cg, false)
}

// gradCol2im adds every element of the im2col-shaped matrix cols to the
// input position it was read from (the adjoint of gradIm2col), in row then
// column order; taps in the padding are dropped.
func gradCol2im(g *ConvGeom, dxg, cols []float32, cg int) {
	gradColWalk(g, cols, dxg, cg, true)
}

// gradColWalk visits every (row, column) of the im2col matrix of cg input
// planes: it gathers planes into cols (scatter false) or adds cols into
// planes (scatter true).
func gradColWalk(g *ConvGeom, cols, planes []float32, cg int, scatter bool) {
	in, k, out, s, dl, pd := g.In, g.Kernel, g.Out, g.Stride, g.Dilate, g.PadHead
	p := out.prod()
	plane := in.prod()
	r := 0
	for c := 0; c < cg; c++ {
		pc := planes[c*plane : (c+1)*plane]
		for kd := 0; kd < k.D; kd++ {
			for kh := 0; kh < k.H; kh++ {
				for kw := 0; kw < k.W; kw++ {
					row := cols[r*p : (r+1)*p]
					r++
					// Output columns ow with 0 <= ow*s.W + off < in.W.
					off := kw*dl.W - pd.W
					lo, hi := gradTapRange(off, out.W, s.W, in.W)
					i := 0
					for od := 0; od < out.D; od++ {
						id := od*s.D - pd.D + kd*dl.D
						for oh := 0; oh < out.H; oh++ {
							ih := oh*s.H - pd.H + kh*dl.H
							seg := row[i : i+out.W]
							i += out.W
							if id < 0 || id >= in.D || ih < 0 || ih >= in.H || lo == hi {
								if !scatter {
									clear(seg)
								}
								continue
							}
							xrow := pc[(id*in.H+ih)*in.W : (id*in.H+ih+1)*in.W]
							if scatter {
								for ow := lo; ow < hi; ow++ {
									xrow[ow*s.W+off] += seg[ow]
								}
								continue
							}
							clear(seg[:lo])
							clear(seg[hi:])
							for ow := lo; ow < hi; ow++ {
								seg[ow] = xrow[ow*s.W+off]
							}
						}
					}
				}
			}
		}
	}
}

// gradTapRange returns the indices j in [lo, hi) of the n positions
// start + j·step (step >= 1) that fall inside [0, size).
func gradTapRange(start, n, step, size int) (lo, hi int) {
	if start < 0 {
		lo = (-start + step - 1) / step
	}
	hi = n
	if last := start + (n-1)*step; last >= size {
		if start >= size {
			hi = 0
		} else {
			hi = (size-1-start)/step + 1
		}
	}
	lo = min(lo, n)
	hi = max(hi, lo)
	return lo, hi
}
