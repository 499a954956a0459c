// Package npy reads and writes NumPy .npy files holding numeric arrays.
//
// Read accepts format versions 1.0, 2.0 and 3.0, C-order arrays of the dtypes
// float32, float64, float16, int8/16/32/64, uint8/16/32/64 and bool in either
// byte order, and converts every element to float32; ReadInts reads the same
// files as exact integers (class labels), refusing float elements that are
// not whole numbers. Write produces
// little-endian float32 ('<f4') C-order files in format version 1.0, laid out
// as numpy writes them: the header is padded with spaces so the data starts
// at a multiple of 64 bytes and ends with a newline (recent numpy versions add
// up to 20 more spaces to allow growing the first axis in place; readers do
// not depend on them, so Write omits them as older numpy versions do).
//
// Input is treated as untrusted: the header length is bounded by
// MaxHeaderLen, the element count by MaxElements, and the data length is
// checked against the size of the input before the output is allocated when
// the size can be known; otherwise the data is read in chunks so a header
// that lies about the shape cannot force a large allocation.
package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
)

// MaxHeaderLen is the largest header (the Python dict text after the length
// field) that Read accepts, in bytes.
const MaxHeaderLen = 64 << 10

// MaxElements is the largest number of elements Read and Write accept.
const MaxElements = math.MaxInt32

// MaxDims is the largest number of dimensions Read and Write accept (numpy's
// own limit is 64 since numpy 2.0, 32 before).
const MaxDims = 64

// ErrFormat is wrapped by every error that reports malformed or unsupported
// .npy content.
var ErrFormat = errors.New("npy: invalid file")

// magic is the 6-byte prefix of every .npy file.
const magic = "\x93NUMPY"

// chunkSize is how many data bytes are read at once when the input size is
// unknown.
const chunkSize = 1 << 20

// formatErr builds an error wrapping ErrFormat.
func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// dtype describes one supported element type.
type dtype struct {
	kind      byte // 'f', 'i', 'u' or 'b'
	size      int  // bytes per element
	bigEndian bool
}

// parseDescr parses a simple numpy type string such as "<f4".
func parseDescr(s string) (dtype, error) {
	if len(s) < 3 {
		return dtype{}, formatErr("unsupported dtype %q", s)
	}
	var d dtype
	switch s[0] {
	case '<':
	case '>':
		d.bigEndian = true
	case '|', '=':
		// '|' means "not applicable" (single bytes); '=' is native, which
		// numpy never writes to files; treat it as little-endian.
	default:
		return dtype{}, formatErr("unsupported dtype %q (unknown byte order %q)", s, s[0])
	}
	d.kind = s[1]
	n, err := strconv.Atoi(s[2:])
	if err != nil {
		return dtype{}, formatErr("unsupported dtype %q", s)
	}
	d.size = n
	ok := false
	switch d.kind {
	case 'f':
		ok = n == 2 || n == 4 || n == 8
	case 'i', 'u':
		ok = n == 1 || n == 2 || n == 4 || n == 8
	case 'b':
		ok = n == 1
	}
	if !ok {
		return dtype{}, formatErr("unsupported dtype %q (want float16/32/64, int/uint 8-64 or bool)", s)
	}
	if d.bigEndian && n == 1 {
		d.bigEndian = false
	}
	return d, nil
}

// header is the decoded header dict.
type header struct {
	descr dtype
	shape []int
	count int
}

// sized is implemented by in-memory readers (bytes.Reader, strings.Reader,
// bytes.Buffer) that know how many bytes remain.
type sized interface{ Len() int }

// statSeeker is implemented by *os.File and similar.
type statSeeker interface {
	Stat() (fs.FileInfo, error)
	io.Seeker
}

// remaining reports how many bytes r still holds, if it can tell.
func remaining(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case sized:
		return int64(v.Len()), true
	case statSeeker:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return fi.Size() - pos, true
	}
	return 0, false
}

// Read decodes one .npy array from r and returns its shape (empty for a 0-d
// array) and its elements converted to float32, in C order. It reads exactly
// the header and the data; bytes after the data are left unread.
func Read(r io.Reader) (shape []int, data []float32, err error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, nil, err
	}
	nbytes := int64(h.count) * int64(h.descr.size)
	if left, ok := remaining(r); ok && left < nbytes {
		return nil, nil, formatErr("data is truncated: shape %v of %d-byte elements needs %d bytes, only %d present",
			h.shape, h.descr.size, nbytes, left)
	}
	data, err = readData(r, h, nbytes)
	if err != nil {
		return nil, nil, err
	}
	return h.shape, data, nil
}

