package train

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/runtime"
)

// refTensor is a float64 tensor of the reference interpreter.
type refTensor struct {
	shape []int
	data  []float64
}

// refLoss runs model m in float64, in training mode (batch statistics for
// batch normalisation), on input x with the weights w, and returns the mean
// softmax cross-entropy of its output logits. It is a naive interpreter
// written independently of the trainer, for gradient checks; it knows the
// ops and attributes the test models use (2D only).
// refFrozen names the batch-norm nodes the reference runs with their
// running statistics (frozen nodes).
var refFrozen = map[string]bool{}

func refLoss(m *runtime.Model, w map[string][]float64, x []float64, labels []int) float64 {
	vals := map[string]refTensor{}
	in := m.Inputs[0]
	vals[in.Name] = refTensor{append([]int{len(labels)}, in.Shape[1:]...), x}
	get := func(name string) refTensor {
		if t, ok := vals[name]; ok {
			return t
		}
		return refTensor{m.Weights[name].Shape, w[name]}
	}
	for _, n := range m.Nodes {
		ins := make([]refTensor, len(n.Inputs))
		for i, name := range n.Inputs {
			ins[i] = get(name)
		}
		vals[n.Outputs[0]] = refOp(n, ins)
	}
	out := vals[m.Outputs[0]]
	k := out.shape[1]
	loss := 0.0
	for b, y := range labels {
		row := out.data[b*k : (b+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for _, v := range row {
			s += math.Exp(v - mx)
		}
		loss += mx + math.Log(s) - row[y]
	}
	return loss / float64(len(labels))
}

func refInt(n *runtime.Node, name string, def int) int {
	if v, ok := n.Attrs[name]; ok {
		return int(v.(int64))
	}
	return def
}

func refInts(n *runtime.Node, name string, def []int) []int {
	v, ok := n.Attrs[name]
	if !ok {
		return def
	}
	var out []int
	for _, e := range v.([]int64) {
		out = append(out, int(e))
	}
	return out
}

func refFloat(n *runtime.Node, name string, def float64) float64 {
	if v, ok := n.Attrs[name]; ok {
		return v.(float64)
	}
	return def
}

// refAct applies a named activation.
func refAct(name string, alpha float64, v float64) float64 {
	switch name {
	case "relu":
		return math.Max(v, 0)
	case "leakyrelu":
		if v < 0 {
			return alpha * v
		}
		return v
	case "tanh":
		return math.Tanh(v)
	case "sigmoid":
		return 1 / (1 + math.Exp(-v))
	case "":
		return v
	}
	panic("refAct: " + name)
}

func refOp(n *runtime.Node, in []refTensor) refTensor {
	x := in[0]
	switch n.Op {
	case "Conv":
		w := in[1]
		nb, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
		m, kh, kw := w.shape[0], w.shape[2], w.shape[3]
		g := refInt(n, "group", 1)
		st := refInts(n, "strides", []int{1, 1})
		dl := refInts(n, "dilations", []int{1, 1})
		pd := refInts(n, "pads", []int{0, 0, 0, 0})
		oh := (h+pd[0]+pd[2]-(kh-1)*dl[0]-1)/st[0] + 1
		ow := (wd+pd[1]+pd[3]-(kw-1)*dl[1]-1)/st[1] + 1
		cg, mg := c/g, m/g
		act, _ := n.Attrs["activation"].(string)
		alpha := float64(float32(refFloat(n, "alpha", 0.01)))
		out := make([]float64, nb*m*oh*ow)
		for b := 0; b < nb; b++ {
			for o := 0; o < m; o++ {
				gi := o / mg
				for y := 0; y < oh; y++ {
					for xx := 0; xx < ow; xx++ {
						s := 0.0
						if len(in) == 3 {
							s = in[2].data[o]
						}
						for ci := 0; ci < cg; ci++ {
							for i := 0; i < kh; i++ {
								for j := 0; j < kw; j++ {
									iy, ix := y*st[0]-pd[0]+i*dl[0], xx*st[1]-pd[1]+j*dl[1]
									if iy < 0 || iy >= h || ix < 0 || ix >= wd {
										continue
									}
									s += x.data[((b*c+gi*cg+ci)*h+iy)*wd+ix] * w.data[((o*cg+ci)*kh+i)*kw+j]
								}
							}
						}
						out[((b*m+o)*oh+y)*ow+xx] = refAct(act, alpha, s)
					}
				}
			}
		}
		return refTensor{[]int{nb, m, oh, ow}, out}
	case "BatchNormalization":
		nb, c := x.shape[0], x.shape[1]
		sp := len(x.data) / (nb * c)
		eps := refFloat(n, "epsilon", 1e-5)
		out := make([]float64, len(x.data))
		if refFrozen[n.Name] {
			// Frozen: the running statistics.
			for k := range out {
				ch := k / sp % c
				out[k] = in[1].data[ch]*(x.data[k]-in[3].data[ch])/math.Sqrt(in[4].data[ch]+float64(float32(eps))) + in[2].data[ch]
			}
			return refTensor{x.shape, out}
		}
		for ch := 0; ch < c; ch++ {
			mean, vr := 0.0, 0.0
			for b := 0; b < nb; b++ {
				for i := 0; i < sp; i++ {
					mean += x.data[(b*c+ch)*sp+i]
				}
			}
			mean /= float64(nb * sp)
			for b := 0; b < nb; b++ {
				for i := 0; i < sp; i++ {
					d := x.data[(b*c+ch)*sp+i] - mean
					vr += d * d
				}
			}
			vr /= float64(nb * sp)
			for b := 0; b < nb; b++ {
				for i := 0; i < sp; i++ {
					k := (b*c+ch)*sp + i
					out[k] = in[1].data[ch]*(x.data[k]-mean)/math.Sqrt(vr+float64(float32(eps))) + in[2].data[ch]
				}
			}
		}
		return refTensor{x.shape, out}
	case "Relu", "LeakyRelu", "Tanh", "Sigmoid":
		name := map[string]string{"Relu": "relu", "LeakyRelu": "leakyrelu", "Tanh": "tanh", "Sigmoid": "sigmoid"}[n.Op]
		alpha := float64(float32(refFloat(n, "alpha", 0.01)))
		out := make([]float64, len(x.data))
		for i, v := range x.data {
			out[i] = refAct(name, alpha, v)
		}
		return refTensor{x.shape, out}
	case "MaxPool", "AveragePool":
		nb, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
		k := refInts(n, "kernel_shape", nil)
		st := refInts(n, "strides", []int{1, 1})
		pd := refInts(n, "pads", []int{0, 0, 0, 0})
		oh := (h+pd[0]+pd[2]-k[0])/st[0] + 1
		ow := (wd+pd[1]+pd[3]-k[1])/st[1] + 1
		out := make([]float64, nb*c*oh*ow)
		for p := 0; p < nb*c; p++ {
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					best, sum, cnt := math.Inf(-1), 0.0, 0
					for i := 0; i < k[0]; i++ {
						for j := 0; j < k[1]; j++ {
							iy, ix := y*st[0]-pd[0]+i, xx*st[1]-pd[1]+j
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							v := x.data[(p*h+iy)*wd+ix]
							best = math.Max(best, v)
							sum += v
							cnt++
						}
					}
					if n.Op == "MaxPool" {
						out[(p*oh+y)*ow+xx] = best
					} else {
						out[(p*oh+y)*ow+xx] = sum / float64(cnt)
					}
				}
			}
		}
		return refTensor{[]int{nb, c, oh, ow}, out}
	case "GlobalAveragePool":
		nb, c := x.shape[0], x.shape[1]
		sp := len(x.data) / (nb * c)
		out := make([]float64, nb*c)
		for p := range out {
			for _, v := range x.data[p*sp : (p+1)*sp] {
				out[p] += v / float64(sp)
			}
		}
		return refTensor{[]int{nb, c, 1, 1}, out}
	case "Flatten":
		return refTensor{[]int{x.shape[0], len(x.data) / x.shape[0]}, x.data}
	case "Dense":
		w := in[1] // [out, in]
		nb, fi, fo := x.shape[0], x.shape[1], w.shape[0]
		out := make([]float64, nb*fo)
		for b := 0; b < nb; b++ {
			for o := 0; o < fo; o++ {
				s := in[2].data[o]
				for i := 0; i < fi; i++ {
					s += x.data[b*fi+i] * w.data[o*fi+i]
				}
				out[b*fo+o] = s
			}
		}
		return refTensor{[]int{nb, fo}, out}
	case "Add":
		out := make([]float64, len(x.data))
		for i := range out {
			out[i] = x.data[i] + in[1].data[i]
		}
		return refTensor{x.shape, out}
	case "Concat": // axis 1
		nb := x.shape[0]
		shape := append([]int(nil), x.shape...)
		shape[1] = 0
		for _, t := range in {
			shape[1] += t.shape[1]
		}
		var out []float64
		for b := 0; b < nb; b++ {
			for _, t := range in {
				per := len(t.data) / nb
				out = append(out, t.data[b*per:(b+1)*per]...)
			}
		}
		return refTensor{shape, out}
	}
	panic(fmt.Sprintf("refOp: op %s", n.Op))
}
