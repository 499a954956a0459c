package format

import (
	"bytes"
	"slices"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// fieldsOf returns the fields of v's table.
func fieldsOf(v record) []field {
	var fs []field
	for i := 0; ; i++ {
		f := v.fieldAt(i)
		if f.key == "" {
			return fs
		}
		fs = append(fs, f)
	}
}

// TestFieldTables checks what readFields and writeFields assume of every
// table: keys strictly sorted (Encode writes them in table order, and this
// also makes them unique), at most maxFields of them, and a reader and a
// writer for the type of each field (describeAt's table is read-only): the
// zero value of each field is written and read back, and the zero value of
// an omitEmpty field is empty.
func TestFieldTables(t *testing.T) {
	tables := []struct {
		name     string
		v        record // a new struct of the table
		readOnly bool
	}{
		{"graph", new(Graph), false},
		{"graph input", new(ValueInfo), false},
		{"node", new(Node), false},
		{"tensor", new(Tensor), false},
		{"meta", new(Meta), false},
		{"preprocess", new(Preprocess), false},
		{"describeAt", new(nameOp), true},
	}
	for _, tb := range tables {
		fields := fieldsOf(tb.v)
		keys := make([]string, len(fields))
		for i, f := range fields {
			keys[i] = f.key
		}
		if len(keys) == 0 || len(keys) > maxFields {
			t.Errorf("%s: %d fields, want 1 to %d", tb.name, len(keys), maxFields)
		}
		if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
			t.Errorf("%s: keys %q are not strictly sorted", tb.name, keys)
		}
		for _, f := range fields {
			if f.omitEmpty {
				if !isEmpty(f.p) {
					t.Errorf("%s: %q: omitEmpty, but the zero %T is not empty", tb.name, f.key, f.p)
				}
				continue
			}
			var buf bytes.Buffer
			if tb.readOnly {
				buf.Write([]byte{0xa1, 'x'}) // the string "x"
			} else {
				w := &writer{buf: &buf, enc: msgpack.NewEncoder(&buf)}
				w.value(f.p, tb.v)
				if w.err != nil {
					t.Errorf("%s: %q: write: %v", tb.name, f.key, w.err)
					continue
				}
			}
			r := &reader{b: buf.Bytes()}
			if err := r.value(levelField, f.p); err != nil || r.off != len(r.b) {
				t.Errorf("%s: %q: read %x: %v (read %d bytes)", tb.name, f.key, r.b, err, r.off)
			}
		}
	}
}

// TestRecordsRequired checks that the required key of each records array
// is a string field of its elements' table.
func TestRecordsRequired(t *testing.T) {
	for _, c := range []struct {
		rs   *records
		elem record
	}{
		{&graphInputs, new(ValueInfo)},
		{&graphNodes, new(Node)},
	} {
		i, f := fieldOf(c.elem, []byte(c.rs.required))
		if _, ok := f.p.(*string); i < 0 || !ok {
			t.Errorf("%s: required key %q is not a string field of %T", c.rs.what, c.rs.required, c.elem)
		}
	}
}
