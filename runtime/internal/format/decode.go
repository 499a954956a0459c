package format

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// ErrBadModel is wrapped by every error Decode returns, and by the errors of
// Encode and the tensor helpers that report an invalid model.
var ErrBadModel = errors.New("bad model file")

// ErrVersion is wrapped, together with ErrBadModel, by the error Decode
// returns for a file whose version this build cannot read (newer than
// Version, or below 1). errors.Is(err, ErrVersion) tells "upgrade wasmnn"
// apart from a damaged file.
var ErrVersion = errors.New("unsupported .wnn version")

// MaxDepth bounds the nesting of maps and arrays in a file, the top-level
// map being level 1. Deeper values, which can only appear under unknown keys,
// are rejected.
const MaxDepth = 32

// Decode parses a .wnn file. It never panics and never trusts a declared
// length: each map, array, string and bin length is checked against the
// bytes that remain before anything is allocated for it, so a small file
// cannot make Decode allocate much: at most about 32 bytes per byte of b
// (weights cost 1 byte per byte). Every error wraps ErrBadModel, and also
// ErrVersion for an unsupported version; messages give the place in the
// file (key path, node or tensor name, byte offset).
//
// Decode checks the encoding, the tensors (unique non-empty names, known
// dtype, shape, data size), that graph inputs have names and nodes have ops;
// it does not check ops, attributes or the graph's wiring, which the
// runtime validates when it loads the model. The returned Model does not
// alias b. Empty lists and maps decode as nil, except attribute arrays (see
// docs/FORMAT.md).
func Decode(b []byte) (*Model, error) {
	m, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	return m, nil
}

// Top-level keys, in the order of their indexes into decoder offsets.
var topKeys = [...]string{"format", "version", "graph", "tensors", "meta"}

const (
	topFormat = iota
	topVersion
	topGraph
	topTensors
	topMeta
)

func decode(b []byte) (*Model, error) {
	if len(b) == 0 {
		return nil, errors.New("not a .wnn file: empty input")
	}
	if k := kindOf(b[0]); k != "map" {
		return nil, fmt.Errorf("not a .wnn file: the top-level value is %s, not a map", withArticle(k))
	}
	r := &reader{b: b}

	// First pass: find the top-level keys and check that the whole map is
	// well formed, so that the marker and the version are checked before the
	// rest is interpreted (keys are sorted, and "version" comes last).
	var offs [len(topKeys)]int
	for i := range offs {
		offs[i] = -1
	}
	n, err := r.mapLen(1)
	if err != nil {
		return nil, err
	}
	for range n {
		key, err := r.str()
		if err != nil {
			return nil, fmt.Errorf("top-level key: %w", err)
		}
		for i, k := range topKeys {
			if k == key {
				if offs[i] >= 0 {
					return nil, fmt.Errorf("duplicate top-level key %q at offset %d", key, r.off)
				}
				offs[i] = r.off
			}
		}
		if err := r.skip(2); err != nil {
			return nil, fmt.Errorf("%q: %w", key, err)
		}
	}
	end := r.off

	if offs[topFormat] < 0 {
		return nil, errors.New(`not a .wnn file: no "format" marker`)
	}
	r.off = offs[topFormat]
	if kindOf(b[r.off]) != "string" {
		return nil, fmt.Errorf(`not a .wnn file: "format" is %s, not the string %q`, withArticle(kindOf(b[r.off])), Marker)
	}
	marker, err := r.str()
	if err != nil {
		return nil, fmt.Errorf(`"format": %w`, err)
	}
	if marker != Marker {
		return nil, fmt.Errorf(`not a .wnn file: "format" is %q, not %q`, marker, Marker)
	}

	if offs[topVersion] < 0 {
		return nil, fmt.Errorf(`%w: no "version" key`, ErrVersion)
	}
	r.off = offs[topVersion]
	v, err := r.int()
	if err != nil {
		return nil, fmt.Errorf(`"version": %w`, err)
	}
	if v < 1 || v > Version {
		return nil, fmt.Errorf("%w %d (this build reads up to %d)", ErrVersion, v, Version)
	}

	if end != len(b) {
		return nil, fmt.Errorf("trailing garbage: %d bytes after the top-level map, at offset %d", len(b)-end, end)
	}

	m := &Model{Version: int(v)}
	if offs[topGraph] >= 0 {
		r.off = offs[topGraph]
		if m.Graph, err = r.graph(); err != nil {
			return nil, fmt.Errorf("graph: %w", err)
		}
	}
	if offs[topTensors] >= 0 {
		r.off = offs[topTensors]
		if m.Tensors, err = r.tensors(); err != nil {
			return nil, fmt.Errorf("tensors: %w", err)
		}
	}
	if offs[topMeta] >= 0 {
		r.off = offs[topMeta]
		if m.Meta, err = r.meta(); err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
	}
	return m, nil
}

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

