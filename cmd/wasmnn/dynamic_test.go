package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// writeModel encodes m into dir/name.
func writeModel(t *testing.T, dir, name string, m *runtime.Model) string {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunDynamicShapes runs a model with the symbolic input [N 3 6 W] on
// batches of 3 and 2 at two widths, natively and with --wasm: the outputs
// have the inputs' batch and width and the two agree bit for bit. Inputs
// that do not fit, and a width a layer cannot take, fail with messages
// naming the input, or the node and the shapes, the same on both.
func TestRunDynamicShapes(t *testing.T) {
	wasm, err := wasmtest.Module()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wasmPath := filepath.Join(dir, "wasmnn.wasm")
	if err := os.WriteFile(wasmPath, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := wasmtest.DynamicNet(2)
	if err != nil {
		t.Fatal(err)
	}
	model := writeModel(t, dir, "dynamic.wnn", m)
	narrowNet, err := wasmtest.NarrowDynamicNet(2)
	if err != nil {
		t.Fatal(err)
	}
	narrow := writeModel(t, dir, "narrow.wnn", narrowNet)
	npyOf := func(name string, shape ...int) string {
		x, _ := ops.NewTensor(shape...)
		for i := range x.Data {
			x.Data[i] = float32(math.Sin(float64(i)*0.37)) * 1.5
		}
		path := filepath.Join(dir, name+".npy")
		if err := npy.WriteFile(path, x.Shape, x.Data); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, shape := range [][]int{{3, 3, 6, 8}, {2, 3, 6, 13}} {
		name := fmt.Sprintf("batch%d-w%d", shape[0], shape[3])
		in := npyOf(name, shape...)
		outs := map[string]string{}
		for _, how := range []string{"native", "wasm"} {
			outs[how] = filepath.Join(dir, name+"-"+how)
			args := []string{"run", model, "--input", "x=" + in, "--out", outs[how]}
			if how == "wasm" {
				args = append(args, "--wasm", wasmPath)
			}
			code, stdout, stderr := wasmnn(args...)
			if code != 0 {
				t.Fatalf("%s %v: exit %d: %s", how, shape, code, stderr)
			}
			wantD := ops.FormatShape([]int{shape[0], 5})
			wantP := ops.FormatShape([]int{shape[0], 8, 3, (shape[3] + 1) / 2})
			if !strings.Contains(stdout, "d "+wantD) || !strings.Contains(stdout, "p "+wantP) {
				t.Errorf("%s %v: stdout %q, want d %s and p %s", how, shape, stdout, wantD, wantP)
			}
		}
		for _, o := range []string{"d", "p"} {
			sa, a, err1 := npy.ReadFile(filepath.Join(outs["native"], o+".npy"))
			sb, b, err2 := npy.ReadFile(filepath.Join(outs["wasm"], o+".npy"))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !ops.EqualShapes(sa, sb) || sa[0] != shape[0] {
				t.Fatalf("%v: output %s: native shape %v, wasm %v", shape, o, sa, sb)
			}
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("%v: %s[%d]: native %v, wasm %v", shape, o, i, a[i], b[i])
				}
			}
		}
	}
	bad := npyOf("bad", 3, 4, 6, 8)
	tooNarrow := npyOf("narrow", 3, 3, 6, 2)
	for _, c := range []struct {
		model, in string
		want      []string
	}{
		{model, bad, []string{`input "x" has shape [3 4 6 8], the model expects [N 3 6 W] (dimension 1 is fixed)`}},
		{narrow, tooNarrow, []string{`for input shapes x [3 3 6 2]`, `node "c1" (Conv)`}},
	} {
		var msgs []string
		for _, extra := range [][]string{nil, {"--wasm", wasmPath}} {
			code, _, stderr := wasmnn(append([]string{"run", c.model, "--input", c.in}, extra...)...)
			if code != 1 {
				t.Fatalf("%s %v: exit %d, %s", c.in, extra, code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("%s %v: %q does not say %q", c.in, extra, stderr, w)
				}
			}
			msgs = append(msgs, stderr)
		}
		if msgs[0] != msgs[1] {
			t.Errorf("native error %q, wasm %q", msgs[0], msgs[1])
		}
	}
}
