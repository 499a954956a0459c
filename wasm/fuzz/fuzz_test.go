package fuzz

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

var (
	wasmBytes []byte
	cacheDir  = filepath.Join(os.TempDir(), "wasmnn-equiv-cache")
)

func TestMain(m *testing.M) {
	var err error
	if wasmBytes, err = wasmtest.Module(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

const (
	// budget bounds the memory a loaded model may need (activations,
	// workspace, input and output buffers) for the harness to load it in
	// the guest: larger valid models are checked natively only, so that
	// the fuzzer's memory stays small. Refusing oversized models is the
	// limits' job (runtime/hostile_test.go).
	budget = 64 << 20
	// flopBudget bounds the work of a run the harness makes.
	flopBudget = 200_000_000
	// slow is the time one fuzz input may take.
	slow = 10 * time.Second
)

// fixture is a model loaded in the guest with its native twin.
type fixture struct {
	bytes []byte
	model *runtime.Model
	sess  *runtime.Session // native
	gm    *host.Model      // in the guest, through host.Load
	id    int              // another copy in the guest, loaded by id (gm has id+1)
}

// world is one guest instance with the fixtures loaded.
type world struct {
	h        *host.Host
	api      *host.Object
	lenet    *fixture
	tiny     *fixture
	goodIn   map[string]*ops.Tensor
	goodOut  []float32
	baseline int // models loaded before any fuzz input
}

var current *world

// tinyModel has two inputs (one broadcast), a convolution and two outputs.
func tinyModel() *runtime.Model {
	w := make([]float32, 2*3*3*3)
	for i := range w {
		w[i] = float32(i%7)/7 - 0.4
	}
	return &runtime.Model{
		Inputs:  []runtime.ValueInfo{{Name: "a", Shape: []int{1, 3, 4, 4}}, {Name: "b", Shape: []int{1, 3, 1, 1}}},
		Outputs: []string{"prob", "conv"},
		Weights: map[string]*ops.Tensor{"w": {Shape: []int{2, 3, 3, 3}, Data: w}, "bias": {Shape: []int{2}, Data: []float32{0.25, -0.5}}},
		Nodes: []*runtime.Node{
			{Name: "mul", Op: "Mul", Inputs: []string{"a", "b"}, Outputs: []string{"m"}},
			{Name: "conv", Op: "Conv", Inputs: []string{"m", "w", "bias"}, Outputs: []string{"conv"}, Attrs: map[string]any{"pads": []int64{1, 1, 1, 1}}},
			{Name: "gap", Op: "GlobalAveragePool", Inputs: []string{"conv"}, Outputs: []string{"g"}},
			{Name: "flat", Op: "Flatten", Inputs: []string{"g"}, Outputs: []string{"f"}},
			{Name: "softmax", Op: "Softmax", Inputs: []string{"f"}, Outputs: []string{"prob"}},
		},
	}
}

// poolDenseModel has pooling, BatchNorm, an activation, a dense layer and
// metadata.
func poolDenseModel() *runtime.Model {
	w := make([]float32, 3*8)
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	one := func(n int, v float32) []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = v + float32(i)/8
		}
		return d
	}
	return &runtime.Model{
		Inputs:  []runtime.ValueInfo{{Name: "x", Shape: []int{1, 2, 4, 4}}},
		Outputs: []string{"y"},
		Weights: map[string]*ops.Tensor{"w": {Shape: []int{3, 8}, Data: w},
			"s": {Shape: []int{2}, Data: one(2, 1)}, "b": {Shape: []int{2}, Data: one(2, 0)},
			"mu": {Shape: []int{2}, Data: one(2, -0.5)}, "var": {Shape: []int{2}, Data: one(2, 0.5)}},
		Nodes: []*runtime.Node{
			{Name: "bn", Op: "BatchNormalization", Inputs: []string{"x", "s", "b", "mu", "var"}, Outputs: []string{"n"}},
			{Name: "pool", Op: "MaxPool", Inputs: []string{"n"}, Outputs: []string{"p"},
				Attrs: map[string]any{"kernel_shape": []int64{2, 2}, "strides": []int64{2, 2}}},
			{Name: "flat", Op: "Flatten", Inputs: []string{"p"}, Outputs: []string{"f"}},
			{Name: "fc", Op: "Dense", Inputs: []string{"f", "w"}, Outputs: []string{"d"}},
			{Name: "act", Op: "LeakyRelu", Inputs: []string{"d"}, Outputs: []string{"y"}, Attrs: map[string]any{"alpha": 0.1}},
		},
		Meta: runtime.Meta{Name: "pooldense", Labels: []string{"a", "b", "c"}},
	}
}

