package onnx

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Protobuf wire primitives: reading fields (walk) and appending them.

// field is one decoded field: its number, wire type and payload (v for
// length-delimited fields, x for numeric ones).
type field struct {
	num protowire.Number
	typ protowire.Type
	v   []byte
	x   uint64
}

// walk calls fn for every field of the message b, in order.
func walk(b []byte, what string, fn func(f field) error) error {
	off := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %s: bad field tag at byte %d: %v", ErrMalformed, what, off, protowire.ParseError(n))
		}
		f := field{num: num, typ: typ}
		b = b[n:]
		off += n
		switch typ {
		case protowire.VarintType:
			f.x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.x = uint64(v)
		case protowire.Fixed64Type:
			f.x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: %s: field %d at byte %d: %v (truncated or corrupt)", ErrMalformed, what, num, off, protowire.ParseError(n))
		}
		b = b[n:]
		off += n
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func wireErr(what string, f field) error {
	return fmt.Errorf("%w: %s: field %d has wire type %d, which does not match its declared type", ErrMalformed, what, f.num, f.typ)
}

// str reads a length-delimited field as a string.
func (f field) str(what string) (string, error) {
	if f.typ != protowire.BytesType {
		return "", wireErr(what, f)
	}
	return string(f.v), nil
}

func (f field) varint(what string) (uint64, error) {
	if f.typ != protowire.VarintType {
		return 0, wireErr(what, f)
	}
	return f.x, nil
}

func (f field) msg(what string) ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, wireErr(what, f)
	}
	return f.v, nil
}

// appendInts appends a repeated varint field, packed or not.
func (f field) appendInts(dst []int64, what string) ([]int64, error) {
	switch f.typ {
	case protowire.VarintType:
		return append(dst, int64(f.x)), nil
	case protowire.BytesType:
		b := f.v
		for len(b) > 0 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: %s: bad packed integer: %v", ErrMalformed, what, protowire.ParseError(n))
			}
			dst = append(dst, int64(v))
			b = b[n:]
		}
		return dst, nil
	}
	return nil, wireErr(what, f)
}

func (f field) appendFloats(dst []float32, what string) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(f.x))), nil
	case protowire.BytesType:
		if len(f.v)%4 != 0 {
			return nil, fmt.Errorf("%w: %s: packed floats of %d bytes", ErrMalformed, what, len(f.v))
		}
		for i := 0; i < len(f.v); i += 4 {
			dst = append(dst, math.Float32frombits(uint32(f.v[i])|uint32(f.v[i+1])<<8|uint32(f.v[i+2])<<16|uint32(f.v[i+3])<<24))
		}
		return dst, nil
	}
	return nil, wireErr(what, f)
}

func (f field) appendDoubles(dst []float64, what string) ([]float64, error) {
	switch f.typ {
	case protowire.Fixed64Type:
		return append(dst, math.Float64frombits(f.x)), nil
	case protowire.BytesType:
		if len(f.v)%8 != 0 {
			return nil, fmt.Errorf("%w: %s: packed doubles of %d bytes", ErrMalformed, what, len(f.v))
		}
		for i := 0; i < len(f.v); i += 8 {
			var u uint64
			for j := 7; j >= 0; j-- {
				u = u<<8 | uint64(f.v[i+j])
			}
			dst = append(dst, math.Float64frombits(u))
		}
		return dst, nil
	}
	return nil, wireErr(what, f)
}

func appendStr(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendRepeatedStr(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendPackedInts(b []byte, num protowire.Number, v []int64) []byte {
	if len(v) == 0 {
		return b
	}
	var p []byte
	for _, x := range v {
		p = protowire.AppendVarint(p, uint64(x))
	}
	return appendMsg(b, num, p)
}

func appendPackedFloats(b []byte, num protowire.Number, v []float32) []byte {
	if len(v) == 0 {
		return b
	}
	p := make([]byte, 0, 4*len(v))
	for _, x := range v {
		p = protowire.AppendFixed32(p, math.Float32bits(x))
	}
	return appendMsg(b, num, p)
}
