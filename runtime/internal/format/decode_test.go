package format

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Tests of Decode on malformed, truncated, hostile and newer files, and its fuzz target.

func TestDecodeErrors(t *testing.T) {
	okTensor := map[string]any{"name": "w", "dtype": "f32", "shape": []int{2}, "data": make([]byte, 8)}
	valid := enc(t, file(nil))
	tests := []struct {
		name    string
		in      []byte
		want    string // substring of the error
		version bool   // the error also wraps ErrVersion
	}{
		{"empty", nil, "not a .wnn file: empty input", false},
		{"not a map", enc(t, "hello"), "not a .wnn file: the top-level value is a str", false},
		{"json", []byte(`{"format":"wnn"}`), "not a .wnn file", false},
		{"no marker", enc(t, file(map[string]any{"format": nil})), `no "format" marker`, false},
		{"wrong marker", enc(t, file(map[string]any{"format": "onnx"})), `not a .wnn file: "format" is "onnx", not "wnn"`, false},
		{"marker not a string", enc(t, file(map[string]any{"format": 3})), `not a .wnn file: "format" is an int`, false},
		{"no version", enc(t, file(map[string]any{"version": nil})), `no "version" key`, true},
		{"newer version", enc(t, file(map[string]any{"version": 7})), "unsupported .wnn version 7 (this build reads up to 2)", true},
		{"version zero", enc(t, file(map[string]any{"version": 0})), "unsupported .wnn version 0", true},
		{"version string", enc(t, file(map[string]any{"version": "1"})), `"version": at offset`, false},
		{"trailing garbage", append(slices.Clone(valid), 0x00, 0x01), "trailing garbage: 2 bytes after the top-level map, at offset " + fmt.Sprint(len(valid)), false},
		{"duplicate top-level key", append([]byte{0x84}, append(enc(t, "version"), append([]byte{0x01}, valid[1:]...)...)...), `duplicate top-level key "version"`, false},
		{"invalid byte", enc(t, file(map[string]any{"zzz": msgpack.RawMessage{0xc1}})), "invalid msgpack byte 0xc1", false},
		{"tensor size", enc(t, tensorFile(map[string]any{"name": "conv.w", "dtype": "f32", "shape": []int{2, 3}, "data": make([]byte, 20)})),
			`(tensor "conv.w" at offset 28): data is 20 bytes, but shape [2 3] of f32 needs 24 bytes`, false},
		{"f16 tensor size", enc(t, tensorFile(map[string]any{"name": "h", "dtype": "f16", "shape": []int{3}, "data": make([]byte, 12)})),
			`(tensor "h" at offset 28): data is 12 bytes, but shape [3] of f16 needs 6 bytes`, false},
		{"duplicate tensor", enc(t, tensorFile(okTensor, okTensor)), `tensors: [1] (tensor "w" at offset `, false},
		{"duplicate tensor message", enc(t, tensorFile(okTensor, okTensor)), `duplicate tensor name "w" (also tensors[0])`, false},
		{"empty tensor name", enc(t, tensorFile(map[string]any{"dtype": "f32", "data": make([]byte, 4)})), "tensor with an empty name", false},
		{"unknown dtype", enc(t, tensorFile(map[string]any{"name": "w", "dtype": "f64", "shape": []int{1}, "data": make([]byte, 8)})), `unknown dtype "f64"`, false},
		{"negative dim", enc(t, tensorFile(map[string]any{"name": "w", "dtype": "f32", "shape": []int{2, -1}})), "negative dimension", false},
		{"element overflow", enc(t, tensorFile(map[string]any{"name": "w", "dtype": "f32", "shape": []int{1 << 20, 1 << 20, 1 << 20}})), "more than 2147483647 elements", false},
		{"data not bin", enc(t, tensorFile(map[string]any{"name": "w", "dtype": "f32", "shape": []int{1}, "data": "abcd"})), `"data": at offset`, false},
		{"duplicate field", enc(t, file(map[string]any{"meta": msgpack.RawMessage(slices.Concat([]byte{0x82},
			enc(t, "name"), enc(t, "a"), enc(t, "name"), enc(t, "b")))})), `meta: duplicate key "name"`, false},
		{"uint64 overflow", enc(t, file(map[string]any{"graph": map[string]any{"inputs": []any{map[string]any{"name": "x", "shape": []uint64{math.MaxUint64}}}}})), "integer 18446744073709551615 is out of range", false},
		{"invalid utf8", enc(t, file(map[string]any{"meta": map[string]any{"name": msgpack.RawMessage{0xa2, 0xff, 0xfe}}})), "not valid UTF-8", false},
		{"bool attr", enc(t, nodeFile(map[string]any{"ceil_mode": true})), `attribute "ceil_mode": at offset`, false},
		{"nil attr", enc(t, nodeFile(map[string]any{"x": nil})), "unsupported attribute value nil", false},
		{"mixed attr array", enc(t, nodeFile(map[string]any{"pads": []any{1, 2.5}})), "must hold only ints", false},
		{"string attr array", enc(t, nodeFile(map[string]any{"names": []string{"a"}})), "unsupported attribute array of string", false},
		{"map attr", enc(t, nodeFile(map[string]any{"m": map[string]any{}})), "unsupported attribute value a map", false},
		{"node without op", enc(t, file(map[string]any{"graph": map[string]any{"nodes": []any{map[string]any{"name": "n", "inputs": []string{"x"}}}}})),
			`graph: "nodes": [0] (node "n" at offset `, false},
		{"input without name", enc(t, file(map[string]any{"graph": map[string]any{"inputs": []any{map[string]any{"shape": []int{1}}}}})),
			`graph: "inputs": [0]: missing or empty "name"`, false},
		{"nodes array too long", enc(t, file(map[string]any{"graph": map[string]any{"nodes": msgpack.RawMessage(append([]byte{0xdc, 0, 100}, bytes.Repeat([]byte{0x80}, 100)...))}})),
			"100 nodes need at least 600 bytes", false},
		{"graph not a map", enc(t, file(map[string]any{"graph": []int{1}})), "graph: at offset", false},
		{"label not a string", enc(t, file(map[string]any{"meta": map[string]any{"labels": []any{"a", 1}}})), "meta: \"labels\": [1]", false},
		{"preprocess invert int", enc(t, file(map[string]any{"meta": map[string]any{"preprocess": map[string]any{"invert": 1}}})), "expected a bool, found an int", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.in)
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", m)
			}
			t.Log(err)
			if !errors.Is(err, ErrBadModel) {
				t.Errorf("error %v does not wrap ErrBadModel", err)
			}
			if errors.Is(err, ErrVersion) != tt.version {
				t.Errorf("errors.Is(err, ErrVersion) = %v, want %v", !tt.version, tt.version)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDecodeTruncated(t *testing.T) {
	files := []struct {
		name string
		m    *Model
	}{
		{"tiny", tinyModel(t)},
		{"preprocess", &Model{Version: 1, Meta: Meta{Preprocess: &Preprocess{Mean: []float32{1}}}}},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			b, err := Encode(f.m)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(b); err != nil {
				t.Fatalf("full file: %v", err)
			}
			for n := range len(b) {
				_, err := Decode(b[:n])
				if err == nil {
					t.Fatalf("prefix of %d bytes decoded", n)
				}
				if !errors.Is(err, ErrBadModel) {
					t.Fatalf("prefix of %d bytes: %v does not wrap ErrBadModel", n, err)
				}
				if n > 0 && !strings.Contains(err.Error(), "truncated at offset ") {
					t.Fatalf("prefix of %d bytes: %v does not say truncated", n, err)
				}
			}
		})
	}
}

