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
//
// A table is the fieldAt method of the struct a map decodes into: row i
// gives the key and a pointer to the struct field that holds its value, and
// the pointer's type says how the value is read (reader.value) and written
// (writer.value). So each Go type of value has one reader and one writer, a
// table is one small function rather than a function per field built at
// start-up, and reading never refers to writing: a program that only
// decodes, like the browser module, does not link the encoder.

// A record is a struct that a map decodes into. fieldAt(i) is the field of
// its i-th key in sorted key order, which is the order Encode writes them in
// (TestFieldTables checks it), and has an empty key past the last one.
type record interface {
	fieldAt(i int) field
}

// A field is one known key of a map and the value it decodes into.
type field struct {
	key string
	p   any // pointer to the value
	// omitEmpty leaves the key out of the map Encode writes when *p is
	// empty: a nil pointer or an empty map (see isEmpty).
	omitEmpty bool
}

// maxFields is the most fields a table may hold: readFields records the keys
// it has seen in the bits of a uint64.
const maxFields = 64

// readFields reads a map at nesting level level (nil reads as an empty map)
// into v: the value of each key of v's table into its field, the values of
// other keys skipped (they may come from a newer writer). A known key given
// twice is an error. Errors name the key whose value is wrong.
func readFields(r *reader, level int, v record) error {
	n, err := r.mapLen(level)
	if err != nil {
		return err
	}
	var seen uint64 // bit i: field i was read
	for range n {
		koff := r.off
		kb, err := r.strBytes()
		if err != nil {
			return fmt.Errorf("map key: %w", err)
		}
		i, f := fieldOf(v, kb)
		if i < 0 {
			if err := r.skip(level + 1); err != nil {
				return fmt.Errorf("%q: %w", kb, err)
			}
			continue
		}
		if seen&(1<<i) != 0 {
			return fmt.Errorf("duplicate key %q at offset %d", f.key, koff)
		}
		seen |= 1 << i
		if err := r.value(level+1, f.p); err != nil {
			return fmt.Errorf("%q: %w", f.key, err)
		}
	}
	return nil
}

// fieldOf returns the index in v's table of the field whose key is kb, and
// the field, or -1.
func fieldOf(v record, kb []byte) (int, field) {
	for i := 0; ; i++ {
		f := v.fieldAt(i)
		if f.key == "" {
			return -1, f
		}
		if string(kb) == f.key { // no allocation for a comparison
			return i, f
		}
	}
}

// value reads the value at nesting level level into *p, by p's type.
// Integers are read from any msgpack integer encoding, float32s (numbers)
// from integers or floats; empty arrays and maps read as nil.
func (r *reader) value(level int, p any) (err error) {
	switch p := p.(type) {
	case *string:
		*p, err = r.str()
	case *int:
		*p, err = r.goInt()
	case *bool:
		*p, err = r.bool()
	case *float32:
		*p, err = r.number()
	case *[]byte:
		*p, err = r.bin()
	case *[]string:
		*p, err = readArray(r, level, (*reader).str)
	case *[]int:
		*p, err = readArray(r, level, (*reader).goInt)
	case *[]float32:
		*p, err = readArray(r, level, (*reader).number)
	case *map[string]string: // meta "extra"
		*p, err = stringMap(r, level, "key", (*reader).str)
	case *map[string]any: // node "attrs"
		*p, err = stringMap(r, level, "attribute", (*reader).attrValue)
	case **Preprocess:
		*p, err = r.preprocess(level)
	case *[]ValueInfo:
		*p, err = readRecords[ValueInfo](r, level, &graphInputs)
	case *[]Node:
		*p, err = readRecords[Node](r, level, &graphNodes)
	case *laxString:
		err = r.laxString(p)
	default:
		err = errNoCodec
	}
	return err
}

// errNoCodec is the error of reader.value and writer.value for a pointer
// of a type they do not know, which TestFieldTables rules out.
var errNoCodec = errors.New("internal error: no codec for a field's type")

// writeFields writes v as a map of the fields of its table that are not
// omitted, in table (sorted) order.
func writeFields(w *writer, v record) {
	n := 0
	for i := 0; ; i++ {
		f := v.fieldAt(i)
		if f.key == "" {
			break
		}
		if !f.omitted() {
			n++
		}
	}
	w.mapLen(n)
	for i := 0; ; i++ {
		f := v.fieldAt(i)
		if f.key == "" {
			break
		}
		if !f.omitted() {
			w.str(f.key)
			w.value(f.p, v)
		}
	}
}

// omitted reports whether Encode leaves f out of its map.
func (f *field) omitted() bool {
	return f.omitEmpty && isEmpty(f.p)
}

// isEmpty reports whether *p is a nil pointer or an empty map, for
// omitEmpty fields.
func isEmpty(p any) bool {
	switch p := p.(type) {
	case *map[string]string:
		return len(*p) == 0
	case **Preprocess:
		return *p == nil
	case *[]string:
		return len(*p) == 0
	}
	return false
}

