package onnx

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// Constant folding: ops evaluated at conversion time on constant inputs.

// maxFoldElements bounds tensors created by folding (ConstantOfShape,
// Expand, Range), so that a tiny file cannot ask for gigabytes.
const maxFoldElements = 1 << 26

func (c *nodeCtx) needConst(i int) (*val, error) {
	v := c.in[i]
	if v.c == nil {
		return nil, fmt.Errorf("%w: %s of a computed tensor (input %q): wasmnn only evaluates it on constants, at conversion time",
			ErrUnsupported, c.n.OpType, c.n.Inputs[i])
	}
	return v, nil
}

func foldConstant(c *nodeCtx) error {
	switch {
	case c.a.has("value"):
		at := c.a.typed("value", AttrTensor)
		if at == nil || at.T == nil {
			return fmt.Errorf("%w: attribute value is not a tensor", ErrMalformed)
		}
		shape, k, err := at.T.decodeData()
		if err != nil {
			return err
		}
		c.constant(shape, k)
	case c.a.has("value_float"):
		c.constant([]int{}, floatKonst([]float32{c.a.float("value_float", 0)}))
	case c.a.has("value_floats"):
		v := c.a.floats("value_floats")
		c.constant([]int{len(v)}, floatKonst(append([]float32(nil), v...)))
	case c.a.has("value_int"):
		c.constant([]int{}, intKonst([]int64{c.a.int("value_int", 0)}))
	case c.a.has("value_ints"):
		v := c.a.ints("value_ints")
		c.constant([]int{len(v)}, intKonst(append([]int64(nil), v...)))
	case c.a.has("sparse_value"), c.a.has("value_string"), c.a.has("value_strings"):
		return fmt.Errorf("%w: sparse or string constants", ErrUnsupported)
	default:
		return fmt.Errorf("%w: Constant without a value", ErrMalformed)
	}
	return nil
}

func foldConstantOfShape(c *nodeCtx) error {
	dims, _, err := c.intsIn(0, "shape")
	if err != nil {
		return err
	}
	shape, err := shapeOf(dims, "ConstantOfShape shape")
	if err != nil {
		return err
	}
	n := ops.ShapeSize(shape)
	if n > maxFoldElements {
		return fmt.Errorf("%w: constant of %d elements", ErrUnsupported, n)
	}
	k := floatKonst(make([]float32, n))
	if c.a.has("value") {
		at := c.a.typed("value", AttrTensor)
		if at == nil || at.T == nil {
			return fmt.Errorf("%w: attribute value is not a tensor", ErrMalformed)
		}
		_, v, err := at.T.decodeData()
		if err != nil {
			return err
		}
		if v.len() != 1 {
			return fmt.Errorf("%w: value must hold one element", ErrMalformed)
		}
		if v.isInt {
			k = intKonst(make([]int64, n))
			for i := range k.i {
				k.i[i] = v.i[0]
			}
		} else {
			for i := range k.f {
				k.f[i] = v.f[0]
			}
		}
	}
	c.constant(shape, k)
	return nil
}

// sliceBounds clamps ONNX start/end (with negative values counting from
// the end) for a positive step.
func clampIndex(v int64, dim int) int {
	if v < 0 {
		v += int64(dim)
	}
	return int(min(max(v, 0), int64(dim)))
}

func foldShape(c *nodeCtx) error {
	s := c.in[0].shape
	rank := len(s)
	start, end := 0, rank
	if c.a.has("start") {
		start = clampIndex(c.a.int("start", 0), rank)
	}
	if c.a.has("end") {
		end = clampIndex(c.a.int("end", int64(rank)), rank)
	}
	out := []int64{}
	for i := start; i < end; i++ {
		out = append(out, int64(s[i]))
	}
	c.constant([]int{len(out)}, intKonst(out))
	return nil
}

func foldSize(c *nodeCtx) error {
	c.constant([]int{}, intKonst([]int64{int64(ops.ShapeSize(c.in[0].shape))}))
	return nil
}

