package simd

// Elementwise kernels: HardSigmoid and HardSwish on a strided block, and
// the rows of elementwise Add, Sub, Mul and Div with either operand
// contiguous or broadcast along the row. Four values per vector, the last
// n%4 of a row one at a time, each with the float32 operations of ops'
// pure-Go loops in the same order (f32x4.mul then f32x4.add, never fused).

// Scalar and SIMD opcodes of the elementwise kernels.
func (f *fn) f32Add() *fn   { return f.op(0x92) }
func (f *fn) f32Sub() *fn   { return f.op(0x93) }
func (f *fn) f32Mul() *fn   { return f.op(0x94) }
func (f *fn) f32Div() *fn   { return f.op(0x95) }
func (f *fn) f32x4Div() *fn { return f.simd(0xe7) }

// addHardAct adds
//
//	hardact(c, rows, cols, ldc, alpha, beta, swish)
//
// (c a byte address, ldc in floats, alpha and beta the bits of float32
// values, swish 0 or 1; see HardActRef).
func addHardAct(m *module) {
	f := m.newFunc("hardact", []valType{tI32, tI32, tI32, tI32, tI32, tI32, tI32}, nil)
	c, rows, cols, ldc, aBits, bBits, swish := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6)
	p, t := f.local(tI32), f.local(tI32)
	alpha, beta, zero, one, s, h := f.local(tF32), f.local(tF32), f.local(tF32), f.local(tF32), f.local(tF32), f.local(tF32)
	va, vb, vzero, vone, v, vh := f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128)
	f.get(ldc).i32(2).i32Shl().set(ldc)
	f.get(aBits).f32ReinterpretI32().set(alpha)
	f.get(bBits).f32ReinterpretI32().set(beta)
	f.f32(0).set(zero)
	f.f32(1).set(one)
	f.get(alpha).f32x4Splat().set(va)
	f.get(beta).f32x4Splat().set(vb)
	f.v128Zero().set(vzero)
	f.splatConst(vone, 1)
	nest := func(sw bool) {
		f.blockRows(c, rows, cols, ldc, p, t, func() {
			f.until(func() { f.get(t).i32(4).i32LtS() }, func() { // groups of four
				f.get(p).v128Load(0).set(v)
				f.get(va).get(v).f32x4Mul().get(vb).f32x4Add().set(vh)
				f.get(vzero).get(vh).get(vh).get(vzero).f32x4Lt().v128Bitselect().set(vh)
				f.get(vone).get(vh).get(vh).get(vone).f32x4Gt().v128Bitselect().set(vh)
				f.get(p)
				if sw {
					f.get(v).get(vh).f32x4Mul()
				} else {
					f.get(vh)
				}
				f.v128Store(0)
				f.addTo(p, 16)
				f.addTo(t, -4)
			})
			f.until(func() { f.get(t).i32Eqz() }, func() { // the last cols%4 values
				f.get(p).f32Load(0).set(s)
				f.get(alpha).get(s).f32Mul().get(beta).f32Add().set(h)
				f.get(zero).get(h).get(h).get(zero).f32Lt().selectOp().set(h)
				f.get(one).get(h).get(h).get(one).f32Gt().selectOp().set(h)
				f.get(p)
				if sw {
					f.get(s).get(h).f32Mul()
				} else {
					f.get(h)
				}
				f.f32Store(0)
				f.addTo(p, 4)
				f.addTo(t, -1)
			})
		})
	}
	f.get(swish).if_()
	nest(true)
	f.else_()
	nest(false)
	f.end()
	m.export("hardact", f)
}

// HardActRef is the pure-Go twin of the hardact kernel (ops.HardActKernel):
// for r < rows and j < cols it replaces v = c[r*ldc+j] by h = alpha*v
// (rounded) + beta, then 0 if h < 0, then 1 if h > 1 (a NaN passes), or
// with swish by v*h.
func HardActRef(c []float32, rows, cols, ldc int, alpha, beta float32, swish bool) {
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			v := c[r*ldc+j]
			h := float32(alpha*v) + beta
			if h < 0 {
				h = 0
			}
			if h > 1 {
				h = 1
			}
			if swish {
				h = v * h
			}
			c[r*ldc+j] = h
		}
	}
}

// Binary kinds as the binary kernel numbers them (ops.BinaryKind's
// values).
const (
	binAdd = iota
	binSub
	binMul
	binDiv
)

