package simd

import "github.com/wasmnn/wasmnn/ops"

// Wino4InRef is the pure-Go twin of the wino4_in kernel (the arithmetic of
// ops' Winograd F(4x4, 3x3) input transform, four tiles at a time; see
// ops.Winograd4InKernel): for each of n groups g, element (r, j) of tile l's
// 6×6 patch is src[l][g*ch[l]+r*row[l]+j], and the transformed patch
// Bᵀ x B, position p = i*6+j, goes to v[p*stride+g*4+l].
func Wino4InRef(src [4][]float32, row, ch [4]int, v []float32, n, stride int) {
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			var x, t [36]float32
			for r := 0; r < 6; r++ {
				for j := 0; j < 6; j++ {
					x[r*6+j] = src[l][g*ch[l]+r*row[l]+j]
				}
			}
			for j := 0; j < 6; j++ {
				t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j] = ops.Winograd4In(x[j], x[6+j], x[12+j], x[18+j], x[24+j], x[30+j])
			}
			for i := 0; i < 6; i++ {
				r := t[6*i : 6*i+6]
				y0, y1, y2, y3, y4, y5 := ops.Winograd4In(r[0], r[1], r[2], r[3], r[4], r[5])
				for j, y := range [6]float32{y0, y1, y2, y3, y4, y5} {
					v[(i*6+j)*stride+g*4+l] = y
				}
			}
		}
	}
}

// Wino4OutRef is the pure-Go twin of the wino4_out kernel (ops' F(4x4, 3x3)
// output transform; see ops.Winograd4OutKernel): for each of n groups g, the
// products of tile l at position p are y[p*stride+g*ldy+l]; the 4×4 tile
// Aᵀ m A plus bias[g] (if bias is not nil), clipped to [lo, hi] if clip
// (v < lo gives lo, v > hi gives hi, both tests on the unclipped v), goes
// to dst[l][g*ch[l]+r*row[l]+c].
func Wino4OutRef(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32) {
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			var m [36]float32
			var t [24]float32
			for p := range m {
				m[p] = y[p*stride+g*ldy+l]
			}
			for j := 0; j < 6; j++ {
				t[j], t[6+j], t[12+j], t[18+j] = ops.Winograd4Out(m[j], m[6+j], m[12+j], m[18+j], m[24+j], m[30+j])
			}
			for i := 0; i < 4; i++ {
				r := t[6*i : 6*i+6]
				o0, o1, o2, o3 := ops.Winograd4Out(r[0], r[1], r[2], r[3], r[4], r[5])
				for c, v := range [4]float32{o0, o1, o2, o3} {
					if bias != nil {
						v += bias[g]
					}
					if clip {
						u := v
						if v < lo {
							u = lo
						}
						if v > hi {
							u = hi
						}
						v = u
					}
					dst[l][g*ch[l]+i*row[l]+c] = v
				}
			}
		}
	}
}
