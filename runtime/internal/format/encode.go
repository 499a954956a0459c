package format

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
)

// Encode returns m as a .wnn file of the current Version. The bytes depend
// only on m: every map is written with its keys sorted, integers in their
// shortest msgpack form and floats as float64 (see docs/FORMAT.md).
//
// Encode checks what Decode checks, so that its output always decodes: it
// returns an error wrapping ErrBadModel for an empty, duplicate or unknown
// tensor name or dtype, a tensor whose data does not match its shape, an
// empty graph input name or node op, an attribute value of an unsupported
// type, a string that is not valid UTF-8, or m.Version other than 0 or
// Version. It does not validate ops or the graph's wiring.
// Decode(Encode(m)) equals m up to the normalisations Decode applies (empty
// lists and maps become nil; int, float32 and their slices in Attrs become
// int64, float64 and their slices; an empty attribute slice becomes
// []int64{}).
func Encode(m *Model) ([]byte, error) {
	if m.Version != 0 && m.Version != Version {
		return nil, fmt.Errorf("%w: cannot write .wnn version %d (this build writes %d)", ErrBadModel, m.Version, Version)
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
	w.graph(&m.Graph)
	w.str("meta")
	w.meta(&m.Meta)
	w.str("tensors")
	w.tensors(m.Tensors)
	w.str("version")
	w.int(Version)
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

func (w *writer) check(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

func (w *writer) mapLen(n int)   { w.check(w.enc.EncodeMapLen(n)) }
func (w *writer) arrayLen(n int) { w.check(w.enc.EncodeArrayLen(n)) }
func (w *writer) int(v int64)    { w.check(w.enc.EncodeInt(v)) }
func (w *writer) float(v float64) {
	w.check(w.enc.EncodeFloat64(v))
}

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

func (w *writer) bin(b []byte) {
	if uint64(len(b)) > math.MaxUint32 {
		w.check(fmt.Errorf("%d bytes of data exceed the msgpack bin limit of 4 GiB", len(b)))
		return
	}
	// EncodeBytes writes nil for a nil slice; a bin is wanted even when empty.
	w.check(w.enc.EncodeBytesLen(len(b)))
	w.buf.Write(b)
}

func (w *writer) strings(s []string) {
	w.arrayLen(len(s))
	for _, v := range s {
		w.str(v)
	}
}

func (w *writer) ints(s []int) {
	w.arrayLen(len(s))
	for _, v := range s {
		w.int(int64(v))
	}
}

func (w *writer) graph(g *Graph) {
	w.mapLen(3)
	w.str("inputs")
	w.arrayLen(len(g.Inputs))
	for _, in := range g.Inputs {
		w.mapLen(2)
		w.str("name")
		w.str(in.Name)
		w.str("shape")
		w.ints(in.Shape)
	}
	w.str("nodes")
	w.arrayLen(len(g.Nodes))
	for i := range g.Nodes {
		n := &g.Nodes[i]
		w.mapLen(5)
		w.str("attrs")
		w.attrs(n)
		w.str("inputs")
		w.strings(n.Inputs)
		w.str("name")
		w.str(n.Name)
		w.str("op")
		w.str(n.Op)
		w.str("outputs")
		w.strings(n.Outputs)
	}
	w.str("outputs")
	w.strings(g.Outputs)
}

func (w *writer) attrs(n *Node) {
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.mapLen(len(keys))
	for _, k := range keys {
		w.str(k)
		if err := w.attrValue(n.Attrs[k]); err != nil {
			w.check(fmt.Errorf("node %q (%s): attribute %q: %w", n.Name, n.Op, k, err))
		}
	}
}

func (w *writer) attrValue(v any) error {
	switch v := v.(type) {
	case int:
		w.int(int64(v))
	case int64:
		w.int(v)
	case float32:
		w.float(float64(v))
	case float64:
		w.float(v)
	case string:
		w.str(v)
	case []int:
		w.ints(v)
	case []int64:
		w.arrayLen(len(v))
		for _, x := range v {
			w.int(x)
		}
	case []float32:
		w.arrayLen(len(v))
		for _, x := range v {
			w.float(float64(x))
		}
	case []float64:
		w.arrayLen(len(v))
		for _, x := range v {
			w.float(x)
		}
	default:
		return fmt.Errorf("unsupported value type %T (want int, int64, float32, float64, string or a slice of a number type)", v)
	}
	return nil
}

func (w *writer) tensors(ts []Tensor) {
	w.arrayLen(len(ts))
	for i := range ts {
		t := &ts[i]
		w.mapLen(4)
		w.str("data")
		w.bin(t.Data)
		w.str("dtype")
		w.str(t.DType)
		w.str("name")
		w.str(t.Name)
		w.str("shape")
		w.ints(t.Shape)
	}
}

func (w *writer) meta(m *Meta) {
	n := 3
	if len(m.Extra) > 0 {
		n++
	}
	if m.Preprocess != nil {
		n++
	}
	w.mapLen(n)
	w.str("description")
	w.str(m.Description)
	if len(m.Extra) > 0 {
		keys := make([]string, 0, len(m.Extra))
		for k := range m.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.str("extra")
		w.mapLen(len(keys))
		for _, k := range keys {
			w.str(k)
			w.str(m.Extra[k])
		}
	}
	w.str("labels")
	w.strings(m.Labels)
	w.str("name")
	w.str(m.Name)
	if p := m.Preprocess; p != nil {
		w.str("preprocess")
		w.preprocess(p)
	}
}

func (w *writer) float32s(s []float32) {
	w.arrayLen(len(s))
	for _, v := range s {
		w.float(float64(v))
	}
}

func (w *writer) preprocess(p *Preprocess) {
	w.mapLen(10)
	w.str("channels")
	w.int(int64(p.Channels))
	w.str("content_height")
	w.int(int64(p.ContentHeight))
	w.str("content_width")
	w.int(int64(p.ContentWidth))
	w.str("height")
	w.int(int64(p.Height))
	w.str("invert")
	w.check(w.enc.EncodeBool(p.Invert))
	w.str("layout")
	w.str(p.Layout)
	w.str("mean")
	w.float32s(p.Mean)
	w.str("scale")
	w.float(float64(p.Scale))
	w.str("std")
	w.float32s(p.Std)
	w.str("width")
	w.int(int64(p.Width))
}
