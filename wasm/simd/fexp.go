package simd

import (
	"encoding/binary"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// Sigmoid and softmax: ops.Exp64 in f64x2 lanes.
//
// exp64x2 computes ops.Exp64 of two float64 lanes with the operations
// ops.Exp64Constants lists, in the same order and each rounded to float64
// (f64x2.mul then f64x2.add, never fused), so every lane gets Exp64's bits:
// k = floor(x·log2e + 0.5), r = (x - k·ln2Hi) - k·ln2Lo, the degree-13
// Horner polynomial p, then p·2**k as (p·2**(k>>1))·2**(k-k>>1) (the first
// product exact, the second rounded once, which is what ops' scale2 and
// math.Ldexp return), with +Inf, 0 and the NaN itself blended in where x is
// above the overflow threshold, below the underflow one, or NaN.
//
// sigmoid replaces each float32 v of a strided block by float32(1 /
// (1 + Exp64(-float64(v)))), two values per vector (ops.SigmoidKernel).
// softmax normalises contiguous rows as ops.Softmax does along the
// innermost axis (ops.SoftmaxKernel): the row's maximum by scalar
// comparisons in order, the exponentials two at a time with their float64
// sum taken lane by lane in increasing order, then the quotients two at a
// time.

// Value types and instructions of float64 and int64 lanes.
const (
	tF64 valType = 0x7c
)

func (f *fn) f64(v float64) *fn {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
	return f.op(0x44).op(b[:]...)
}
func (f *fn) i64(v int64) *fn              { f.op(0x42); f.code.Write(sleb(v)); return f }
func (f *fn) f64Add() *fn                  { return f.op(0xa0) }
func (f *fn) f64Div() *fn                  { return f.op(0xa3) }
func (f *fn) f32DemoteF64() *fn            { return f.op(0xb6) }
func (f *fn) f64PromoteF32() *fn           { return f.op(0xbb) }
func (f *fn) i64x2Splat() *fn              { return f.simd(0x12) }
func (f *fn) f64x2Splat() *fn              { return f.simd(0x14) }
func (f *fn) f64x2ExtractLane(l byte) *fn  { return f.simd(0x21).op(l) }
func (f *fn) f64x2Ne() *fn                 { return f.simd(0x48) }
func (f *fn) f64x2Lt() *fn                 { return f.simd(0x49) }
func (f *fn) f64x2Gt() *fn                 { return f.simd(0x4a) }
func (f *fn) f32x4DemoteF64x2() *fn        { return f.simd(0x5e) }
func (f *fn) f64x2PromoteLow() *fn         { return f.simd(0x5f) }
func (f *fn) f64x2Floor() *fn              { return f.simd(0x75) }
func (f *fn) i64x2ExtendLowI32x4S() *fn    { return f.simd(0xc7) }
func (f *fn) i64x2Shl() *fn                { return f.simd(0xcb) }
func (f *fn) i64x2ShrS() *fn               { return f.simd(0xcc) }
func (f *fn) i64x2Add() *fn                { return f.simd(0xce) }
func (f *fn) i64x2Sub() *fn                { return f.simd(0xd1) }
func (f *fn) f64x2Neg() *fn                { return f.simd(0xed) }
func (f *fn) f64x2Add() *fn                { return f.simd(0xf0) }
func (f *fn) f64x2Sub() *fn                { return f.simd(0xf1) }
func (f *fn) f64x2Mul() *fn                { return f.simd(0xf2) }
func (f *fn) f64x2Div() *fn                { return f.simd(0xf3) }
func (f *fn) i32x4TruncSatF64x2SZero() *fn { return f.simd(0xfc) }

// v128Store64Lane stores 64-bit lane l of the vector (two float32 values of
// a demoted vector).
func (f *fn) v128Store64Lane(off uint32, l byte) *fn { return f.simd(0x5b).memarg(2, off).op(l) }

// expConsts are the splatted constants of exp64x2, set once per function.
type expConsts struct {
	log2e, half, ln2Hi, ln2Lo, ovf, unf, inf, bias, one local
	poly                                                [14]local
	k, r, ki, k1                                        [expWide]local // scratch
}

// expWide is the most vectors exp64x2 computes at once, each step emitted
// for all of them before the next: their chains of dependent operations
// (the Horner polynomial alone is 26 deep) then overlap.
const expWide = 2

// newExpConsts declares and sets exp64x2's constants and scratch.
func (f *fn) newExpConsts() *expConsts {
	c := ops.Exp64Constants()
	e := &expConsts{}
	splat := func(v float64) local {
		l := f.local(tV128)
		f.f64(v).f64x2Splat().set(l)
		return l
	}
	e.log2e, e.half, e.ln2Hi, e.ln2Lo = splat(c.Log2e), splat(0.5), splat(c.Ln2Hi), splat(c.Ln2Lo)
	e.ovf, e.unf, e.inf, e.one = splat(c.Overflow), splat(c.Underflow), splat(math.Inf(1)), splat(1)
	for i, p := range c.Poly {
		e.poly[i] = splat(p)
	}
	e.bias = f.local(tV128)
	f.i64(1023).i64x2Splat().set(e.bias)
	for i := range expWide {
		e.k[i], e.r[i], e.ki[i], e.k1[i] = f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128)
	}
	return e
}

