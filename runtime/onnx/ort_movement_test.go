package onnx

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// ONNX Runtime as the oracle of MatMul, the data-movement ops (Gather,
// Expand, Tile, DepthToSpace, SpaceToDepth, Squeeze, Unsqueeze, Split) and
// ConvTranspose with groups and dilations, on seeded random shapes and
// attributes.

func TestORTMatMul(t *testing.T) { runORTCases(t, matmulCases()) }

func TestORTMovement(t *testing.T) { runORTCases(t, movementCases()) }

func TestORTConvTransposeRandom(t *testing.T) { runORTCases(t, convTransposeCases()) }

// intsShaped is an int64 initializer of any shape (a 0-D index included).
func intsShaped(name string, shape []int, v ...int64) opIn {
	return opIn{name: name, shape: shape, ints: v, isInt: true}
}

// multi builds a one-node case with several outputs, all graph outputs.
func multiOut(name string, opset int64, op string, inputs []string, ins []opIn, outs []string, attrs ...*Attr) opCase {
	return opCase{name: name, opset: opset, inputs: ins,
		nodes: []*Node{{Name: op + "_node", OpType: op, Inputs: inputs, Outputs: outs, Attrs: attrs}}, outputs: outs}
}

// randMatMulShapes returns operand shapes of ranks 1 to 4 with broadcast
// batch axes.
func randMatMulShapes(rng *rand.Rand) (a, b []int) {
	m, n, k := 1+rng.IntN(7), 1+rng.IntN(7), 1+rng.IntN(9)
	batch := []int{1 + rng.IntN(3), 1 + rng.IntN(3)}
	bat := func(r int) []int {
		var s []int
		for i := 0; i < r-2; i++ {
			d := batch[len(batch)-(r-2)+i]
			if rng.IntN(3) == 0 {
				d = 1
			}
			s = append(s, d)
		}
		return s
	}
	if ra := 1 + rng.IntN(4); ra == 1 {
		a = []int{k}
	} else {
		a = append(bat(ra), m, k)
	}
	if rb := 1 + rng.IntN(4); rb == 1 {
		b = []int{k}
	} else {
		b = append(bat(rb), k, n)
	}
	return a, b
}