// value writes *p by p's type, the counterpart of reader.value: integers in
// their shortest form, float32s as float64, a bin also when empty, map keys
// sorted. v is the struct that holds *p.
func (w *writer) value(p, v any) {
	switch p := p.(type) {
	case *string:
		w.str(*p)
	case *int:
		w.goInt(*p)
	case *bool:
		w.bool(*p)
	case *float32:
		w.number(*p)
	case *[]byte:
		w.bin(*p)
	case *[]string:
		writeArray(w, *p, (*writer).str)
	case *[]int:
		writeArray(w, *p, (*writer).goInt)
	case *[]float32:
		writeArray(w, *p, (*writer).number)
	case *map[string]string:
		writeStringMap(w, *p, func(w *writer, _ string, s string) { w.str(s) })
	case *map[string]any:
		w.attrs(v.(*Node)) // only nodes have attributes; errors name the node
	case **Preprocess:
		writeFields(w, *p)
	case *[]ValueInfo:
		writeRecords(w, *p)
	case *[]Node:
		writeRecords(w, *p)
	default:
		w.check(errNoCodec)
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

// writeRecords writes vs as an array of maps.
func writeRecords[T any, P interface {
	*T
	record
}](w *writer, vs []T) {
	w.arrayLen(len(vs))
	for i := range vs {
		writeFields(w, P(&vs[i]))
	}
}

// A records describes an array of maps whose elements are decoded in
// place, into a slice of records: graph inputs and nodes.
type records struct {
	what    string // the array in errors: "inputs", "nodes"
	minSize int    // bytes of the smallest valid element, which bounds the allocation
	// required is the key of a string field that Decode requires of an
	// element, present and not empty.
	required string
	// describe, when not empty, names an element in errors as describeAt
	// does ("node": its name, op and offset).
	describe string
}

// readRecords reads the array of rs at nesting level level (its maps are
// one deeper): each element's fields, checking that its required field is
// not empty. It checks that the declared number of elements of at least
// rs.minSize bytes each fit in the bytes that remain before allocating
// them, and reads an empty array as nil. Errors give the element's index, and its description when
// rs.describe is set.
func readRecords[T any, P interface {
	*T
	record
}](r *reader, level int, rs *records) ([]T, error) {
	n, err := r.listLen(level, rs.minSize, rs.what)
	if err != nil || n == 0 {
		return nil, err
	}
	vs := make([]T, n)
	for k := range vs {
		if err := r.record(level+1, rs, k, P(&vs[k])); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// record reads element k of an array of rs, a map at nesting level level,
// into v.
func (r *reader) record(level int, rs *records, k int, v record) error {
	start := r.off
	err := readFields(r, level, v)
	if err == nil && isEmptyString(v, rs.required) {
		err = fmt.Errorf("missing or empty %q", rs.required)
	}
	if err != nil {
		desc := ""
		if rs.describe != "" {
			desc = r.describeAt(start, rs.describe)
		}
		return fmt.Errorf("[%d]%s: %w", k, desc, err)
	}
	return nil
}

// isEmptyString reports whether the string field key of v is empty (or is
// not a string field of v's table).
func isEmptyString(v record, key string) bool {
	for i := 0; ; i++ {
		f := v.fieldAt(i)
		if f.key == key {
			s, _ := f.p.(*string)
			return s == nil || *s == ""
		}
		if f.key == "" {
			return true
		}
	}
}

// describeAt returns ` (what "NAME" at offset N)` for the map at offset off,
// for error messages: it looks for a string "name" key, and for nodes an
// "op" key, ignoring any problem (the map may be the faulty value).
func (r *reader) describeAt(off int, what string) string {
	var d nameOp
	_ = readFields(&reader{b: r.b, off: off}, levelField, &d)
	switch {
	case d.op != "" && what == "node":
		return fmt.Sprintf(" (%s %q, %s, at offset %d)", what, string(d.name), string(d.op), off)
	case d.name != "":
		return fmt.Sprintf(" (%s %q at offset %d)", what, string(d.name), off)
	}
	return fmt.Sprintf(" (at offset %d)", off)
}

// nameOp is what describeAt looks for in a map.
type nameOp struct{ name, op laxString }

// fieldAt is the table of describeAt's keys.
func (d *nameOp) fieldAt(i int) field {
	switch i {
	case 0:
		return field{key: "name", p: &d.name}
	case 1:
		return field{key: "op", p: &d.op}
	}
	return field{}
}

// A laxString is a string as describeAt reads it: reading stops at a value
// that is not a string, and goes on after a string that is not valid.
type laxString string

// errNotString stops describeAt at a value that is not a string.
var errNotString = errors.New("not a string")

// laxString reads a string into *s for describeAt.
func (r *reader) laxString(s *laxString) error {
	if k, _ := r.peek(); k != "string" {
		return errNotString
	}
	v, _ := r.str()
	*s = laxString(v)
	return nil
}
