package ops

import (
	"fmt"
	"slices"
)

// Dense is a prepared fully connected layer y = x·Wᵀ + b followed by an
// activation. Its weights are packed once, for one of two GEMM layouts that
// give bit-identical results (every output sums its products in increasing
// input index, then adds the bias):
//
//   - with the pure-Go kernels, as the A operand of yᵀ = W·xᵀ, so that a
//     batch of one streams the weights through an 8x1 kernel instead of
//     wasting half of a 2x4 tile;
//   - with a Gemm kernel installed (UseKernels, before NewDense), as the
//     B operand of y = x·Wᵀ, whose C has unit column stride as the kernel
//     needs.
//
// It is immutable after NewDense.
type Dense struct {
	in, out  int
	packed   []float32
	rowMajor bool // packed is Wᵀ as B panels (preN columns): y = x·Wᵀ
	preN     int
	bias     []float32
	act      Activation
}

// NewDense prepares y = x·Wᵀ + b, where with transposed w is [out, in] (as
// PyTorch Linear and ONNX Gemm with transB=1) and otherwise w is [in, out]
// (y = x·W + b); bias is nil or of length out, and act is applied after the
// bias. NewDense packs w and copies bias. Bad sizes give an error wrapping
// ErrShape, an unknown activation one wrapping ErrAlgo.
func NewDense(w, bias []float32, in, out int, transposed bool, act Activation) (*Dense, error) {
	if in < 1 || out < 1 {
		return nil, fmt.Errorf("%w: dense layer %d -> %d: sizes must be >= 1", ErrShape, in, out)
	}
	n, err := NumElements([]int{out, in})
	if err != nil {
		return nil, err
	}
	if len(w) != n {
		return nil, fmt.Errorf("%w: dense layer %d -> %d needs %d weights, got %d", ErrShape, in, out, n, len(w))
	}
	if bias != nil && len(bias) != out {
		return nil, fmt.Errorf("%w: dense bias has %d values, want %d", ErrShape, len(bias), out)
	}
	if !act.Kind.valid() {
		return nil, fmt.Errorf("%w: activation %v", ErrAlgo, act.Kind)
	}
	d := &Dense{in: in, out: out, act: act}
	switch {
	case installed.Gemm != nil:
		// Wᵀ (in × out) as B, element (p, j) at w[j*in+p] (transposed) or
		// w[p*out+j].
		d.rowMajor = true
		d.preN = roundUp(out, gemmNR)
		d.packed = make([]float32, in*d.preN)
		src := bSource{b: w, rs: out, cs: 1}
		if transposed {
			src.rs, src.cs = 1, in
		}
		for k0 := 0; k0 < in; k0 += gemmKC {
			kcb := min(gemmKC, in-k0)
			packB(d.packed[k0*d.preN:(k0+kcb)*d.preN], &src, k0, kcb, 0, out)
		}
	case transposed:
		d.packed = make([]float32, packedALen(out, in))
		packA(d.packed, w, out, in, in, 1)
	default:
		d.packed = make([]float32, packedALen(out, in))
		packA(d.packed, w, out, in, 1, out)
	}
	if bias != nil {
		d.bias = slices.Clone(bias)
	}
	return d, nil
}

// In returns the number of input features.
func (d *Dense) In() int { return d.in }

// Out returns the number of output features.
func (d *Dense) Out() int { return d.out }

// WorkspaceLen returns the float32 scratch Forward needs for a batch of the
// given size, for any thread count (up to MaxThreads goroutines).
func (d *Dense) WorkspaceLen(batch int) int {
	if batch < 1 {
		return 0
	}
	if d.rowMajor {
		return packedALen(batch, d.in) + min(MaxThreads, gemmUnits(batch, d.out))*gemmSlotLen(d.in, d.out)
	}
	return min(MaxThreads, gemmUnits(d.out, batch)) * gemmSlotLen(d.in, batch)
}

