package ops

import "math/bits"

// FFT convolution (overlap-save).
//
// The output of each image is cut into tiles of valid = T-K+1 outputs per
// axis, where T (a power of two per axis, chosen by fftChooseTile) is the FFT
// size. The input patch of a tile (T values per axis, zero outside the
// input) and every kernel (zero-padded to T) are transformed by a real
// multi-dimensional DFT; correlation is the product X·conj(W) summed over
// input channels, and the inverse DFT of that sum gives the T^rank circular
// correlation whose first valid values per axis are the wanted outputs (no
// wrap-around reaches them).
//
// Real transforms keep half the spectrum along W (T_W/2+1 bins) and full
// spectra along H and D. The sum over channels, for each frequency bin, is a
// complex GEMM done as a real one with interleaved parts:
//
//	[ Yr ]   [  Wr  Wi ] [ Xr ]
//	[ Yi ] = [ -Wi  Wr ] [ Xi ]    (one 2×2 block per output/input channel pair)
//
// which runs on the transform-GEMM engine shared with Winograd (xformGemm).
//
// Precision: the weight spectra are computed in float64 by direct DFTs
// (with the 1/T^rank normalisation folded in) and rounded once; the input
// and output transforms and the channel sums run in float32. Twiddle factors
// come from fftSinCos, a plain-Go float64 sine/cosine (math.Sin and math.Cos
// are pure Go on amd64 too, but an own routine pins every bit), rounded to
// float32. Errors therefore grow with log2(T) like any float32 FFT: see
// TestFFTAccuracy for measured figures.
//
// The transforms are an iterative radix-2 complex FFT with precomputed
// bit-reversal and twiddle tables; two real rows go through one complex FFT
// (one as the real, one as the imaginary part) and are separated using the
// Hermitian symmetry of real spectra, and the inverse runs the same trick
// backwards.

// AlgoFFT is the FFT convolution: stride 1, dilation 1, groups 1, any rank.
const AlgoFFT ConvAlgo = "fft"

// FFT limits: a tile plane has at most fftMaxPlane values, and the
// transformed weights (4·M·C·bins float32) at most fftMinWeightCap values
// (32 MB) or 16 times the untransformed weights, whichever is larger, and
// never more than fftMaxWeights (128 MB).
const (
	fftMaxPlane     = 1 << 22
	fftMinWeightCap = 1 << 23
	fftMaxWeights   = 1 << 25
)

// fftAxis holds the tables of one FFT length.
type fftAxis struct {
	n   int
	rev []int32   // bit-reversal permutation
	fw  []float32 // exp(-2πi j/n), j < n/2, interleaved (re, im)
	inv []float32 // exp(+2πi j/n)
}

