package format

import (
	"bytes"
	"encoding/hex"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Test fixtures, round trips (Decode(Encode(m))) and the spec example.

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
		Version: 1,
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
		Version: 1,
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
		{"empty", func(testing.TB) *Model { return &Model{Version: 1} }},
		{"preprocess zero", func(testing.TB) *Model {
			return &Model{Version: 1, Meta: Meta{Preprocess: &Preprocess{}}}
		}},
		{"symbolic dims (version 2)", func(tb testing.TB) *Model {
			m := tinyModel(tb)
			m.Version = 2
			m.Graph.Inputs[0].Dims = []string{"batch", ""}
			return m
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
