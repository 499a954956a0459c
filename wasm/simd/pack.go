package simd

// addPackB adds
//
//	packb(dst, src, rows, groups, srcRow, sw, step)
//
// (dst and src byte addresses, srcRow, sw and step in floats; see
// PackBRef): one v128 store per group of four values, read with one v128
// load when they are contiguous, two loads and a shuffle every other value
// (the seven floats from the first, as dw.go's gather4), else four lane
// loads.
func addPackB(m *module) {
	f := m.newFunc("packb", []valType{tI32, tI32, tI32, tI32, tI32, tI32, tI32}, nil)
	dst, src, rows, groups, srcRow, sw, step := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6)
	d, s, q := f.local(tI32), f.local(tI32), f.local(tI32)
	s2, s3, gstep := f.local(tI32), f.local(tI32), f.local(tI32)
	v := f.local(tV128)
	f.get(srcRow).i32(2).i32Shl().set(srcRow)
	f.get(step).i32(2).i32Shl().set(step)
	f.get(sw).i32(2).i32Shl().set(sw)
	f.strides(sw, s2, s3, gstep)
	nest := func(mode int) {
		f.block()
		f.get(rows).i32(0).i32LeS().brIf(0)
		f.get(groups).i32(0).i32LeS().brIf(0)
		f.loop() // rows
		f.get(dst).set(d)
		f.get(src).set(s)
		f.get(groups).set(q)
		f.loop() // groups
		f.gather4(mode, s, sw, s2, s3, v)
		f.get(d).get(v).v128Store(0)
		f.addTo2(d, step)
		f.addTo2(s, gstep)
		f.get(q).i32(1).i32Sub().tee(q).brIf(0)
		f.end()
		f.addTo(dst, 16)
		f.addTo2(src, srcRow)
		f.get(rows).i32(1).i32Sub().tee(rows).brIf(0)
		f.end()
		f.end()
	}
	f.byStride(sw, nest)
	m.export("packb", f)
}

// PackBRef is the pure-Go twin of the packb kernel (ops.PackBKernel): for
// r < rows, q < groups and l < 4 it sets dst[q*step+r*4+l] to
// src[r*srcRow+(q*4+l)*sw].
func PackBRef(dst, src []float32, rows, groups, srcRow, sw, step int) {
	for r := 0; r < rows; r++ {
		for q := 0; q < groups; q++ {
			for l := 0; l < 4; l++ {
				dst[q*step+r*4+l] = src[r*srcRow+(q*4+l)*sw]
			}
		}
	}
}

// More opcodes.
func (f *fn) i32Load(off uint32) *fn  { return f.op(0x28).memarg(2, off) }
func (f *fn) i32Store(off uint32) *fn { return f.op(0x36).memarg(2, off) }

// addGather adds
//
//	gather(dst, src, offs, n, srcLen)
//
// (dst, src and offs byte addresses, offs of n int32 offsets in floats; see
// GatherRef): dst[j] = src[offs[j]] as 32-bit integers (the values' bits),
// the offset clamped to srcLen-1 (unsigned, so a negative one too) so that
// a wrong offset cannot read outside src.
func addGather(m *module) {
	f := m.newFunc("gather", []valType{tI32, tI32, tI32, tI32, tI32}, nil)
	dst, src, offs, n, srcLen := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4)
	o, last := f.local(tI32), f.local(tI32)
	f.block()
	f.get(n).i32(0).i32LeS().brIf(0)
	f.get(srcLen).i32(0).i32LeS().brIf(0)
	f.get(srcLen).i32(1).i32Sub().set(last)
	f.loop()
	f.get(offs).i32Load(0).set(o)
	f.get(dst)
	f.get(src)
	f.get(o).get(last).get(o).get(last).i32LtU().selectOp()
	f.i32(2).i32Shl().i32Add().i32Load(0)
	f.i32Store(0)
	f.addTo(dst, 4)
	f.addTo(offs, 4)
	f.get(n).i32(1).i32Sub().tee(n).brIf(0)
	f.end()
	f.end()
	m.export("gather", f)
}

// GatherRef is the pure-Go twin of the gather kernel (ops.GatherKernel):
// dst[j] = src[offs[j]] for j < len(dst).
func GatherRef(dst, src []float32, offs []int32) {
	for j := range dst {
		dst[j] = src[offs[j]]
	}
}