func lenetModel() *runtime.Model {
	m, err := zoo.Build("lenet5", zoo.Config{Seed: 7})
	if err != nil {
		panic(err)
	}
	return m
}

func newFixture(h *host.Host, api *host.Object, m *runtime.Model) (*fixture, error) {
	b, err := m.Encode()
	if err != nil {
		return nil, err
	}
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	res, err := h.Call(api, "load", b, "")
	if err != nil {
		return nil, err
	}
	obj, _ := res.(*host.Object)
	if obj == nil {
		return nil, fmt.Errorf("load returned %v", res)
	}
	id, ok := obj.Get("id").(float64)
	if !ok {
		return nil, fmt.Errorf("load: %v", obj.Get("error"))
	}
	// The guest numbers models in load order: gm is id+1.
	gm, err := h.Load(b, host.LoadOptions{})
	if err != nil {
		return nil, err
	}
	return &fixture{bytes: b, model: m, sess: sess, gm: gm, id: int(id)}, nil
}

// getWorld returns the guest, starting a new one if there is none or the
// last one died (the input that killed it has already failed).
func getWorld(t testing.TB) *world {
	t.Helper()
	if current != nil {
		if _, err := current.h.LoadedModels(); err == nil {
			return current
		}
		current.h.Close(context.Background())
		current = nil
	}
	h, err := host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{h: h}
	w.api, _ = h.Global().Get("__wasmnn").(*host.Object)
	if w.api == nil {
		t.Fatal(host.ErrNotWasmnn)
	}
	if w.lenet, err = newFixture(h, w.api, lenetModel()); err != nil {
		t.Fatal(err)
	}
	if w.tiny, err = newFixture(h, w.api, tinyModel()); err != nil {
		t.Fatal(err)
	}
	w.goodIn = inputsFrom(w.lenet.sess.Inputs(), []byte("known good"))
	out, err := w.lenet.sess.Run(context.Background(), w.goodIn)
	if err != nil {
		t.Fatal(err)
	}
	w.goodOut = out["fc3"].Data
	if w.baseline, err = h.LoadedModels(); err != nil {
		t.Fatal(err)
	}
	current = w
	return w
}

// inputsFrom fills tensors for infos with values in [-2, 2] derived from seed.
func inputsFrom(infos []runtime.ValueInfo, seed []byte) map[string]*ops.Tensor {
	x := uint32(2166136261)
	for _, b := range seed {
		x = (x ^ uint32(b)) * 16777619
	}
	in := map[string]*ops.Tensor{}
	for _, vi := range infos {
		t, _ := ops.NewTensor(vi.Shape...)
		for i := range t.Data {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			t.Data[i] = float32(int32(x>>8)%4096) / 1024
		}
		in[vi.Name] = t
	}
	return in
}

// stillWorks requires the known-good model to give its native result and no
// model to have been left loaded.
func (w *world) stillWorks(t *testing.T) {
	t.Helper()
	got, err := w.lenet.gm.Run(context.Background(), w.goodIn)
	if err != nil {
		t.Fatalf("the known-good model fails after this input: %v", err)
	}
	if i := firstDiff(got["fc3"].Data, w.goodOut); i >= 0 {
		t.Fatalf("the known-good model's output changed after this input: fc3[%d] = %g, want %g", i, got["fc3"].Data[i], w.goodOut[i])
	}
	if n, err := w.h.LoadedModels(); err != nil || n != w.baseline {
		t.Fatalf("the guest holds %d models (%v), want %d", n, err, w.baseline)
	}
}

