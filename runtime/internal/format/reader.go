package format

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// reader reads msgpack values from b, strictly: each method accepts only
// the msgpack types its Go result can hold. Every length is checked against
// the remaining bytes before it is used.
type reader struct {
	b   []byte
	off int
}

// need checks that n more bytes are present for what.
func (r *reader) need(n uint64, what string) error {
	if rem := uint64(len(r.b) - r.off); n > rem {
		return fmt.Errorf("truncated at offset %d: %s needs %d bytes, %d remain", r.off, what, n, rem)
	}
	return nil
}

// uintN reads a big-endian unsigned integer of size bytes (1, 2, 4 or 8).
func (r *reader) uintN(size int, what string) (uint64, error) {
	if err := r.need(uint64(size), what); err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range r.b[r.off : r.off+size] {
		v = v<<8 | uint64(c)
	}
	r.off += size
	return v, nil
}

// code reads the type byte of the next value.
func (r *reader) code() (byte, error) {
	if err := r.need(1, "a value"); err != nil {
		return 0, err
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// peek returns the kind of the next value without consuming it.
func (r *reader) peek() (string, error) {
	if err := r.need(1, "a value"); err != nil {
		return "", err
	}
	return kindOf(r.b[r.off]), nil
}

// mismatch reports a value of the wrong type at offset off.
func mismatch(off int, c byte, want string) error {
	return fmt.Errorf("at offset %d: expected %s, found %s", off, withArticle(want), withArticle(kindOf(c)))
}

// mapLen reads a map header (nil reads as an empty map). Each entry needs
// at least two bytes, which is checked. level is the map's nesting level.
func (r *reader) mapLen(level int) (int, error) {
	return r.containerLen(level, true)
}

// arrayLen reads an array header (nil reads as an empty array). Each
// element needs at least one byte, which is checked.
func (r *reader) arrayLen(level int) (int, error) {
	return r.containerLen(level, false)
}

// A lengthForm is how msgpack gives the length of one kind of value: in its
// type byte (the fix forms), or in the 1, 2 or 4 bytes after it.
type lengthForm struct {
	kind         string  // the kind, for type mismatch errors
	what         string  // the length, for truncation errors
	fixLo, fixHi byte    // type bytes of the fix forms, length c-fixLo (fixLo > fixHi: none)
	codes        [3]byte // type bytes followed by a 1-, 2- and 4-byte length (0: none)
}

var (
	mapForm    = lengthForm{"map", "a map length", 0x80, 0x8f, [3]byte{0, 0xde, 0xdf}}
	arrayForm  = lengthForm{"array", "an array length", 0x90, 0x9f, [3]byte{0, 0xdc, 0xdd}}
	stringForm = lengthForm{"string", "a string length", 0xa0, 0xbf, [3]byte{0xd9, 0xda, 0xdb}}
	binForm    = lengthForm{"bin", "a bin length", 1, 0, [3]byte{0xc4, 0xc5, 0xc6}}
)

// length reads the type byte and the length of a value of form f (entries
// for a map, elements for an array, bytes for a string or a bin). It does
// not check the length against what remains.
func (r *reader) length(f *lengthForm) (uint64, error) {
	start := r.off
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	if c >= f.fixLo && c <= f.fixHi {
		return uint64(c - f.fixLo), nil
	}
	for i, code := range f.codes {
		if code != 0 && c == code {
			return r.uintN(1<<i, f.what)
		}
	}
	return 0, mismatch(start, c, f.kind)
}

// containerLen reads a map or array header (nil reads as empty) at nesting
// level level, and checks the depth and that the entries or elements, of at
// least one byte each, fit in what remains.
func (r *reader) containerLen(level int, isMap bool) (int, error) {
	start := r.off
	if r.off < len(r.b) && r.b[r.off] == 0xc0 {
		r.off++
		return 0, nil
	}
	form := &arrayForm
	if isMap {
		form = &mapForm
	}
	n, err := r.length(form)
	if err != nil {
		return 0, err
	}
	if level > MaxDepth {
		return 0, fmt.Errorf("at offset %d: maps and arrays nested deeper than %d levels", start, MaxDepth)
	}
	min, what, unit := n, "an array", "elements"
	if isMap {
		min, what, unit = 2*n, "a map", "entries"
	}
	if rem := uint64(len(r.b) - r.off); min > rem {
		return 0, fmt.Errorf("truncated at offset %d: %s of %d %s needs at least %d bytes, %d remain",
			start, what, n, unit, min, rem)
	}
	return int(n), nil
}

// strBytes reads a string header and returns the string's bytes, checked to
// be present and valid UTF-8, without copying them.
func (r *reader) strBytes() ([]byte, error) {
	start := r.off
	n, err := r.length(&stringForm)
	if err != nil {
		return nil, err
	}
	if err := r.need(n, "a string"); err != nil {
		return nil, err
	}
	s := r.b[r.off : r.off+int(n)]
	if !utf8.Valid(s) {
		return nil, fmt.Errorf("at offset %d: string is not valid UTF-8", start)
	}
	r.off += int(n)
	return s, nil
}

// str reads a string.
func (r *reader) str() (string, error) {
	s, err := r.strBytes()
	return string(s), err
}

// bin reads a bin value and returns a copy of its bytes (nil when empty).
func (r *reader) bin() ([]byte, error) {
	n, err := r.length(&binForm)
	if err != nil {
		return nil, err
	}
	if err := r.need(n, "a bin"); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	d := make([]byte, n)
	copy(d, r.b[r.off:])
	r.off += int(n)
	return d, nil
}

// int reads an integer of any msgpack encoding that fits an int64.
func (r *reader) int() (int64, error) {
	start := r.off
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	}
	var u uint64
	switch c {
	case 0xcc, 0xd0:
		u, err = r.uintN(1, "an integer")
	case 0xcd, 0xd1:
		u, err = r.uintN(2, "an integer")
	case 0xce, 0xd2:
		u, err = r.uintN(4, "an integer")
	case 0xcf, 0xd3:
		u, err = r.uintN(8, "an integer")
	default:
		return 0, mismatch(start, c, "int")
	}
	if err != nil {
		return 0, err
	}
	switch c {
	case 0xd0:
		return int64(int8(u)), nil
	case 0xd1:
		return int64(int16(u)), nil
	case 0xd2:
		return int64(int32(u)), nil
	case 0xd3:
		return int64(u), nil
	case 0xcf:
		if u > math.MaxInt64 {
			return 0, fmt.Errorf("at offset %d: integer %d is out of range", start, u)
		}
	}
	return int64(u), nil
}

// goInt reads an integer that fits an int.
func (r *reader) goInt() (int, error) {
	start := r.off
	v, err := r.int()
	if err == nil && int64(int(v)) != v {
		err = fmt.Errorf("at offset %d: integer %d is out of range", start, v)
	}
	return int(v), err
}

// float reads a float32 or float64 value as a float64.
func (r *reader) float() (float64, error) {
	start := r.off
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	switch c {
	case 0xca:
		u, err := r.uintN(4, "a float32")
		return float64(math.Float32frombits(uint32(u))), err
	case 0xcb:
		u, err := r.uintN(8, "a float64")
		return math.Float64frombits(u), err
	}
	return 0, mismatch(start, c, "float")
}

// number reads an integer or a float as a float32 (for the preprocessing
// parameters, which exporters may write either way).
func (r *reader) number() (float32, error) {
	k, err := r.peek()
	if err != nil {
		return 0, err
	}
	if k == "int" {
		v, err := r.int()
		return float32(v), err
	}
	v, err := r.float()
	return float32(v), err
}

// bool reads a boolean.
func (r *reader) bool() (bool, error) {
	start := r.off
	c, err := r.code()
	if err != nil {
		return false, err
	}
	switch c {
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	}
	return false, mismatch(start, c, "bool")
}

// skip skips one value of any type at nesting level level (a map or array
// there would be at that level), checking it is well formed. The work done
// is linear in the bytes skipped.
func (r *reader) skip(level int) error {
	start := r.off
	c, err := r.code()
	if err != nil {
		return err
	}
	var size uint64 // bytes of payload after the header, for scalars
	switch {
	case c <= 0x7f || c >= 0xe0:
		return nil
	case c <= 0x8f, c == 0xde, c == 0xdf:
		r.off = start
		n, err := r.mapLen(level)
		if err != nil {
			return err
		}
		for range 2 * n {
			if err := r.skip(level + 1); err != nil {
				return err
			}
		}
		return nil
	case c <= 0x9f, c == 0xdc, c == 0xdd:
		r.off = start
		n, err := r.arrayLen(level)
		if err != nil {
			return err
		}
		for range n {
			if err := r.skip(level + 1); err != nil {
				return err
			}
		}
		return nil
	case c <= 0xbf:
		size = uint64(c & 0x1f)
	default:
		switch c {
		case 0xc0, 0xc2, 0xc3:
			return nil
		case 0xc1:
			return fmt.Errorf("at offset %d: invalid msgpack byte 0xc1", start)
		case 0xc4, 0xd9:
			size, err = r.uintN(1, "a length")
		case 0xc5, 0xda:
			size, err = r.uintN(2, "a length")
		case 0xc6, 0xdb:
			size, err = r.uintN(4, "a length")
		case 0xc7:
			size, err = r.uintN(1, "a length")
			size++ // ext type byte
		case 0xc8:
			size, err = r.uintN(2, "a length")
			size++
		case 0xc9:
			size, err = r.uintN(4, "a length")
			size++
		case 0xcc, 0xd0:
			size = 1
		case 0xcd, 0xd1:
			size = 2
		case 0xca, 0xce, 0xd2:
			size = 4
		case 0xcb, 0xcf, 0xd3:
			size = 8
		case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
			size = 1 + 1<<(c-0xd4) // ext type byte + 1, 2, 4, 8 or 16 bytes
		}
		if err != nil {
			return err
		}
	}
	if err := r.need(size, withArticle(kindOf(c))); err != nil {
		return err
	}
	r.off += int(size)
	return nil
}

// kindOf names the msgpack type that starts with byte c.
func kindOf(c byte) string {
	switch {
	case c <= 0x7f || c >= 0xe0:
		return "int"
	case c <= 0x8f:
		return "map"
	case c <= 0x9f:
		return "array"
	case c <= 0xbf:
		return "string"
	}
	switch c {
	case 0xc0:
		return "nil"
	case 0xc2, 0xc3:
		return "bool"
	case 0xc4, 0xc5, 0xc6:
		return "bin"
	case 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return "ext"
	case 0xca, 0xcb:
		return "float"
	case 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3:
		return "int"
	case 0xd9, 0xda, 0xdb:
		return "string"
	case 0xdc, 0xdd:
		return "array"
	case 0xde, 0xdf:
		return "map"
	}
	return "invalid byte 0xc1"
}

// withArticle returns kind with its indefinite article ("an int", "a map";
// "nil" has none). The known kinds get constant strings, so that naming a
// kind allocates nothing (skip names one for every value it passes). It is
// not inlined: a copy of the switch at each of its callers made the wasm
// module about 8 KB bigger.
//
//go:noinline
func withArticle(kind string) string {
	switch kind {
	case "int":
		return "an int"
	case "array":
		return "an array"
	case "ext":
		return "an ext"
	case "invalid byte 0xc1":
		return "an invalid byte 0xc1"
	case "nil":
		return "nil"
	case "map":
		return "a map"
	case "string":
		return "a string"
	case "bool":
		return "a bool"
	case "bin":
		return "a bin"
	case "float":
		return "a float"
	}
	return "a " + kind
}

// listLen reads the header of an array whose valid elements each take at
// least minSize bytes, and checks that n of them fit in what remains. This
// bounds what decoding allocates per byte of input: a struct per element
// is at most a few tens of times minSize bytes.
func (r *reader) listLen(level, minSize int, what string) (int, error) {
	start := r.off
	n, err := r.arrayLen(level)
	if err != nil {
		return 0, err
	}
	if need, rem := uint64(n)*uint64(minSize), uint64(len(r.b)-r.off); need > rem {
		return 0, fmt.Errorf("truncated at offset %d: %d %s need at least %d bytes, %d remain", start, n, what, need, rem)
	}
	return n, nil
}

// readArray reads an array at nesting level level whose elements elem
// reads (nil when empty). The array header's check (a byte per element)
// bounds what is allocated before any element is read.
func readArray[T any](r *reader, level int, elem func(*reader) (T, error)) ([]T, error) {
	n, err := r.arrayLen(level)
	if err != nil || n == 0 {
		return nil, err
	}
	s := make([]T, n)
	for i := range s {
		if s[i], err = elem(r); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return s, nil
}

// stringMap reads a map with string keys, each at most once, whose values
// val reads (nil when empty); what names a key in errors.
func stringMap[V any](r *reader, level int, what string, val func(*reader) (V, error)) (map[string]V, error) {
	n, err := r.mapLen(level)
	if err != nil || n == 0 {
		return nil, err
	}
	m := make(map[string]V, n)
	for range n {
		koff := r.off
		key, err := r.str()
		if err != nil {
			return nil, fmt.Errorf("%s name: %w", what, err)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("duplicate %s %q at offset %d", what, key, koff)
		}
		if m[key], err = val(r); err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, key, err)
		}
	}
	return m, nil
}
