package simd

import "math"

// Max pooling: four outputs of one row per vector, each folding its window
// taps in order with fmax semantics (Go's max: a NaN wins, -0 is below +0),
// built from comparisons and a bitselect because f32x4.max returns a
// canonical NaN instead of the input's and f32x4.pmax ignores a NaN in its
// second operand.

// SIMD opcodes used by the pooling and activation kernels.
func (f *fn) f32x4ReplaceLane(l byte) *fn { return f.simd(0x20).op(l) }
func (f *fn) i32x4Splat() *fn             { return f.simd(0x11) }
func (f *fn) i32x4Eq() *fn                { return f.simd(0x37) }
func (f *fn) f32x4Eq() *fn                { return f.simd(0x41) }
func (f *fn) f32x4Ne() *fn                { return f.simd(0x42) }
func (f *fn) f32x4Lt() *fn                { return f.simd(0x43) }
func (f *fn) f32x4Gt() *fn                { return f.simd(0x44) }
func (f *fn) v128And() *fn                { return f.simd(0x4e) }
func (f *fn) v128Or() *fn                 { return f.simd(0x50) }
func (f *fn) v128Bitselect() *fn          { return f.simd(0x52) }

// fmaxInto emits acc = fmax(acc, v) lane by lane: v if v > acc, v is NaN,
// or acc is -0 and v is ±0; else acc.
func (f *fn) fmaxInto(acc, v, negZero, zero local) {
	f.get(v).get(acc)
	f.get(v).get(acc).f32x4Gt()
	f.get(v).get(v).f32x4Ne().v128Or()
	f.get(acc).get(negZero).i32x4Eq().get(v).get(zero).f32x4Eq().v128And().v128Or()
	f.v128Bitselect().set(acc)
}

// addMaxPool adds
//
//	maxpool(dst, x, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw)
//
// (addresses in bytes, everything else in floats; see MaxPoolRef).
func addMaxPool(m *module) {
	f := m.newFunc("maxpool", []valType{tI32, tI32, tI32, tI32, tI32, tI32, tI32, tI32, tI32, tI32, tI32}, nil)
	dst, x, n, rows := f.param(0), f.param(1), f.param(2), f.param(3)
	dstRow, xRow, kh, kw, tapRow, sw, dw := f.param(4), f.param(5), f.param(6), f.param(7), f.param(8), f.param(9), f.param(10)
	d, xr, t, ph, p, jh, jw := f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32)
	s2, s3, step := f.local(tI32), f.local(tI32), f.local(tI32)
	acc, v, negInf, negZero, zero := f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128)
	for _, l := range []local{dstRow, xRow, tapRow, sw, dw} {
		f.get(l).i32(2).i32Shl().set(l)
	}
	f.strides(sw, s2, s3, step)
	f.splatConst(negInf, float32(math.Inf(-1)))
	f.i32(math.MinInt32).i32x4Splat().set(negZero)
	f.v128Zero().set(zero)
	loop := sweepLoop{rows, n, kh, kw, dst, x, dstRow, xRow, d, xr, t}
	f.byStride(sw, func(mode int) {
		f.sweep(loop, func() {
			f.loop() // groups of four outputs
			f.get(negInf).set(acc)
			f.get(xr).set(ph)
			f.get(kh).set(jh)
			f.loop() // window rows
			f.get(ph).set(p)
			f.get(kw).set(jw)
			f.loop() // taps of a window row
			f.gather4(mode, p, sw, s2, s3, v)
			f.fmaxInto(acc, v, negZero, zero)
			f.addTo2(p, dw)
			f.get(jw).i32(1).i32Sub().tee(jw).brIf(0)
			f.end()
			f.addTo2(ph, tapRow)
			f.get(jh).i32(1).i32Sub().tee(jh).brIf(0)
			f.end()
			f.get(d).get(acc).v128Store(0)
			f.addTo(d, 16)
			f.addTo2(xr, step)
			f.get(t).i32(4).i32Sub().tee(t).i32(0).i32GtS().brIf(0)
			f.end()
		})
	})
	m.export("maxpool", f)
}

// fmax32 is max(m, v) with Go's semantics (see ops' fmax32).
func fmax32(m, v float32) float32 {
	if v > m || v != v || v == 0 && math.Float32bits(m) == 0x80000000 {
		return v
	}
	return m
}

