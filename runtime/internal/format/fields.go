package format

import (
	"errors"
	"fmt"
	"slices"
)

// The maps of the format are declared as tables of fields, one table per
// map type in the file of its section (section_graph.go, section_tensors.go,
// section_meta.go). readFields and writeFields are the one loop that reads
// and writes every such map, so adding a key to the format is adding a row
// to a table.

// A field is one known key of a map that decodes into a T: how its value is
// read into a T, how it is written from one, and when Encode leaves it out.
// Tables list their fields in sorted key order, which is the order Encode
// writes them in (TestFieldTables checks it).
type field[T any] struct {
	key   string
	read  func(r *reader, v *T) error
	write func(w *writer, v *T)
	omit  func(v *T) bool // nil: always written
}

// maxFields is the most fields a table may hold: readFields records the keys
// it has seen in the bits of a uint64.
const maxFields = 64

// A codec reads and writes one msgpack value of type V.
type codec[V any] struct {
	read  func(r *reader) (V, error)
	write func(w *writer, v V)
}

// at returns the field key whose value c reads into, and writes from, the
// V that p returns for a T.
func at[T, V any](key string, c codec[V], p func(v *T) *V) field[T] {
	return field[T]{
		key:   key,
		read:  func(r *reader, v *T) (err error) { *p(v), err = c.read(r); return err },
		write: func(w *writer, v *T) { c.write(w, *p(v)) },
	}
}

// omitWhen returns f, left out of the map Encode writes when cond holds.
func (f field[T]) omitWhen(cond func(v *T) bool) field[T] {
	f.omit = cond
	return f
}

// Codecs of the scalar values of the format. Integers are read from any
// msgpack integer encoding and written in the shortest; numbers (float32) are
// read from integers or floats and written as float64.
var (
	strCodec    = codec[string]{(*reader).str, (*writer).str}
	intCodec    = codec[int]{(*reader).goInt, func(w *writer, v int) { w.int(int64(v)) }}
	boolCodec   = codec[bool]{(*reader).bool, (*writer).bool}
	numberCodec = codec[float32]{(*reader).number, func(w *writer, v float32) { w.float(float64(v)) }}
	binCodec    = codec[[]byte]{(*reader).bin, (*writer).bin}
)

// arrayOf returns the codec of an array, at nesting level level, of values
// elem reads and writes. It reads an empty array as nil.
func arrayOf[V any](level int, elem codec[V]) codec[[]V] {
	return codec[[]V]{
		read:  func(r *reader) ([]V, error) { return readArray(r, level, elem.read) },
		write: func(w *writer, s []V) { writeArray(w, s, elem.write) },
	}
}

// stringMapOf returns the codec of a map, at nesting level level, from
// strings to values elem reads and writes; what names a key in errors. It
// reads an empty map as nil and writes the keys sorted.
func stringMapOf[V any](level int, what string, elem codec[V]) codec[map[string]V] {
	return codec[map[string]V]{
		read: func(r *reader) (map[string]V, error) { return stringMap(r, level, what, elem.read) },
		write: func(w *writer, m map[string]V) {
			writeStringMap(w, m, func(w *writer, _ string, v V) { elem.write(w, v) })
		},
	}
}

// readFields reads a map at nesting level level (nil reads as an empty map)
// into v: the value of each key of fields by that field's read, the values
// of other keys skipped (they may come from a newer writer). A known key
// given twice is an error. Errors name the key whose value is wrong.
func readFields[T any](r *reader, level int, fields []field[T], v *T) error {
	n, err := r.mapLen(level)
	if err != nil {
		return err
	}
	var seen uint64 // bit i: fields[i] was read
	for range n {
		koff := r.off
		kb, err := r.strBytes()
		if err != nil {
			return fmt.Errorf("map key: %w", err)
		}
		i := fieldIndex(fields, kb)
		if i < 0 {
			if err := r.skip(level + 1); err != nil {
				return fmt.Errorf("%q: %w", kb, err)
			}
			continue
		}
		if seen&(1<<i) != 0 {
			return fmt.Errorf("duplicate key %q at offset %d", fields[i].key, koff)
		}
		seen |= 1 << i
		if err := fields[i].read(r, v); err != nil {
			return fmt.Errorf("%q: %w", fields[i].key, err)
		}
	}
	return nil
}

// fieldIndex returns the index in fields of the field whose key is kb, or -1.
func fieldIndex[T any](fields []field[T], kb []byte) int {
	for i := range fields {
		if string(kb) == fields[i].key { // no allocation for a comparison
			return i
		}
	}
	return -1
}

