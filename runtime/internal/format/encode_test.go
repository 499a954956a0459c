package format

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Tests of Encode: its bytes checked by an independent parser, determinism and errors.

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
		if v["format"] != "wnn" || num(v["version"]) != 1 {
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

func TestEncodeErrors(t *testing.T) {
	ok := func() *Model { return tinyModel(t) }
	tests := []struct {
		name string
		edit func(m *Model)
		want string
	}{
		{"version", func(m *Model) { m.Version = 3 }, "cannot write .wnn version 3"},
		{"dims need version 2", func(m *Model) { m.Version = 1; m.Graph.Inputs[0].Dims = []string{"N", ""} }, "symbolic dimensions need 2"},
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