func foldGather(c *nodeCtx) error {
	data, err := c.needConst(0)
	if err != nil {
		return err
	}
	idx, err := c.needConst(1)
	if err != nil {
		return err
	}
	rank := len(data.shape)
	if rank == 0 {
		return fmt.Errorf("%w: gather from a scalar", ErrMalformed)
	}
	axis, err := normAxis(c.a.int("axis", 0), rank, "axis")
	if err != nil {
		return err
	}
	dim := data.shape[axis]
	ind := idx.c.ints()
	outer, inner := ops.ShapeSize(data.shape[:axis]), ops.ShapeSize(data.shape[axis+1:])
	out := append(append(append([]int(nil), data.shape[:axis]...), idx.shape...), data.shape[axis+1:]...)
	n, err := ops.NumElements(out)
	if err != nil || n > maxFoldElements {
		return fmt.Errorf("%w: Gather result %s is too large to fold", ErrUnsupported, ops.FormatShape(out))
	}
	res := &konst{isInt: data.c.isInt}
	if res.isInt {
		res.i = make([]int64, 0, n)
	} else {
		res.f = make([]float32, 0, n)
	}
	for o := 0; o < outer; o++ {
		for _, j := range ind {
			if j < 0 {
				j += int64(dim)
			}
			if j < 0 || j >= int64(dim) {
				return fmt.Errorf("%w: index %d is out of range for axis %d of %s", ErrMalformed, j, axis, ops.FormatShape(data.shape))
			}
			base := (o*dim + int(j)) * inner
			if res.isInt {
				res.i = append(res.i, data.c.i[base:base+inner]...)
			} else {
				res.f = append(res.f, data.c.f[base:base+inner]...)
			}
		}
	}
	c.constant(out, res)
	return nil
}

func foldSlice(c *nodeCtx) error {
	data, err := c.needConst(0)
	if err != nil {
		return err
	}
	rank := len(data.shape)
	var starts, ends, axes, steps []int64
	if c.im.opset < 10 {
		starts, ends, axes = c.a.ints("starts"), c.a.ints("ends"), c.a.ints("axes")
	} else {
		if len(c.in) < 3 {
			return fmt.Errorf("%w: Slice needs starts and ends", ErrMalformed)
		}
		for i, dst := range []*[]int64{&starts, &ends, &axes, &steps} {
			if *dst, _, err = c.intsIn(i+1, []string{"starts", "ends", "axes", "steps"}[i]); err != nil {
				return err
			}
		}
	}
	if len(starts) != len(ends) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return fmt.Errorf("%w: starts, ends, axes and steps have different lengths", ErrMalformed)
	}
	// Per axis: first index, step and count.
	first := make([]int, rank)
	step := make([]int, rank)
	count := append([]int(nil), data.shape...)
	for i := range step {
		step[i] = 1
	}
	for i := range starts {
		ax := i
		if axes != nil {
			if ax, err = normAxis(axes[i], rank, "axis"); err != nil {
				return err
			}
		}
		st := int64(1)
		if steps != nil {
			st = steps[i]
		}
		if st == 0 {
			return fmt.Errorf("%w: slice step 0", ErrMalformed)
		}
		dim := int64(data.shape[ax])
		s, e := starts[i], ends[i]
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		var n int64
		if st > 0 {
			s, e = min(max(s, 0), dim), min(max(e, 0), dim)
			if e > s {
				n = (e - s + st - 1) / st
			}
		} else {
			s, e = min(max(s, 0), dim-1), min(max(e, -1), dim-1)
			if s > e {
				n = (s - e - st - 1) / -st
			}
		}
		first[ax], step[ax], count[ax] = int(s), int(st), int(n)
	}
	total := ops.ShapeSize(count)
	res := &konst{isInt: data.c.isInt}
	if res.isInt {
		res.i = make([]int64, total)
	} else {
		res.f = make([]float32, total)
	}
	coord := make([]int, rank)
	for o := 0; o < total; o++ {
		rem := o
		for ax := rank - 1; ax >= 0; ax-- {
			coord[ax] = rem % count[ax]
			rem /= count[ax]
		}
		src := 0
		for ax := 0; ax < rank; ax++ {
			src = src*data.shape[ax] + first[ax] + coord[ax]*step[ax]
		}
		if res.isInt {
			res.i[o] = data.c.i[src]
		} else {
			res.f[o] = data.c.f[src]
		}
	}
	c.constant(count, res)
	return nil
}

