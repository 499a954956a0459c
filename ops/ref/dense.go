package ref

// Dense computes y = x·Wᵀ + b in float64 for x of shape [batch, in], where w
// is [out, in] when transposed and [in, out] otherwise, and b is nil or of
// length out. It returns y, of shape [batch, out].
func Dense(x []float64, batch, in, out int, w []float64, transposed bool, b []float64) []float64 {
	y := make([]float64, batch*out)
	for n := 0; n < batch; n++ {
		for o := 0; o < out; o++ {
			sum := 0.0
			if b != nil {
				sum = b[o]
			}
			for i := 0; i < in; i++ {
				wv := w[i*out+o]
				if transposed {
					wv = w[o*in+i]
				}
				sum += float64(x[n*in+i] * wv)
			}
			y[n*out+o] = sum
		}
	}
	return y
}

// Gemm computes the m×n product of a (m×k) and b (k×n), both row-major, in
// float64.
func Gemm(a, b []float64, m, n, k int) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				s += float64(a[i*k+p] * b[p*n+j])
			}
			c[i*n+j] = s
		}
	}
	return c
}
