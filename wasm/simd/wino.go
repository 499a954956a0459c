package simd

// Winograd F(4x4, 3x3) transforms, four tiles at a time: lane l of every
// vector belongs to the l-th of four tiles. The arithmetic is that of ops'
// wino4In2D and wino4Out2D, operation for operation (products by the
// constants 2, 4, 5 and 8 rounded separately, sums in the same association),
// so the results are bit-identical.

// splatConst sets local l to the f32x4 with four copies of v.
func (f *fn) splatConst(l local, v float32) { f.f32(v).f32x4Splat().set(l) }

// binop computes dst = op(x, y).
func (f *fn) binop(dst, x, y local, op func() *fn) { f.get(x).get(y); op(); f.set(dst) }

// wino4In1D emits y = Bᵀx for F(4,3) (ops' wino4In) on six vectors, using
// the constants c2, c4, c5 and scratch a, b, c, d.
func (f *fn) wino4In1D(y, x []local, c2, c4, c5 local, tmp [4]local) {
	a, b, c, d := tmp[0], tmp[1], tmp[2], tmp[3]
	// a = x4 - 4*x2; b = x3 - 4*x1; c = x4 - x2; d = 2*(x3 - x1)
	f.get(x[4]).get(c4).get(x[2]).f32x4Mul().f32x4Sub().set(a)
	f.get(x[3]).get(c4).get(x[1]).f32x4Mul().f32x4Sub().set(b)
	f.binop(c, x[4], x[2], f.f32x4Sub)
	f.get(c2).get(x[3]).get(x[1]).f32x4Sub().f32x4Mul().set(d)
	// y0 = x4 + 4*x0 - 5*x2; y5 = x5 + 4*x1 - 5*x3
	f.get(x[4]).get(c4).get(x[0]).f32x4Mul().f32x4Add().get(c5).get(x[2]).f32x4Mul().f32x4Sub().set(y[0])
	f.get(x[5]).get(c4).get(x[1]).f32x4Mul().f32x4Add().get(c5).get(x[3]).f32x4Mul().f32x4Sub().set(y[5])
	f.binop(y[1], a, b, f.f32x4Add)
	f.binop(y[2], a, b, f.f32x4Sub)
	f.binop(y[3], c, d, f.f32x4Add)
	f.binop(y[4], c, d, f.f32x4Sub)
}

// wino4Out1D emits o = Aᵀm for F(4,3) (ops' wino4Out) on six vectors.
func (f *fn) wino4Out1D(o, m []local, c2, c4, c8 local, tmp [4]local) {
	s12, d12, s34, d34 := tmp[0], tmp[1], tmp[2], tmp[3]
	f.binop(s12, m[1], m[2], f.f32x4Add)
	f.binop(d12, m[1], m[2], f.f32x4Sub)
	f.binop(s34, m[3], m[4], f.f32x4Add)
	f.binop(d34, m[3], m[4], f.f32x4Sub)
	f.get(m[0]).get(s12).f32x4Add().get(s34).f32x4Add().set(o[0])
	f.get(d12).get(c2).get(d34).f32x4Mul().f32x4Add().set(o[1])
	f.get(s12).get(c4).get(s34).f32x4Mul().f32x4Add().set(o[2])
	f.get(d12).get(c8).get(d34).f32x4Mul().f32x4Add().get(m[5]).f32x4Add().set(o[3])
}

func locals(f *fn, t valType, n int) []local {
	l := make([]local, n)
	for i := range l {
		l[i] = f.local(t)
	}
	return l
}

// v128Load64Zero loads 8 bytes into the low half of a vector, zeroing the
// high half.
func (f *fn) v128Load64Zero(off uint32) *fn { return f.simd(0x5d).memarg(2, off) }

// Shuffle masks of the 4×4 transposes.
var (
	shufLo   = [16]byte{0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23}       // a0 b0 a1 b1
	shufHi   = [16]byte{8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31} // a2 b2 a3 b3
	shufLo64 = [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23}       // a01 b01
	shufHi64 = [16]byte{8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31} // a23 b23
)

// laneParams reads the four (address, row stride, channel stride)
// parameter triples starting at parameter first, turning the strides from
// floats into bytes in place.
func laneParams(f *fn, first int) (p, row, ch [4]local) {
	for l := 0; l < 4; l++ {
		p[l], row[l], ch[l] = f.param(first+3*l), f.param(first+3*l+1), f.param(first+3*l+2)
		f.get(row[l]).i32(2).i32Shl().set(row[l])
		f.get(ch[l]).i32(2).i32Shl().set(ch[l])
	}
	return
}