// exp64x2 sets out[i] to ops.Exp64 of each float64 lane of v[i], for up to
// expWide vectors (v unchanged; no out may be a v).
func (f *fn) exp64x2(v, out []local, c *expConsts) {
	each := func(emit func(i int)) {
		for i := range v {
			emit(i)
		}
	}
	// k = floor(v·log2e + 0.5)
	each(func(i int) { f.get(v[i]).get(c.log2e).f64x2Mul().get(c.half).f64x2Add().f64x2Floor().set(c.k[i]) })
	// r = (v - k·ln2Hi) - k·ln2Lo
	each(func(i int) {
		f.get(v[i]).get(c.k[i]).get(c.ln2Hi).f64x2Mul().f64x2Sub().get(c.k[i]).get(c.ln2Lo).f64x2Mul().f64x2Sub().set(c.r[i])
	})
	// Horner's rule, highest degree first.
	each(func(i int) { f.get(c.poly[0]).set(out[i]) })
	for _, p := range c.poly[1:] {
		each(func(i int) { f.get(out[i]).get(c.r[i]).f64x2Mul().get(p).f64x2Add().set(out[i]) })
	}
	// p·2**k1·2**(k-k1), k1 = k>>1; the lanes' k as int64.
	each(func(i int) {
		f.get(c.k[i]).i32x4TruncSatF64x2SZero().i64x2ExtendLowI32x4S().set(c.ki[i])
		f.get(c.ki[i]).i32(1).i64x2ShrS().set(c.k1[i])
	})
	each(func(i int) {
		f.get(out[i]).get(c.k1[i]).get(c.bias).i64x2Add().i32(52).i64x2Shl().f64x2Mul()
		f.get(c.ki[i]).get(c.k1[i]).i64x2Sub().get(c.bias).i64x2Add().i32(52).i64x2Shl().f64x2Mul().set(out[i])
	})
	// +Inf above the overflow threshold, 0 below the underflow one, NaN
	// as it is.
	each(func(i int) {
		f.get(c.inf).get(out[i]).get(v[i]).get(c.ovf).f64x2Gt().v128Bitselect().set(out[i])
		f.v128Zero().get(out[i]).get(v[i]).get(c.unf).f64x2Lt().v128Bitselect().set(out[i])
		f.get(v[i]).get(out[i]).get(v[i]).get(v[i]).f64x2Ne().v128Bitselect().set(out[i])
	})
}

// sigmoidOf replaces each float64 lane of v[i] by 1/(1+Exp64(-v)), for up
// to expWide vectors; e is scratch.
func (f *fn) sigmoidOf(v, e []local, c *expConsts) {
	for _, x := range v {
		f.get(x).f64x2Neg().set(x)
	}
	f.exp64x2(v, e, c)
	for i, x := range v {
		f.get(c.one).get(c.one).get(e[i]).f64x2Add().f64x2Div().set(x)
	}
}

