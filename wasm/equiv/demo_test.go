package equiv

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/explore"
	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// The methods of globalThis.__wasmnn: those of every build (wasm/main.go)
// and those only the demo build adds (wasm/demo.go, -tags demo).
var (
	publicMethods = []string{"classify", "dispose", "load", "memory", "ocrDispose", "ocrLoad", "ocrRead", "run", "runProfiled", "summary",
		"trainDispose", "trainEvaluate", "trainSave", "trainStart", "trainStep"}
	demoMethods = []string{"buildZoo", "conv2d", "convAlgos", "layerOutputs", "reopen"}
)

func apiOf(t *testing.T, h *host.Host) *host.Object {
	t.Helper()
	api, ok := h.Global().Get("__wasmnn").(*host.Object)
	if !ok {
		t.Fatal(host.ErrNotWasmnn)
	}
	return api
}

// TestShippedModuleHasNoDemoMethods: the module the npm package ships
// answers the public methods only.
func TestShippedModuleHasNoDemoMethods(t *testing.T) {
	keys := apiOf(t, guest(t)).Keys()
	slices.Sort(keys)
	if !slices.Equal(keys, publicMethods) {
		t.Fatalf("wasmnn.wasm's __wasmnn has %v, want %v (demo-only methods belong in the -tags demo build)", keys, publicMethods)
	}
}