// FLOPs returns 2·batch·in·out, plus batch·out when there is a bias.
func (d *Dense) FLOPs(batch int) int64 {
	f := 2 * int64(batch) * int64(d.in) * int64(d.out)
	if d.bias != nil {
		f += int64(batch) * int64(d.out)
	}
	return f
}

// Forward computes dst ([batch, out]) from x ([batch, in]) using up to
// threads goroutines; ws holds at least WorkspaceLen(batch) values, whose
// contents on entry do not matter. Each output sums its products in
// increasing input index from 0, then adds the bias and applies the
// activation, so the result is bit-identical for every thread count. It
// does not allocate when threads <= 1. dst must not overlap x or ws; short
// buffers panic.
func (d *Dense) Forward(dst, x, ws []float32, batch, threads int) {
	if batch < 1 {
		return
	}
	if len(x) < batch*d.in || len(dst) < batch*d.out || len(ws) < d.WorkspaceLen(batch) {
		panic(fmt.Sprintf("ops: Dense.Forward: x has %d values (need %d), dst %d (need %d), ws %d (need %d)",
			len(x), batch*d.in, len(dst), batch*d.out, len(ws), d.WorkspaceLen(batch)))
	}
	if d.rowMajor {
		d.forwardRowMajor(dst, x, ws, batch, threads)
		return
	}
	units := gemmUnits(d.out, batch)
	if threads <= 1 || units == 1 {
		d.units(dst, x, ws, batch, 0, 0, units)
		return
	}
	ParallelFor(units, threads, func(part, lo, hi int) { d.units(dst, x, ws, batch, part, lo, hi) })
}

// units computes GEMM work units [lo, hi) of yᵀ = W·xᵀ: unit u covers
// output block u%mb and batch block u/mb.
func (d *Dense) units(dst, x, ws []float32, batch, part, lo, hi int) {
	slot := gemmSlotLen(d.in, batch)
	buf := ws[part*slot : (part+1)*slot]
	src := bSource{b: x[:batch*d.in], rs: 1, cs: d.in}
	ep := gemmEpi{bias: d.bias, act: d.act}
	mb := ceilDiv(d.out, gemmMC)
	c := dst[:batch*d.out]
	for u := lo; u < hi; u++ {
		i0, j0 := u%mb*gemmMC, u/mb*gemmNC
		gemmBlock(d.packed, d.out, d.in, &src, c, 1, d.out, i0, min(i0+gemmMC, d.out), j0, min(j0+gemmNC, batch), buf, &ep)
	}
}

// forwardRowMajor computes y = x·Wᵀ with x packed as A into ws and the
// prepacked Wᵀ as B; the bias is added per column after the sums.
func (d *Dense) forwardRowMajor(dst, x, ws []float32, batch, threads int) {
	pal := packedALen(batch, d.in)
	ap := ws[:pal]
	packA(ap, x, batch, d.in, d.in, 1)
	slots := ws[pal:]
	units := gemmUnits(batch, d.out)
	if threads <= 1 || units == 1 {
		for j0 := 0; j0 < d.out; j0 += gemmNC {
			d.rowMajorBlock(dst, ap, slots, batch, 0, batch, j0)
		}
		return
	}
	slot := gemmSlotLen(d.in, d.out)
	mb := ceilDiv(batch, gemmMC)
	ParallelFor(units, threads, func(part, lo, hi int) {
		for u := lo; u < hi; u++ {
			i0 := u % mb * gemmMC
			d.rowMajorBlock(dst, ap, slots[part*slot:(part+1)*slot], batch, i0, min(i0+gemmMC, batch), u/mb*gemmNC)
		}
	})
}

// rowMajorBlock computes rows [i0, i1) and the N block at j0 of y = x·Wᵀ.
func (d *Dense) rowMajorBlock(dst, ap, slot []float32, batch, i0, i1, j0 int) {
	src := bSource{pre: d.packed, preN: d.preN}
	ep := gemmEpi{colBias: d.bias, act: d.act}
	gemmBlock(ap, batch, d.in, &src, dst[:batch*d.out], d.out, 1, i0, i1, j0, min(j0+gemmNC, d.out), slot, &ep)
}