// addSigmoid adds
//
//	sigmoid(c, rows, cols, ldc)
//
// (c a byte address, ldc in floats; see SigmoidRef).
func addSigmoid(m *module) {
	f := m.newFunc("sigmoid", []valType{tI32, tI32, tI32, tI32}, nil)
	c, rows, cols, ldc := f.param(0), f.param(1), f.param(2), f.param(3)
	p, t := f.local(tI32), f.local(tI32)
	v := []local{f.local(tV128), f.local(tV128)}
	e := []local{f.local(tV128), f.local(tV128)}
	ec := f.newExpConsts()
	f.get(ldc).i32(2).i32Shl().set(ldc)
	f.blockRows(c, rows, cols, ldc, p, t, func() {
		// Four values at a time, as two vectors of two.
		f.until(func() { f.get(t).i32(4).i32LtS() }, func() {
			f.get(p).v128Load64Zero(0).f64x2PromoteLow().set(v[0])
			f.get(p).v128Load64Zero(8).f64x2PromoteLow().set(v[1])
			f.sigmoidOf(v, e, ec)
			f.get(p).get(v[0]).f32x4DemoteF64x2().v128Store64Lane(0, 0)
			f.get(p).get(v[1]).f32x4DemoteF64x2().v128Store64Lane(8, 0)
			f.addTo(p, 16)
			f.addTo(t, -4)
		})
		// Then pairs, then the last value of an odd row.
		f.get(t).i32(2).i32GeS().if_()
		f.get(p).v128Load64Zero(0).f64x2PromoteLow().set(v[0])
		f.sigmoidOf(v[:1], e, ec)
		f.get(p).get(v[0]).f32x4DemoteF64x2().v128Store64Lane(0, 0)
		f.addTo(p, 8)
		f.addTo(t, -2)
		f.end()
		f.get(t).if_()
		f.get(p).f32Load(0).f64PromoteF32().f64x2Splat().set(v[0])
		f.sigmoidOf(v[:1], e, ec)
		f.get(p).get(v[0]).f64x2ExtractLane(0).f32DemoteF64().f32Store(0)
		f.end()
	})
	m.export("sigmoid", f)
}

// SigmoidRef is the pure-Go twin of the sigmoid kernel (ops.SigmoidKernel):
// for r < rows and j < cols it replaces v = c[r*ldc+j] by
// float32(1 / (1 + ops.Exp64(-float64(v)))).
func SigmoidRef(c []float32, rows, cols, ldc int) {
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			v := &c[r*ldc+j]
			*v = float32(1 / (1 + ops.Exp64(-float64(*v))))
		}
	}
}

