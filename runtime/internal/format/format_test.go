package format

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// mustTensor panics if building a tensor failed (a bug in the test).
func mustTensor(tn Tensor, err error) Tensor {
	if err != nil {
		panic(err)
	}
	return tn
}

// fullModel has every attribute kind, f32 and f16 tensors and complete
// metadata. Its fields are already in the form Decode returns (int64,
// float64, nil for empty lists), so Decode(Encode(m)) must equal it.
func fullModel(t testing.TB) *Model {
	w := make([]float32, 8*1*3*3)
	for i := range w {
		w[i] = float32(i%7) * 0.25
	}
	bias := []float32{0.5, -1, 2, 0, 1e-3, 65504, -7, 3}
	return &Model{
		Version: Version,
		Graph: Graph{
			Inputs:  []ValueInfo{{Name: "x", Shape: []int{1, 1, 28, 28}}},
			Outputs: []string{"probs"},
			Nodes: []Node{
				{Name: "conv1", Op: "Conv", Inputs: []string{"x", "conv1.w", "conv1.b"}, Outputs: []string{"c1"},
					Attrs: map[string]any{
						"strides": []int64{1, 1}, "dilations": []int64{1, 1}, "pads": []int64{1, 1, 1, 1},
						"group": int64(1), "auto_pad": "NOTSET", "activation": "leakyrelu", "alpha": 0.01,
					}},
				{Name: "pool1", Op: "MaxPool", Inputs: []string{"c1"}, Outputs: []string{"p1"},
					Attrs: map[string]any{"kernel_shape": []int64{2, 2}, "strides": []int64{2, 2}, "ceil_mode": int64(0),
						"pads": []int64{}}},
				{Name: "clip", Op: "Clip", Inputs: []string{"p1"}, Outputs: []string{"cl"},
					Attrs: map[string]any{"min": -6.5, "max": math.Inf(1), "range": []float64{-1.5, 0, 2.25e-300}}},
				{Name: "flat", Op: "Flatten", Inputs: []string{"cl"}, Outputs: []string{"f"}},
				{Name: "fc", Op: "Dense", Inputs: []string{"f", "fc.w"}, Outputs: []string{"logits"},
					Attrs: map[string]any{"transposed": int64(1), "big": int64(math.MinInt64), "neg": int64(-33)}},
				{Name: "softmax", Op: "Softmax", Inputs: []string{"logits"}, Outputs: []string{"probs"},
					Attrs: map[string]any{"axis": int64(-1)}},
			},
		},
		Tensors: []Tensor{
			mustTensor(NewF32Tensor("conv1.w", []int{8, 1, 3, 3}, w)),
			mustTensor(NewF16Tensor("conv1.b", []int{8}, bias)),
			mustTensor(NewF16Tensor("fc.w", []int{2, 16}, make([]float32, 2*16))),
			mustTensor(NewF32Tensor("scalar", nil, []float32{3.5})),
			{Name: "empty", DType: DTypeF32, Shape: []int{0, 4}},
		},
		Meta: Meta{
			Name:        "lenet-ish",
			Description: "test model — ünïcödé",
			Labels:      []string{"zero", "one"},
			Preprocess: &Preprocess{Width: 28, Height: 28, ContentWidth: 20, ContentHeight: 20, Channels: 1,
				Invert: true, Scale: 1.0 / 255, Mean: []float32{0.1307}, Std: []float32{0.3081}, Layout: "NCHW"},
			Extra: map[string]string{"source": "unit test", "license": "MIT", "": "empty key"},
		},
	}
}

