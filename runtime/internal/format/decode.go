package format

import (
	"errors"
	"fmt"
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
		if err := readFields(r, levelSection, &m.Graph); err != nil {
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
		if err := readFields(r, levelSection, &m.Meta); err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
	}
	return m, nil
}

// Nesting levels of the known structure (the top-level map is level 1).
const (
	levelSection = 2 // graph, tensors, meta
	levelItem    = 3 // graph.inputs etc., tensors[i], meta.labels etc.
	levelField   = 4 // node maps, tensor fields, attrs
	levelAttr    = 5 // node attrs
	levelValue   = 6 // attr arrays
)