func (r *reader) containerLen(level int, isMap bool) (int, error) {
	start := r.off
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c == 0xc0:
		return 0, nil
	case isMap && c >= 0x80 && c <= 0x8f:
		n = uint64(c & 0x0f)
	case isMap && c == 0xde:
		n, err = r.uintN(2, "a map length")
	case isMap && c == 0xdf:
		n, err = r.uintN(4, "a map length")
	case !isMap && c >= 0x90 && c <= 0x9f:
		n = uint64(c & 0x0f)
	case !isMap && c == 0xdc:
		n, err = r.uintN(2, "an array length")
	case !isMap && c == 0xdd:
		n, err = r.uintN(4, "an array length")
	default:
		if isMap {
			return 0, mismatch(start, c, "map")
		}
		return 0, mismatch(start, c, "array")
	}
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
	c, err := r.code()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n = uint64(c & 0x1f)
	case c == 0xd9:
		n, err = r.uintN(1, "a string length")
	case c == 0xda:
		n, err = r.uintN(2, "a string length")
	case c == 0xdb:
		n, err = r.uintN(4, "a string length")
	default:
		return nil, mismatch(start, c, "string")
	}
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
	start := r.off
	c, err := r.code()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch c {
	case 0xc4:
		n, err = r.uintN(1, "a bin length")
	case 0xc5:
		n, err = r.uintN(2, "a bin length")
	case 0xc6:
		n, err = r.uintN(4, "a bin length")
	default:
		return nil, mismatch(start, c, "bin")
	}
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

func withArticle(kind string) string {
	switch kind {
	case "int", "array", "ext", "invalid byte 0xc1":
		return "an " + kind
	case "nil":
		return kind
	}
	return "a " + kind
}

// fieldReader iterates over a map with string keys, of which keys are
// known: next returns the index in keys of each known key, whose value the
// caller then reads, and skips the values of unknown keys. A known key
// given twice is an error.
type fieldReader struct {
	r     *reader
	keys  []string
	level int    // the map's level
	left  int    // entries not yet read
	seen  uint32 // bit i: keys[i] was read
}

// fields starts reading a map (nil reads as empty) at nesting level level.
func (r *reader) fields(level int, keys []string) (fieldReader, error) {
	n, err := r.mapLen(level)
	return fieldReader{r: r, keys: keys, level: level, left: n}, err
}

// next returns the index of the next known key, or -1 at the end of the map.
func (f *fieldReader) next() (int, error) {
	for f.left > 0 {
		f.left--
		koff := f.r.off
		kb, err := f.r.strBytes()
		if err != nil {
			return 0, fmt.Errorf("map key: %w", err)
		}
		i := -1
		for j, k := range f.keys {
			if string(kb) == k { // no allocation for a comparison
				i = j
				break
			}
		}
		if i < 0 {
			if err := f.r.skip(f.level + 1); err != nil {
				return 0, fmt.Errorf("%q: %w", kb, err)
			}
			continue
		}
		if f.seen&(1<<i) != 0 {
			return 0, fmt.Errorf("duplicate key %q at offset %d", f.keys[i], koff)
		}
		f.seen |= 1 << i
		return i, nil
	}
	return -1, nil
}