// firstDiff returns the first index where a and b differ bitwise (any NaN
// equals any NaN), or -1.
func firstDiff(a, b []float32) int {
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

// checkErr requires err to describe a refused input: a non-empty message of
// bounded size that is not a recovered panic.
func checkErr(t *testing.T, what string, err error, inputLen int) {
	t.Helper()
	msg := err.Error()
	switch {
	case strings.TrimSpace(msg) == "":
		t.Fatalf("%s: empty error message", what)
	case strings.Contains(msg, "internal error"), strings.Contains(msg, "goroutine "):
		t.Fatalf("%s: a panic escaped: %s", what, msg)
	case strings.Contains(msg, "trapped"), strings.Contains(msg, "has exited"):
		t.Fatalf("%s: the module died: %s", what, msg)
	case len(msg) > 8192+2*inputLen:
		t.Fatalf("%s: error message of %d bytes for an input of %d", what, len(msg), inputLen)
	}
}

// timed fails the test if fn takes longer than slow.
func timed(t *testing.T, what string, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if d := time.Since(start); d > slow {
		t.Errorf("%s took %v", what, d)
	}
}

// footprint returns the bytes a loaded model needs beside its weights and
// its FLOPs per run, as the native runtime plans it, or ok=false if the
// native runtime refuses the model.
func footprint(data []byte, opts runtime.Options) (bytes, flops int64, ok bool) {
	m, err := runtime.LoadWithLimits(data, runtime.Limits{})
	if err != nil {
		return 0, 0, false
	}
	s, err := runtime.NewSession(m, opts)
	if err != nil {
		return 0, 0, false
	}
	bytes = s.PeakActivationBytes() + s.WorkspaceBytes()
	for _, v := range append(s.Inputs(), s.Outputs()...) {
		n, _ := ops.NumElements(v.Shape)
		bytes += 4 * int64(n)
	}
	return bytes, s.Summary().TotalFLOPs, true
}

var loadAlgos = []string{"", "auto", "direct", "im2col", "winograd", "fft", "magic"}

// FuzzLoad loads arbitrary bytes as a model in the guest and, when that
// works, runs it on inputs derived from the bytes: the result must equal the
// native runtime's bit for bit.
func FuzzLoad(f *testing.F) {
	// Small seeds: the mutator works on the whole input, and a LeNet-5 file
	// (250 kB) would make every execution a near copy of it.
	for _, m := range []*runtime.Model{tinyModel(), poolDenseModel()} {
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
		f.Add(b[:len(b)/3], uint8(1))
	}
	f.Add([]byte("WNN1"), uint8(2))
	f.Add([]byte{}, uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, algo uint8) {
		w := getWorld(t)
		opts := host.LoadOptions{Algo: loadAlgos[int(algo)%len(loadAlgos)]}
		native := runtime.Options{Threads: 1, Algo: ops.ConvAlgo(opts.Algo)}
		size, flops, ok := footprint(data, native)
		if ok && size > budget {
			t.Skipf("valid model needing %d bytes: not loaded in the guest", size)
		}
		var gm *host.Model
		var err error
		timed(t, "load", func() { gm, err = w.h.Load(data, opts) })
		if err != nil {
			checkErr(t, "load", err, len(data))
			if ok {
				t.Fatalf("the guest refuses a model the native runtime accepts: %v", err)
			}
			w.stillWorks(t)
			return
		}
		if !ok {
			t.Fatalf("the guest accepts a model the native runtime refuses")
		}
		if flops <= flopBudget {
			m, _ := runtime.Load(data)
			sess, err := runtime.NewSession(m, native)
			if err != nil {
				t.Fatal(err)
			}
			in := inputsFrom(sess.Inputs(), data)
			want, err := sess.Run(context.Background(), in)
			if err != nil {
				t.Fatalf("native run: %v", err)
			}
			var got map[string]*ops.Tensor
			timed(t, "run", func() { got, err = gm.Run(context.Background(), in) })
			if err != nil {
				checkErr(t, "run", err, len(data))
				t.Fatalf("the guest fails a run the native runtime does: %v", err)
			}
			for name, wt := range want {
				g, ok := got[name]
				if !ok || !ops.EqualShapes(g.Shape, wt.Shape) {
					t.Fatalf("output %q: missing or of the wrong shape", name)
				}
				if i := firstDiff(g.Data, wt.Data); i >= 0 {
					t.Fatalf("output %q[%d] = %g in the guest, %g natively", name, i, g.Data[i], wt.Data[i])
				}
			}
		}
		if err := gm.Dispose(); err != nil {
			t.Fatalf("dispose: %v", err)
		}
		w.stillWorks(t)
	})
}