func matmulCases() []opCase {
	rng := rand.New(rand.NewPCG(61, 62))
	var cs []opCase
	for i := range 16 {
		a, b := randMatMulShapes(rng)
		cs = append(cs, single(fmt.Sprintf("matmul-dyn-%d-%v-%v", i, a, b), 13, "MatMul", []opIn{dynIn("x", a...), dynIn("z", b...)}))
	}
	for i := range 6 {
		a, b := randMatMulShapes(rng)
		cs = append(cs, single(fmt.Sprintf("matmul-weight-b-%d-%v-%v", i, a, b), 13, "MatMul", []opIn{dynIn("x", a...), w("B", uint64(100+i), b...)}))
		cs = append(cs, single(fmt.Sprintf("matmul-weight-a-%d-%v-%v", i, a, b), 9, "MatMul", []opIn{w("A", uint64(110+i), a...), dynIn("z", b...)}))
	}
	cs = append(cs,
		single("matmul-1d-2d-weight", 13, "MatMul", []opIn{x(5), w("B", 120, 5, 3)}),
		single("matmul-4d-2d-weight", 13, "MatMul", []opIn{x(2, 3, 4, 5), w("B", 121, 5, 6)}),
		single("matmul-large", 13, "MatMul", []opIn{x(2, 70, 300), dynIn("z", 300, 140)}),
		single("matmul-both-constant", 13, "MatMul", []opIn{x(2, 3), w("A", 122, 2, 4), w("B", 123, 4, 3)}),
	)
	cs[len(cs)-1].nodes = []*Node{
		{Name: "mm", OpType: "MatMul", Inputs: []string{"A", "B"}, Outputs: []string{"p"}},
		{Name: "add", OpType: "Add", Inputs: []string{"x", "p"}, Outputs: []string{"y"}},
	}
	// An attention block: softmax(Q·Kᵀ/√d)·V over heads, all activations.
	cs = append(cs, opCase{name: "attention", opset: 13,
		inputs: []opIn{dynIn("q", 2, 4, 6, 8), dynIn("k", 2, 4, 6, 8), dynIn("v", 2, 4, 6, 8), scalar("s", 0.35)},
		nodes: []*Node{
			{Name: "kt", OpType: "Transpose", Inputs: []string{"k"}, Outputs: []string{"kt"}, Attrs: []*Attr{aints("perm", 0, 1, 3, 2)}},
			{Name: "qk", OpType: "MatMul", Inputs: []string{"q", "kt"}, Outputs: []string{"qk"}},
			{Name: "scale", OpType: "Mul", Inputs: []string{"qk", "s"}, Outputs: []string{"qks"}},
			{Name: "sm", OpType: "Softmax", Inputs: []string{"qks"}, Outputs: []string{"p"}, Attrs: []*Attr{ai("axis", -1)}},
			{Name: "pv", OpType: "MatMul", Inputs: []string{"p", "v"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}})
	return cs
}

func moveRandShape(rng *rand.Rand, rank, maxDim int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + rng.IntN(maxDim)
	}
	return s
}

func movementCases() []opCase {
	rng := rand.New(rand.NewPCG(63, 64))
	var cs []opCase
	// Gather: any axis (negative too), negative indices, 0-D to 2-D indices.
	for i := range 12 {
		xs := moveRandShape(rng, 1+rng.IntN(4), 5)
		axis := rng.IntN(len(xs))
		is := moveRandShape(rng, rng.IntN(3), 3)
		idx := make([]int64, 1)
		if len(is) > 0 {
			idx = make([]int64, ops.ShapeSize(is))
		}
		for j := range idx {
			idx[j] = int64(rng.IntN(2*xs[axis]) - xs[axis])
		}
		ax := int64(axis)
		if rng.IntN(2) == 0 {
			ax -= int64(len(xs))
		}
		opset := []int64{11, 13}[rng.IntN(2)]
		cs = append(cs, single(fmt.Sprintf("gather-%d-%v-axis%d-idx%v", i, xs, ax, is), opset, "Gather",
			[]opIn{x(xs...), intsShaped("i", is, idx...)}, ai("axis", ax)))
	}
	cs = append(cs, single("gather-default-axis", 13, "Gather", []opIn{x(4, 3), ints("i", 3, -4, 0)}))
	// Expand: to larger ranks, size-1 axes of either side.
	for i := range 8 {
		out := moveRandShape(rng, 1+rng.IntN(4), 4)
		xs := append([]int(nil), out[rng.IntN(len(out)):]...)
		for j := range xs {
			if rng.IntN(2) == 0 {
				xs[j] = 1
			}
		}
		shape := make([]int64, len(out))
		for j, d := range out {
			shape[j] = int64(d)
			if j >= len(out)-len(xs) && xs[j-(len(out)-len(xs))] == d && rng.IntN(3) == 0 {
				shape[j] = 1
			}
		}
		cs = append(cs, single(fmt.Sprintf("expand-%d-%v-%v", i, xs, shape), []int64{8, 13}[i%2], "Expand", []opIn{x(xs...), ints("s", shape...)}))
	}
	// Tile.
	for i := range 8 {
		xs := moveRandShape(rng, 1+rng.IntN(4), 4)
		reps := make([]int64, len(xs))
		for j := range reps {
			reps[j] = int64(1 + rng.IntN(3))
		}
		cs = append(cs, single(fmt.Sprintf("tile-%d-%v-%v", i, xs, reps), []int64{7, 13}[i%2], "Tile", []opIn{x(xs...), ints("r", reps...)}))
	}
	// DepthToSpace (DCR, CRD, and opset 7 without a mode) and SpaceToDepth.
	for i := range 6 {
		bs := 1 + rng.IntN(3)
		xs := []int{1 + rng.IntN(2), bs * bs * (1 + rng.IntN(3)), 1 + rng.IntN(4), 1 + rng.IntN(5)}
		cs = append(cs,
			single(fmt.Sprintf("depthtospace-dcr-%d-%v-bs%d", i, xs, bs), 13, "DepthToSpace", []opIn{x(xs...)}, ai("blocksize", int64(bs))),
			single(fmt.Sprintf("depthtospace-crd-%d-%v-bs%d", i, xs, bs), 11, "DepthToSpace", []opIn{x(xs...)}, ai("blocksize", int64(bs)), as("mode", "CRD")),
			single(fmt.Sprintf("depthtospace-opset7-%d-%v-bs%d", i, xs, bs), 7, "DepthToSpace", []opIn{x(xs...)}, ai("blocksize", int64(bs))))
		ys := []int{xs[0], 1 + rng.IntN(3), bs * (1 + rng.IntN(3)), bs * (1 + rng.IntN(3))}
		cs = append(cs, single(fmt.Sprintf("spacetodepth-%d-%v-bs%d", i, ys, bs), 13, "SpaceToDepth", []opIn{x(ys...)}, ai("blocksize", int64(bs))))
	}
	// Squeeze and Unsqueeze: attribute (opset < 13) and input (13+) forms,
	// negative axes, squeeze-all.
	for i := range 8 {
		xs := moveRandShape(rng, 2+rng.IntN(3), 3)
		var axes []int64
		for j := range xs {
			if rng.IntN(2) == 0 {
				xs[j] = 1
				ax := int64(j)
				if rng.IntN(2) == 0 {
					ax -= int64(len(xs))
				}
				axes = append(axes, ax)
			}
		}
		if len(axes) == 0 {
			cs = append(cs, single(fmt.Sprintf("squeeze-all11-%d-%v", i, xs), 11, "Squeeze", []opIn{x(xs...)}),
				single(fmt.Sprintf("squeeze-all13-%d-%v", i, xs), 13, "Squeeze", []opIn{x(xs...)}))
			continue
		}
		cs = append(cs, single(fmt.Sprintf("squeeze11-%d-%v-%v", i, xs, axes), 11, "Squeeze", []opIn{x(xs...)}, aints("axes", axes...)),
			single(fmt.Sprintf("squeeze13-%d-%v-%v", i, xs, axes), 13, "Squeeze", []opIn{x(xs...), ints("a", axes...)}),
			single(fmt.Sprintf("squeeze-all-%d-%v", i, xs), 13, "Squeeze", []opIn{x(xs...)}))
	}
	for i := range 8 {
		xs := moveRandShape(rng, 1+rng.IntN(3), 4)
		n := 1 + rng.IntN(2)
		rank := len(xs) + n
		perm := rng.Perm(rank)[:n]
		axes := make([]int64, n)
		for j, p := range perm {
			axes[j] = int64(p)
			if rng.IntN(2) == 0 {
				axes[j] -= int64(rank)
			}
		}
		cs = append(cs, single(fmt.Sprintf("unsqueeze11-%d-%v-%v", i, xs, axes), 11, "Unsqueeze", []opIn{x(xs...)}, aints("axes", axes...)),
			single(fmt.Sprintf("unsqueeze13-%d-%v-%v", i, xs, axes), 13, "Unsqueeze", []opIn{x(xs...), ints("a", axes...)}))
	}
	cs = append(cs, single("squeeze7", 7, "Squeeze", []opIn{x(1, 3, 1)}, aints("axes", 0)),
		single("unsqueeze7", 7, "Unsqueeze", []opIn{x(3, 2)}, aints("axes", 1)))
	// Split: the split attribute (7-12), the split input (13+), equal parts
	// by default, num_outputs (18, the last part smaller).
	for i := range 6 {
		xs := moveRandShape(rng, 1+rng.IntN(3), 4)
		axis := rng.IntN(len(xs))
		xs[axis] = 2 + rng.IntN(6)
		var split []int64
		for left := xs[axis]; left > 0; {
			s := 1 + rng.IntN(left)
			split = append(split, int64(s))
			left -= s
		}
		ax := int64(axis)
		if i%2 == 1 {
			ax -= int64(len(xs))
		}
		outs := make([]string, len(split))
		for j := range outs {
			outs[j] = fmt.Sprintf("y%d", j)
		}
		name := fmt.Sprintf("%v-axis%d-%v", xs, ax, split)
		cs = append(cs,
			multiOut("split11-"+name, 11, "Split", []string{"x"}, []opIn{x(xs...)}, outs, ai("axis", ax), aints("split", split...)),
			multiOut("split13-"+name, 13, "Split", []string{"x", "s"}, []opIn{x(xs...), ints("s", split...)}, outs, ai("axis", ax)))
		n := 1 + rng.IntN(xs[axis])
		outs = outs[:0]
		for j := 0; j < n; j++ {
			outs = append(outs, fmt.Sprintf("y%d", j))
		}
		cs = append(cs, multiOut(fmt.Sprintf("split18-num%d-%v-axis%d", n, xs, ax), 18, "Split", []string{"x"}, []opIn{x(xs...)}, outs,
			ai("axis", ax), ai("num_outputs", int64(n))))
	}
	cs = append(cs,
		multiOut("split-equal11", 11, "Split", []string{"x"}, []opIn{x(2, 6, 3)}, []string{"a", "b", "c"}, ai("axis", 1)),
		multiOut("split-equal13", 13, "Split", []string{"x"}, []opIn{x(4, 3)}, []string{"a", "b"}),
		multiOut("split7", 7, "Split", []string{"x"}, []opIn{x(3, 5)}, []string{"a", "b"}, ai("axis", 1), aints("split", 2, 3)))
	// Split outputs read by later nodes, one of them not at all; a Split
	// of a constant folds.
	cs = append(cs, opCase{name: "split-consumers", opset: 13, inputs: []opIn{x(2, 9, 4), ints("s", 3, 3, 3), w("c", 65, 6, 4), ints("s2", 3, 3)},
		nodes: []*Node{
			{Name: "split", OpType: "Split", Inputs: []string{"x", "s"}, Outputs: []string{"a", "b", "unused"}, Attrs: []*Attr{ai("axis", 1)}},
			{Name: "mul", OpType: "Mul", Inputs: []string{"a", "b"}, Outputs: []string{"ab"}},
			{Name: "splitc", OpType: "Split", Inputs: []string{"c", "s2"}, Outputs: []string{"c0", "c1"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"ab"}, Outputs: []string{"r"}},
			{Name: "add", OpType: "Add", Inputs: []string{"r", "c1"}, Outputs: []string{"y"}},
			{Name: "sub", OpType: "Sub", Inputs: []string{"b", "c0"}, Outputs: []string{"z"}},
		}, outputs: []string{"y", "z"}})
	return cs
}

func convTransposeCases() []opCase {
	rng := rand.New(rand.NewPCG(66, 67))
	var cs []opCase
	for i := range 40 {
		rank := 1 + rng.IntN(2)
		if i%10 == 9 {
			rank = 3
		}
		group := 1 + rng.IntN(3)
		cin, mg := group*(1+rng.IntN(2)), 1+rng.IntN(3)
		xs := []int{1 + rng.IntN(2), cin}
		ws := []int{cin, mg}
		var strides, dil, kern, opad, pads, oshape []int64
		for d := 0; d < rank; d++ {
			xs = append(xs, 1+rng.IntN(5))
			k := 1 + rng.IntN(3)
			ws = append(ws, k)
			kern = append(kern, int64(k))
			strides = append(strides, int64(1+rng.IntN(3)))
			dil = append(dil, int64(1+rng.IntN(2)))
		}
		attrs := []*Attr{ai("group", int64(group)), aints("strides", strides...), aints("dilations", dil...)}
		if rng.IntN(2) == 0 {
			attrs = append(attrs, aints("kernel_shape", kern...))
		}
		mode := []string{"pads", "output_shape", "SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"}[rng.IntN(6)]
		natural := func(d int) int64 { // output size without pads and output_padding
			return strides[d]*int64(xs[2+d]-1) + (kern[d]-1)*dil[d] + 1
		}
		switch mode {
		case "pads":
			pads = make([]int64, 2*rank)
			for d := 0; d < rank; d++ {
				if s := strides[d]; s > 1 && rng.IntN(2) == 0 {
					opad = append(opad, int64(rng.IntN(int(s))))
				} else {
					opad = append(opad, 0)
				}
				room := natural(d) + opad[d] - 1
				pads[d] = int64(rng.IntN(int(min(room, 2)) + 1))
				pads[rank+d] = int64(rng.IntN(int(min(room-pads[d], 2)) + 1))
			}
			attrs = append(attrs, aints("pads", pads...), aints("output_padding", opad...))
		case "output_shape":
			for d := 0; d < rank; d++ {
				oshape = append(oshape, natural(d)+int64(rng.IntN(int(strides[d]))))
			}
			attrs = append(attrs, aints("output_shape", oshape...))
		case "NOTSET":
			attrs = append(attrs, as("auto_pad", "NOTSET"))
		default:
			// SAME needs total padding >= 0: a kernel extent of at least the stride.
			for d := 0; d < rank; d++ {
				if (kern[d]-1)*dil[d]+1 < strides[d] {
					strides[d] = (kern[d]-1)*dil[d] + 1
				}
			}
			attrs[1] = aints("strides", strides...)
			attrs = append(attrs, as("auto_pad", mode))
		}
		ins := []opIn{x(xs...), w("W", uint64(200+i), ws...)}
		if rng.IntN(2) == 0 {
			ins = append(ins, w("B", uint64(300+i), mg*group))
		}
		cs = append(cs, single(fmt.Sprintf("convT-%d-%dd-g%d-%s-x%v-w%v", i, rank, group, mode, xs, ws), []int64{11, 13}[i%2], "ConvTranspose", ins, attrs...))
	}
	return cs
}