// tinyModel is the example of docs/FORMAT.md.
func tinyModel(t testing.TB) *Model {
	return &Model{
		Version: Version,
		Graph: Graph{
			Inputs:  []ValueInfo{{Name: "x", Shape: []int{1, 2}}},
			Outputs: []string{"y"},
			Nodes: []Node{{Name: "fc", Op: "Dense", Inputs: []string{"x", "w"}, Outputs: []string{"y"},
				Attrs: map[string]any{"activation": "relu", "transposed": int64(1)}}},
		},
		Tensors: []Tensor{mustTensor(NewF16Tensor("w", []int{1, 2}, []float32{1, -2}))},
		Meta:    Meta{Name: "tiny"},
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		model func(testing.TB) *Model
	}{
		{"full", fullModel},
		{"tiny", tinyModel},
		{"empty", func(testing.TB) *Model { return &Model{Version: Version} }},
		{"preprocess zero", func(testing.TB) *Model {
			return &Model{Version: Version, Meta: Meta{Preprocess: &Preprocess{}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.model(t)
			b, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("Decode(Encode(m)) differs:\n got %+v\nwant %+v", got, m)
			}
		})
	}
}

// TestEncodeAgainstLibrary decodes Encode's output with the msgpack
// library's generic decoder, an independent parser, and checks the values.
func TestEncodeAgainstLibrary(t *testing.T) {
	m := fullModel(t)
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := msgpack.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	num := func(x any) float64 { // the library keeps the msgpack width
		return reflect.ValueOf(x).Convert(reflect.TypeFor[float64]()).Float()
	}
	t.Run("header", func(t *testing.T) {
		if v["format"] != "wnn" || num(v["version"]) != Version {
			t.Errorf("format %v version %v", v["format"], v["version"])
		}
	})
	t.Run("tensors", func(t *testing.T) {
		ts := v["tensors"].([]any)
		if len(ts) != len(m.Tensors) {
			t.Fatalf("%d tensors, want %d", len(ts), len(m.Tensors))
		}
		for i, x := range ts {
			tm := x.(map[string]any)
			want := m.Tensors[i]
			data, _ := tm["data"].([]byte)
			if tm["name"] != want.Name || tm["dtype"] != want.DType || !bytes.Equal(data, want.Data) {
				t.Errorf("tensor %d: got %v %v %d bytes", i, tm["name"], tm["dtype"], len(data))
			}
			shape := tm["shape"].([]any)
			for j, d := range shape {
				if num(d) != float64(want.Shape[j]) {
					t.Errorf("tensor %d shape %v, want %v", i, shape, want.Shape)
				}
			}
		}
	})
	t.Run("attrs", func(t *testing.T) {
		nodes := v["graph"].(map[string]any)["nodes"].([]any)
		for i, x := range nodes {
			attrs, _ := x.(map[string]any)["attrs"].(map[string]any)
			want := m.Graph.Nodes[i].Attrs
			if len(attrs) != len(want) {
				t.Fatalf("node %d: %d attrs, want %d", i, len(attrs), len(want))
			}
			for k, a := range attrs {
				switch w := want[k].(type) {
				case float64: // floats must be written as float64
					if f, ok := a.(float64); !ok || f != w {
						t.Errorf("node %d %s = %#v, want %v", i, k, a, w)
					}
				case int64:
					if num(a) != float64(w) || strings.HasPrefix(fmt.Sprintf("%T", a), "float") {
						t.Errorf("node %d %s = %#v, want %v", i, k, a, w)
					}
				case string:
					if a != w {
						t.Errorf("node %d %s = %#v, want %v", i, k, a, w)
					}
				case []int64, []float64:
					wv := reflect.ValueOf(w)
					av := a.([]any)
					if len(av) != wv.Len() {
						t.Fatalf("node %d %s = %v, want %v", i, k, a, w)
					}
					for j := range av {
						if num(av[j]) != wv.Index(j).Convert(reflect.TypeFor[float64]()).Float() {
							t.Errorf("node %d %s = %v, want %v", i, k, a, w)
						}
					}
				}
			}
		}
	})
	t.Run("preprocess", func(t *testing.T) {
		p := v["meta"].(map[string]any)["preprocess"].(map[string]any)
		if p["invert"] != true || p["layout"] != "NCHW" || num(p["width"]) != 28 ||
			p["scale"] != float64(float32(1.0/255)) {
			t.Errorf("preprocess %v", p)
		}
	})
}

// walkSorted checks, with the library's low-level decoder, that every map
// in the next value has strictly increasing keys.
func walkSorted(d *msgpack.Decoder, path string) error {
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	switch kindOf(c) {
	case "map":
		n, err := d.DecodeMapLen()
		if err != nil {
			return err
		}
		prev := ""
		for i := range n {
			k, err := d.DecodeString()
			if err != nil {
				return err
			}
			if i > 0 && k <= prev {
				return fmt.Errorf("%s: key %q after %q", path, k, prev)
			}
			prev = k
			if err := walkSorted(d, path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case "array":
		n, err := d.DecodeArrayLen()
		if err != nil {
			return err
		}
		for i := range n {
			if err := walkSorted(d, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	return d.Skip()
}

func TestEncodeDeterministic(t *testing.T) {
	tests := []struct {
		name  string
		model func(testing.TB) *Model
	}{
		{"full", fullModel},
		{"tiny", tinyModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.model(t)
			b1, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			// Rebuild the maps so their iteration order differs.
			m2 := tt.model(t)
			for i := range m2.Graph.Nodes {
				a := map[string]any{}
				keys := slices.Sorted(maps.Keys(m2.Graph.Nodes[i].Attrs))
				slices.Reverse(keys)
				for _, k := range keys {
					a[k] = m2.Graph.Nodes[i].Attrs[k]
				}
				m2.Graph.Nodes[i].Attrs = a
			}
			for range 5 {
				b2, err := Encode(m2)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b1, b2) {
					t.Fatal("two encodings of the same model differ")
				}
			}
			if err := walkSorted(msgpack.NewDecoder(bytes.NewReader(b1)), ""); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSpecExample checks the annotated byte-level example of section 10 of
// docs/FORMAT.md, whose bytes were written by hand from the specification:
// Encode must produce them and Decode must read them back.
func TestSpecExample(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## 10. Example, byte by byte")
	_, block, ok2 := strings.Cut(section, "```\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/FORMAT.md has no example block in section 10")
	}
	// Each line is hex byte groups, then a comment column that starts with a
	// field that is not hex.
	var hexText strings.Builder
	for line := range strings.SplitSeq(block, "\n") {
		for _, f := range strings.Fields(line) {
			if _, err := hex.DecodeString(f); err != nil {
				break
			}
			hexText.WriteString(f)
		}
	}
	want, err := hex.DecodeString(hexText.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("encode", func(t *testing.T) {
		got, err := Encode(tinyModel(t))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Encode(tiny):\n got %x\nwant %x", got, want)
		}
	})
	t.Run("decode", func(t *testing.T) {
		got, err := Decode(want)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tinyModel(t)) {
			t.Errorf("Decode(example) = %+v", got)
		}
	})
}

// enc marshals v with the msgpack library (sorted map keys) to build test
// files, including malformed ones.
func enc(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	e.SetSortMapKeys(true)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// file returns a minimal valid top-level map with overrides applied (a nil
// value deletes the key).
func file(over map[string]any) map[string]any {
	f := map[string]any{"format": "wnn", "version": 1, "graph": map[string]any{}}
	for k, v := range over {
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	return f
}

func tensorFile(ts ...map[string]any) map[string]any {
	list := make([]any, len(ts))
	for i, x := range ts {
		list[i] = x
	}
	return file(map[string]any{"tensors": list})
}

func nodeFile(attrs map[string]any) map[string]any {
	return file(map[string]any{"graph": map[string]any{"nodes": []any{
		map[string]any{"name": "n", "op": "Relu", "attrs": attrs}}}})
}

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
		{"newer version", enc(t, file(map[string]any{"version": 7})), "unsupported .wnn version 7 (this build reads up to 1)", true},
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
		{"preprocess", &Model{Version: Version, Meta: Meta{Preprocess: &Preprocess{Mean: []float32{1}}}}},
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

// TestAttrValues checks how each on-disk attribute encoding decodes, and
// how Encode writes the Go types it accepts.
func TestAttrValues(t *testing.T) {
	tests := []struct {
		name string
		disk any // written with the msgpack library
		want any
	}{
		{"fixint", 3, int64(3)},
		{"negative fixint", -5, int64(-5)},
		{"uint8", uint8(200), int64(200)},
		{"int16", int16(-300), int64(-300)},
		{"uint32", uint32(4000000000), int64(4000000000)},
		{"int64 min", int64(math.MinInt64), int64(math.MinInt64)},
		{"uint64 max int64", uint64(math.MaxInt64), int64(math.MaxInt64)},
		{"float32", float32(0.1), float64(float32(0.1))},
		{"float64", 0.1, 0.1},
		{"string", "relu", "relu"},
		{"empty string", "", ""},
		{"ints", []any{1, -1, 300, int64(1) << 40}, []int64{1, -1, 300, 1 << 40}},
		{"floats", []any{1.5, float32(-2)}, []float64{1.5, -2}},
		{"empty array", []any{}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(enc(t, nodeFile(map[string]any{"a": tt.disk})))
			if err != nil {
				t.Fatal(err)
			}
			got := m.Graph.Nodes[0].Attrs["a"]
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded %#v, want %#v", got, tt.want)
			}
		})
	}

	goTests := []struct {
		name string
		in   any
		want any
	}{
		{"int", int(-7), int64(-7)},
		{"float32", float32(0.1), float64(float32(0.1))},
		{"[]int", []int{1, 2}, []int64{1, 2}},
		{"[]float32", []float32{0.5, 0.1}, []float64{0.5, float64(float32(0.1))}},
		{"empty []float64", []float64{}, []int64{}},
		{"nil []int64", []int64(nil), []int64{}},
	}
	for _, tt := range goTests {
		t.Run("encode "+tt.name, func(t *testing.T) {
			b, err := Encode(&Model{Graph: Graph{Nodes: []Node{{Op: "X", Attrs: map[string]any{"a": tt.in}}}}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Graph.Nodes[0].Attrs["a"]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := func() *Model { return tinyModel(t) }
	tests := []struct {
		name string
		edit func(m *Model)
		want string
	}{
		{"version", func(m *Model) { m.Version = 2 }, "cannot write .wnn version 2"},
		{"duplicate tensor", func(m *Model) { m.Tensors = append(m.Tensors, m.Tensors[0]) }, `duplicate tensor name "w"`},
		{"empty tensor name", func(m *Model) { m.Tensors[0].Name = "" }, "empty name"},
		{"dtype", func(m *Model) { m.Tensors[0].DType = "bf16" }, `unknown dtype "bf16"`},
		{"size", func(m *Model) { m.Tensors[0].Shape = []int{3} }, `data is 4 bytes, but shape [3] of f16 needs 6 bytes`},
		{"negative dim", func(m *Model) { m.Tensors[0].Shape = []int{-1} }, "negative dimension"},
		{"attr type", func(m *Model) { m.Graph.Nodes[0].Attrs["x"] = true }, `node "fc" (Dense): attribute "x": unsupported value type bool`},
		{"empty op", func(m *Model) { m.Graph.Nodes[0].Op = "" }, `node 0 ("fc") has an empty op`},
		{"empty input name", func(m *Model) { m.Graph.Inputs[0].Name = "" }, "graph input 0 has an empty name"},
		{"attr nil", func(m *Model) { m.Graph.Nodes[0].Attrs["x"] = nil }, "unsupported value type <nil>"},
		{"utf8", func(m *Model) { m.Meta.Labels = []string{"ok", "\xff"} }, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok()
			tt.edit(m)
			_, err := Encode(m)
			if err == nil || !errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrBadModel containing %q", err, tt.want)
			}
		})
	}
}

func TestTensorHelpers(t *testing.T) {
	data := []float32{1, -2.5, 0.1, 65504, 1e-8, float32(math.Inf(-1))}
	tests := []struct {
		name  string
		make  func(string, []int, []float32) (Tensor, error)
		dtype string
		want  func(float32) float32 // the value Float32s must return
	}{
		{"f32", NewF32Tensor, DTypeF32, func(v float32) float32 { return v }},
		{"f16", NewF16Tensor, DTypeF16, func(v float32) float32 { return float32(refHalfToFloat64(refNearestHalf(float64(v)))) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn, err := tt.make("t", []int{2, 3}, data)
			if err != nil {
				t.Fatal(err)
			}
			if tn.DType != tt.dtype || len(tn.Data) != len(data)*ElemSize(tt.dtype) {
				t.Fatalf("dtype %s, %d bytes", tn.DType, len(tn.Data))
			}
			got, err := tn.Float32s()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range data {
				if w := tt.want(v); math.Float32bits(got[i]) != math.Float32bits(w) {
					t.Errorf("[%d] = %v, want %v", i, got[i], w)
				}
			}
			if _, err := tt.make("t", []int{4}, data); err == nil || !errors.Is(err, ErrBadModel) {
				t.Errorf("shape mismatch: error %v", err)
			}
			if _, err := tt.make("", []int{6}, data); err == nil {
				t.Error("empty name accepted")
			}
			tn.Data = tn.Data[1:]
			if _, err := tn.Float32s(); err == nil || !errors.Is(err, ErrBadModel) {
				t.Errorf("short data: error %v", err)
			}
		})
	}
	t.Run("f32 bytes little-endian", func(t *testing.T) {
		tn, err := NewF32Tensor("t", []int{1}, []float32{1})
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.LittleEndian.Uint32(tn.Data); got != math.Float32bits(1) {
			t.Errorf("bytes %x", tn.Data)
		}
	})
}

// refHalfToFloat64 computes the value of binary16 bits h from the IEEE 754
// definition with float64 arithmetic (NaN for NaNs).
func refHalfToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0x1f:
		if mant != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	case 0:
		return sign * math.Ldexp(mant, -24)
	}
	return sign * math.Ldexp(1+mant/1024, exp-15)
}

// halfValues holds the value of every non-negative finite binary16 (index =
// bits), plus 65536 at index 0x7c00 standing for the first value beyond
// the range, which rounds to infinity.
var halfValues = func() []float64 {
	v := make([]float64, 0x7c01)
	for h := range 0x7c00 {
		v[h] = refHalfToFloat64(uint16(h))
	}
	v[0x7c00] = 65536
	return v
}()

// refNearestHalf returns the binary16 bits nearest to the non-NaN x, ties to
// the even bit pattern, by searching the table of all values.
func refNearestHalf(x float64) uint16 {
	sign := uint16(0)
	if math.Signbit(x) {
		sign = 0x8000
		x = -x
	}
	if x >= 65536 {
		return sign | 0x7c00
	}
	i, found := slices.BinarySearch(halfValues, x)
	if found {
		return sign | uint16(i)
	}
	lo, hi := i-1, i // halfValues[lo] < x < halfValues[hi]
	dlo, dhi := x-halfValues[lo], halfValues[hi]-x
	switch {
	case dlo < dhi, dlo == dhi && lo%2 == 0:
		return sign | uint16(lo)
	}
	return sign | uint16(hi)
}

func TestHalfToFloat32Exhaustive(t *testing.T) {
	tests := []struct {
		name string
		lo   int
		hi   int
	}{
		{"positive", 0, 0x8000},
		{"negative", 0x8000, 0x10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := tt.lo; i < tt.hi; i++ {
				h := uint16(i)
				f := HalfToFloat32(h)
				want := refHalfToFloat64(h)
				if math.IsNaN(want) {
					bits := math.Float32bits(f)
					if !math.IsNaN(float64(f)) || bits>>31 != uint32(h>>15) || bits&0x7fffff != uint32(h&0x3ff)<<13 {
						t.Fatalf("%#04x: NaN -> %#08x", h, bits)
					}
					back := Float32ToHalf(f)
					if back != h|0x0200 {
						t.Fatalf("%#04x: NaN round trip gives %#04x, want %#04x", h, back, h|0x0200)
					}
					continue
				}
				if float64(f) != want || math.Signbit(float64(f)) != math.Signbit(want) {
					t.Fatalf("HalfToFloat32(%#04x) = %v, want %v", h, f, want)
				}
				if back := Float32ToHalf(f); back != h {
					t.Fatalf("Float32ToHalf(HalfToFloat32(%#04x)) = %#04x", h, back)
				}
			}
		})
	}
}

func TestFloat32ToHalf(t *testing.T) {
	check := func(t *testing.T, x float32) {
		t.Helper()
		got := Float32ToHalf(x)
		if math.IsNaN(float64(x)) {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 || got>>15 != uint16(math.Float32bits(x)>>31) {
				t.Fatalf("Float32ToHalf(NaN %#08x) = %#04x", math.Float32bits(x), got)
			}
			return
		}
		if want := refNearestHalf(float64(x)); got != want {
			t.Fatalf("Float32ToHalf(%v = %#08x) = %#04x, want %#04x", x, math.Float32bits(x), got, want)
		}
	}
	t.Run("specials", func(t *testing.T) {
		for _, x := range []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
			65504, 65519.996, 65520, 65536, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
			0x1p-24, 0x1p-25, 0x1.000002p-25, 0x1.8p-24, 0x1p-14, 0x1.ff8p-15, 1e-30,
			float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000)} {
			check(t, x)
		}
	})
	t.Run("midpoints", func(t *testing.T) {
		// Every midpoint between adjacent binary16 values (exact in float32)
		// and its float32 neighbours, both signs.
		for i := range 0x7c00 {
			mid := float32((halfValues[i] + halfValues[i+1]) / 2)
			if float64(mid) != (halfValues[i]+halfValues[i+1])/2 {
				t.Fatalf("midpoint %d not exact", i)
			}
			for _, x := range []float32{mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, math.MaxFloat32)} {
				check(t, x)
				check(t, -x)
			}
		}
	})
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 200000 {
			bits := rng.Uint32()
			if rng.IntN(2) == 0 {
				// Exponents around the binary16 range.
				bits = bits&0x807fffff | uint32(100+rng.IntN(45))<<23
			}
			check(t, math.Float32frombits(bits))
		}
	})
	t.Run("slices", func(t *testing.T) {
		x := []float32{1, 0.1, -3e5}
		h := F32ToF16(x)
		back := F16ToF32(h)
		for i := range x {
			if h[i] != Float32ToHalf(x[i]) || back[i] != HalfToFloat32(h[i]) {
				t.Errorf("[%d]: %#04x %v", i, h[i], back[i])
			}
		}
	})
}

// FuzzDecode checks that Decode never panics, that its errors wrap
// ErrBadModel, and that a decoded model re-encodes to a fixed point.
func FuzzDecode(f *testing.F) {
	for _, m := range []*Model{fullModel(f), tinyModel(f), {Version: Version}} {
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
