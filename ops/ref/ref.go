// Package ref holds float64 reference implementations of wasmnn's ops. They
// are written for clarity, not speed, straight from each op's definition, and
// exist only so that tests can check the fast float32 kernels in package ops.
package ref

// To64 converts a float32 slice to float64.
func To64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// To32 converts a float64 slice to float32 (rounding each value once).
func To32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