// shapeFrom reads a rank (0 to 5) and dimensions (0 to 255, or -1) from b.
func shapeFrom(b []byte) []int {
	if len(b) == 0 {
		return nil
	}
	rank := int(b[0]) % 6
	shape := make([]int, 0, rank)
	for i := 1; i <= rank && i < len(b); i++ {
		d := int(b[i])
		if d == 255 {
			d = -1
		}
		shape = append(shape, d)
	}
	return shape
}

// floatsFrom reads little-endian float32 values (NaNs and infinities
// included) from b; a trailing partial value is dropped.
func floatsFrom(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// int32At reads the i-th little-endian int32 of b, or def past its end.
func int32At(b []byte, i int, def int32) int32 {
	if len(b) < 4*(i+1) {
		return def
	}
	return int32(binary.LittleEndian.Uint32(b[4*i:]))
}

// callAPI calls a method of the guest's API object directly and returns its
// {error} message ("" on success) and result object.
func (w *world) callAPI(t *testing.T, method string, args ...any) (string, *host.Object) {
	t.Helper()
	var res any
	var err error
	timed(t, method, func() { res, err = w.h.Call(w.api, method, args...) })
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	obj, ok := res.(*host.Object)
	if !ok {
		t.Fatalf("%s returned %T", method, res)
	}
	if msg, ok := obj.Get("error").(string); ok {
		return msg, obj
	}
	return "", obj
}

// FuzzRun drives the guest's run, classify and fast-path exports with
// arbitrary model ids, input names, shapes, lengths and values. Runs with
// well-formed inputs must equal the native result bit for bit; everything
// else must fail with a message.
func FuzzRun(f *testing.F) {
	lenIn := make([]byte, 4*32*32)
	tinyA, tinyB := make([]byte, 4*48), make([]byte, 4*3)
	f.Add(uint8(0), uint8(0), "input", []byte{4, 1, 1, 32, 32}, lenIn)
	f.Add(uint8(1), uint8(1), "a", []byte{4, 1, 3, 4, 4}, append(tinyA, tinyB...))
	f.Add(uint8(0), uint8(2), "input", []byte{4, 1, 1, 32, 32}, lenIn)
	f.Add(uint8(0), uint8(2), "input", []byte{4, 1, 1, 32, 31}, lenIn[:4*31*32])
	f.Add(uint8(0), uint8(3), "", []byte{}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(0), uint8(4), "", []byte{28, 28, 3}, make([]byte, 4*28*28))
	f.Add(uint8(1), uint8(4), "", []byte{2, 2, 1}, make([]byte, 16))
	f.Add(uint8(0), uint8(0), "nope", []byte{}, []byte{0, 0, 0x80, 0x7f})
	f.Add(uint8(2), uint8(5), "", []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, which, kind uint8, name string, shape, payload []byte) {
		w := getWorld(t)
		fx := w.lenet
		if which%2 == 1 {
			fx = w.tiny
		}
		id := fx.id
		if which >= 2 {
			id = int(int32At(payload, 0, 0))
		}
		switch kind % 6 {
		case 0: // run with one named input of any length
			msg, res := w.callAPI(t, "run", id, []any{name}, []any{payload})
			if msg != "" {
				checkErr(t, "run", fmt.Errorf("%s", msg), len(payload))
				break
			}
			w.checkRunResult(t, fx, map[string][]byte{name: payload}, res)
		case 1: // run with every input, the payload split among them
			names, datas := []any{}, []any{}
			feeds := map[string][]byte{}
			rest := payload
			for i, in := range fx.sess.Inputs() {
				n, _ := ops.NumElements(in.Shape)
				k := min(4*n, len(rest))
				if i == len(fx.sess.Inputs())-1 {
					k = len(rest)
				}
				names, datas = append(names, in.Name), append(datas, rest[:k])
				feeds[in.Name] = rest[:k]
				rest = rest[k:]
			}
			msg, res := w.callAPI(t, "run", id, names, datas)
			if msg != "" {
				checkErr(t, "run", fmt.Errorf("%s", msg), len(payload))
				break
			}
			w.checkRunResult(t, fx, feeds, res)
		case 2: // the host's fast path with a tensor of any shape and length
			in := fx.sess.Inputs()[0]
			feeds := map[string]*ops.Tensor{in.Name: {Shape: shapeFrom(shape), Data: floatsFrom(payload)}}
			for _, other := range fx.sess.Inputs()[1:] {
				feeds[other.Name] = inputsFrom([]runtime.ValueInfo{other}, payload)[other.Name]
			}
			var got map[string]*ops.Tensor
			var err error
			timed(t, "Run", func() { got, err = fx.gm.Run(context.Background(), feeds) })
			if err != nil {
				checkErr(t, "Run", err, len(payload))
				break
			}
			want, err := fx.sess.Run(context.Background(), feeds)
			if err != nil {
				t.Fatalf("the guest runs inputs the native runtime refuses: %v", err)
			}
			for name, wt := range want {
				if i := firstDiff(got[name].Data, wt.Data); i >= 0 {
					t.Fatalf("output %q[%d] = %g in the guest, %g natively", name, i, got[name].Data[i], wt.Data[i])
				}
			}
		case 3: // the raw exports with any id, kind and index
			w.rawExports(t, payload)
		case 4: // classify any pixels at any declared size
			width, height := int(int8(byteAt(shape, 0))), int(int8(byteAt(shape, 1)))
			topK := int(int8(byteAt(shape, 2)))
			msg, res := w.callAPI(t, "classify", id, payload, width, height, topK)
			if msg != "" {
				checkErr(t, "classify", fmt.Errorf("%s", msg), len(payload))
				break
			}
			if s, _ := res.Get("result").(string); !strings.HasPrefix(s, "[") {
				t.Fatalf("classify returned %q", s)
			}
		case 5: // arguments of the wrong types and counts
			args := []any{name, payload, float64(int32At(payload, 0, 0)), nil, []any{name}}
			for _, method := range []string{"load", "run", "runProfiled", "classify", "summary", "dispose", "memory"} {
				n := int(byteAt(shape, 0)) % (len(args) + 1)
				msg, _ := w.callAPI(t, method, args[:n]...)
				if msg != "" && strings.TrimSpace(msg) == "" {
					t.Fatalf("%s: empty error message", method)
				}
			}
		}
		w.stillWorks(t)
	})
}

