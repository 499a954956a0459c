package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// TestDenseGradientsBits checks that the trainer's dense gradients (Gemms)
// are those of ops.DenseBackward bit for bit, in both weight layouts, on
// three stacked layers large enough (a batch and a width over 256) for the
// Gemm to block its sums: the forward pass is written out as loops, the
// loss gradient is ops.SoftmaxCrossEntropy's, and every layer's gradients
// come from ops.DenseBackward.
func TestDenseGradientsBits(t *testing.T) {
	const batch = 260
	widths := []int{5, 300, 270, 7}
	for _, transposed := range []bool{true, false} {
		b := runtime.NewBuilder("mlp", 9)
		x := b.Input("x", batch, widths[0])
		for i := 1; i < len(widths); i++ {
			x = b.Dense([]string{"fc0", "fc1", "fc2"}[i-1], x, widths[i])
		}
		b.Output(x)
		m, err := b.Model()
		if err != nil {
			t.Fatal(err)
		}
		// w[l] in [out, in] layout whatever the model stores.
		var w [][]float32
		for l := 0; l < 3; l++ {
			in, out := widths[l], widths[l+1]
			wt := m.Weights[m.Nodes[l].Inputs[1]]
			w = append(w, append([]float32(nil), wt.Data...))
			if !transposed {
				for o := 0; o < out; o++ {
					for i := 0; i < in; i++ {
						wt.Data[i*out+o] = w[l][o*in+i]
					}
				}
				wt.Shape = []int{in, out}
				m.Nodes[l].Attrs["transposed"] = int64(0)
			}
		}
		rng := rand.New(rand.NewPCG(4, 4))
		xs := make([]float32, batch*widths[0])
		for i := range xs {
			xs[i] = float32(rng.NormFloat64())
		}
		labels := make([]int, batch)
		for i := range labels {
			labels[i] = i % widths[3]
		}
		tr, err := New(m, Config{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.Gradients(xs, labels); err != nil {
			t.Fatal(err)
		}
		got := map[string][]float32{}
		for _, p := range tr.Params() {
			got[p.Name] = p.Grad
		}

		// The reference: loops forward, ops.DenseBackward backward.
		acts := [][]float32{xs}
		for l := 0; l < 3; l++ {
			in, out := widths[l], widths[l+1]
			bias := m.Weights[m.Nodes[l].Inputs[2]].Data
			y := make([]float32, batch*out)
			for n := 0; n < batch; n++ {
				for o := 0; o < out; o++ {
					var s float32
					for i := 0; i < in; i++ {
						s += float32(acts[l][n*in+i] * w[l][o*in+i])
					}
					y[n*out+o] = s + bias[o]
				}
			}
			acts = append(acts, y)
		}
		dy := make([]float32, batch*widths[3])
		ops.SoftmaxCrossEntropy(acts[3], labels, batch, widths[3], dy)
		for l := 2; l >= 0; l-- {
			in, out := widths[l], widths[l+1]
			dw, db := make([]float32, in*out), make([]float32, out)
			var dx []float32
			if l > 0 {
				dx = make([]float32, batch*in)
			}
			ops.DenseBackward(acts[l], m.Weights[m.Nodes[l].Inputs[1]].Data, dy, dx, dw, db, batch, in, out, transposed)
			for name, want := range map[string][]float32{m.Nodes[l].Inputs[1]: dw, m.Nodes[l].Inputs[2]: db} {
				g := got[name]
				if len(g) != len(want) {
					t.Fatalf("transposed %v: %s has %d gradient values, want %d", transposed, name, len(g), len(want))
				}
				for i := range want {
					if math.Float32bits(g[i]) != math.Float32bits(want[i]) {
						t.Fatalf("transposed %v: %s[%d] = %v, ops.DenseBackward gives %v", transposed, name, i, g[i], want[i])
					}
				}
			}
			dy = dx
		}
	}
}