// writeFields writes v as a map of the fields whose omit does not hold, in
// table (sorted) order.
func writeFields[T any](w *writer, fields []field[T], v *T) {
	n := 0
	for i := range fields {
		if fields[i].omit == nil || !fields[i].omit(v) {
			n++
		}
	}
	w.mapLen(n)
	for i := range fields {
		if f := &fields[i]; f.omit == nil || !f.omit(v) {
			w.str(f.key)
			f.write(w, v)
		}
	}
}

// writeArray writes s as an array whose elements elem writes.
func writeArray[V any](w *writer, s []V, elem func(w *writer, v V)) {
	w.arrayLen(len(s))
	for _, v := range s {
		elem(w, v)
	}
}

// writeStringMap writes m as a map with its keys sorted, each value written
// by elem, which is given the key for its error messages.
func writeStringMap[V any](w *writer, m map[string]V, elem func(w *writer, key string, v V)) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.mapLen(len(keys))
	for _, k := range keys {
		w.str(k)
		elem(w, k, m[k])
	}
}

// A records describes an array of maps of type T whose elements are
// decoded in place: graph inputs and nodes.
type records[T any] struct {
	what    string // the array in errors: "inputs", "nodes"
	level   int    // nesting level of the array; its maps are one deeper
	minSize int    // bytes of the smallest valid element, which bounds the allocation
	fields  []field[T]
	check   func(v *T) error // what Decode requires of an element beyond its fields
	// describe, when not empty, names an element in errors as describeAt
	// does ("node": its name, op and offset).
	describe string
}

// codec returns the codec of the array. Reading checks that the declared
// number of elements of at least minSize bytes each fit in the bytes that
// remain before allocating them, and reads an empty array as nil.
func (rs *records[T]) codec() codec[[]T] {
	return codec[[]T]{
		read: rs.read,
		write: func(w *writer, vs []T) {
			w.arrayLen(len(vs))
			for i := range vs {
				writeFields(w, rs.fields, &vs[i])
			}
		},
	}
}

// read reads the array, each element's fields and then its check; errors
// give the element's index, and its description when rs.describe is set.
func (rs *records[T]) read(r *reader) ([]T, error) {
	n, err := r.listLen(rs.level, rs.minSize, rs.what)
	if err != nil || n == 0 {
		return nil, err
	}
	vs := make([]T, n)
	for k := range vs {
		start := r.off
		err := readFields(r, rs.level+1, rs.fields, &vs[k])
		if err == nil {
			err = rs.check(&vs[k])
		}
		if err != nil {
			desc := ""
			if rs.describe != "" {
				desc = r.describeAt(start, rs.describe)
			}
			return nil, fmt.Errorf("[%d]%s: %w", k, desc, err)
		}
	}
	return vs, nil
}

// nonEmpty returns a records check that the string field key, which get
// returns, is present and not empty.
func nonEmpty[T any](key string, get func(v *T) string) func(v *T) error {
	err := fmt.Errorf("missing or empty %q", key)
	return func(v *T) error {
		if get(v) == "" {
			return err
		}
		return nil
	}
}

// describeAt returns ` (what "NAME" at offset N)` for the map at offset off,
// for error messages: it looks for a string "name" key, and for nodes an
// "op" key, ignoring any problem (the map may be the faulty value).
func (r *reader) describeAt(off int, what string) string {
	var d nameOp
	_ = readFields(&reader{b: r.b, off: off}, levelField, nameOpFields, &d)
	switch {
	case d.op != "" && what == "node":
		return fmt.Sprintf(" (%s %q, %s, at offset %d)", what, d.name, d.op, off)
	case d.name != "":
		return fmt.Sprintf(" (%s %q at offset %d)", what, d.name, off)
	}
	return fmt.Sprintf(" (at offset %d)", off)
}

// nameOp is what describeAt looks for in a map.
type nameOp struct{ name, op string }

// nameOpFields read describeAt's keys; they stop at a value that is not a
// string, and keep reading after a string that is not valid.
var nameOpFields = []field[nameOp]{
	{key: "name", read: func(r *reader, d *nameOp) error { return r.describeStr(&d.name) }},
	{key: "op", read: func(r *reader, d *nameOp) error { return r.describeStr(&d.op) }},
}

// errNotString stops describeAt at a value that is not a string.
var errNotString = errors.New("not a string")

// describeStr reads a string into *s for describeAt.
func (r *reader) describeStr(s *string) error {
	if k, _ := r.peek(); k != "string" {
		return errNotString
	}
	*s, _ = r.str()
	return nil
}