func byteAt(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// checkRunResult compares a successful run's result object with the
// native runtime's outputs for the same input bytes.
func (w *world) checkRunResult(t *testing.T, fx *fixture, feeds map[string][]byte, res *host.Object) {
	t.Helper()
	in := map[string]*ops.Tensor{}
	for _, vi := range fx.sess.Inputs() {
		b, ok := feeds[vi.Name]
		if !ok {
			t.Fatalf("run succeeded without input %q", vi.Name)
		}
		in[vi.Name] = &ops.Tensor{Shape: vi.Shape, Data: floatsFrom(b)}
	}
	want, err := fx.sess.Run(context.Background(), in)
	if err != nil {
		t.Fatalf("the guest runs inputs the native runtime refuses: %v", err)
	}
	names, _ := res.Get("names").(*host.Object)
	data, _ := res.Get("data").(*host.Object)
	if names == nil || data == nil || names.Len() != len(want) {
		t.Fatalf("run returned a malformed result")
	}
	for i := 0; i < names.Len(); i++ {
		name, _ := names.Index(i).(string)
		b, _ := data.Index(i).([]byte)
		wt, ok := want[name]
		if !ok || len(b) != 4*len(wt.Data) {
			t.Fatalf("output %q: unexpected name or %d bytes", name, len(b))
		}
		if j := firstDiff(floatsFrom(b), wt.Data); j >= 0 {
			t.Fatalf("output %q[%d] differs from the native result", name, j)
		}
	}
}

// rawExports calls wasmnn_buffer and wasmnn_run with ids, kinds and indices
// read from payload. Addresses handed out must lie inside the memory and be
// exactly those of the model's buffers.
func (w *world) rawExports(t *testing.T, payload []byte) {
	t.Helper()
	ctx := context.Background()
	buffer, run := w.h.ExportedFunction("wasmnn_buffer"), w.h.ExportedFunction("wasmnn_run")
	id, kind, index := int32At(payload, 0, 0), int32At(payload, 1, 0), int32At(payload, 2, 0)
	var res []uint64
	var err error
	timed(t, "wasmnn_buffer", func() { res, err = buffer.Call(ctx, uint64(uint32(id)), uint64(uint32(kind)), uint64(uint32(index))) })
	if err != nil {
		t.Fatalf("wasmnn_buffer(%d, %d, %d) trapped: %v", id, kind, index, err)
	}
	known := map[int32]*fixture{}
	for _, fx := range []*fixture{w.lenet, w.tiny} {
		known[int32(fx.id)], known[int32(fx.id+1)] = fx, fx
	}
	fx, ok := known[id]
	var list []runtime.ValueInfo
	if ok {
		list = fx.sess.Inputs()
		if kind == 1 {
			list = fx.sess.Outputs()
		}
	}
	if addr := uint32(res[0]); !ok || index < 0 || int(index) >= len(list) {
		if addr != 0 {
			t.Fatalf("wasmnn_buffer(%d, %d, %d) = %#x for no buffer", id, kind, index, addr)
		}
	} else {
		n, _ := ops.NumElements(list[index].Shape)
		if _, inside := w.h.Memory().Read(addr, uint32(4*n)); addr == 0 || !inside {
			t.Fatalf("wasmnn_buffer(%d, %d, %d) = %#x is not a buffer of %d floats", id, kind, index, addr, n)
		}
		if kind != 1 {
			// Arbitrary values (NaNs and infinities too) in the input.
			vals := floatsFrom(payload[min(12, len(payload)):])
			buf := make([]byte, 4*n)
			for i := 0; i < n && len(vals) > 0; i++ {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(vals[i%len(vals)]))
			}
			w.h.Memory().Write(addr, buf)
		}
	}
	timed(t, "wasmnn_run", func() { res, err = run.Call(ctx, uint64(uint32(id))) })
	if err != nil {
		t.Fatalf("wasmnn_run(%d) trapped: %v", id, err)
	}
	if (res[0] == 0) != ok {
		t.Fatalf("wasmnn_run(%d) = %d", id, res[0])
	}
	if res[0] != 0 {
		p, _ := w.h.ExportedFunction("wasmnn_error_ptr").Call(ctx)
		n, _ := w.h.ExportedFunction("wasmnn_error_len").Call(ctx)
		msg, _ := w.h.Memory().Read(uint32(p[0]), uint32(n[0]))
		if !bytes.Contains(msg, []byte("not loaded")) {
			t.Fatalf("wasmnn_run(%d) failed with %q", id, msg)
		}
	}
}