// MaxPoolRef is the pure-Go twin of the maxpool kernel (ops.PoolMaxKernel),
// on slices instead of addresses: for r < rows and t < n (n a multiple of
// 4) it sets dst[r*dstRow+t] to the maximum, folded from -Inf in fmax
// semantics (Go's max: a NaN wins, -0 is below +0), of the taps
// x[r*xRow + jh*tapRow + t*sw + jw*dw] for jh < kh, then jw < kw.
func MaxPoolRef(dst, x []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int) {
	for r := 0; r < rows; r++ {
		for t := 0; t < n; t++ {
			acc := float32(math.Inf(-1))
			for jh := 0; jh < kh; jh++ {
				for jw := 0; jw < kw; jw++ {
					acc = fmax32(acc, x[r*xRow+jh*tapRow+t*sw+jw*dw])
				}
			}
			dst[r*dstRow+t] = acc
		}
	}
}

// More opcodes.
func (f *fn) f64ConvertI32S() *fn         { return f.op(0xb7) }
func (f *fn) f32x4ExtractLane(l byte) *fn { return f.simd(0x1f).op(l) }

// addGlobalAvg adds
//
//	globalavg(dst, x, planes, spatial)
//
// (dst and x byte addresses; see GlobalAvgRef): two planes at a time, one
// per f64x2 lane, each summed in float64 in order: four values of each
// plane loaded at once, interleaved (a0 b0 a1 b1, a2 b2 a3 b3), promoted a
// pair at a time and added, then the last spatial%4 one at a time; the
// sums divided by spatial and rounded to float32. A last, odd plane is
// paired with itself.
func addGlobalAvg(m *module) {
	f := m.newFunc("globalavg", []valType{tI32, tI32, tI32, tI32}, nil)
	dst, x, planes, spatial := f.param(0), f.param(1), f.param(2), f.param(3)
	p0, p1, n, row := f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32)
	acc, div, a, b, t := f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128), f.local(tV128)
	f.get(spatial).f64ConvertI32S().f64x2Splat().set(div)
	f.get(spatial).i32(2).i32Shl().set(row)
	lo := [16]byte{0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23}
	hi := [16]byte{8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31}
	up := [16]byte{8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15}
	addPair := func() { // acc += promote(t's low pair), then of its high pair
		f.get(acc).get(t).f64x2PromoteLow().f64x2Add().set(acc)
		f.get(acc).get(t).get(t).i8x16Shuffle(up).f64x2PromoteLow().f64x2Add().set(acc)
	}
	// sums sets acc to the sums of the planes at p0 and p1.
	sums := func() {
		f.v128Zero().set(acc)
		f.get(spatial).set(n)
		f.until(func() { f.get(n).i32(4).i32LtS() }, func() {
			f.get(p0).v128Load(0).set(a)
			f.get(p1).v128Load(0).set(b)
			f.get(a).get(b).i8x16Shuffle(lo).set(t)
			addPair()
			f.get(a).get(b).i8x16Shuffle(hi).set(t)
			addPair()
			f.addTo(p0, 16)
			f.addTo(p1, 16)
			f.addTo(n, -4)
		})
		f.until(func() { f.get(n).i32Eqz() }, func() {
			f.get(p0).f32Load(0).f32x4Splat().get(p1).f32Load(0).f32x4ReplaceLane(1).set(t)
			f.get(acc).get(t).f64x2PromoteLow().f64x2Add().set(acc)
			f.addTo(p0, 4)
			f.addTo(p1, 4)
			f.addTo(n, -1)
		})
		f.get(acc).get(div).f64x2Div().f32x4DemoteF64x2().set(t)
	}
	f.block()
	f.get(spatial).i32(0).i32LeS().brIf(0)
	f.until(func() { f.get(planes).i32(2).i32LtS() }, func() { // pairs of planes
		f.get(x).set(p0)
		f.get(x).get(row).i32Add().set(p1)
		sums()
		f.get(dst).get(t).v128Store64Lane(0, 0)
		f.addTo(dst, 8)
		f.get(x).get(row).i32(1).i32Shl().i32Add().set(x)
		f.addTo(planes, -2)
	})
	f.get(planes).if_() // the last, odd plane
	f.get(x).set(p0)
	f.get(x).set(p1)
	sums()
	f.get(dst).get(t).f32x4ExtractLane(0).f32Store(0)
	f.end()
	f.end()
	m.export("globalavg", f)
}

// GlobalAvgRef is the pure-Go twin of the globalavg kernel
// (ops.GlobalAvgKernel): dst[p] = float32(s/spatial), s the float64 sum in
// order of the float32 values of plane p.
func GlobalAvgRef(dst, x []float32, planes, spatial int) {
	for p := 0; p < planes; p++ {
		s := 0.0
		for _, v := range x[p*spatial : (p+1)*spatial] {
			s += float64(v)
		}
		dst[p] = float32(s / float64(spatial))
	}
}
