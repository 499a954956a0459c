package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// normOps are the normalisations that compute their statistics from the
// input itself (unlike BatchNormalization's running statistics).
var normOps = []*OpDef{
	{Name: "LayerNormalization", Doc: "normalisation over the axes from axis on, then scale and bias (output Y only)",
		Inputs: []InputSpec{inX, {Name: "Scale", Weight: true}, {Name: "B", Weight: true, Optional: true}},
		Attrs:  []AttrSpec{axisAttr(-1), floatAttr("epsilon", 1e-5), intAttr("stash_type", 1, 1, 16)},
		ONNX:   true, build: buildLayerNorm},
	{Name: "InstanceNormalization", Doc: "normalisation of each channel of each sample over its spatial axes, then scale and bias",
		Inputs: []InputSpec{inX, {Name: "scale", Weight: true}, {Name: "B", Weight: true}},
		Attrs:  []AttrSpec{floatAttr("epsilon", 1e-5)}, ONNX: true, build: buildInstanceNorm},
}

// broadcastsTo reports whether a tensor of shape w broadcasts to target
// (numpy rules, target's shape unchanged).
func broadcastsTo(w, target []int) bool {
	if len(w) > len(target) {
		return false
	}
	off := len(target) - len(w)
	for i, d := range w {
		if d != 1 && d != target[off+i] {
			return false
		}
	}
	return true
}

// expandTo returns the values of w (shape ws, which broadcasts to target)
// broadcast to target, in row-major order.
func expandTo(w []float32, ws, target []int) []float32 {
	n := ops.ShapeSize(target)
	out := make([]float32, n)
	off := len(target) - len(ws)
	for i := range out {
		rem, src, stride := i, 0, 1
		for d := len(target) - 1; d >= 0; d-- {
			k := rem % target[d]
			rem /= target[d]
			if d >= off {
				if wd := ws[d-off]; wd != 1 {
					src += k * stride
				}
				stride *= ws[d-off]
			}
		}
		out[i] = w[src]
	}
	return out
}

func buildLayerNorm(a *attrs, in []operand, c opContext) (*layer, error) {
	x := in[0]
	eps := a.float("epsilon")
	if st := a.intv("stash_type"); st != 1 && st != 11 {
		return nil, fmt.Errorf("%w: stash_type %d: only 1 (float) and 11 (double) are supported", ErrBadModel, st)
	}
	if len(x.shape) == 0 {
		return nil, fmt.Errorf("%w: input %s has no axis", ErrShape, ops.FormatShape(x.shape))
	}
	axis, err := normAxis(a.intv("axis"), len(x.shape))
	if err != nil {
		return nil, err
	}
	norm := x.shape[axis:]
	outer, inner := ops.ShapeSize(x.shape[:axis]), ops.ShapeSize(norm)
	if inner == 0 {
		return nil, fmt.Errorf("%w: input %s has no values to normalise from axis %d", ErrShape, ops.FormatShape(x.shape), axis)
	}
	for i, nm := range []string{"Scale", "B"} {
		if i+1 < len(in) && !broadcastsTo(in[i+1].shape, norm) {
			return nil, fmt.Errorf("%w: %s %s does not broadcast to the normalised shape %s", ErrShape, nm, ops.FormatShape(in[i+1].shape), ops.FormatShape(norm))
		}
	}
	sw, ss := in[1].konst, in[1].shape
	var bw []float32
	var bs []int
	if len(in) > 2 {
		bw, bs = in[2].konst, in[2].shape
	}
	return &layer{outShapes: [][]int{x.shape}, flops: ops.LayerNormFLOPs(outer, inner),
		kernel: func(int) (kernel, error) {
			scale := expandTo(sw, ss, norm)
			var bias []float32
			if bs != nil {
				bias = expandTo(bw, bs, norm)
			}
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) {
				ops.LayerNorm(out[0], in[0], scale, bias, outer, inner, eps)
			}}, nil
		}}, nil
}

func buildInstanceNorm(a *attrs, in []operand, c opContext) (*layer, error) {
	x := in[0]
	eps := a.float("epsilon")
	if len(x.shape) < 3 {
		return nil, fmt.Errorf("%w: input %s must have rank >= 3 (N, C and spatial axes)", ErrShape, ops.FormatShape(x.shape))
	}
	if err := channelParams(in, []string{"scale", "B"}); err != nil {
		return nil, err
	}
	nb, ch, sp := x.shape[0], x.shape[1], ops.ShapeSize(x.shape[2:])
	if sp == 0 {
		return nil, fmt.Errorf("%w: input %s has no spatial elements", ErrShape, ops.FormatShape(x.shape))
	}
	scale, bias := in[1].konst, in[2].konst
	return &layer{outShapes: [][]int{x.shape}, flops: ops.LayerNormFLOPs(nb*ch, sp),
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) {
				ops.InstanceNorm(out[0], in[0], scale, bias, nb, ch, sp, eps)
			}}, nil
		}}, nil
}