// allocBytes returns the bytes allocated by f.
func allocBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDecodeHugeLengths(t *testing.T) {
	huge32 := []byte{0xff, 0xff, 0xff, 0xff}
	head := func(code byte) msgpack.RawMessage { return append([]byte{code}, huge32...) }
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"tensor bin 4 GB", enc(t, tensorFile(map[string]any{"name": "w", "dtype": "f32", "shape": []int{1 << 30}, "data": head(0xc6)})),
			"truncated at offset"},
		{"unknown bin 4 GB", enc(t, file(map[string]any{"x": head(0xc6)})), "a bin needs 4294967295 bytes"},
		{"str 4 GB", enc(t, file(map[string]any{"meta": map[string]any{"name": head(0xdb)}})), "a string needs 4294967295 bytes"},
		{"array 4G", enc(t, file(map[string]any{"tensors": head(0xdd)})), "an array of 4294967295 elements needs at least 4294967295 bytes"},
		{"shape array 4G", enc(t, tensorFile(map[string]any{"name": "w", "shape": head(0xdd)})), "an array of 4294967295 elements needs at least 4294967295 bytes"},
		{"attr array 4G", enc(t, nodeFile(map[string]any{"pads": head(0xdd)})), "an array of 4294967295 elements needs at least 4294967295 bytes"},
		{"map 4G", enc(t, file(map[string]any{"graph": head(0xdf)})), "a map of 4294967295 entries needs at least 8589934590 bytes"},
		{"top-level map 4G", append(head(0xdf), make([]byte, 90)...), "a map of 4294967295 entries needs at least 8589934590 bytes"},
		{"ext 4 GB", enc(t, file(map[string]any{"x": head(0xc9)})), "an ext needs 4294967296 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.in) > 200 {
				t.Fatalf("test file is %d bytes", len(tt.in))
			}
			var err error
			n := allocBytes(func() { _, err = Decode(tt.in) })
			t.Logf("%v (%d bytes allocated)", err, n)
			if err == nil || !errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrBadModel containing %q", err, tt.want)
			}
			if n > 64<<10 {
				t.Errorf("Decode allocated %d bytes for a %d-byte file", n, len(tt.in))
			}
			if a := testing.AllocsPerRun(10, func() { Decode(tt.in) }); a > 100 {
				t.Errorf("Decode made %v allocations", a)
			}
		})
	}
}

