package format

import (
	"bytes"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
)

// Encode returns m as a .wnn file: version 2 if an input has symbolic
// dimensions, else version 1. The bytes depend
// only on m: every map is written with its keys sorted, integers in their
// shortest msgpack form and floats as float64 (see docs/FORMAT.md).
//
// Encode checks what Decode checks, so that its output always decodes: it
// returns an error wrapping ErrBadModel for an empty, duplicate or unknown
// tensor name or dtype, a tensor whose data does not match its shape, an
// empty graph input name or node op, an attribute value of an unsupported
// type, a string that is not valid UTF-8, or m.Version other than 0 (the
// least version that holds m: 2 with symbolic dimensions, else 1), 1 or 2. It does not validate ops or the graph's wiring.
// Decode(Encode(m)) equals m up to the normalisations Decode applies (empty
// lists and maps become nil; int, float32 and their slices in Attrs become
// int64, float64 and their slices; an empty attribute slice becomes
// []int64{}).
func Encode(m *Model) ([]byte, error) {
	version := 1
	for _, in := range m.Graph.Inputs {
		if len(in.Dims) > 0 {
			version = 2
		}
	}
	if m.Version < 0 || m.Version > Version || m.Version != 0 && m.Version < version {
		return nil, fmt.Errorf("%w: cannot write .wnn version %d (this build writes 1 to %d; symbolic dimensions need 2)", ErrBadModel, m.Version, Version)
	}
	names := make(map[string]int, len(m.Tensors))
	for i := range m.Tensors {
		t := &m.Tensors[i]
		if err := checkTensor(t); err != nil {
			return nil, fmt.Errorf("%w: tensors[%d] (%q): %w", ErrBadModel, i, t.Name, err)
		}
		if j, dup := names[t.Name]; dup {
			return nil, fmt.Errorf("%w: tensors[%d]: duplicate tensor name %q (also tensors[%d])", ErrBadModel, i, t.Name, j)
		}
		names[t.Name] = i
	}

	for i, in := range m.Graph.Inputs {
		if in.Name == "" {
			return nil, fmt.Errorf("%w: graph input %d has an empty name", ErrBadModel, i)
		}
	}
	for i := range m.Graph.Nodes {
		if n := &m.Graph.Nodes[i]; n.Op == "" {
			return nil, fmt.Errorf("%w: node %d (%q) has an empty op", ErrBadModel, i, n.Name)
		}
	}

	var buf bytes.Buffer
	buf.Grow(estimateSize(m))
	w := &writer{buf: &buf, enc: msgpack.NewEncoder(&buf)}
	w.mapLen(5)
	w.str("format")
	w.str(Marker)
	w.str("graph")
	writeFields(w, &m.Graph)
	w.str("meta")
	writeFields(w, &m.Meta)
	w.str("tensors")
	w.tensors(m.Tensors)
	w.str("version")
	w.int(int64(version))
	if w.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, w.err)
	}
	return buf.Bytes(), nil
}

// estimateSize returns roughly the encoded size of m: its weights plus some
// room for the rest.
func estimateSize(m *Model) int {
	n := 1024
	for i := range m.Tensors {
		n += len(m.Tensors[i].Data) + 64
	}
	return n
}

// writer writes msgpack values and keeps the first error.
type writer struct {
	buf *bytes.Buffer
	enc *msgpack.Encoder
	err error
}

// check keeps err if it is the first error.
func (w *writer) check(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

// Headers and scalars, in msgpack's shortest encodings (floats as float64).
func (w *writer) mapLen(n int)     { w.check(w.enc.EncodeMapLen(n)) }
func (w *writer) arrayLen(n int)   { w.check(w.enc.EncodeArrayLen(n)) }
func (w *writer) int(v int64)      { w.check(w.enc.EncodeInt(v)) }
func (w *writer) float(v float64)  { w.check(w.enc.EncodeFloat64(v)) }
func (w *writer) bool(v bool)      { w.check(w.enc.EncodeBool(v)) }
func (w *writer) goInt(v int)      { w.int(int64(v)) }
func (w *writer) number(v float32) { w.float(float64(v)) }

// str writes a string, which must be valid UTF-8 and under 4 GiB.
func (w *writer) str(s string) {
	if !utf8.ValidString(s) {
		w.check(fmt.Errorf("string %q is not valid UTF-8", s))
		return
	}
	if uint64(len(s)) > math.MaxUint32 {
		w.check(fmt.Errorf("a string of %d bytes exceeds the msgpack limit of 4 GiB", len(s)))
		return
	}
	w.check(w.enc.EncodeString(s))
}

// bin writes b as a bin (also when empty), which must be under 4 GiB.
func (w *writer) bin(b []byte) {
	if uint64(len(b)) > math.MaxUint32 {
		w.check(fmt.Errorf("%d bytes of data exceed the msgpack bin limit of 4 GiB", len(b)))
		return
	}
	// EncodeBytes writes nil for a nil slice; a bin is wanted even when empty.
	w.check(w.enc.EncodeBytesLen(len(b)))
	w.buf.Write(b)
}
