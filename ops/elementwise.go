package ops

import "fmt"

// Add computes dst[i] = act(a[i] + b[i]) for every i < len(a). a and b must
// have the same length and dst at least that length; dst may be a or b
// itself. Add panics on mismatched lengths.
func Add(dst, a, b []float32, act Activation) {
	n := len(a)
	if len(b) != n || len(dst) < n {
		panic(fmt.Sprintf("ops.Add: operands of %d and %d values, destination of %d", n, len(b), len(dst)))
	}
	dst, b = dst[:n], b[:n]
	switch act.Kind {
	case ActReLU:
		for i, v := range a {
			dst[i] = relu32(v + b[i])
		}
	default:
		for i, v := range a {
			dst[i] = v + b[i]
		}
		act.Apply(dst)
	}
}

// AddFLOPs returns the FLOP count of Add over n elements: one add per element
// plus the activation's cost.
func AddFLOPs(n int, act Activation) int64 {
	return int64(n) * (1 + act.FLOPsPerElement())
}

// Concat concatenates srcs along the middle axis of [outer, axisSizes[i],
// inner] views into dst, viewed as [outer, sum(axisSizes), inner]. dst must
// not overlap any source. Concat panics if the counts of srcs and axisSizes
// differ or a buffer is too short.
func Concat(dst []float32, srcs [][]float32, outer int, axisSizes []int, inner int) {
	if len(srcs) != len(axisSizes) {
		panic(fmt.Sprintf("ops.Concat: %d sources but %d axis sizes", len(srcs), len(axisSizes)))
	}
	total := 0
	for i, a := range axisSizes {
		if a < 0 || len(srcs[i]) < outer*a*inner {
			panic(fmt.Sprintf("ops.Concat: source %d has %d values, need [%d %d %d]", i, len(srcs[i]), outer, a, inner))
		}
		total += a
	}
	if len(dst) < outer*total*inner {
		panic(fmt.Sprintf("ops.Concat: destination has %d values, need [%d %d %d]", len(dst), outer, total, inner))
	}
	row := total * inner
	off := 0
	for i, src := range srcs {
		chunk := axisSizes[i] * inner
		for o := 0; o < outer; o++ {
			copy(dst[o*row+off:o*row+off+chunk], src[o*chunk:(o+1)*chunk])
		}
		off += chunk
	}
}