// TestDecodeAllocationBound decodes valid files made of the smallest
// possible elements and checks that what Decode allocates stays within the
// documented bound of 32 bytes per byte of input.
func TestDecodeAllocationBound(t *testing.T) {
	const n = 20000
	list := func(elem []byte) msgpack.RawMessage {
		return append([]byte{0xdd, 0, n >> 16, n >> 8 & 0xff, n & 0xff}, bytes.Repeat(elem, n)...)
	}
	graph := func(key string, elem []byte) []byte {
		return enc(t, file(map[string]any{"graph": map[string]any{key: list(elem)}}))
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"nodes", graph("nodes", []byte{0x81, 0xa2, 'o', 'p', 0xa1, 'X'})},
		{"node inputs", graph("nodes", []byte{0x82, 0xa2, 'o', 'p', 0xa1, 'X', 0xa6, 'i', 'n', 'p', 'u', 't', 's', 0x91, 0xa0})},
		{"graph inputs", graph("inputs", []byte{0x81, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'x'})},
		{"outputs", graph("outputs", []byte{0xa0})},
		{"labels", enc(t, file(map[string]any{"meta": map[string]any{"labels": list([]byte{0xa0})}}))},
		{"attr ints", enc(t, nodeFile(map[string]any{"a": list([]byte{0x01})}))},
		{"attr floats", enc(t, nodeFile(map[string]any{"a": list([]byte{0xca, 0, 0, 0, 0})}))},
		{"shape", enc(t, file(map[string]any{"graph": map[string]any{"inputs": []any{map[string]any{"name": "x", "shape": list([]byte{0x01})}}}}))},
		{"mean", enc(t, file(map[string]any{"meta": map[string]any{"preprocess": map[string]any{"mean": list([]byte{0x01})}}}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			a := allocBytes(func() { _, err = Decode(tt.in) })
			if err != nil {
				t.Fatal(err)
			}
			if limit := 32 * uint64(len(tt.in)); a > limit {
				t.Errorf("Decode allocated %d bytes for a %d-byte file (limit %d)", a, len(tt.in), limit)
			}
		})
	}
}