// addWino4In adds
//
//	wino4_in(v, n, stride, p0, row0, ch0, p1, row1, ch1, p2, row2, ch2, p3, row3, ch3)
//
// (Wino4InRef): for each of n groups g, element (r, j) of tile l's 6×6
// patch is at pl + 4*(g*chl + r*rowl + j); the kernel stores the
// transformed patch Bᵀ x B, position p = i*6+j, at v + 4*(p*stride + g*4)
// (strides in floats).
func addWino4In(m *module) {
	params := make([]valType, 15)
	for i := range params {
		params[i] = tI32
	}
	f := m.newFunc("wino4_in", params, nil)
	v, n, stride := f.param(0), f.param(1), f.param(2)
	p, row, ch := laneParams(f, 3)
	x := locals(f, tV128, 36)
	t := locals(f, tV128, 36)
	y := locals(f, tV128, 6)
	var tmp [4]local
	copy(tmp[:], locals(f, tV128, 4))
	ld := locals(f, tV128, 8)
	c2, c4, c5 := f.local(tV128), f.local(tV128), f.local(tV128)
	q, sb := f.local(tI32), f.local(tI32)
	var ql [4]local
	for l := range ql {
		ql[l] = f.local(tI32)
	}
	f.splatConst(c2, 2)
	f.splatConst(c4, 4)
	f.splatConst(c5, 5)
	f.get(stride).i32(2).i32Shl().set(sb)
	f.block()
	f.get(n).i32(0).i32LeS().brIf(0)
	f.loop()
	// Load the patches row by row and transpose them: x[r*6+j] holds
	// element (r, j) of the four tiles.
	for l := 0; l < 4; l++ {
		f.get(p[l]).set(ql[l])
	}
	for r := 0; r < 6; r++ {
		for l := 0; l < 4; l++ {
			f.get(ql[l]).v128Load(0).set(ld[l])
			f.get(ql[l]).v128Load64Zero(16).set(ld[4+l])
			if r < 5 {
				f.addTo2(ql[l], row[l])
			}
		}
		xr := x[6*r : 6*r+6]
		f.get(ld[0]).get(ld[1]).i8x16Shuffle(shufLo).set(tmp[0])
		f.get(ld[0]).get(ld[1]).i8x16Shuffle(shufHi).set(tmp[1])
		f.get(ld[2]).get(ld[3]).i8x16Shuffle(shufLo).set(tmp[2])
		f.get(ld[2]).get(ld[3]).i8x16Shuffle(shufHi).set(tmp[3])
		f.get(tmp[0]).get(tmp[2]).i8x16Shuffle(shufLo64).set(xr[0])
		f.get(tmp[0]).get(tmp[2]).i8x16Shuffle(shufHi64).set(xr[1])
		f.get(tmp[1]).get(tmp[3]).i8x16Shuffle(shufLo64).set(xr[2])
		f.get(tmp[1]).get(tmp[3]).i8x16Shuffle(shufHi64).set(xr[3])
		f.get(ld[4]).get(ld[5]).i8x16Shuffle(shufLo).set(tmp[0]) // a4 b4 a5 b5
		f.get(ld[6]).get(ld[7]).i8x16Shuffle(shufLo).set(tmp[1]) // c4 d4 c5 d5
		f.get(tmp[0]).get(tmp[1]).i8x16Shuffle(shufLo64).set(xr[4])
		f.get(tmp[0]).get(tmp[1]).i8x16Shuffle(shufHi64).set(xr[5])
	}
	// Columns: t[i*6+j] = (Bᵀ column j)_i.
	for j := 0; j < 6; j++ {
		col := []local{t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j]}
		f.wino4In1D(col, []local{x[j], x[6+j], x[12+j], x[18+j], x[24+j], x[30+j]}, c2, c4, c5, tmp)
	}
	// Rows, stored as they come.
	f.get(v).set(q)
	for i := 0; i < 6; i++ {
		f.wino4In1D(y, t[6*i:6*i+6], c2, c4, c5, tmp)
		for j := 0; j < 6; j++ {
			f.get(q).get(y[j]).v128Store(0)
			f.addTo2(q, sb)
		}
	}
	for l := 0; l < 4; l++ {
		f.addTo2(p[l], ch[l])
	}
	f.addTo(v, 16)
	f.get(n).i32(1).i32Sub().tee(n).brIf(0)
	f.end()
	f.end()
	m.export("wino4_in", f)
}