// describeAt returns ` (what "NAME" at offset N)` for the map at offset off,
// for error messages: it looks for a string "name" key, and for nodes an
// "op" key, ignoring any problem (the map may be the faulty value).
func (r *reader) describeAt(off int, what string) string {
	s := &reader{b: r.b, off: off}
	var name, op string
	f, _ := s.fields(levelField, []string{"name", "op"})
	for {
		i, err := f.next()
		if err != nil || i < 0 {
			break
		}
		if k, _ := s.peek(); k != "string" {
			break
		}
		if i == 0 {
			name, _ = s.str()
		} else {
			op, _ = s.str()
		}
	}
	switch {
	case op != "" && what == "node":
		return fmt.Sprintf(" (%s %q, %s, at offset %d)", what, name, op, off)
	case name != "":
		return fmt.Sprintf(" (%s %q at offset %d)", what, name, off)
	}
	return fmt.Sprintf(" (at offset %d)", off)
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

// array reads an array whose elements elem reads (nil when empty).
func array[T any](r *reader, level int, elem func() (T, error)) ([]T, error) {
	n, err := r.arrayLen(level)
	if err != nil || n == 0 {
		return nil, err
	}
	s := make([]T, n)
	for i := range s {
		if s[i], err = elem(); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return s, nil
}

// strings reads an array of strings (nil when empty).
func (r *reader) strings(level int) ([]string, error) { return array(r, level, r.str) }

// ints reads an array of integers that fit an int (nil when empty).
func (r *reader) ints(level int) ([]int, error) { return array(r, level, r.goInt) }

// float32s reads an array of numbers as float32 (nil when empty).
func (r *reader) float32s(level int) ([]float32, error) { return array(r, level, r.number) }

// Nesting levels of the known structure (the top-level map is level 1).
const (
	levelSection = 2 // graph, tensors, meta
	levelItem    = 3 // graph.inputs etc., tensors[i], meta.labels etc.
	levelField   = 4 // node maps, tensor fields, attrs
	levelAttr    = 5 // node attrs
	levelValue   = 6 // attr arrays
)

// Known keys of each map, in the order of the switch cases that read them.
var (
	graphKeys      = []string{"inputs", "outputs", "nodes"}
	valueInfoKeys  = []string{"name", "shape"}
	nodeKeys       = []string{"name", "op", "inputs", "outputs", "attrs"}
	tensorKeys     = []string{"name", "dtype", "shape", "data"}
	metaKeys       = []string{"name", "description", "labels", "preprocess", "extra"}
	preprocessKeys = []string{"width", "height", "content_width", "content_height", "channels",
		"invert", "scale", "mean", "std", "layout"}
)

// Smallest valid encodings: an input needs a non-empty "name" (map header,
// fixstr "name", a 1-byte fixstr: 1+5+2 bytes), a node a non-empty "op"
// (1+3+2 bytes).
const (
	minValueInfoSize = 8
	minNodeSize      = 6
)

func (r *reader) graph() (Graph, error) {
	var g Graph
	f, err := r.fields(levelSection, graphKeys)
	for err == nil {
		var i int
		if i, err = f.next(); err != nil || i < 0 {
			break
		}
		switch i {
		case 0:
			g.Inputs, err = r.valueInfos()
		case 1:
			g.Outputs, err = r.strings(levelItem)
		case 2:
			g.Nodes, err = r.nodes()
		}
		if err != nil {
			err = fmt.Errorf("%q: %w", graphKeys[i], err)
		}
	}
	return g, err
}

func (r *reader) valueInfos() ([]ValueInfo, error) {
	n, err := r.listLen(levelItem, minValueInfoSize, "inputs")
	if err != nil || n == 0 {
		return nil, err
	}
	vs := make([]ValueInfo, n)
	for k := range vs {
		v := &vs[k]
		f, err := r.fields(levelField, valueInfoKeys)
		for err == nil {
			var i int
			if i, err = f.next(); err != nil || i < 0 {
				break
			}
			switch i {
			case 0:
				v.Name, err = r.str()
			case 1:
				v.Shape, err = r.ints(levelField + 1)
			}
			if err != nil {
				err = fmt.Errorf("%q: %w", valueInfoKeys[i], err)
			}
		}
		if err == nil && v.Name == "" {
			err = errors.New(`missing or empty "name"`)
		}
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", k, err)
		}
	}
	return vs, nil
}

func (r *reader) nodes() ([]Node, error) {
	n, err := r.listLen(levelItem, minNodeSize, "nodes")
	if err != nil || n == 0 {
		return nil, err
	}
	nodes := make([]Node, n)
	for k := range nodes {
		nd := &nodes[k]
		start := r.off
		f, err := r.fields(levelField, nodeKeys)
		for err == nil {
			var i int
			if i, err = f.next(); err != nil || i < 0 {
				break
			}
			switch i {
			case 0:
				nd.Name, err = r.str()
			case 1:
				nd.Op, err = r.str()
			case 2:
				nd.Inputs, err = r.strings(levelField + 1)
			case 3:
				nd.Outputs, err = r.strings(levelField + 1)
			case 4:
				nd.Attrs, err = r.attrs()
			}
			if err != nil {
				err = fmt.Errorf("%q: %w", nodeKeys[i], err)
			}
		}
		if err == nil && nd.Op == "" {
			err = errors.New(`missing or empty "op"`)
		}
		if err != nil {
			return nil, fmt.Errorf("[%d]%s: %w", k, r.describeAt(start, "node"), err)
		}
	}
	return nodes, nil
}

// attrs reads a node's attribute map (nil when empty).
func (r *reader) attrs() (map[string]any, error) {
	return stringMap(r, levelAttr, "attribute", r.attrValue)
}

// attrValue reads one attribute value: int64, float64, string, []int64 or
// []float64 (an empty array reads as []int64{}).
func (r *reader) attrValue() (any, error) {
	k, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch k {
	case "int":
		return r.int()
	case "float":
		return r.float()
	case "string":
		return r.str()
	case "array":
	default:
		return nil, fmt.Errorf("at offset %d: unsupported attribute value %s (want an int, a float, a string or an array of ints or floats)", r.off, withArticle(k))
	}
	start := r.off
	n, err := r.arrayLen(levelValue)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []int64{}, nil
	}
	first, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch first {
	case "int":
		v := make([]int64, n)
		for i := range v {
			if v[i], err = r.int(); err != nil {
				return nil, fmt.Errorf("array at offset %d must hold only ints: [%d]: %w", start, i, err)
			}
		}
		return v, nil
	case "float":
		v := make([]float64, n)
		for i := range v {
			if v[i], err = r.float(); err != nil {
				return nil, fmt.Errorf("array at offset %d must hold only floats: [%d]: %w", start, i, err)
			}
		}
		return v, nil
	}
	return nil, fmt.Errorf("at offset %d: unsupported attribute array of %s (want ints or floats)", r.off, first)
}