func TestDecodeNesting(t *testing.T) {
	// nested returns a file whose unknown top-level key holds arrays nested
	// so that the innermost one sits at the given level (top-level map: 1).
	nested := func(level int) []byte {
		v := append(bytes.Repeat([]byte{0x91}, level-2), 0x90)
		return enc(t, file(map[string]any{"x": msgpack.RawMessage(v)}))
	}
	tests := []struct {
		name  string
		in    []byte
		error bool
	}{
		{"at limit", nested(MaxDepth), false},
		{"over limit", nested(MaxDepth + 1), true},
		{"100000 levels", nested(100000), true},
		{"deep maps", enc(t, file(map[string]any{"x": msgpack.RawMessage(append(bytes.Repeat([]byte{0x81, 0xa0}, 50000), 0))})), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if (err != nil) != tt.error {
				t.Fatalf("error %v, want error: %v", err, tt.error)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("nested deeper than %d levels", MaxDepth)) {
				t.Errorf("error %v does not mention nesting", err)
			}
		})
	}
}

// TestDecodeForwardCompatible adds unknown keys at every level and expects
// the same model as without them.
func TestDecodeForwardCompatible(t *testing.T) {
	extra := map[string]any{"future": map[string]any{"a": []any{1, "b", 2.5, nil, true, []byte{1}}}}
	with := func(m map[string]any) map[string]any {
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	base := func() map[string]any {
		return file(map[string]any{
			"graph": map[string]any{
				"inputs":  []any{map[string]any{"name": "x", "shape": []int{1, 2}}},
				"outputs": []string{"y"},
				"nodes":   []any{map[string]any{"name": "fc", "op": "Dense", "inputs": []string{"x", "w"}, "outputs": []string{"y"}, "attrs": map[string]any{"transposed": 1}}},
			},
			"tensors": []any{map[string]any{"name": "w", "dtype": "f16", "shape": []int{1, 2}, "data": []byte{0, 0x3c, 0, 0xc0}}},
			"meta":    map[string]any{"name": "tiny", "preprocess": map[string]any{"width": 2}},
		})
	}
	want, err := Decode(enc(t, base()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(f map[string]any)
	}{
		{"top", func(f map[string]any) { with(f) }},
		{"graph", func(f map[string]any) { with(f["graph"].(map[string]any)) }},
		{"input", func(f map[string]any) { with(f["graph"].(map[string]any)["inputs"].([]any)[0].(map[string]any)) }},
		{"node", func(f map[string]any) { with(f["graph"].(map[string]any)["nodes"].([]any)[0].(map[string]any)) }},
		{"tensor", func(f map[string]any) { with(f["tensors"].([]any)[0].(map[string]any)) }},
		{"meta", func(f map[string]any) { with(f["meta"].(map[string]any)) }},
		{"preprocess", func(f map[string]any) { with(f["meta"].(map[string]any)["preprocess"].(map[string]any)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.edit(f)
			got, err := Decode(enc(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

// FuzzDecode checks that Decode never panics, that its errors wrap
// ErrBadModel, and that a decoded model re-encodes to a fixed point.
func FuzzDecode(f *testing.F) {
	for _, m := range []*Model{fullModel(f), tinyModel(f), {Version: 1}} {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrBadModel) {
				t.Fatalf("error %v does not wrap ErrBadModel", err)
			}
			return
		}
		b2, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode(Decode(b)): %v", err)
		}
		m2, err := Decode(b2)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(b))): %v", err)
		}
		b3, err := Encode(m2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b2, b3) {
			t.Fatalf("re-encoding is not stable:\n%x\n%x", b2, b3)
		}
		if len(m2.Tensors) != len(m.Tensors) || len(m2.Graph.Nodes) != len(m.Graph.Nodes) {
			t.Fatal("re-decoded model differs")
		}
	})
}
