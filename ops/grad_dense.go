package ops

import "fmt"

// DenseBackward computes the gradients of the fully connected layer
// y = x·Wᵀ + b (transposed: w is [out, in], as Dense and PyTorch Linear) or
// y = x·W + b (w is [in, out]) given dy = ∂L/∂y ([batch, out]):
//
//   - dx = dy·W(ᵀ) ([batch, in]), or nil to skip it;
//   - dw = ∂L/∂w in w's own layout, or nil to skip it;
//   - db = dy summed over the batch ([out], summed in float64), or nil to
//     skip it.
//
// The outputs are overwritten. x is needed only for dw and w only for dx.
// Each gradient element sums its float32 products in a fixed order (over the
// output index for dx, over the batch for dw), so results depend only on the
// inputs. DenseBackward does not allocate. Outputs must not overlap the
// inputs; short buffers panic.
func DenseBackward(x, w, dy, dx, dw, db []float32, batch, in, out int, transposed bool) {
	if batch < 0 || in < 1 || out < 1 {
		panic(fmt.Sprintf("ops: DenseBackward: sizes batch %d, in %d, out %d", batch, in, out))
	}
	if len(dy) < batch*out ||
		dx != nil && (len(dx) < batch*in || len(w) < in*out) ||
		dw != nil && (len(dw) < in*out || len(x) < batch*in) ||
		db != nil && len(db) < out {
		panic(fmt.Sprintf("ops: DenseBackward: buffers x %d, w %d, dy %d, dx %d, dw %d, db %d too short for batch %d, %d -> %d",
			len(x), len(w), len(dy), len(dx), len(dw), len(db), batch, in, out))
	}
	if db != nil {
		for o := 0; o < out; o++ {
			s := 0.0
			for n := 0; n < batch; n++ {
				s += float64(dy[n*out+o])
			}
			db[o] = float32(s)
		}
	}
	if dx != nil {
		for n := 0; n < batch; n++ {
			dxr := dx[n*in : (n+1)*in]
			dyr := dy[n*out : (n+1)*out]
			if transposed {
				// dx[i] = Σ_o dy[o]·w[o, i]: stream the weight rows.
				clear(dxr)
				for o, d := range dyr {
					wr := w[o*in : (o+1)*in]
					wr = wr[:len(dxr)]
					for i := range dxr {
						dxr[i] += float32(d * wr[i])
					}
				}
				continue
			}
			// dx[i] = Σ_o dy[o]·w[i, o]: a dot product with weight row i.
			for i := range dxr {
				wr := w[i*out : (i+1)*out]
				wr = wr[:len(dyr)]
				var acc float32
				for o, d := range dyr {
					acc += float32(d * wr[o])
				}
				dxr[i] = acc
			}
		}
	}
	if dw != nil {
		dw = dw[:in*out]
		clear(dw)
		for n := 0; n < batch; n++ {
			xr := x[n*in : (n+1)*in]
			dyr := dy[n*out : (n+1)*out]
			if transposed {
				// dw[o, i] += dy[o]·x[i]
				for o, d := range dyr {
					wr := dw[o*in : (o+1)*in]
					wr = wr[:len(xr)]
					for i, xv := range xr {
						wr[i] += float32(d * xv)
					}
				}
				continue
			}
			// dw[i, o] += x[i]·dy[o]
			for i, xv := range xr {
				wr := dw[i*out : (i+1)*out]
				wr = wr[:len(dyr)]
				for o, d := range dyr {
					wr[o] += float32(xv * d)
				}
			}
		}
	}
}