// addWino4Out adds
//
//	wino4_out(y, stride, ldy, n, bias, flags, lo, hi, p0, row0, ch0, ..., p3, row3, ch3)
//
// (Wino4OutRef): for each of n groups g (output channels), the 36 products
// of four tiles are at y + 4*(p*stride + g*ldy) (position p, four
// consecutive tiles); the kernel computes the 4×4 output tiles Aᵀ m A, adds
// bias[g] when bias is not 0, clips to [lo, hi] (float32 bits) when flags
// has bit 0 set, and stores element (r, c) of tile l at
// pl + 4*(g*chl + r*rowl + c).
func addWino4Out(m *module) {
	params := make([]valType, 20)
	for i := range params {
		params[i] = tI32
	}
	f := m.newFunc("wino4_out", params, nil)
	y, stride, ldy, n, bias := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4)
	flags, loBits, hiBits := f.param(5), f.param(6), f.param(7)
	p, row, ch := laneParams(f, 8)
	mv := locals(f, tV128, 6)
	t := locals(f, tV128, 24)
	ov := locals(f, tV128, 16)
	var tmp [4]local
	copy(tmp[:], locals(f, tV128, 4))
	c2, c4, c8, bv := f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128)
	vlo, vhi, cv := f.local(tV128), f.local(tV128), f.local(tV128)
	q, sb := f.local(tI32), f.local(tI32)
	var ql [4]local
	for l := range ql {
		ql[l] = f.local(tI32)
	}
	f.splatConst(c2, 2)
	f.splatConst(c4, 4)
	f.splatConst(c8, 8)
	f.get(loBits).f32ReinterpretI32().f32x4Splat().set(vlo)
	f.get(hiBits).f32ReinterpretI32().f32x4Splat().set(vhi)
	f.get(stride).i32(2).i32Shl().set(sb)
	f.get(ldy).i32(2).i32Shl().set(ldy)
	f.block()
	f.get(n).i32(0).i32LeS().brIf(0)
	f.loop()
	// Columns: t[i*6+j] = (Aᵀ column j)_i, i < 4. Column j's inputs are
	// positions j, 6+j, ..., 30+j.
	for j := 0; j < 6; j++ {
		f.get(y).get(sb).i32(int32(j)).i32Mul().i32Add().set(q)
		for r := 0; r < 6; r++ {
			f.get(q).v128Load(0).set(mv[r])
			if r < 5 {
				f.get(q).get(sb).i32(6).i32Mul().i32Add().set(q)
			}
		}
		f.wino4Out1D([]local{t[j], t[6+j], t[12+j], t[18+j]}, mv, c2, c4, c8, tmp)
	}
	for i := 0; i < 4; i++ {
		f.wino4Out1D(ov[4*i:4*i+4], t[6*i:6*i+6], c2, c4, c8, tmp)
	}
	f.get(bias).if_()
	f.get(bias).v128Load32Splat(0).set(bv)
	for k := range ov {
		f.binop(ov[k], ov[k], bv, f.f32x4Add)
	}
	f.addTo(bias, 4)
	f.end()
	// Clip: v < lo gives lo, then v > hi (the original v) gives hi.
	f.get(flags).i32(1).i32And().if_()
	for k := range ov {
		f.get(vlo).get(ov[k]).get(ov[k]).get(vlo).f32x4Lt().v128Bitselect().set(cv)
		f.get(vhi).get(cv).get(ov[k]).get(vhi).f32x4Gt().v128Bitselect().set(ov[k])
	}
	f.end()
	// Transpose each output row r (vectors ov[4r..4r+3], lanes = tiles) to
	// one vector per tile and store it in the tile's row r.
	for l := 0; l < 4; l++ {
		f.get(p[l]).set(ql[l])
	}
	t0, t1, t2, t3 := tmp[0], tmp[1], tmp[2], tmp[3]
	for r := 0; r < 4; r++ {
		a, b, c, d := ov[4*r], ov[4*r+1], ov[4*r+2], ov[4*r+3]
		f.get(a).get(b).i8x16Shuffle(shufLo).set(t0)
		f.get(a).get(b).i8x16Shuffle(shufHi).set(t1)
		f.get(c).get(d).i8x16Shuffle(shufLo).set(t2)
		f.get(c).get(d).i8x16Shuffle(shufHi).set(t3)
		f.get(ql[0]).get(t0).get(t2).i8x16Shuffle(shufLo64).v128Store(0)
		f.get(ql[1]).get(t0).get(t2).i8x16Shuffle(shufHi64).v128Store(0)
		f.get(ql[2]).get(t1).get(t3).i8x16Shuffle(shufLo64).v128Store(0)
		f.get(ql[3]).get(t1).get(t3).i8x16Shuffle(shufHi64).v128Store(0)
		if r < 3 {
			for l := 0; l < 4; l++ {
				f.addTo2(ql[l], row[l])
			}
		}
	}
	for l := 0; l < 4; l++ {
		f.addTo2(p[l], ch[l])
	}
	f.addTo2(y, ldy)
	f.get(n).i32(1).i32Sub().tee(n).brIf(0)
	f.end()
	f.end()
	m.export("wino4_out", f)
}
