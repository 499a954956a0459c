package onnx

// Reshapes that only insert, remove or move size-1 axes (Squeeze,
// Unsqueeze, a Transpose of size-1 axes), when the model keeps symbolic
// dimensions. A Reshape target can follow the sizes only where it copies the
// input's dimension at the same position (0) or in one inferred element
// (-1, see symbolic.go), so [1 N 8 T 15] to [N 8 T 15] cannot be written for
// every N and T. It is written instead as views that keep every dimension in
// place: a Transpose that moves the input's size-1 axes to the end, a
// Reshape that copies the leading dimensions (0) and adds or drops trailing
// 1s, and a Transpose that moves the output's size-1 axes into place (each
// only when it changes something). A Transpose that moves only size-1 axes,
// and a Reshape, copy nothing at run time.

// reshapeOnes emits x reshaped to shape in that form and reports whether it
// did: only with symbolic dimensions, when shape's axes other than size 1
// are x's in order but not at the same positions.
func (c *nodeCtx) reshapeOnes(x *val, shape []int) bool {
	if c.im.dims == nil {
		return false
	}
	xs, ss := nonOneAxes(x.shape), nonOneAxes(shape)
	if len(xs) != len(ss) {
		return false
	}
	moved := false
	for i := range xs {
		if x.shape[xs[i]] != shape[ss[i]] {
			return false
		}
		moved = moved || xs[i] != ss[i]
	}
	if !moved {
		return false
	}
	k := len(xs)
	// Step 1: x's size-1 axes to the end.
	perm1 := append([]int(nil), xs...)
	for i, d := range x.shape {
		if d == 1 {
			perm1 = append(perm1, i)
		}
	}
	// Step 3: from [the k axes..., 1s] to shape.
	perm3 := make([]int, len(shape))
	one := k
	for j, i := 0, 0; j < len(shape); j++ {
		if shape[j] == 1 {
			perm3[j], one = one, one+1
		} else {
			perm3[j], i = i, i+1
		}
	}
	mid := func(rank int) []int {
		s := make([]int, rank)
		for i := range s {
			s[i] = 1
		}
		for i, a := range xs {
			s[i] = x.shape[a]
		}
		return s
	}
	if len(x.shape) == len(shape) { // one Transpose does it
		perm := make([]int, len(shape))
		for j := range perm {
			perm[j] = perm1[perm3[j]]
		}
		c.emit("Transpose", []string{x.name}, map[string]any{"perm": ints64(perm)}, append([]int(nil), shape...))
		return true
	}
	cur := x
	if !isIdentity(perm1) {
		cur = c.emitTemp("ones_last", "Transpose", []string{cur.name}, map[string]any{"perm": ints64(perm1)}, mid(len(x.shape)))
	}
	target := make([]int64, len(shape))
	for j := range target {
		if j >= k {
			target[j] = 1
		}
	}
	if isIdentity(perm3) {
		c.emit("Reshape", []string{cur.name}, map[string]any{"shape": target}, append([]int(nil), shape...))
		return true
	}
	cur = c.emitTemp("ones_reshape", "Reshape", []string{cur.name}, map[string]any{"shape": target}, mid(len(shape)))
	c.emit("Transpose", []string{cur.name}, map[string]any{"perm": ints64(perm3)}, append([]int(nil), shape...))
	return true
}

// nonOneAxes lists the axes of shape whose size is not 1.
func nonOneAxes(shape []int) []int {
	var axes []int
	for i, d := range shape {
		if d != 1 {
			axes = append(axes, i)
		}
	}
	return axes
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if p != i {
			return false
		}
	}
	return true
}
