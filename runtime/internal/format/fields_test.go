package format

import (
	"slices"
	"testing"
)

// keysOf returns the keys of a field table.
func keysOf[T any](fields []field[T]) []string {
	keys := make([]string, len(fields))
	for i := range fields {
		keys[i] = fields[i].key
	}
	return keys
}

// TestFieldTables checks what readFields and writeFields assume of every
// table: keys strictly sorted (Encode writes them in table order, and this
// also makes them unique), at most maxFields of them, and a reader and a
// writer for each (describeAt's table is read-only).
func TestFieldTables(t *testing.T) {
	tables := []struct {
		name     string
		keys     []string
		complete bool // every field has a read and a write
	}{
		{"graph", keysOf(graphFields), allCodecs(graphFields)},
		{"graph input", keysOf(valueInfoFields), allCodecs(valueInfoFields)},
		{"node", keysOf(nodeFields), allCodecs(nodeFields)},
		{"tensor", keysOf(tensorFields), allCodecs(tensorFields)},
		{"meta", keysOf(metaFields), allCodecs(metaFields)},
		{"preprocess", keysOf(preprocessFields), allCodecs(preprocessFields)},
		{"describeAt", keysOf(nameOpFields), true},
	}
	for _, tb := range tables {
		if len(tb.keys) > maxFields {
			t.Errorf("%s: %d fields, more than %d", tb.name, len(tb.keys), maxFields)
		}
		if !slices.IsSorted(tb.keys) || len(slices.Compact(slices.Clone(tb.keys))) != len(tb.keys) {
			t.Errorf("%s: keys %q are not strictly sorted", tb.name, tb.keys)
		}
		if !tb.complete {
			t.Errorf("%s: a field lacks its read or write", tb.name)
		}
	}
}

// allCodecs reports whether every field of a table can be read and written.
func allCodecs[T any](fields []field[T]) bool {
	for _, f := range fields {
		if f.read == nil || f.write == nil {
			return false
		}
	}
	return true
}
