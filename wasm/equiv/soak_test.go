package equiv

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// heapGranule is the unit in which Go's runtime on wasm grows its heap (a
// heap arena: 512 KiB for GOARCH=wasm, see logHeapArenaBytes in
// runtime/malloc.go); linear memory grows by at least this much at a time.
const heapGranule = 512 << 10

// soakModel returns LeNet-5 (seed 11), its encoding and a native session.
func soakModel(t *testing.T) (*runtime.Model, []byte, *runtime.Session) {
	t.Helper()
	m, err := zoo.Build("lenet5", zoo.Config{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return m, b, sess
}

// TestSoakRuns makes 10,000 runs (1,000 with -short) of LeNet-5 through wazero, with a failed
// call (a corrupt model, an unknown input, short input data) after every
// 500th run. After warm-up, the linear memory must not grow and the JS value
// table must stay within a few entries of its size; every run, including
// each one right after a failure, must equal the native result bit for bit.
func TestSoakRuns(t *testing.T) {
	const warmup, failEvery = 200, 500
	runs := 10_000
	if testing.Short() {
		runs = 1_000
	}
	_, b, sess := soakModel(t)
	h, err := host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	gm, err := h.Load(b, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gm.Dispose()
	var inputs []map[string]*ops.Tensor
	var want [][]float32
	for s := uint64(0); s < 4; s++ {
		in := randInputs(100+s, sess.Inputs())
		out, err := sess.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		inputs, want = append(inputs, in), append(want, out["fc3"].Data)
	}
	short := map[string]*ops.Tensor{"input": {Shape: []int{1, 1, 32, 32}, Data: make([]float32, 100)}}
	failures := []struct {
		name string
		do   func() error
		msg  string
	}{
		{"corrupt model", func() error { _, err := h.Load(b[:len(b)-7], host.LoadOptions{}); return err }, "truncated"},
		{"unknown input", func() error {
			_, _, err := gm.RunProfiled(context.Background(), map[string]*ops.Tensor{"input": inputs[0]["input"], "extra": inputs[1]["input"]})
			return err
		}, "extra"},
		{"short input", func() error { _, _, err := gm.RunProfiled(context.Background(), short); return err }, "100 float32 values"},
	}
	run := func(i int) {
		got, err := gm.Run(context.Background(), inputs[i%4])
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if d := firstBitDiff(got["fc3"].Data, want[i%4]); d >= 0 {
			t.Fatalf("run %d: fc3[%d] = %g, native %g", i, d, got["fc3"].Data[d], want[i%4][d])
		}
	}
	for i := 0; i < warmup; i++ {
		run(i)
	}
	// Warm up the failure paths too, enough for the guest's collector to run:
	// failed loads leave garbage, and the heap grows to its collection
	// target once.
	for i := 0; i < 20; i++ {
		for _, f := range failures {
			f.do()
		}
	}
	collect(t, h)
	memBefore, refsBefore := h.MemorySize(), h.RefCount()
	start := time.Now()
	maxRefs := refsBefore
	for i := 0; i < runs; i++ {
		run(i)
		if i%failEvery == failEvery-1 {
			f := failures[(i/failEvery)%len(failures)]
			if err := f.do(); err == nil || !strings.Contains(err.Error(), f.msg) {
				t.Fatalf("after run %d, %s: error %v, want one mentioning %q", i, f.name, err, f.msg)
			}
		}
		maxRefs = max(maxRefs, h.RefCount())
	}
	took := time.Since(start)
	collect(t, h)
	memAfter, refsAfter := h.MemorySize(), h.RefCount()
	t.Logf("%d runs in %v (%.2f ms/run); linear memory %d -> %d bytes; JS values %d -> %d (peak %d)",
		runs, took, took.Seconds()*1000/float64(runs), memBefore, memAfter, refsBefore, refsAfter, maxRefs)
	if memAfter != memBefore {
		t.Errorf("linear memory grew from %d to %d bytes over %d runs", memBefore, memAfter, runs)
	}
	// JS values made by the failed calls are released when the guest's
	// collector runs the js.Value finalizers: the table may fill between
	// collections but must come back.
	if refsAfter > refsBefore+16 || maxRefs > refsBefore+512 {
		t.Errorf("the JS value table went from %d to %d entries (peak %d)", refsBefore, refsAfter, maxRefs)
	}
}

// collect makes the guest run its garbage collector (dispose does) and
// then its finalizers (they run on the guest's next turn).
func collect(t *testing.T, h *host.Host) {
	t.Helper()
	m, err := zoo.Build("lenet5", zoo.Config{Seed: 1, InputSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Encode()
	for i := 0; i < 2; i++ {
		gm, err := h.Load(b, host.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := gm.Dispose(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSoakLoadDispose loads and disposes LeNet-5 10 times to warm up, then
// 100 times more: the guest must hold no model afterwards and its linear
// memory must be back within one heap granule of its size after the warm-up
// (the Go heap settles in the first few cycles: 6.4 MB after the first, 7.3
// MB from the tenth to the 300th).
func TestSoakLoadDispose(t *testing.T) {
	const warmup, cycles = 10, 110
	_, b, sess := soakModel(t)
	in := randInputs(7, sess.Inputs())
	want, err := sess.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	base, err := h.LoadedModels()
	if err != nil {
		t.Fatal(err)
	}
	var baseline uint32
	for i := 0; i < cycles; i++ {
		gm, err := h.Load(b, host.LoadOptions{})
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		got, err := gm.Run(context.Background(), in)
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if d := firstBitDiff(got["fc3"].Data, want["fc3"].Data); d >= 0 {
			t.Fatalf("cycle %d: fc3[%d] differs from the native result", i, d)
		}
		if err := gm.Dispose(); err != nil {
			t.Fatalf("cycle %d: dispose: %v", i, err)
		}
		if _, err := gm.Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "not loaded") {
			t.Fatalf("cycle %d: a run after dispose gave %v", i, err)
		}
		if i == warmup-1 {
			baseline = h.MemorySize()
		}
	}
	n, err := h.LoadedModels()
	if err != nil || n != base {
		t.Fatalf("the guest holds %d models (%v) after the cycles, %d before", n, err, base)
	}
	final := h.MemorySize()
	t.Logf("linear memory after %d warm-up cycles %d bytes, after %d more %d; JS values %d", warmup, baseline, cycles-warmup, final, h.RefCount())
	if final > baseline+heapGranule {
		t.Errorf("linear memory grew from %d to %d bytes over %d load/dispose cycles (allowed: one %d-byte granule)",
			baseline, final, cycles-warmup, heapGranule)
	}
}

// firstBitDiff returns the first index where a and b differ bitwise, or -1.
func firstBitDiff(a, b []float32) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}
