package ops

import "fmt"

// MatMulGeom is the geometry of a numpy-style matrix product (ONNX MatMul):
// A [..., M, K] times B [..., K, N] gives [..., M, N], the batch axes
// broadcast; a 1-D A is a row [1, K] and a 1-D B a column [K, 1], whose
// axis is then dropped from the output.
type MatMulGeom struct {
	A, B, Out []int
	M, N, K   int
	// Batches is the number of matrix products; aOff and bOff are the
	// offsets of each product's operands.
	Batches    int
	aOff, bOff []int
}

// NewMatMulGeom returns the geometry of a MatMul of operands of shapes a and
// b. Errors wrap ErrShape and name the shapes.
func NewMatMulGeom(a, b []int) (MatMulGeom, error) {
	var g MatMulGeom
	if len(a) == 0 || len(b) == 0 {
		return g, fmt.Errorf("%w: MatMul of %s and %s: scalars do not multiply", ErrShape, FormatShape(a), FormatShape(b))
	}
	if len(a) > maxBroadcastRank || len(b) > maxBroadcastRank {
		return g, fmt.Errorf("%w: MatMul of %s and %s: rank above %d", ErrShape, FormatShape(a), FormatShape(b), maxBroadcastRank)
	}
	if _, err := NumElements(a); err != nil {
		return g, err
	}
	if _, err := NumElements(b); err != nil {
		return g, err
	}
	am, bm := a, b
	if len(a) == 1 {
		am = []int{1, a[0]}
	}
	if len(b) == 1 {
		bm = []int{b[0], 1}
	}
	g.M, g.K = am[len(am)-2], am[len(am)-1]
	kb := bm[len(bm)-2]
	g.N = bm[len(bm)-1]
	if kb != g.K {
		return MatMulGeom{}, fmt.Errorf("%w: MatMul of %s and %s: inner dimensions %d and %d differ", ErrShape, FormatShape(a), FormatShape(b), g.K, kb)
	}
	ab, bb := am[:len(am)-2], bm[:len(bm)-2]
	rank := max(len(ab), len(bb))
	pa, pb := padShape(ab, rank), padShape(bb, rank)
	batch, bad := broadcastShape(pa, pb)
	if bad >= 0 {
		return MatMulGeom{}, fmt.Errorf("%w: MatMul of %s and %s: batch axes do not broadcast (%d vs %d)",
			ErrShape, FormatShape(a), FormatShape(b), pa[bad], pb[bad])
	}
	out := append([]int(nil), batch...)
	if len(a) > 1 {
		out = append(out, g.M)
	}
	if len(b) > 1 {
		out = append(out, g.N)
	}
	if _, err := NumElements(out); err != nil {
		return MatMulGeom{}, err
	}
	g.A, g.B, g.Out = append([]int(nil), a...), append([]int(nil), b...), out
	g.Batches = ShapeSize(batch)
	g.aOff, g.bOff = make([]int, g.Batches), make([]int, g.Batches)
	// Walk the batch index, keeping each operand's offset (strides 0 along
	// its broadcast axes).
	w := offsetWalk{dims: batch, sa: broadcastStrides(pa, g.M*g.K), sb: broadcastStrides(pb, g.K*g.N)}
	for t := 0; t < g.Batches; t++ {
		g.aOff[t], g.bOff[t] = w.offA, w.offB
		w.next()
	}
	return g, nil
}

// gemm returns the parameters of one of the products.
func (g MatMulGeom) gemm() GemmParams { return GemmParams{M: g.M, N: g.N, K: g.K} }

// MACs returns the multiply-accumulates of the product.
func (g MatMulGeom) MACs() int64 { return int64(g.Batches) * int64(g.M) * int64(g.N) * int64(g.K) }

// matMulParallel reports whether MatMul splits the batches across
// goroutines (one Gemm each) rather than running each Gemm threaded.
func (g MatMulGeom) matMulParallel() bool { return g.Batches > 1 && gemmUnits(g.M, g.N) < 4 }

// WorkspaceLen returns the scratch MatMul needs for any thread count.
func (g MatMulGeom) WorkspaceLen() int {
	n := GemmWorkspaceLen(g.gemm())
	if g.matMulParallel() {
		return min(MaxThreads, g.Batches) * n
	}
	return n
}

// MatMul computes out = a·b as g describes, one Gemm per batch: every
// output element is summed in increasing order of K in float32 (Gemm's
// order), so results do not depend on threads. ws must hold
// g.WorkspaceLen() values. out must not overlap a, b or ws; short buffers
// panic.
func MatMul(g MatMulGeom, out, a, b, ws []float32, threads int) {
	na, nb, no := ShapeSize(g.A), ShapeSize(g.B), ShapeSize(g.Out)
	if len(a) < na || len(b) < nb || len(out) < no {
		panic(fmt.Sprintf("ops.MatMul: buffers of %d, %d and %d values, need %d, %d and %d", len(a), len(b), len(out), na, nb, no))
	}
	p := g.gemm()
	mn, mk, kn := g.M*g.N, g.M*g.K, g.K*g.N
	one := func(t int, ws []float32, threads int) {
		Gemm(p, a[g.aOff[t]:g.aOff[t]+mk], b[g.bOff[t]:g.bOff[t]+kn], out[t*mn:(t+1)*mn], ws, threads)
	}
	if !g.matMulParallel() || threads <= 1 {
		for t := 0; t < g.Batches; t++ {
			one(t, ws, threads)
		}
		return
	}
	slot := GemmWorkspaceLen(p)
	ParallelFor(g.Batches, threads, func(part, lo, hi int) {
		w := ws[part*slot : (part+1)*slot]
		for t := lo; t < hi; t++ {
			one(t, w, 1)
		}
	})
}