// demoGuest starts the demo module (wasmtest.DemoModule) under wazero.
func demoGuest(t *testing.T) (*host.Host, *host.Object) {
	t.Helper()
	b, err := wasmtest.DemoModule()
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(context.Background(), b, host.WithCompilationCacheDir(cacheDir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	api := apiOf(t, h)
	keys := api.Keys()
	slices.Sort(keys)
	if want := slices.Sorted(slices.Values(append(slices.Clone(publicMethods), demoMethods...))); !slices.Equal(keys, want) {
		t.Fatalf("the demo module's __wasmnn has %v, want %v", keys, want)
	}
	return h, api
}

// call calls a method of the guest's API and fails the test on {error}.
func call(t *testing.T, h *host.Host, api *host.Object, method string, args ...any) *host.Object {
	t.Helper()
	res, err := h.Call(api, method, args...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	obj, ok := res.(*host.Object)
	if !ok {
		t.Fatalf("%s returned %T", method, res)
	}
	if msg, ok := obj.Get("error").(string); ok {
		t.Fatalf("%s: %s", method, msg)
	}
	return obj
}

func f32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func bytesF32(b []byte) []float32 {
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}

func dimsOf(v any) []int {
	o, _ := v.(*host.Object)
	if o == nil {
		return nil
	}
	d := make([]int, o.Len())
	for i := range d {
		f, _ := o.Index(i).(float64)
		d[i] = int(f)
	}
	return d
}

func anyInts(d []int) []any {
	a := make([]any, len(d))
	for i, v := range d {
		a[i] = v
	}
	return a
}

func randTensor(rng *rand.Rand, shape ...int) *ops.Tensor {
	t, _ := ops.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = rng.Float32()*2 - 1
	}
	return t
}

// checkTensor compares a guest tensor (dims object and bytes) with want.
func checkTensor(t *testing.T, name string, dims any, data any, want *ops.Tensor) {
	t.Helper()
	if got := dimsOf(dims); !ops.EqualShapes(got, want.Shape) {
		t.Fatalf("%s: guest shape %v, native %v", name, got, want.Shape)
	}
	b, _ := data.([]byte)
	if len(b) != 4*len(want.Data) {
		t.Fatalf("%s: guest gave %d bytes, want %d", name, len(b), 4*len(want.Data))
	}
	checkSame(t, name, bytesF32(b), want.Data)
}

// TestDemoConv2D: the demo module's conv2d (the Convolution explorer) gives
// explore.Conv2D's native result bit for bit, and bad settings give errors.
func TestDemoConv2D(t *testing.T) {
	h, api := demoGuest(t)
	rng := rand.New(rand.NewPCG(12, 1))
	x, w := randTensor(rng, 1, 3, 17, 19), randTensor(rng, 4, 3, 3, 3)
	for _, tc := range []struct {
		name string
		spec explore.ConvSpec
	}{
		{"defaults", explore.ConvSpec{}},
		{"stride2-pad1-relu-maxpool", explore.ConvSpec{Stride: 2, Pad: 1, ReLU: true, Pool: "max"}},
		{"winograd2-avgpool3s2", explore.ConvSpec{Pad: 1, Algo: "winograd2", Pool: "avg", PoolSize: 3, PoolStride: 2}},
		{"winograd4", explore.ConvSpec{Pad: 1, Algo: "winograd4"}},
		{"im2col-dilation2", explore.ConvSpec{Dilation: 2, Algo: "im2col"}},
		{"fft-pad2-relu", explore.ConvSpec{Pad: 2, Algo: "fft", ReLU: true}},
		{"direct-maxpool3s1", explore.ConvSpec{Algo: "direct", Pool: "max", PoolSize: 3, PoolStride: 1}},
	} {
		spec := tc.spec
		js, _ := json.Marshal(spec)
		t.Run(tc.name, func(t *testing.T) {
			want, err := explore.Conv2D(x, w, spec)
			if err != nil {
				t.Fatal(err)
			}
			res := call(t, h, api, "conv2d", f32Bytes(x.Data), anyInts(x.Shape), f32Bytes(w.Data), anyInts(w.Shape), string(js))
			if algo, _ := res.Get("algo").(string); algo != string(want.Algo) {
				t.Errorf("guest ran %q, native %q", algo, want.Algo)
			}
			checkTensor(t, "conv", res.Get("shape"), res.Get("data"), want.Conv)
			if want.Pooled == nil {
				if res.Get("pooledData") != nil {
					t.Fatal("the guest pooled without being asked")
				}
				return
			}
			checkTensor(t, "pooled", res.Get("pooledShape"), res.Get("pooledData"), want.Pooled)
		})
	}
	for _, tc := range []struct{ name, spec, want string }{
		{"stride out of range", `{"stride": 99}`, "bad convolution settings"},
		{"unknown pooling", `{"pool": "median"}`, "median"},
		{"unknown algorithm", `{"algo": "magic"}`, "magic"},
		{"not JSON", `{`, "spec"},
	} {
		res, err := h.Call(api, "conv2d", f32Bytes(x.Data), anyInts(x.Shape), f32Bytes(w.Data), anyInts(w.Shape), tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if msg, _ := res.(*host.Object).Get("error").(string); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want it to mention %q", tc.name, msg, tc.want)
		}
	}
	if algos := dimsOf(call(t, h, api, "convAlgos").Get("algos")); len(algos) != len(ops.KnownConvAlgos()) {
		t.Errorf("convAlgos gave %d algorithms, want %d", len(algos), len(ops.KnownConvAlgos()))
	}
}

// TestDemoZooLayers: buildZoo builds in the guest the network zoo.Build
// builds natively, layerOutputs gives explore.Probe's layers and reopen
// replans the same weights, all bit for bit.
func TestDemoZooLayers(t *testing.T) {
	h, api := demoGuest(t)
	const seed = 5
	m, err := zoo.Build("lenet5", zoo.Config{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	built := call(t, h, api, "buildZoo", "lenet5", 0, seed, "")
	id, _ := built.Get("id").(float64)

	probe, err := explore.NewProbe(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	inputs := randInputs(seed, probe.Inputs())
	var names, datas []any
	for _, in := range probe.Inputs() {
		names = append(names, in.Name)
		datas = append(datas, f32Bytes(inputs[in.Name].Data))
	}
	want, err := probe.Run(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	res := call(t, h, api, "layerOutputs", id, names, datas)
	lnames, _ := res.Get("names").(*host.Object)
	lops, _ := res.Get("ops").(*host.Object)
	shapes, _ := res.Get("shapes").(*host.Object)
	data, _ := res.Get("data").(*host.Object)
	if lnames == nil || lops == nil || shapes == nil || data == nil || lnames.Len() != len(want) {
		t.Fatalf("layerOutputs returned a malformed result (%d layers natively)", len(want))
	}
	for i, l := range want {
		if n, _ := lnames.Index(i).(string); n != l.Name {
			t.Fatalf("layer %d is %q in the guest, %q natively", i, n, l.Name)
		}
		if op, _ := lops.Index(i).(string); op != l.Op {
			t.Fatalf("layer %q: op %q in the guest, %q natively", l.Name, op, l.Op)
		}
		checkTensor(t, l.Name, shapes.Index(i), data.Index(i), &ops.Tensor{Shape: l.Shape, Data: l.Data})
	}

	// reopen with another algorithm: the same weights, planned again.
	sess, err := runtime.NewSession(m, runtime.Options{Algo: ops.AlgoDirect, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := sess.Run(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	re := call(t, h, api, "reopen", id, `{"algo": "direct"}`)
	rid, _ := re.Get("id").(float64)
	if rid == id {
		t.Fatalf("reopen gave the same id %v", id)
	}
	ran := call(t, h, api, "run", rid, names, datas)
	onames, _ := ran.Get("names").(*host.Object)
	oshapes, _ := ran.Get("shapes").(*host.Object)
	odata, _ := ran.Get("data").(*host.Object)
	if onames == nil || onames.Len() != len(outs) {
		t.Fatalf("run of the reopened model returned a malformed result")
	}
	for i := range onames.Len() {
		name, _ := onames.Index(i).(string)
		checkTensor(t, name, oshapes.Index(i), odata.Index(i), outs[name])
	}
	for _, mid := range []float64{id, rid} {
		call(t, h, api, "dispose", mid)
	}
}