// broadcastSource returns, for each output element of shape out, the index
// of the element of a tensor of shape in that broadcasts to it.
func broadcastSource(out, in []int) []int {
	n := ops.ShapeSize(out)
	src := make([]int, n)
	off := len(out) - len(in)
	coord := make([]int, len(out))
	for o := 0; o < n; o++ {
		rem := o
		for ax := len(out) - 1; ax >= 0; ax-- {
			coord[ax] = rem % out[ax]
			rem /= out[ax]
		}
		j := 0
		for ax, d := range in {
			v := coord[off+ax]
			if d == 1 {
				v = 0
			}
			j = j*d + v
		}
		src[o] = j
	}
	return src
}

func foldBinary(kind ops.BinaryKind, a, b *val, g ops.BroadcastGeom) (*konst, error) {
	if g.Size() > maxFoldElements {
		return nil, fmt.Errorf("%w: constant of shape %s is too large to fold", ErrUnsupported, ops.FormatShape(g.Out))
	}
	intArith := kind == ops.BinAdd || kind == ops.BinSub || kind == ops.BinMul || kind == ops.BinDiv
	if !a.c.isInt || !b.c.isInt || !intArith {
		out := make([]float32, g.Size())
		ops.Binary(kind, g, out, a.c.floats(), b.c.floats(), ops.Activation{})
		return floatKonst(out), nil
	}
	sa, sb := broadcastSource(g.Out, a.shape), broadcastSource(g.Out, b.shape)
	out := make([]int64, len(sa))
	for i := range out {
		x, y := a.c.i[sa[i]], b.c.i[sb[i]]
		switch kind {
		case ops.BinAdd:
			out[i] = x + y
		case ops.BinSub:
			out[i] = x - y
		case ops.BinMul:
			out[i] = x * y
		case ops.BinDiv:
			if y == 0 {
				return nil, fmt.Errorf("%w: integer division by zero", ErrMalformed)
			}
			out[i] = x / y
		}
	}
	return intKonst(out), nil
}

func foldConcat(ins []*val, axis int) *konst {
	isInt := true
	for _, v := range ins {
		isInt = isInt && v.c.isInt
	}
	res := &konst{isInt: isInt}
	outer := ops.ShapeSize(ins[0].shape[:axis])
	for o := 0; o < outer; o++ {
		for _, v := range ins {
			chunk := ops.ShapeSize(v.shape[axis:])
			if isInt {
				res.i = append(res.i, v.c.i[o*chunk:(o+1)*chunk]...)
			} else {
				res.f = append(res.f, v.c.floats()[o*chunk:(o+1)*chunk]...)
			}
		}
	}
	if res.i == nil && res.f == nil {
		res.i, res.f = []int64{}, []float32{}
	}
	return res
}

func foldTranspose(k *konst, g ops.TransposeGeom) *konst {
	if !k.isInt {
		out := make([]float32, g.Size())
		ops.Transpose(g, out, k.f)
		return floatKonst(out)
	}
	// Integers: map every output element to its input position.
	rank := len(g.In)
	inStride := make([]int, rank)
	st := 1
	for ax := rank - 1; ax >= 0; ax-- {
		inStride[ax] = st
		st *= g.In[ax]
	}
	res := make([]int64, len(k.i))
	coord := make([]int, rank)
	for o := range res {
		rem := o
		for ax := rank - 1; ax >= 0; ax-- {
			coord[ax] = rem % g.Out[ax]
			rem /= g.Out[ax]
		}
		src := 0
		for ax, p := range g.Perm {
			src += coord[ax] * inStride[p]
		}
		res[o] = k.i[src]
	}
	return intKonst(res)
}

func foldEqual(c *nodeCtx) error {
	a, err := c.needConst(0)
	if err != nil {
		return err
	}
	b, err := c.needConst(1)
	if err != nil {
		return err
	}
	if c.im.opset < 7 {
		if b, err = c.legacyBroadcast(a, b); err != nil {
			return err
		}
	}
	out, err := broadcastShapes(a.shape, b.shape)
	if err != nil {
		return err
	}
	sa, sb := broadcastSource(out, a.shape), broadcastSource(out, b.shape)
	res := make([]int64, len(sa))
	for i := range res {
		var eq bool
		if a.c.isInt && b.c.isInt {
			eq = a.c.i[sa[i]] == b.c.i[sb[i]]
		} else {
			eq = a.c.at(sa[i]) == b.c.at(sb[i])
		}
		if eq {
			res[i] = 1
		}
	}
	c.constant(out, intKonst(res))
	return nil
}