// addSoftmax adds
//
//	softmax(dst, x, rows, n)
//
// (dst and x byte addresses, n the row length in floats; see SoftmaxRef).
func addSoftmax(m *module) {
	f := m.newFunc("softmax", []valType{tI32, tI32, tI32, tI32}, nil)
	dst, x, rows, n := f.param(0), f.param(1), f.param(2), f.param(3)
	p, d, t := f.local(tI32), f.local(tI32), f.local(tI32)
	mx, u := f.local(tF32), f.local(tF32)
	sum := f.local(tF64)
	mv, sv := f.local(tV128), f.local(tV128)
	v := []local{f.local(tV128), f.local(tV128)}
	e := []local{f.local(tV128), f.local(tV128)}
	ec := f.newExpConsts()
	f.block()
	f.get(rows).i32(0).i32LeS().brIf(0)
	f.get(n).i32(0).i32LeS().brIf(0)
	f.loop() // rows
	// The maximum: m = x[0], then m = v for each later v > m.
	f.get(x).f32Load(0).set(mx)
	f.get(x).i32(4).i32Add().set(p)
	f.get(n).i32(1).i32Sub().set(t)
	f.until(func() { f.get(t).i32Eqz() }, func() {
		f.get(p).f32Load(0).set(u)
		f.get(u).get(mx).get(u).get(mx).f32Gt().selectOp().set(mx)
		f.addTo(p, 4)
		f.addTo(t, -1)
	})
	f.get(mx).f64PromoteF32().f64x2Splat().set(mv)
	// dst = float32(e), e = Exp64(x - m), summed in order: four values at a
	// time (two vectors), then two, then one.
	f.f64(0).set(sum)
	f.get(x).set(p)
	f.get(dst).set(d)
	f.get(n).set(t)
	addLanes := func(e local) {
		f.get(sum).get(e).f64x2ExtractLane(0).f64Add().get(e).f64x2ExtractLane(1).f64Add().set(sum)
	}
	f.until(func() { f.get(t).i32(4).i32LtS() }, func() {
		f.get(p).v128Load64Zero(0).f64x2PromoteLow().get(mv).f64x2Sub().set(v[0])
		f.get(p).v128Load64Zero(8).f64x2PromoteLow().get(mv).f64x2Sub().set(v[1])
		f.exp64x2(v, e, ec)
		addLanes(e[0])
		addLanes(e[1])
		f.get(d).get(e[0]).f32x4DemoteF64x2().v128Store64Lane(0, 0)
		f.get(d).get(e[1]).f32x4DemoteF64x2().v128Store64Lane(8, 0)
		f.addTo(p, 16)
		f.addTo(d, 16)
		f.addTo(t, -4)
	})
	f.get(t).i32(2).i32GeS().if_()
	f.get(p).v128Load64Zero(0).f64x2PromoteLow().get(mv).f64x2Sub().set(v[0])
	f.exp64x2(v[:1], e, ec)
	addLanes(e[0])
	f.get(d).get(e[0]).f32x4DemoteF64x2().v128Store64Lane(0, 0)
	f.addTo(p, 8)
	f.addTo(d, 8)
	f.addTo(t, -2)
	f.end()
	f.get(t).if_()
	f.get(p).f32Load(0).f64PromoteF32().f64x2Splat().get(mv).f64x2Sub().set(v[0])
	f.exp64x2(v[:1], e, ec)
	f.get(sum).get(e[0]).f64x2ExtractLane(0).f64Add().set(sum)
	f.get(d).get(e[0]).f64x2ExtractLane(0).f32DemoteF64().f32Store(0)
	f.end()
	// dst = float32(float64(dst) / sum).
	f.get(sum).f64x2Splat().set(sv)
	f.get(dst).set(d)
	f.get(n).set(t)
	f.until(func() { f.get(t).i32(2).i32LtS() }, func() {
		f.get(d).get(d).v128Load64Zero(0).f64x2PromoteLow().get(sv).f64x2Div().f32x4DemoteF64x2().v128Store64Lane(0, 0)
		f.addTo(d, 8)
		f.addTo(t, -2)
	})
	f.get(t).if_()
	f.get(d).get(d).f32Load(0).f64PromoteF32().get(sum).f64Div().f32DemoteF64().f32Store(0)
	f.end()
	// Next row.
	f.get(n).i32(2).i32Shl().set(t)
	f.addTo2(x, t)
	f.addTo2(dst, t)
	f.get(rows).i32(1).i32Sub().tee(rows).brIf(0)
	f.end()
	f.end()
	m.export("softmax", f)
}

// SoftmaxRef is the pure-Go twin of the softmax kernel (ops.SoftmaxKernel):
// for each of rows rows of n values of x it takes the maximum m (x[0], then
// each later v > m), sets dst[j] to float32(e_j) with e_j =
// ops.Exp64(float64(x[j]) - float64(m)) summed in float64 in increasing j,
// then divides: dst[j] = float32(float64(dst[j]) / sum). dst may be x.
func SoftmaxRef(dst, x []float32, rows, n int) {
	for r := 0; r < rows; r++ {
		xs, ds := x[r*n:(r+1)*n], dst[r*n:(r+1)*n]
		m := xs[0]
		for _, v := range xs[1:] {
			if v > m {
				m = v
			}
		}
		sum := 0.0
		for j, v := range xs {
			e := ops.Exp64(float64(v) - float64(m))
			sum += e
			ds[j] = float32(e)
		}
		for j := range ds {
			ds[j] = float32(float64(ds[j]) / sum)
		}
	}
}
