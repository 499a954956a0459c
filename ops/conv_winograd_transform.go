package ops

// The Winograd transforms of F(2,3) and F(4,3), and the pure-Go Winograd kernels.

// The G matrices of F(2,3) and F(4,3) (rows padded to 6).
var (
	winoG2 = [6][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	winoG4 = [6][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
)

// winoS2 and winoS4 are the divisors s of G = diag(1/s) H for F(2,3) and
// F(4,3), H being the integer matrices of winoH2 and winoH4.
var (
	winoS2 = [6]float64{1, 2, 2, 1, 1, 1}
	winoS4 = [6]float64{4, 6, 6, 24, 24, 1}
)

// winoH2 sets o to H·(a, b, c) for F(2,3): rows (1 0 0), (1 1 1),
// (1 -1 1), (0 0 1).
func winoH2(o *[6]float64, a, b, c float64) {
	s := a + c
	o[0], o[1], o[2], o[3] = a, s+b, s-b, c
}

// winoH4 sets o to H·(a, b, c) for F(4,3): rows (1 0 0), (-1 -1 -1),
// (-1 1 -1), (1 2 4), (1 -2 4), (0 0 1).
func winoH4(o *[6]float64, a, b, c float64) {
	s := a + c
	t := a + float64(4*c)
	b2 := float64(2 * b)
	o[0], o[1], o[2], o[3], o[4], o[5] = a, -(s + b), b-s, t+b2, t-b2, c
}

// winograd4InGo is the pure-Go Winograd4InKernel: wino4In2D on each tile's
// patch.
func winograd4InGo(src [4][]float32, row, ch [4]int, v []float32, n, stride int) {
	var d, o [36]float32
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			s := src[l][g*ch[l]:]
			for r := 0; r < 6; r++ {
				copy(d[r*6:r*6+6], s[r*row[l]:r*row[l]+6])
			}
			wino4In2D(&o, &d)
			for p, y := range o {
				v[p*stride+g*4+l] = y
			}
		}
	}
}

// winograd4OutGo is the pure-Go Winograd4OutKernel: wino4Out2D on each
// tile's products, then the bias and clip32.
func winograd4OutGo(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32) {
	var m, o [36]float32
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			for p := range m {
				m[p] = y[p*stride+g*ldy+l]
			}
			wino4Out2D(&o, &m)
			d := dst[l][g*ch[l]:]
			for r := 0; r < 4; r++ {
				seg := d[r*row[l] : r*row[l]+4]
				for c := range seg {
					v := o[r*4+c]
					if bias != nil {
						v += bias[g]
					}
					if clip {
						v = clip32(v, lo, hi)
					}
					seg[c] = v
				}
			}
		}
	}
}

// wino2In returns Bᵀx for F(2,3).
func wino2In(x0, x1, x2, x3 float32) (y0, y1, y2, y3 float32) {
	return x0 - x2, x1 + x2, x2 - x1, x3 - x1
}

// wino2Out returns Aᵀm for F(2,3).
func wino2Out(m0, m1, m2, m3 float32) (o0, o1 float32) {
	return m0 + m1 + m2, m1 - m2 + m3
}

// Winograd4In returns Bᵀx for F(4,3): the input transform that the
// winograd4 algorithm applies along each axis of a 6x6 patch. It is exported
// so that the SIMD kernels' pure-Go twins (wasm/simd) compute exactly what
// this package does.
func Winograd4In(x0, x1, x2, x3, x4, x5 float32) (y0, y1, y2, y3, y4, y5 float32) {
	a := x4 - float32(4*x2)
	b := x3 - float32(4*x1)
	c := x4 - x2
	d := float32(2 * (x3 - x1))
	y0 = x4 + float32(4*x0) - float32(5*x2)
	y5 = x5 + float32(4*x1) - float32(5*x3)
	return y0, a + b, a - b, c + d, c - d, y5
}

// Winograd4Out returns Aᵀm for F(4,3): the output transform of the
// winograd4 algorithm along one axis (see Winograd4In).
func Winograd4Out(m0, m1, m2, m3, m4, m5 float32) (o0, o1, o2, o3 float32) {
	s12, d12 := m1+m2, m1-m2
	s34, d34 := m3+m4, m3-m4
	o0 = m0 + s12 + s34
	o1 = d12 + float32(2*d34)
	o2 = s12 + float32(4*s34)
	o3 = d12 + float32(8*d34) + m5
	return
}

// wino2In2D computes o = Bᵀ d B for a 4×4 patch d (row-major, rows 4 apart).
func wino2In2D(o, d *[36]float32) {
	var t [16]float32
	for j := 0; j < 4; j++ {
		t[j], t[4+j], t[8+j], t[12+j] = wino2In(d[j], d[4+j], d[8+j], d[12+j])
	}
	for i := 0; i < 4; i++ {
		o[4*i], o[4*i+1], o[4*i+2], o[4*i+3] = wino2In(t[4*i], t[4*i+1], t[4*i+2], t[4*i+3])
	}
}

// wino2Out2D computes the 2×2 tile o = Aᵀ m A (rows 2 apart) of a 4×4 m.
func wino2Out2D(o, m *[36]float32) {
	var t [8]float32
	for j := 0; j < 4; j++ {
		t[j], t[4+j] = wino2Out(m[j], m[4+j], m[8+j], m[12+j])
	}
	for i := 0; i < 2; i++ {
		o[2*i], o[2*i+1] = wino2Out(t[4*i], t[4*i+1], t[4*i+2], t[4*i+3])
	}
}

// wino4In2D computes o = Bᵀ d B for a 6×6 patch d (rows 6 apart).
func wino4In2D(o, d *[36]float32) {
	var t [36]float32
	for j := 0; j < 6; j++ {
		t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j] = Winograd4In(d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j])
	}
	for i := 0; i < 6; i++ {
		r := t[6*i : 6*i+6 : 6*i+6]
		o[6*i], o[6*i+1], o[6*i+2], o[6*i+3], o[6*i+4], o[6*i+5] = Winograd4In(r[0], r[1], r[2], r[3], r[4], r[5])
	}
}

// wino4Out2D computes the 4×4 tile o = Aᵀ m A (rows 4 apart) of a 6×6 m.
func wino4Out2D(o, m *[36]float32) {
	var t [24]float32
	for j := 0; j < 6; j++ {
		t[j], t[6+j], t[12+j], t[18+j] = Winograd4Out(m[j], m[6+j], m[12+j], m[18+j], m[24+j], m[30+j])
	}
	for i := 0; i < 4; i++ {
		r := t[6*i : 6*i+6 : 6*i+6]
		o[4*i], o[4*i+1], o[4*i+2], o[4*i+3] = Winograd4Out(r[0], r[1], r[2], r[3], r[4], r[5])
	}
}
