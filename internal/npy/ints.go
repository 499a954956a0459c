package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// maxExactInt is the largest magnitude below which every integer is exact in
// a float64 (2^53): a float element farther from 0 is refused by ReadInts.
const maxExactInt = 1 << 53

// ReadInts decodes one .npy array from r as integers, for class labels and
// other indices, and returns its shape and its elements in C order. Integer
// dtypes (int8-64, uint8-64, either byte order) are read exactly; bool
// reads as 0 and 1; float16/32/64 elements must be whole numbers with a
// magnitude below 2^53. A uint64 element above math.MaxInt64, or a float
// element that is not finite or not whole, is an error wrapping ErrFormat
// that names the element's flat index. Like Read, it checks sizes before
// allocating and reads exactly the header and the data.
func ReadInts(r io.Reader) (shape []int, data []int64, err error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, nil, err
	}
	size := h.descr.size
	nbytes := int64(h.count) * int64(size)
	left, known := remaining(r)
	if known && left < nbytes {
		return nil, nil, formatErr("data is truncated: shape %v of %d-byte elements needs %d bytes, only %d present",
			h.shape, size, nbytes, left)
	}
	capacity := h.count
	if !known {
		capacity = min(h.count, chunkSize/size)
	}
	out := make([]int64, 0, capacity)
	buf := make([]byte, min(nbytes, chunkSize/int64(size)*int64(size)))
	for got := int64(0); got < nbytes; {
		n := min(int64(len(buf)), nbytes-got)
		if k, err := io.ReadFull(r, buf[:n]); err != nil {
			return nil, nil, formatErr("data is truncated: shape %v of %d-byte elements needs %d bytes, only %d present",
				h.shape, size, nbytes, got+int64(k))
		}
		if out, err = convertInts(out, buf[:n], h.descr); err != nil {
			return nil, nil, err
		}
		got += n
	}
	return h.shape, out, nil
}

// ReadIntsFile reads the .npy file at path; see ReadInts.
func ReadIntsFile(path string) (shape []int, data []int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	shape, data, err = ReadInts(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return shape, data, nil
}

// convertInts appends the elements encoded in b to out as integers.
func convertInts(out []int64, b []byte, d dtype) ([]int64, error) {
	var bo binary.ByteOrder = binary.LittleEndian
	if d.bigEndian {
		bo = binary.BigEndian
	}
	switch d.kind {
	case 'i':
		for i := 0; i+d.size <= len(b); i += d.size {
			var v int64
			switch d.size {
			case 1:
				v = int64(int8(b[i]))
			case 2:
				v = int64(int16(bo.Uint16(b[i:])))
			case 4:
				v = int64(int32(bo.Uint32(b[i:])))
			default:
				v = int64(bo.Uint64(b[i:]))
			}
			out = append(out, v)
		}
	case 'u':
		for i := 0; i+d.size <= len(b); i += d.size {
			var v uint64
			switch d.size {
			case 1:
				v = uint64(b[i])
			case 2:
				v = uint64(bo.Uint16(b[i:]))
			case 4:
				v = uint64(bo.Uint32(b[i:]))
			default:
				v = bo.Uint64(b[i:])
			}
			if v > math.MaxInt64 {
				return nil, formatErr("element %d is %d, larger than the largest int64", len(out), v)
			}
			out = append(out, int64(v))
		}
	case 'b':
		for _, v := range b {
			out = append(out, int64(min(v, 1)))
		}
	case 'f':
		for i := 0; i+d.size <= len(b); i += d.size {
			var v float64
			switch d.size {
			case 2:
				v = float64(half(bo.Uint16(b[i:])))
			case 4:
				v = float64(math.Float32frombits(bo.Uint32(b[i:])))
			default:
				v = math.Float64frombits(bo.Uint64(b[i:]))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || v != math.Trunc(v) || math.Abs(v) >= maxExactInt {
				return nil, formatErr("element %d is %v, not a whole number (integer values expected)", len(out), v)
			}
			out = append(out, int64(v))
		}
	}
	return out, nil
}
