package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrShape is wrapped by every error that reports an impossible or
// inconsistent tensor shape.
var ErrShape = errors.New("shape error")

// Layout names the axis order of a tensor.
type Layout string

// Layouts of activations understood by wasmnn.
const (
	NCW   Layout = "NCW"   // 1D: batch, channels, width
	NCHW  Layout = "NCHW"  // 2D: batch, channels, height, width
	NCDHW Layout = "NCDHW" // 3D: batch, channels, depth, height, width
)

// LayoutForRank returns the activation layout for a tensor of the given rank
// (3, 4 or 5), or "" for other ranks.
func LayoutForRank(rank int) Layout {
	switch rank {
	case 3:
		return NCW
	case 4:
		return NCHW
	case 5:
		return NCDHW
	}
	return ""
}

// Tensor is a dense float32 tensor: a shape and its row-major data.
// len(Data) always equals the product of Shape.
type Tensor struct {
	Shape []int
	Data  []float32
}

// MaxElements bounds the number of elements of any one tensor (2^31-1), so that
// sizes always fit an int32 index in the wasm build and shape arithmetic
// cannot overflow.
const MaxElements = math.MaxInt32

// NumElements returns the product of shape, or an error wrapping ErrShape if
// a dimension is negative or the product exceeds MaxElements.
func NumElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in %s", ErrShape, FormatShape(shape))
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("%w: %s has more than %d elements", ErrShape, FormatShape(shape), MaxElements)
		}
		n *= d
	}
	return n, nil
}

// ShapeSize returns the product of shape's dimensions (1 for a scalar). It
// does not check for overflow: use it on shapes NumElements has accepted.
func ShapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// NewTensor allocates a zeroed tensor of the given shape.
func NewTensor(shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}, nil
}

// FromData wraps data in a tensor of the given shape without copying. It
// returns an error if len(data) does not match the shape.
func FromData(data []float32, shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("%w: shape %s needs %d values, got %d", ErrShape, FormatShape(shape), n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// String describes the tensor by its shape.
func (t *Tensor) String() string { return "tensor" + FormatShape(t.Shape) }

// FormatShape formats a shape as [a b c].
func FormatShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// EqualShapes reports whether two shapes are identical.
func EqualShapes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