func (r *reader) tensors() ([]Tensor, error) {
	n, err := r.arrayLen(levelSection)
	if err != nil || n == 0 {
		return nil, err
	}
	// Tensors are not presized: decoding stops at the first invalid one, and
	// a valid one takes at least 19 bytes, which pays for its Tensor.
	var ts []Tensor
	names := make(map[string]int)
	for k := range n {
		start := r.off
		var t Tensor
		f, err := r.fields(levelItem, tensorKeys)
		for err == nil {
			var i int
			if i, err = f.next(); err != nil || i < 0 {
				break
			}
			switch i {
			case 0:
				t.Name, err = r.str()
			case 1:
				t.DType, err = r.str()
			case 2:
				t.Shape, err = r.ints(levelField)
			case 3:
				t.Data, err = r.bin()
			}
			if err != nil {
				err = fmt.Errorf("%q: %w", tensorKeys[i], err)
			}
		}
		if err == nil {
			err = checkTensor(&t)
		}
		if err == nil {
			if j, dup := names[t.Name]; dup {
				err = fmt.Errorf("duplicate tensor name %q (also tensors[%d])", t.Name, j)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("[%d]%s: %w", k, r.describeAt(start, "tensor"), err)
		}
		names[t.Name] = k
		ts = append(ts, t)
	}
	return ts, nil
}

func (r *reader) meta() (Meta, error) {
	var m Meta
	f, err := r.fields(levelSection, metaKeys)
	for err == nil {
		var i int
		if i, err = f.next(); err != nil || i < 0 {
			break
		}
		switch i {
		case 0:
			m.Name, err = r.str()
		case 1:
			m.Description, err = r.str()
		case 2:
			m.Labels, err = r.strings(levelItem)
		case 3:
			m.Preprocess, err = r.preprocess()
		case 4:
			m.Extra, err = r.extra()
		}
		if err != nil {
			err = fmt.Errorf("%q: %w", metaKeys[i], err)
		}
	}
	return m, err
}

// extra reads a map of strings to strings (nil when empty).
func (r *reader) extra() (map[string]string, error) {
	return stringMap(r, levelItem, "key", r.str)
}

// stringMap reads a map with string keys, each at most once, whose values
// val reads (nil when empty); what names a key in errors.
func stringMap[V any](r *reader, level int, what string, val func() (V, error)) (map[string]V, error) {
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
		if m[key], err = val(); err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, key, err)
		}
	}
	return m, nil
}

// preprocess reads the preprocessing map; nil reads as a nil *Preprocess.
func (r *reader) preprocess() (*Preprocess, error) {
	if k, err := r.peek(); err != nil {
		return nil, err
	} else if k == "nil" {
		r.off++
		return nil, nil
	}
	p := new(Preprocess)
	f, err := r.fields(levelItem, preprocessKeys)
	for err == nil {
		var i int
		if i, err = f.next(); err != nil || i < 0 {
			break
		}
		switch i {
		case 0:
			p.Width, err = r.goInt()
		case 1:
			p.Height, err = r.goInt()
		case 2:
			p.ContentWidth, err = r.goInt()
		case 3:
			p.ContentHeight, err = r.goInt()
		case 4:
			p.Channels, err = r.goInt()
		case 5:
			p.Invert, err = r.bool()
		case 6:
			p.Scale, err = r.number()
		case 7:
			p.Mean, err = r.float32s(levelField)
		case 8:
			p.Std, err = r.float32s(levelField)
		case 9:
			p.Layout, err = r.str()
		}
		if err != nil {
			err = fmt.Errorf("%q: %w", preprocessKeys[i], err)
		}
	}
	return p, err
}
