package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/internal/format"
)

// konst is the data of a constant value: float32 (isInt false) or int64
// (integers and booleans).
type konst struct {
	isInt bool
	f     []float32
	i     []int64
}

func (k *konst) len() int {
	if k.isInt {
		return len(k.i)
	}
	return len(k.f)
}

// floats returns the values as float32 (converting integers).
func (k *konst) floats() []float32 {
	if !k.isInt {
		return k.f
	}
	out := make([]float32, len(k.i))
	for j, v := range k.i {
		out[j] = float32(v)
	}
	return out
}

// ints returns the values as int64 (truncating floats toward zero, as Cast).
func (k *konst) ints() []int64 {
	if k.isInt {
		return k.i
	}
	out := make([]int64, len(k.f))
	for j, v := range k.f {
		switch {
		case v != v:
			out[j] = 0
		case v >= math.MaxInt64:
			out[j] = math.MaxInt64
		case v <= math.MinInt64:
			out[j] = math.MinInt64
		default:
			out[j] = int64(v)
		}
	}
	return out
}

// at returns element j as float64.
func (k *konst) at(j int) float64 {
	if k.isInt {
		return float64(k.i[j])
	}
	return float64(k.f[j])
}

func intKonst(v []int64) *konst     { return &konst{isInt: true, i: v} }
func floatKonst(v []float32) *konst { return &konst{f: v} }

// shapeOf converts ONNX dims to a shape, checking sizes.
func shapeOf(dims []int64, what string) ([]int, error) {
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 || d > ops.MaxElements {
			return nil, fmt.Errorf("%w: %s: dimension %d is out of range", ErrMalformed, what, d)
		}
		shape[i] = int(d)
	}
	if _, err := ops.NumElements(shape); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	return shape, nil
}

// rawSize returns the size in bytes of one element of an ONNX data type, or
// 0 if wasmnn cannot read it.
func rawSize(t int32) int {
	switch t {
	case TypeFloat, TypeInt32, TypeUint32:
		return 4
	case TypeInt64, TypeDouble, TypeUint64:
		return 8
	case TypeFloat16, 16, TypeInt16, TypeUint16:
		return 2
	case TypeInt8, TypeUint8, TypeBool:
		return 1
	}
	return 0
}

// decodeData returns the tensor's shape and values, checking that the data
// matches the shape.
func (t *Tensor) decodeData() ([]int, *konst, error) {
	what := fmt.Sprintf("tensor %q", t.Name)
	shape, err := shapeOf(t.Dims, what)
	if err != nil {
		return nil, nil, err
	}
	n, _ := ops.NumElements(shape)
	if t.external {
		return nil, nil, fmt.Errorf("%w: %s keeps its data in an external file; save the model with its weights inside the .onnx file", ErrUnsupported, what)
	}
	if t.segment {
		return nil, nil, fmt.Errorf("%w: %s is a segment of a larger tensor", ErrUnsupported, what)
	}
	size := rawSize(t.DataType)
	if size == 0 {
		return nil, nil, fmt.Errorf("%w: %s has data type %s", ErrUnsupported, what, typeName(t.DataType))
	}
	isFloat := t.DataType == TypeFloat || t.DataType == TypeFloat16 || t.DataType == TypeDouble || t.DataType == 16
	mismatch := func(field string, got int) error {
		return fmt.Errorf("%w: %s: shape %s of %s needs %d values, %s holds %d", ErrMalformed, what, ops.FormatShape(shape), typeName(t.DataType), n, field, got)
	}
	// Check the amount of data before allocating for the shape.
	var have int
	var field string
	switch {
	case t.hasRaw:
		if len(t.RawData) != n*size {
			return nil, nil, fmt.Errorf("%w: %s: shape %s of %s needs %d bytes of raw_data, got %d", ErrMalformed, what, ops.FormatShape(shape), typeName(t.DataType), n*size, len(t.RawData))
		}
		have = n
	case t.DataType == TypeFloat:
		have, field = len(t.FloatData), "float_data"
	case t.DataType == TypeDouble:
		have, field = len(t.DoubleData), "double_data"
	case t.DataType == TypeInt64:
		have, field = len(t.Int64Data), "int64_data"
	case t.DataType == TypeUint32 || t.DataType == TypeUint64:
		have, field = len(t.Uint64Data), "uint64_data"
	default:
		have, field = len(t.Int32Data), "int32_data"
	}
	if have != n {
		return nil, nil, mismatch(field, have)
	}
	k := &konst{isInt: !isFloat}
	if k.isInt {
		k.i = make([]int64, n)
	} else {
		k.f = make([]float32, n)
	}
	if t.hasRaw {
		r := t.RawData
		le := binary.LittleEndian
		for j := 0; j < n; j++ {
			switch t.DataType {
			case TypeFloat:
				k.f[j] = math.Float32frombits(le.Uint32(r[4*j:]))
			case TypeDouble:
				k.f[j] = float32(math.Float64frombits(le.Uint64(r[8*j:])))
			case TypeFloat16:
				k.f[j] = format.HalfToFloat32(le.Uint16(r[2*j:]))
			case 16: // bfloat16
				k.f[j] = math.Float32frombits(uint32(le.Uint16(r[2*j:])) << 16)
			case TypeInt32:
				k.i[j] = int64(int32(le.Uint32(r[4*j:])))
			case TypeUint32:
				k.i[j] = int64(le.Uint32(r[4*j:]))
			case TypeInt64:
				k.i[j] = int64(le.Uint64(r[8*j:]))
			case TypeUint64:
				k.i[j] = int64(le.Uint64(r[8*j:]))
			case TypeInt16:
				k.i[j] = int64(int16(le.Uint16(r[2*j:])))
			case TypeUint16:
				k.i[j] = int64(le.Uint16(r[2*j:]))
			case TypeInt8:
				k.i[j] = int64(int8(r[j]))
			case TypeUint8, TypeBool:
				k.i[j] = int64(r[j])
			}
		}
		return shape, k, nil
	}
	switch t.DataType {
	case TypeFloat:
		copy(k.f, t.FloatData)
	case TypeDouble:
		for j, v := range t.DoubleData {
			k.f[j] = float32(v)
		}
	case TypeInt64:
		copy(k.i, t.Int64Data)
	case TypeUint32, TypeUint64:
		for j, v := range t.Uint64Data {
			k.i[j] = int64(v)
		}
	default: // types stored in int32_data
		for j, v := range t.Int32Data {
			switch t.DataType {
			case TypeFloat16:
				k.f[j] = format.HalfToFloat32(uint16(v))
			case 16:
				k.f[j] = math.Float32frombits(uint32(uint16(v)) << 16)
			default:
				k.i[j] = int64(v)
			}
		}
	}
	return shape, k, nil
}

// floatTensor returns an ONNX float tensor with raw little-endian data.
func floatTensor(name string, shape []int, data []float32) *Tensor {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &Tensor{Name: name, Dims: dims64(shape), DataType: TypeFloat, RawData: raw, hasRaw: true}
}

// intTensor returns an ONNX int64 tensor.
func intTensor(name string, shape []int, data []int64) *Tensor {
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return &Tensor{Name: name, Dims: dims64(shape), DataType: TypeInt64, RawData: raw, hasRaw: true}
}

func dims64(shape []int) []int64 {
	out := make([]int64, len(shape))
	for i, d := range shape {
		out[i] = int64(d)
	}
	return out
}
