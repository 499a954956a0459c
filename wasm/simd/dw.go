package simd

// Depthwise convolution and the clip activation.
//
// depthwise sweeps the interior of one plane of a 2D depthwise convolution,
// four outputs of a row per vector and dwWide vectors side by side, with the
// loop nest of maxpool: each output sums f32x4.mul(splat(w[tap]), taps) in
// tap order from zero, then adds the bias, as ops' pure-Go depthwise kernel
// does with scalars.
//
// clip applies ReLU (lo = +0, hi = +Inf) or Clip to a strided block: lo where
// v < lo, then hi where v > hi, both compared with the original v, so a NaN
// passes; the bitselects keep the exact values (f32x4.max would not).

// More opcodes.
func (f *fn) f32Lt() *fn             { return f.op(0x5d) }
func (f *fn) f32Gt() *fn             { return f.op(0x5e) }
func (f *fn) f32ReinterpretI32() *fn { return f.op(0xbe) }

// gather4 emits v = the four floats at p, p+sw, p+2sw, p+3sw (byte strides
// sw, s2 = 2sw, s3 = 3sw) for the given mode: 0 contiguous, 1 every other
// float, 2 any stride. Mode 1 reads the seven floats from p exactly.
func (f *fn) gather4(mode int, p, sw, s2, s3, v local) {
	switch mode {
	case 0:
		f.get(p).v128Load(0).set(v)
	case 1:
		f.get(p).v128Load(0).get(p).v128Load(12)
		f.i8x16Shuffle([16]byte{0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 28, 29, 30, 31}).set(v)
	default:
		f.get(p).f32Load(0).f32x4Splat()
		f.get(p).get(sw).i32Add().f32Load(0).f32x4ReplaceLane(1)
		f.get(p).get(s2).i32Add().f32Load(0).f32x4ReplaceLane(2)
		f.get(p).get(s3).i32Add().f32Load(0).f32x4ReplaceLane(3)
		f.set(v)
	}
}

// strides sets gather4's s2 = 2sw and s3 = 3sw and step = 4sw, the span of
// four outputs (sw a stride in bytes).
func (f *fn) strides(sw, s2, s3, step local) {
	f.get(sw).i32(1).i32Shl().set(s2)
	f.get(s2).get(sw).i32Add().set(s3)
	f.get(sw).i32(2).i32Shl().set(step)
}

// byStride emits nest with the gather4 mode of the byte stride sw: 0 when
// sw is 4 (contiguous), 1 when it is 8 (every other float), else 2.
func (f *fn) byStride(sw local, nest func(mode int)) {
	f.get(sw).i32(4).i32Eq().if_()
	nest(0)
	f.else_()
	f.get(sw).i32(8).i32Eq().if_()
	nest(1)
	f.else_()
	nest(2)
	f.end()
	f.end()
}

// sweepLoop names the locals of the row loop that maxpool and depthwise
// share: the kernels' rows, n (outputs per row), kh and kw, and dst and x
// with their row strides in bytes; d, xr and t are each row's output and
// input addresses and outputs left.
type sweepLoop struct {
	rows, n, kh, kw, dst, x, dstRow, xRow, d, xr, t local
}

// sweep emits the row loop: nothing when rows, n, kh or kw is <= 0, else
// for each row d = dst, xr = x and t = n, then row, then dst and x one row
// on.
func (f *fn) sweep(s sweepLoop, row func()) {
	f.block()
	f.get(s.rows).i32(0).i32LeS().brIf(0)
	f.get(s.n).i32(0).i32LeS().brIf(0)
	f.get(s.kh).i32(0).i32LeS().brIf(0)
	f.get(s.kw).i32(0).i32LeS().brIf(0)
	f.loop() // rows
	f.get(s.dst).set(s.d)
	f.get(s.x).set(s.xr)
	f.get(s.n).set(s.t)
	row()
	f.addTo2(s.dst, s.dstRow)
	f.addTo2(s.x, s.xRow)
	f.get(s.rows).i32(1).i32Sub().tee(s.rows).brIf(0)
	f.end()
	f.end()
}

