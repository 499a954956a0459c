package runtime

import (
	"fmt"
	"sort"

	"github.com/wasmnn/wasmnn/ops"
)

// Prediction is one class of a classification result.
type Prediction struct {
	Label       string  `json:"label"`
	Index       int     `json:"index"`
	Probability float64 `json:"probability"`
}

// Softmax returns the softmax of logits in float64 (stable: the maximum is
// subtracted first).
func Softmax(logits []float32) []float64 {
	out := make([]float64, len(logits))
	if len(logits) == 0 {
		return out
	}
	mx := float64(logits[0])
	for _, v := range logits {
		mx = max(mx, float64(v))
	}
	sum := 0.0
	for i, v := range logits {
		out[i] = ops.Exp64(float64(v) - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// TopK returns the k most probable classes of one row of logits, most
// probable first (ties keep class order). Labels name the classes; a missing
// label is the class index.
func TopK(logits []float32, labels []string, k int) []Prediction {
	p := Softmax(logits)
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	k = max(0, min(k, len(idx)))
	out := make([]Prediction, k)
	for i := 0; i < k; i++ {
		j := idx[i]
		label := fmt.Sprint(j)
		if j < len(labels) {
			label = labels[j]
		}
		out[i] = Prediction{Label: label, Index: j, Probability: p[j]}
	}
	return out
}
