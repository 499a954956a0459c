package ops

import "fmt"

// SoftmaxCrossEntropy returns the mean over the batch of the cross-entropy
// loss −log softmax(logits[n])[labels[n]] for logits [batch, classes] and
// integer labels in [0, classes), and, unless dlogits is nil, writes its
// gradient dlogits = (softmax(logits) − onehot(labels)) / batch ([batch,
// classes]). Everything is computed in float64 (Exp64, Log64, with each row's
// maximum subtracted, so large logits cannot overflow) and rounded once.
// dlogits may be logits itself (in place) but must not otherwise overlap it.
// It does not allocate. A label outside [0, classes), batch or classes below
// 1, or a short buffer panics.
func SoftmaxCrossEntropy(logits []float32, labels []int, batch, classes int, dlogits []float32) (loss float64) {
	if batch < 1 || classes < 1 || len(logits) < batch*classes || len(labels) < batch ||
		dlogits != nil && len(dlogits) < batch*classes {
		panic(fmt.Sprintf("ops: SoftmaxCrossEntropy: %d logits, %d labels, %d dlogits for [%d %d]",
			len(logits), len(labels), len(dlogits), batch, classes))
	}
	inv := 1 / float64(batch)
	for n := 0; n < batch; n++ {
		label := labels[n]
		if label < 0 || label >= classes {
			panic(fmt.Sprintf("ops: SoftmaxCrossEntropy: label %d of sample %d is outside [0, %d)", label, n, classes))
		}
		row := logits[n*classes : (n+1)*classes]
		m := row[0]
		for _, v := range row[1:] {
			m = max(m, v)
		}
		mf := float64(m)
		sum := 0.0
		for _, v := range row {
			sum += Exp64(float64(v) - mf)
		}
		loss += mf + Log64(sum) - float64(row[label])
		if dlogits == nil {
			continue
		}
		drow := dlogits[n*classes : (n+1)*classes]
		for j, v := range row {
			p := Exp64(float64(v)-mf) / sum
			if j == label {
				p--
			}
			drow[j] = float32(float64(p * inv))
		}
	}
	return float64(loss * inv)
}