// broadcastShapes returns the broadcast of shapes, which must be small
// enough to fold.
func broadcastShapes(shapes ...[]int) ([]int, error) {
	out := []int{}
	for _, s := range shapes {
		g, err := ops.NewBroadcastGeom(out, s)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		out = g.Out
	}
	if ops.ShapeSize(out) > maxFoldElements {
		return nil, fmt.Errorf("%w: constant of shape %s is too large to fold", ErrUnsupported, ops.FormatShape(out))
	}
	return out, nil
}

func foldWhere(c *nodeCtx) error {
	var vs [3]*val
	for i := range vs {
		v, err := c.needConst(i)
		if err != nil {
			return err
		}
		vs[i] = v
	}
	out, err := broadcastShapes(vs[0].shape, vs[1].shape, vs[2].shape)
	if err != nil {
		return err
	}
	sc, sx, sy := broadcastSource(out, vs[0].shape), broadcastSource(out, vs[1].shape), broadcastSource(out, vs[2].shape)
	isInt := vs[1].c.isInt && vs[2].c.isInt
	res := &konst{isInt: isInt}
	for i := range sc {
		pick, j := vs[2], sy[i]
		if vs[0].c.at(sc[i]) != 0 {
			pick, j = vs[1], sx[i]
		}
		if isInt {
			res.i = append(res.i, pick.c.i[j])
		} else {
			res.f = append(res.f, float32(pick.c.at(j)))
		}
	}
	if res.i == nil && res.f == nil {
		res.i, res.f = []int64{}, []float32{}
	}
	c.constant(out, res)
	return nil
}

func foldExpand(c *nodeCtx) error {
	x, err := c.needConst(0)
	if err != nil {
		return err
	}
	dims, _, err := c.intsIn(1, "shape")
	if err != nil {
		return err
	}
	want, err := shapeOf(dims, "Expand shape")
	if err != nil {
		return err
	}
	out, err := broadcastShapes(x.shape, want)
	if err != nil {
		return err
	}
	if ops.ShapeSize(out) > maxFoldElements {
		return fmt.Errorf("%w: constant of %d elements", ErrUnsupported, ops.ShapeSize(out))
	}
	src := broadcastSource(out, x.shape)
	res := &konst{isInt: x.c.isInt}
	for _, j := range src {
		if res.isInt {
			res.i = append(res.i, x.c.i[j])
		} else {
			res.f = append(res.f, x.c.f[j])
		}
	}
	if res.i == nil && res.f == nil {
		res.i, res.f = []int64{}, []float32{}
	}
	c.constant(out, res)
	return nil
}

func foldRange(c *nodeCtx) error {
	var vs [3]*val
	for i := range vs {
		v, err := c.needConst(i)
		if err != nil {
			return err
		}
		if v.c.len() != 1 {
			return fmt.Errorf("%w: Range inputs must be scalars", ErrMalformed)
		}
		vs[i] = v
	}
	start, limit, delta := vs[0].c.at(0), vs[1].c.at(0), vs[2].c.at(0)
	if delta == 0 {
		return fmt.Errorf("%w: Range with delta 0", ErrMalformed)
	}
	n := math.Ceil((limit - start) / delta)
	if n < 0 || n != n {
		n = 0
	}
	if n > maxFoldElements {
		return fmt.Errorf("%w: Range of %g elements", ErrUnsupported, n)
	}
	isInt := vs[0].c.isInt && vs[1].c.isInt && vs[2].c.isInt
	res := &konst{isInt: isInt, i: []int64{}, f: []float32{}}
	for i := 0; i < int(n); i++ {
		if isInt {
			res.i = append(res.i, vs[0].c.i[0]+int64(i)*vs[2].c.i[0])
		} else {
			res.f = append(res.f, float32(start+float64(float64(i)*delta)))
		}
	}
	c.constant([]int{int(n)}, res)
	return nil
}

func foldUnary(f func(float64) float64) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		x, err := c.needConst(0)
		if err != nil {
			return err
		}
		if x.c.isInt {
			out := make([]int64, x.c.len())
			for i, v := range x.c.i {
				out[i] = int64(f(float64(v)))
			}
			c.constant(x.shape, intKonst(out))
			return nil
		}
		out := make([]float32, x.c.len())
		for i, v := range x.c.f {
			out[i] = float32(f(float64(v)))
		}
		c.constant(x.shape, floatKonst(out))
		return nil
	}
}