// dwWide is the number of four-output vectors the depthwise kernel computes
// side by side while at least that many remain in a row: one accumulator
// each, so that their chains of adds overlap (one vector alone waits for
// each add before the next, about a third of the multiply-add throughput)
// and each weight is splat once for all of them.
const dwWide = 4

// addDepthwise adds
//
//	depthwise(dst, x, w, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, bias)
//
// (dst, x, w and bias are byte addresses, bias 0 for none; everything else
// in floats; see DepthwiseRef). Each row runs in blocks of dwWide vectors,
// then vector by vector; every output's sum is the same either way.
func addDepthwise(m *module) {
	params := make([]valType, 13)
	for i := range params {
		params[i] = tI32
	}
	f := m.newFunc("depthwise", params, nil)
	dst, x, w, n, rows := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4)
	dstRow, xRow, kh, kw, tapRow, sw, dw, bias := f.param(5), f.param(6), f.param(7), f.param(8), f.param(9), f.param(10), f.param(11), f.param(12)
	d, xr, t, ph, p, jh, jw, pw := f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32)
	s2, s3, step, q := f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32)
	v, bv, wv := f.local(tV128), f.local(tV128), f.local(tV128)
	acc := make([]local, dwWide)
	for i := range acc {
		acc[i] = f.local(tV128)
	}
	for _, l := range []local{dstRow, xRow, tapRow, sw, dw} {
		f.get(l).i32(2).i32Shl().set(l)
	}
	f.strides(sw, s2, s3, step)
	f.get(bias).if_()
	f.get(bias).v128Load32Splat(0).set(bv)
	f.end()
	// group runs the vectors acc[:g] at xr (vector i's taps step*i bytes
	// further) and stores them at d.
	group := func(mode, g int) {
		for i := 0; i < g; i++ {
			f.v128Zero().set(acc[i])
		}
		f.get(xr).set(ph)
		f.get(w).set(pw)
		f.get(kh).set(jh)
		f.loop() // kernel rows
		f.get(ph).set(p)
		f.get(kw).set(jw)
		f.loop() // taps of a kernel row
		f.get(pw).v128Load32Splat(0).set(wv)
		for i := 0; i < g; i++ {
			src := p
			if i > 0 {
				f.get(p)
				for k := 0; k < i; k++ {
					f.get(step).i32Add()
				}
				f.set(q)
				src = q
			}
			f.gather4(mode, src, sw, s2, s3, v)
			f.get(acc[i]).get(wv).get(v).f32x4Mul().f32x4Add().set(acc[i])
		}
		f.addTo2(p, dw)
		f.addTo(pw, 4)
		f.get(jw).i32(1).i32Sub().tee(jw).brIf(0)
		f.end()
		f.addTo2(ph, tapRow)
		f.get(jh).i32(1).i32Sub().tee(jh).brIf(0)
		f.end()
		for i := 0; i < g; i++ {
			f.get(bias).if_()
			f.get(acc[i]).get(bv).f32x4Add().set(acc[i])
			f.end()
			f.get(d).get(acc[i]).v128Store(uint32(16 * i))
		}
		f.addTo(d, int32(16*g))
		for i := 0; i < g; i++ {
			f.addTo2(xr, step)
		}
		f.addTo(t, int32(-4*g))
	}
	loop := sweepLoop{rows, n, kh, kw, dst, x, dstRow, xRow, d, xr, t}
	f.byStride(sw, func(mode int) {
		f.sweep(loop, func() {
			f.until(func() { f.get(t).i32(4 * dwWide).i32LtS() }, func() { // blocks of dwWide vectors
				group(mode, dwWide)
			})
			f.until(func() { f.get(t).i32(0).i32LeS() }, func() { // single vectors
				group(mode, 1)
			})
		})
	})
	m.export("depthwise", f)
}