// ReadFile reads the .npy file at path; see Read.
func ReadFile(path string) (shape []int, data []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	shape, data, err = Read(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return shape, data, nil
}

// readHeader reads the magic, version, length and dict of a .npy header.
func readHeader(r io.Reader) (header, error) {
	var pre [8]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		if n == 0 {
			return header{}, formatErr("empty input")
		}
		if k := min(n, len(magic)); string(pre[:k]) != magic[:k] {
			return header{}, formatErr("not a .npy file (bad magic)")
		}
		return header{}, formatErr("truncated header (%d bytes)", n)
	}
	if string(pre[:6]) != magic {
		return header{}, formatErr("not a .npy file (bad magic)")
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return header{}, formatErr("truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return header{}, formatErr("truncated header length")
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > MaxHeaderLen {
			return header{}, formatErr("header length %d exceeds the limit of %d bytes", n, MaxHeaderLen)
		}
		hlen = int(n)
	default:
		return header{}, formatErr("unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if minor != 0 {
		return header{}, formatErr("unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if hlen > MaxHeaderLen {
		return header{}, formatErr("header length %d exceeds the limit of %d bytes", hlen, MaxHeaderLen)
	}
	buf := make([]byte, hlen)
	if n, err := io.ReadFull(r, buf); err != nil {
		return header{}, formatErr("truncated header: %d of %d bytes", n, hlen)
	}
	return parseHeader(buf)
}

// parseHeader interprets the header dict text.
func parseHeader(buf []byte) (header, error) {
	p := &parser{s: buf}
	v, err := p.parseTop()
	if err != nil {
		return header{}, err
	}
	dict, ok := v.(pyDict)
	if !ok {
		return header{}, formatErr("header is not a dict")
	}
	var h header
	var have [3]bool
	for _, kv := range dict {
		key, ok := kv.key.(string)
		if !ok {
			return header{}, formatErr("header key %v is not a string", kv.key)
		}
		switch key {
		case "descr":
			s, ok := kv.val.(string)
			if !ok {
				return header{}, formatErr("unsupported dtype %s (structured dtypes are not supported)", describe(kv.val))
			}
			d, err := parseDescr(s)
			if err != nil {
				return header{}, err
			}
			h.descr = d
			have[0] = true
		case "fortran_order":
			b, ok := kv.val.(bool)
			if !ok {
				return header{}, formatErr("fortran_order is %s, want True or False", describe(kv.val))
			}
			if b {
				return header{}, formatErr("fortran_order is True: only C-order arrays are supported (save with np.ascontiguousarray)")
			}
			have[1] = true
		case "shape":
			t, ok := kv.val.(pyTuple)
			if !ok {
				return header{}, formatErr("shape is %s, want a tuple of integers", describe(kv.val))
			}
			if len(t) > MaxDims {
				return header{}, formatErr("shape has %d dimensions, more than the limit of %d", len(t), MaxDims)
			}
			shape := make([]int, len(t))
			count := int64(1)
			for i, e := range t {
				n, ok := e.(int64)
				if !ok {
					return header{}, formatErr("shape element %d is %s, want an integer", i, describe(e))
				}
				if n < 0 {
					return header{}, formatErr("shape %s has a negative dimension", t)
				}
				if n > MaxElements {
					return header{}, formatErr("shape %s has more than %d elements", t, MaxElements)
				}
				shape[i] = int(n)
				if count != 0 {
					count *= n
					if count > MaxElements {
						return header{}, formatErr("shape %s has more than %d elements", t, MaxElements)
					}
				}
			}
			h.shape = shape
			h.count = int(count)
			have[2] = true
		default:
			return header{}, formatErr("unexpected header key %q", key)
		}
	}
	for i, name := range []string{"descr", "fortran_order", "shape"} {
		if !have[i] {
			return header{}, formatErr("header has no %q key", name)
		}
	}
	if len(dict) != 3 {
		return header{}, formatErr("header has duplicate keys")
	}
	return h, nil
}

// readData reads nbytes of element data and converts it to float32. The
// output grows with the bytes actually read, so a short input fails before a
// large allocation when its size is not known up front.
func readData(r io.Reader, h header, nbytes int64) ([]float32, error) {
	size := h.descr.size
	capacity := h.count
	if _, ok := remaining(r); !ok {
		capacity = min(h.count, chunkSize/size)
	}
	out := make([]float32, 0, capacity)
	buf := make([]byte, min(nbytes, chunkSize/int64(size)*int64(size)))
	for got := int64(0); got < nbytes; {
		n := min(int64(len(buf)), nbytes-got)
		if k, err := io.ReadFull(r, buf[:n]); err != nil {
			return nil, formatErr("data is truncated: shape %v of %d-byte elements needs %d bytes, only %d present",
				h.shape, size, nbytes, got+int64(k))
		}
		out = convert(out, buf[:n], h.descr)
		got += n
	}
	return out, nil
}

// convert appends the elements encoded in b to out.
func convert(out []float32, b []byte, d dtype) []float32 {
	var bo binary.ByteOrder = binary.LittleEndian
	if d.bigEndian {
		bo = binary.BigEndian
	}
	switch d.kind {
	case 'f':
		switch d.size {
		case 2:
			for i := 0; i+2 <= len(b); i += 2 {
				out = append(out, half(bo.Uint16(b[i:])))
			}
		case 4:
			for i := 0; i+4 <= len(b); i += 4 {
				out = append(out, math.Float32frombits(bo.Uint32(b[i:])))
			}
		case 8:
			for i := 0; i+8 <= len(b); i += 8 {
				out = append(out, float32(math.Float64frombits(bo.Uint64(b[i:]))))
			}
		}
	case 'i':
		switch d.size {
		case 1:
			for _, v := range b {
				out = append(out, float32(int8(v)))
			}
		case 2:
			for i := 0; i+2 <= len(b); i += 2 {
				out = append(out, float32(int16(bo.Uint16(b[i:]))))
			}
		case 4:
			for i := 0; i+4 <= len(b); i += 4 {
				out = append(out, float32(int32(bo.Uint32(b[i:]))))
			}
		case 8:
			for i := 0; i+8 <= len(b); i += 8 {
				out = append(out, float32(int64(bo.Uint64(b[i:]))))
			}
		}
	case 'u':
		switch d.size {
		case 1:
			for _, v := range b {
				out = append(out, float32(v))
			}
		case 2:
			for i := 0; i+2 <= len(b); i += 2 {
				out = append(out, float32(bo.Uint16(b[i:])))
			}
		case 4:
			for i := 0; i+4 <= len(b); i += 4 {
				out = append(out, float32(bo.Uint32(b[i:])))
			}
		case 8:
			for i := 0; i+8 <= len(b); i += 8 {
				out = append(out, float32(bo.Uint64(b[i:])))
			}
		}
	case 'b':
		for _, v := range b {
			if v != 0 {
				out = append(out, 1)
			} else {
				out = append(out, 0)
			}
		}
	}
	return out
}

// half converts an IEEE 754 binary16 value to float32 exactly.
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal: value = frac * 2^-24, exact in float32.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// Write encodes data with the given shape as a little-endian float32 C-order
// .npy file. The product of shape must equal len(data); an empty shape
// writes a 0-d array holding exactly one element. The file is always format
// version 1.0: with at most MaxDims dimensions the header cannot outgrow the
// 1.0 length field, so version 2.0 is never needed.
func Write(w io.Writer, shape []int, data []float32) error {
	if len(shape) > MaxDims {
		return fmt.Errorf("npy: shape has %d dimensions, more than the limit of %d", len(shape), MaxDims)
	}
	count := int64(1)
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("npy: shape %v has a negative dimension", shape)
		}
		if int64(d) > MaxElements {
			return fmt.Errorf("npy: shape %v has more than %d elements", shape, MaxElements)
		}
		if count != 0 {
			count *= int64(d)
			if count > MaxElements {
				return fmt.Errorf("npy: shape %v has more than %d elements", shape, MaxElements)
			}
		}
	}
	if count != int64(len(data)) {
		return fmt.Errorf("npy: shape %v holds %d elements but data has %d", shape, count, len(data))
	}
	if _, err := w.Write(encodeHeader(shape)); err != nil {
		return err
	}
	buf := make([]byte, 0, min(len(data)*4, chunkSize))
	for i, v := range data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) || i == len(data)-1 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// WriteFile writes data to the file at path (created or truncated); see Write.
func WriteFile(path string, shape []int, data []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, shape, data); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// encodeHeader returns the magic, version 1.0, length and dict of a '<f4'
// C-order array with the given shape (at most MaxDims dimensions, so the
// header fits a 16-bit length), padded with spaces and ended by a newline so
// the data starts at a multiple of 64 bytes, as numpy does.
func encodeHeader(shape []int) []byte {
	var d bytes.Buffer
	d.WriteString("{'descr': '<f4', 'fortran_order': False, 'shape': (")
	for i, n := range shape {
		if i > 0 {
			d.WriteString(", ")
		}
		d.WriteString(strconv.Itoa(n))
	}
	if len(shape) == 1 {
		d.WriteByte(',')
	}
	d.WriteString("), }")
	const align, prefix = 64, len(magic) + 2 + 2
	total := prefix + d.Len() + 1
	total += (align - total%align) % align
	out := make([]byte, 0, total)
	out = append(out, magic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(total-prefix))
	out = append(out, d.Bytes()...)
	for len(out) < total-1 {
		out = append(out, ' ')
	}
	return append(out, '\n')
}