// addBinary adds
//
//	binary(kind, dst, a, b, rows, n, ars, acs, brs, bcs)
//
// (addresses in bytes, strides in floats, kind 0-3 for Add, Sub, Mul, Div;
// acs and bcs 0 or 1, not both 0; see BinaryRef).
func addBinary(m *module) {
	f := m.newFunc("binary", []valType{tI32, tI32, tI32, tI32, tI32, tI32, tI32, tI32, tI32, tI32}, nil)
	kind, dst, a, b, rows, n := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5)
	ars, acs, brs, bcs := f.param(6), f.param(7), f.param(8), f.param(9)
	d, pa, pb, t, rowBytes, sel := f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32)
	sa, sb := f.local(tF32), f.local(tF32)
	va, vb := f.local(tV128), f.local(tV128)
	f.get(ars).i32(2).i32Shl().set(ars)
	f.get(brs).i32(2).i32Shl().set(brs)
	f.get(n).i32(2).i32Shl().set(rowBytes)
	vops := [4]func() *fn{f.f32x4Add, f.f32x4Sub, f.f32x4Mul, f.f32x4Div}
	sops := [4]func() *fn{f.f32Add, f.f32Sub, f.f32Mul, f.f32Div}
	nest := func(k int, aRow, bRow bool) {
		f.block()
		f.get(rows).i32(0).i32LeS().brIf(0)
		f.get(n).i32(0).i32LeS().brIf(0)
		f.loop() // rows
		f.get(dst).set(d)
		f.get(a).set(pa)
		f.get(b).set(pb)
		f.get(n).set(t)
		if !aRow {
			f.get(a).f32Load(0).tee(sa).f32x4Splat().set(va)
		}
		if !bRow {
			f.get(b).f32Load(0).tee(sb).f32x4Splat().set(vb)
		}
		f.until(func() { f.get(t).i32(4).i32LtS() }, func() { // groups of four
			f.get(d)
			if aRow {
				f.get(pa).v128Load(0)
			} else {
				f.get(va)
			}
			if bRow {
				f.get(pb).v128Load(0)
			} else {
				f.get(vb)
			}
			vops[k]()
			f.v128Store(0)
			f.addTo(d, 16)
			if aRow {
				f.addTo(pa, 16)
			}
			if bRow {
				f.addTo(pb, 16)
			}
			f.addTo(t, -4)
		})
		f.until(func() { f.get(t).i32Eqz() }, func() { // the last n%4 values
			f.get(d)
			if aRow {
				f.get(pa).f32Load(0)
			} else {
				f.get(sa)
			}
			if bRow {
				f.get(pb).f32Load(0)
			} else {
				f.get(sb)
			}
			sops[k]()
			f.f32Store(0)
			f.addTo(d, 4)
			if aRow {
				f.addTo(pa, 4)
			}
			if bRow {
				f.addTo(pb, 4)
			}
			f.addTo(t, -1)
		})
		f.addTo2(dst, rowBytes)
		f.addTo2(a, ars)
		f.addTo2(b, brs)
		f.get(rows).i32(1).i32Sub().tee(rows).brIf(0)
		f.end()
		f.end()
	}
	// sel = kind*4 + acs*2 + bcs: one loop nest per kind and layout.
	f.get(kind).i32(2).i32Shl().get(acs).i32(1).i32Shl().i32Add().get(bcs).i32Add().set(sel)
	type variant struct {
		k          int
		aRow, bRow bool
	}
	var vs []variant
	for k := binAdd; k <= binDiv; k++ {
		vs = append(vs, variant{k, true, true}, variant{k, true, false}, variant{k, false, true})
	}
	for _, v := range vs {
		code := int32(v.k * 4)
		if v.aRow {
			code += 2
		}
		if v.bRow {
			code++
		}
		f.get(sel).i32(code).i32Eq().if_()
		nest(v.k, v.aRow, v.bRow)
		f.else_()
	}
	for range vs {
		f.end()
	}
	m.export("binary", f)
}

// BinaryRef is the pure-Go twin of the binary kernel (ops.BinaryKernel):
// for r < rows and t < n it sets dst[r*n+t] to a[r*ars+t*acs] op
// b[r*brs+t*bcs], op Add, Sub, Mul or Div for kind 0-3.
func BinaryRef(kind int, dst, a, b []float32, rows, n, ars, acs, brs, bcs int) {
	for r := 0; r < rows; r++ {
		for t := 0; t < n; t++ {
			x, y := a[r*ars+t*acs], b[r*brs+t*bcs]
			var v float32
			switch kind {
			case binAdd:
				v = x + y
			case binSub:
				v = x - y
			case binMul:
				v = x * y
			default:
				v = x / y
			}
			dst[r*n+t] = v
		}
	}
}