// DepthwiseRef is the pure-Go twin of the depthwise kernel
// (ops.DepthwiseKernel), on slices instead of addresses: for r < rows and
// t < n (n a multiple of 4) it sets dst[r*dstRow+t] to the sum from 0 of
// w[jh*kw+jw]·x[r*xRow + jh*tapRow + t*sw + jw*dw] for jh < kh, then
// jw < kw, each product rounded to float32, plus bias[0] if bias is not nil.
func DepthwiseRef(dst, x, w []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int, bias []float32) {
	for r := 0; r < rows; r++ {
		for t := 0; t < n; t++ {
			var acc float32
			for jh := 0; jh < kh; jh++ {
				for jw := 0; jw < kw; jw++ {
					acc += float32(w[jh*kw+jw] * x[r*xRow+jh*tapRow+t*sw+jw*dw])
				}
			}
			if bias != nil {
				acc += bias[0]
			}
			dst[r*dstRow+t] = acc
		}
	}
}

// blockRows emits the row loop of a kernel on a strided block of rows rows
// of cols values, ldc bytes apart from c (clip, hardact, sigmoid): nothing
// when rows or cols is <= 0, else for each row p = the row's address and
// t = cols, then row, then c one row on.
func (f *fn) blockRows(c, rows, cols, ldc, p, t local, row func()) {
	f.block()
	f.get(rows).i32(0).i32LeS().brIf(0)
	f.get(cols).i32(0).i32LeS().brIf(0)
	f.loop() // rows
	f.get(c).set(p)
	f.get(cols).set(t)
	row()
	f.addTo2(c, ldc)
	f.get(rows).i32(1).i32Sub().tee(rows).brIf(0)
	f.end()
	f.end()
}

// addClip adds
//
//	clip(c, rows, cols, ldc, lo, hi)
//
// (c a byte address, ldc in floats, lo and hi the bits of float32 bounds;
// see ClipRef).
func addClip(m *module) {
	f := m.newFunc("clip", []valType{tI32, tI32, tI32, tI32, tI32, tI32}, nil)
	c, rows, cols, ldc, loBits, hiBits := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5)
	p, t := f.local(tI32), f.local(tI32)
	lo, hi, s, r := f.local(tF32), f.local(tF32), f.local(tF32), f.local(tF32)
	vlo, vhi, v, vr := f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128)
	f.get(ldc).i32(2).i32Shl().set(ldc)
	f.get(loBits).f32ReinterpretI32().set(lo)
	f.get(hiBits).f32ReinterpretI32().set(hi)
	f.get(lo).f32x4Splat().set(vlo)
	f.get(hi).f32x4Splat().set(vhi)
	f.blockRows(c, rows, cols, ldc, p, t, func() {
		// Groups of four.
		f.until(func() { f.get(t).i32(4).i32LtS() }, func() {
			f.get(p).v128Load(0).set(v)
			f.get(vlo).get(v).get(v).get(vlo).f32x4Lt().v128Bitselect().set(vr)
			f.get(vhi).get(vr).get(v).get(vhi).f32x4Gt().v128Bitselect().set(vr)
			f.get(p).get(vr).v128Store(0)
			f.addTo(p, 16)
			f.addTo(t, -4)
		})
		// The last cols%4 values.
		f.until(func() { f.get(t).i32Eqz() }, func() {
			f.get(p).f32Load(0).set(s)
			f.get(lo).get(s).get(s).get(lo).f32Lt().selectOp().set(r)
			f.get(hi).get(r).get(s).get(hi).f32Gt().selectOp().set(r)
			f.get(p).get(r).f32Store(0)
			f.addTo(p, 4)
			f.addTo(t, -1)
		})
	})
	m.export("clip", f)
}

// ClipRef is the pure-Go twin of the clip kernel (ops.ClipKernel): for
// r < rows and j < cols it replaces v = c[r*ldc+j] by lo if v < lo, then by
// hi if v > hi (both tests on the original v, so a NaN passes).
func ClipRef(c []float32, rows, cols, ldc int, lo, hi float32) {
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			v := c[r*ldc+j]
			u := v
			if v < lo {
				u = lo
			}
			if v > hi {
				u = hi
			}
			c[r*ldc+j] = u
		}
	}
}
