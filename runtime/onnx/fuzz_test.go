package onnx

import (
	"context"
	"errors"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// FuzzImportAndRun imports arbitrary bytes as an ONNX model. Import must not
// panic or hang; a refusal must say what is wrong; a model it returns must
// either be refused by NewSession with a message or, when small, run.
// Import's allocation must stay within a bound set by the input's size.
func FuzzImportAndRun(f *testing.F) {
	for _, name := range []string{"lenet5"} {
		m, err := zoo.Build(name, zoo.Config{Seed: 9})
		if err != nil {
			f.Fatal(err)
		}
		b, err := Export(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	// Seeds: every single-op case of the ORT tests (all the ops the importer
	// maps, old opsets included), and a model with symbolic dimensions.
	for _, cases := range [][]opCase{opCases(), elementwiseCases(), matmulCases(), movementCases(), convTransposeCases(),
		reduceCases(), normCases(), resizeCases(), sliceCases()} {
		for _, c := range cases {
			f.Add(c.model().Encode())
		}
	}
	sym := smallModel()
	sym.Graph.Inputs[0].Shape[0] = Dim{Param: "N"}
	sym.Graph.Inputs[0].Shape[3] = Dim{Param: "W"}
	f.Add(sym.Encode())
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x07, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		start := time.Now()
		m, _, err := Import(data, Options{})
		took := time.Since(start)
		goruntime.ReadMemStats(&after)
		if took > 10*time.Second {
			t.Errorf("Import took %v", took)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20+uint64(64*len(data)) {
			t.Errorf("Import allocated %d bytes for %d input bytes", alloc, len(data))
		}
		if err != nil {
			msg := err.Error()
			if strings.TrimSpace(msg) == "" || len(msg) > 8192+2*len(data) {
				t.Fatalf("error message of %d bytes: %q", len(msg), msg)
			}
			if m != nil {
				t.Fatalf("a model with the error %v", err)
			}
			return
		}
		if m == nil {
			t.Fatal("no model and no error")
		}
		sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty NewSession error")
			}
			return
		}
		if sess.PeakActivationBytes() > 16<<20 || sess.Summary().TotalFLOPs > 50_000_000 {
			return
		}
		in := map[string]*ops.Tensor{}
		for _, vi := range sess.Inputs() {
			x, err := ops.NewTensor(vi.Shape...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range x.Data {
				x.Data[i] = float32(i%11)/11 - 0.5
			}
			in[vi.Name] = x
		}
		if _, err := sess.Run(context.Background(), in); err != nil && !errors.Is(err, runtime.ErrInput) {
			t.Fatalf("run: %v", err)
		}
		// A model with symbolic dimensions runs again at other sizes (from
		// the input's bytes): each new plan is checked against the limits,
		// and shapes it cannot take are errors, not panics.
		grow := 1 + len(data)%5
		for name, x := range in {
			vi := sess.Inputs()
			for _, v := range vi {
				if v.Name != name || !v.Symbolic() {
					continue
				}
				shape := append([]int(nil), x.Shape...)
				for i, d := range v.Dims {
					if d != "" {
						shape[i] = shape[i]*grow + len(data)%3
					}
				}
				y, err := ops.NewTensor(shape...)
				if err != nil || y.Len() > 1<<20 {
					return
				}
				in[name] = y
			}
		}
		if _, err := sess.Run(context.Background(), in); err != nil && strings.TrimSpace(err.Error()) == "" {
			t.Fatal("empty error")
		}
	})
}
