package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// ElemSize returns the size in bytes of one element of dtype, or 0 if dtype
// is not a known weight data type.
func ElemSize(dtype string) int {
	switch dtype {
	case DTypeF32:
		return 4
	case DTypeF16:
		return 2
	}
	return 0
}

// NewF32Tensor returns an f32 tensor holding a little-endian copy of data.
// It returns an error wrapping ErrBadModel if name is empty or data does not
// match shape.
func NewF32Tensor(name string, shape []int, data []float32) (Tensor, error) {
	return newTensor(name, DTypeF32, shape, data, func(b []byte, v float32) {
		binary.LittleEndian.PutUint32(b, math.Float32bits(v))
	})
}

// NewF16Tensor returns an f16 tensor holding data rounded to binary16 (ties
// to even, see Float32ToHalf), little-endian. It returns an error wrapping
// ErrBadModel if name is empty or data does not match shape.
func NewF16Tensor(name string, shape []int, data []float32) (Tensor, error) {
	return newTensor(name, DTypeF16, shape, data, func(b []byte, v float32) {
		binary.LittleEndian.PutUint16(b, Float32ToHalf(v))
	})
}

// newTensor returns a tensor of dtype holding data, each value stored by
// put into the ElemSize(dtype) bytes it is given.
func newTensor(name, dtype string, shape []int, data []float32, put func(b []byte, v float32)) (Tensor, error) {
	t := Tensor{Name: name, DType: dtype, Shape: append([]int(nil), shape...)}
	if err := checkCount(&t, len(data)); err != nil {
		return Tensor{}, err
	}
	size := ElemSize(dtype)
	t.Data = make([]byte, size*len(data))
	for i, v := range data {
		put(t.Data[size*i:], v)
	}
	return t, nil
}

// checkCount checks t's name and shape and that the shape holds n elements.
func checkCount(t *Tensor, n int) error {
	if t.Name == "" {
		return fmt.Errorf("%w: tensor with an empty name", ErrBadModel)
	}
	want, err := ops.NumElements(t.Shape)
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %w", ErrBadModel, t.Name, err)
	}
	if n != want {
		return fmt.Errorf("%w: tensor %q: %d values for shape %s, which holds %d",
			ErrBadModel, t.Name, n, ops.FormatShape(t.Shape), want)
	}
	return nil
}

// Float32s returns the tensor's values as a new float32 slice, converting
// f16 data exactly. It returns an error wrapping ErrBadModel if the dtype is
// unknown or Data does not match Shape.
func (t *Tensor) Float32s() ([]float32, error) {
	if err := checkTensor(t); err != nil {
		return nil, fmt.Errorf("%w: tensor %q: %w", ErrBadModel, t.Name, err)
	}
	switch t.DType {
	case DTypeF32:
		x := make([]float32, len(t.Data)/4)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return x, nil
	default: // DTypeF16, as checkTensor accepts no other
		x := make([]float32, len(t.Data)/2)
		for i := range x {
			x[i] = HalfToFloat32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
		return x, nil
	}
}

// checkTensor checks a tensor as Decode and Encode do: non-empty name,
// known dtype, valid shape and a Data length matching the shape. The error
// neither names the tensor nor wraps ErrBadModel (callers add both).
func checkTensor(t *Tensor) error {
	if t.Name == "" {
		return errors.New("tensor with an empty name")
	}
	size := ElemSize(t.DType)
	if size == 0 {
		return fmt.Errorf("unknown dtype %q (known: %q, %q)", t.DType, DTypeF32, DTypeF16)
	}
	n, err := ops.NumElements(t.Shape)
	if err != nil {
		return err
	}
	if len(t.Data) != n*size {
		return fmt.Errorf("data is %d bytes, but shape %s of %s needs %d bytes",
			len(t.Data), ops.FormatShape(t.Shape), t.DType, n*size)
	}
	return nil
}