func newFFTAxis(n int) fftAxis {
	a := fftAxis{n: n, rev: make([]int32, n), fw: make([]float32, n&^1), inv: make([]float32, n&^1)}
	lg := bits.Len(uint(n)) - 1
	for i := range a.rev {
		if lg > 0 {
			a.rev[i] = int32(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
		}
	}
	for j := 0; j < n/2; j++ {
		s, c := fftSinCos(j, n)
		a.fw[2*j], a.fw[2*j+1] = float32(c), float32(-s)
		a.inv[2*j], a.inv[2*j+1] = float32(c), float32(s)
	}
	return a
}

// fft32 transforms the n complex values z (interleaved) in place with the
// twiddles tw (a.fw: forward, a.inv: inverse without the 1/n scale).
func fft32(z []float32, rev []int32, tw []float32) {
	n := len(rev)
	z = z[:2*n]
	for i, j := range rev {
		if int(j) > i {
			z[2*i], z[2*j] = z[2*j], z[2*i]
			z[2*i+1], z[2*j+1] = z[2*j+1], z[2*i+1]
		}
	}
	if n >= 2 {
		for i := 0; i < 2*n; i += 4 {
			ar, ai, br, bi := z[i], z[i+1], z[i+2], z[i+3]
			z[i], z[i+1], z[i+2], z[i+3] = ar+br, ai+bi, ar-br, ai-bi
		}
	}
	for size := 4; size <= n; size <<= 1 {
		half := size >> 1
		step := 2 * (n / size)
		for start := 0; start < n; start += size {
			a := z[2*start : 2*(start+half)]
			b := z[2*(start+half) : 2*(start+size)]
			b = b[:len(a)]
			for k := 0; k < half; k++ {
				wr, wi := tw[k*step], tw[k*step+1]
				xr, xi := b[2*k], b[2*k+1]
				tr := float32(wr*xr) - float32(wi*xi)
				ti := float32(wr*xi) + float32(wi*xr)
				ar, ai := a[2*k], a[2*k+1]
				b[2*k], b[2*k+1] = ar-tr, ai-ti
				a[2*k], a[2*k+1] = ar+tr, ai+ti
			}
		}
	}
}

// fftSinCos returns sin and cos of 2π·j/n in float64 with a plain-Go
// Taylor series on an angle reduced to [0, π/4], so that every platform gets
// the same bits.
func fftSinCos(j, n int) (sin, cos float64) {
	j %= n
	if j < 0 {
		j += n
	}
	// 2πj/n = q·π/2 + (π/2)·rem/n with 4j = q·n + rem.
	q, rem := 4*j/n, 4*j%n
	swap := 2*rem > n
	if swap {
		rem = n - rem
	}
	x := float64(rem) / float64(n) * (3.141592653589793 / 2)
	x2 := float64(x * x)
	// sin x = x - x³/3! + ..., cos x = 1 - x²/2! + ... to x¹⁹ and x²⁰.
	s, c := 0.0, 0.0
	for k := 10; k >= 1; k-- {
		s = 1 - float64(x2*s)/float64((2*k)*(2*k+1))
		c = 1 - float64(x2*c)/float64((2*k-1)*(2*k))
	}
	s = float64(x * s)
	if swap {
		s, c = c, s
	}
	switch q {
	case 1:
		s, c = c, -s
	case 2:
		s, c = -s, -c
	case 3:
		s, c = -c, s
	}
	return s, c
}

// fftApplies reports whether the FFT convolution handles g.
func fftApplies(g ConvGeom) bool {
	_, ok := fftChooseTile(g)
	return ok
}

// fftGeom is the tiling of an FFT convolution.
type fftGeom struct {
	t          Dims3 // FFT size per axis
	valid      Dims3 // outputs per tile per axis
	nt         Dims3 // tiles per image per axis
	hw         int   // bins along W: t.W/2+1
	bins       int   // t.D*t.H*hw
	ad, ah, aw fftAxis
}

func nextPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// fftChooseTile picks the FFT size per axis minimising an estimated cost
// (padded-tile GEMM FLOPs, transform FLOPs and weight streaming) within the
// memory limits; ok is false when no size fits (fft does not apply).
func fftChooseTile(g ConvGeom) (t Dims3, ok bool) {
	if g.G != 1 || g.Stride != (Dims3{1, 1, 1}) || g.Dilate != (Dims3{1, 1, 1}) {
		return t, false
	}
	wlen := g.M * g.C * g.Kernel.prod()
	maxW := min(max(fftMinWeightCap, 16*wlen), fftMaxWeights)
	opts := func(k, out int) []int {
		var o []int
		for s := nextPow2(k); s <= nextPow2(out+k-1); s *= 2 {
			o = append(o, s)
		}
		return o
	}
	od, oh, ow := opts(g.Kernel.D, g.Out.D), opts(g.Kernel.H, g.Out.H), opts(g.Kernel.W, g.Out.W)
	best := -1.0
	for _, td := range od {
		for _, th := range oh {
			for _, tw := range ow {
				tp := td * th * tw
				if tp > fftMaxPlane {
					continue
				}
				bins := td * th * (tw/2 + 1)
				if float64(4*g.M)*float64(g.C)*float64(bins) > float64(maxW) {
					continue
				}
				tiles := g.N * ceilDiv(g.Out.D, td-g.Kernel.D+1) * ceilDiv(g.Out.H, th-g.Kernel.H+1) * ceilDiv(g.Out.W, tw-g.Kernel.W+1)
				var e xformGemm
				e.size(bins, 2*g.M, 2*g.C, tiles)
				padded := float64(e.nblk * e.tb)
				gemm := 8 * float64(g.M) * float64(g.C) * float64(bins) * padded
				lg := float64(bits.Len(uint(tp)))
				xf := 3 * float64(tiles) * float64(g.C+g.M) * float64(tp) * lg
				stream := 2 * 4 * float64(g.M) * float64(g.C) * float64(bins) * float64(e.nblk)
				if cost := gemm + xf + stream; best < 0 || cost < best {
					best, t = cost, Dims3{td, th, tw}
				}
			}
		}
	}
	return t, best >= 0
}

// fftSetup plans the tiles, builds the FFT tables and transforms the
// weights into the packed A operands of the per-bin GEMMs.
func (c *Conv) fftSetup(w []float32) {
	g := c.g
	t, _ := fftChooseTile(g)
	c.fftSetupTile(w, t)
}

// fftSetupTile is fftSetup with a given FFT size.
func (c *Conv) fftSetupTile(w []float32, t Dims3) {
	g := c.g
	k := g.Kernel
	f := fftGeom{t: t, valid: Dims3{t.D - k.D + 1, t.H - k.H + 1, t.W - k.W + 1}, hw: t.W/2 + 1}
	f.nt = Dims3{ceilDiv(g.Out.D, f.valid.D), ceilDiv(g.Out.H, f.valid.H), ceilDiv(g.Out.W, f.valid.W)}
	f.bins = t.D * t.H * f.hw
	f.ad, f.ah, f.aw = newFFTAxis(t.D), newFFTAxis(t.H), newFFTAxis(t.W)
	c.fft = f
	e := &c.xf
	extra := 2*f.bins + 2*t.W + 2*max(t.H, t.D)
	e.init(f.bins, 2*g.M, 2*g.C, g.N*f.nt.prod(), extra)

	// Float64 twiddle tables exp(-2πi j/n) = cos - i·sin.
	table := func(n int) (cs, sn []float64) {
		cs, sn = make([]float64, n), make([]float64, n)
		for j := range cs {
			sn[j], cs[j] = fftSinCos(j, n)
		}
		return
	}
	cw, sw := table(t.W)
	ch, sh := table(t.H)
	cd, sd := table(t.D)
	scale := 1 / float64(t.prod())
	r := make([]float64, 2*k.D*k.H*f.hw) // after the W DFT: [kd][kh][fw]
	s := make([]float64, 2*k.D*t.H*f.hw) // after the H DFT: [kd][fh][fw]
	u := make([]float64, 2*t.D*t.H*f.hw) // after the D DFT: [fd][fh][fw]
	ksize := k.prod()
	for mo := 0; mo < g.M; mo++ {
		for ci := 0; ci < g.C; ci++ {
			kern := w[(mo*g.C+ci)*ksize : (mo*g.C+ci+1)*ksize]
			for row := 0; row < k.D*k.H; row++ {
				kr := kern[row*k.W : (row+1)*k.W]
				for fw := 0; fw < f.hw; fw++ {
					re, im := 0.0, 0.0
					for kw, v := range kr {
						j := fw * kw % t.W
						re += float64(float64(v) * cw[j])
						im -= float64(float64(v) * sw[j])
					}
					r[2*(row*f.hw+fw)], r[2*(row*f.hw+fw)+1] = re, im
				}
			}
			for kd := 0; kd < k.D; kd++ {
				for fh := 0; fh < t.H; fh++ {
					for fw := 0; fw < f.hw; fw++ {
						re, im := 0.0, 0.0
						for kh := 0; kh < k.H; kh++ {
							j := fh * kh % t.H
							xr, xi := r[2*((kd*k.H+kh)*f.hw+fw)], r[2*((kd*k.H+kh)*f.hw+fw)+1]
							// (xr + i·xi)·(cos - i·sin)
							re += float64(xr*ch[j]) + float64(xi*sh[j])
							im += float64(xi*ch[j]) - float64(xr*sh[j])
						}
						s[2*((kd*t.H+fh)*f.hw+fw)], s[2*((kd*t.H+fh)*f.hw+fw)+1] = re, im
					}
				}
			}
			for fd := 0; fd < t.D; fd++ {
				for q := 0; q < t.H*f.hw; q++ {
					re, im := 0.0, 0.0
					for kd := 0; kd < k.D; kd++ {
						j := fd * kd % t.D
						xr, xi := s[2*(kd*t.H*f.hw+q)], s[2*(kd*t.H*f.hw+q)+1]
						re += float64(xr*cd[j]) + float64(xi*sd[j])
						im += float64(xi*cd[j]) - float64(xr*sd[j])
					}
					u[2*(fd*t.H*f.hw+q)], u[2*(fd*t.H*f.hw+q)+1] = re, im
				}
			}
			for p := 0; p < f.bins; p++ {
				wr, wi := float32(u[2*p]*scale), float32(u[2*p+1]*scale)
				a := e.a[p*e.alen:]
				a[e.aOff(2*mo, 2*ci)] = wr
				a[e.aOff(2*mo, 2*ci+1)] = wi
				a[e.aOff(2*mo+1, 2*ci)] = -wi
				a[e.aOff(2*mo+1, 2*ci+1)] = wr
			}
		}
	}
	c.wsLen = e.wsLen()
}

// fftTile returns the image and the output origin of tile t.
func (c *Conv) fftTile(t int) (n int, o Dims3) {
	f := &c.fft
	per := f.nt.prod()
	n, t = t/per, t%per
	o.W = t % f.nt.W * f.valid.W
	t /= f.nt.W
	o.H = t % f.nt.H * f.valid.H
	o.D = t / f.nt.H * f.valid.D
	return n, o
}

// fftColumns transforms, with table tw of axis a, the cnt complex sequences
// of length a.n whose element i is at buf[2*(base+j+i*stride)] for the
// sequence j in [0, cnt), using col (2·a.n values) as scratch.
func fftColumns(buf, col []float32, a *fftAxis, tw []float32, base, cnt, stride int) {
	if a.n == 1 {
		return
	}
	col = col[:2*a.n]
	for j := 0; j < cnt; j++ {
		for i := 0; i < a.n; i++ {
			o := 2 * (base + j + i*stride)
			col[2*i], col[2*i+1] = buf[o], buf[o+1]
		}
		fft32(col, a.rev, tw)
		for i := 0; i < a.n; i++ {
			o := 2 * (base + j + i*stride)
			buf[o], buf[o+1] = col[2*i], col[2*i+1]
		}
	}
}

// fftIn transforms the input patches of tiles [t0, t0+nt) into V, for all
// channels and bins, and zeroes the padding columns.
func (c *Conv) fftIn(v, x []float32, t0, nt int, extra []float32) {
	g := &c.g
	e := &c.xf
	f := &c.fft
	T := f.t
	buf := extra[:2*f.bins]
	row := extra[2*f.bins : 2*f.bins+2*T.W]
	col := extra[2*f.bins+2*T.W:]
	vp := e.k * e.tb
	plane := g.In.prod()
	for tt := nt; tt < roundUp(nt, gemmNR); tt++ {
		for kk := 0; kk < e.k; kk++ {
			off := e.vOff(kk, tt)
			for p := 0; p < e.npos; p++ {
				v[p*vp+off] = 0
			}
		}
	}
	nrows := T.D * T.H
	for tt := 0; tt < nt; tt++ {
		n, o := c.fftTile(t0 + tt)
		i0 := Dims3{o.D - g.PadHead.D, o.H - g.PadHead.H, o.W - g.PadHead.W}
		// Input columns of the patch that fall inside the input.
		jlo := min(max(-i0.W, 0), T.W)
		jhi := max(min(g.In.W-i0.W, T.W), jlo)
		for ci := 0; ci < g.C; ci++ {
			xc := x[(n*g.C+ci)*plane : (n*g.C+ci+1)*plane]
			src := func(r int) []float32 {
				if r >= nrows {
					return nil
				}
				id, ih := i0.D+r/T.H, i0.H+r%T.H
				if id < 0 || id >= g.In.D || ih < 0 || ih >= g.In.H {
					return nil
				}
				return xc[(id*g.In.H+ih)*g.In.W : (id*g.In.H+ih+1)*g.In.W]
			}
			// Rows along W, two per complex FFT.
			for r := 0; r < nrows; r += 2 {
				xa, xb := src(r), src(r+1)
				ba := buf[2*r*f.hw : 2*(r+1)*f.hw]
				if xa == nil && xb == nil {
					clear(ba)
					if r+1 < nrows {
						clear(buf[2*(r+1)*f.hw : 2*(r+2)*f.hw])
					}
					continue
				}
				clear(row[:2*jlo])
				clear(row[2*jhi:])
				for j := jlo; j < jhi; j++ {
					var a, b float32
					if xa != nil {
						a = xa[i0.W+j]
					}
					if xb != nil {
						b = xb[i0.W+j]
					}
					row[2*j], row[2*j+1] = a, b
				}
				fft32(row, f.aw.rev, f.aw.fw)
				var bb []float32
				if r+1 < nrows {
					bb = buf[2*(r+1)*f.hw : 2*(r+2)*f.hw]
				}
				for k := 0; k < f.hw; k++ {
					kn := (T.W - k) % T.W
					zr, zi := row[2*k], row[2*k+1]
					nr, ni := row[2*kn], row[2*kn+1]
					ba[2*k], ba[2*k+1] = float32(0.5*(zr+nr)), float32(0.5*(zi-ni))
					if bb != nil {
						bb[2*k], bb[2*k+1] = float32(0.5*(zi+ni)), float32(0.5*(nr-zr))
					}
				}
			}
			for d := 0; d < T.D; d++ {
				fftColumns(buf, col, &f.ah, f.ah.fw, d*T.H*f.hw, f.hw, f.hw)
			}
			fftColumns(buf, col, &f.ad, f.ad.fw, 0, T.H*f.hw, T.H*f.hw)
			off := e.vOff(2*ci, tt)
			for p := 0; p < f.bins; p++ {
				v[p*vp+off] = buf[2*p]
				v[p*vp+off+gemmNR] = buf[2*p+1]
			}
		}
	}
}

// fftOut inverse-transforms Y (rows [r0, r1): real and imaginary parts of
// output channels r0/2 ...) of tiles [t0, t0+nt) into dst, keeping the
// valid part of each tile inside the output, and adds the bias and applies
// the activation.
func (c *Conv) fftOut(dst, y []float32, t0, nt, r0, r1 int, extra []float32) {
	g := &c.g
	e := &c.xf
	f := &c.fft
	T := f.t
	buf := extra[:2*f.bins]
	row := extra[2*f.bins : 2*f.bins+2*T.W]
	col := extra[2*f.bins+2*T.W:]
	yp := e.rb * e.tb
	oplane := g.Out.prod()
	for mo := r0 / 2; mo < r1/2; mo++ {
		var bias float32
		if c.bias != nil {
			bias = c.bias[mo]
		}
		yr := y[(2*mo-r0)*e.tb:]
		yi := y[(2*mo+1-r0)*e.tb:]
		for tt := 0; tt < nt; tt++ {
			n, o := c.fftTile(t0 + tt)
			nd, nh, nw := min(f.valid.D, g.Out.D-o.D), min(f.valid.H, g.Out.H-o.H), min(f.valid.W, g.Out.W-o.W)
			for p := 0; p < f.bins; p++ {
				buf[2*p], buf[2*p+1] = yr[p*yp+tt], yi[p*yp+tt]
			}
			fftColumns(buf, col, &f.ad, f.ad.inv, 0, T.H*f.hw, T.H*f.hw)
			for d := 0; d < nd; d++ {
				fftColumns(buf, col, &f.ah, f.ah.inv, d*T.H*f.hw, f.hw, f.hw)
			}
			out := dst[(n*g.M+mo)*oplane:]
			// Rows (d, h) with d < nd and h < nh, two per complex FFT.
			nrows := nd * nh
			for q := 0; q < nrows; q += 2 {
				ra := (q/nh)*T.H + q%nh
				ba := buf[2*ra*f.hw : 2*(ra+1)*f.hw]
				var bb []float32
				rb := -1
				if q+1 < nrows {
					rb = ((q+1)/nh)*T.H + (q+1)%nh
					bb = buf[2*rb*f.hw : 2*(rb+1)*f.hw]
				}
				for k := 0; k < T.W; k++ {
					var zr, zi float32
					if k < f.hw {
						zr, zi = ba[2*k], ba[2*k+1]
						if bb != nil {
							zr -= bb[2*k+1]
							zi += bb[2*k]
						}
					} else {
						kn := T.W - k
						zr, zi = ba[2*kn], -ba[2*kn+1]
						if bb != nil {
							zr += bb[2*kn+1]
							zi += bb[2*kn]
						}
					}
					row[2*k], row[2*k+1] = zr, zi
				}
				fft32(row, f.aw.rev, f.aw.inv)
				for s, r := range [2]int{ra, rb} {
					if r < 0 {
						break
					}
					od, oh := o.D+r/T.H, o.H+r%T.H
					seg := out[(od*g.Out.H+oh)*g.Out.W+o.W : (od*g.Out.H+oh)*g.Out.W+o.W+nw]
					if c.bias != nil {
						for j := range seg {
							seg[j] = row[2*j+s] + bias
						}
					} else {
						for j := range seg {
							seg[j] = row[2*j+s]
						}
					}
					c.act.Apply(seg)
				}
			}
		}
	}
}
