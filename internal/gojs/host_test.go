package gojs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

var (
	guestWasm []byte
	cacheDir  string
	engine    *Engine // shared by the tests, with the compilation cache
)

// TestMain builds testdata/guest for GOOS=js GOARCH=wasm once. Compiled code
// goes to a compilation cache in the system temp dir that outlives the run, so
// repeated runs skip wazero's compiler.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmnn-host-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := filepath.Join(dir, "guest.wasm")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join("testdata", "guest")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the test guest: %v\n%s", err, b)
		os.Exit(1)
	}
	if guestWasm, err = os.ReadFile(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = filepath.Join(os.TempDir(), "wasmnn-host-test-cache")
	if engine, err = NewEngine(context.Background(), EngineConfig{CompilationCacheDir: cacheDir}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	engine.Close(context.Background())
	os.RemoveAll(dir)
	os.Exit(code)
}

type testHost struct {
	*Host
	guest          *Object
	stdout, stderr *bytes.Buffer
}

// newHost starts the test guest with cfg, its output going to the returned
// testHost's buffers.
func newHost(t testing.TB, cfg Config) *testHost {
	t.Helper()
	th := &testHost{stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	cfg.Stdout, cfg.Stderr = th.stdout, th.stderr
	h, err := New(context.Background(), engine, guestWasm, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	th.Host = h
	g, ok := h.Global().Get("guest").(*Object)
	if !ok {
		t.Fatalf("globalThis.guest is %T", h.Global().Get("guest"))
	}
	th.guest = g
	return th
}

func (th *testHost) call(t testing.TB, method string, args ...any) any {
	t.Helper()
	v, err := th.Call(th.guest, method, args...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return v
}

func TestHostEcho(t *testing.T) {
	th := newHost(t, Config{})
	obj := th.NewObject()
	obj.Set("k", "v")
	fn := th.NewFunc(func(this any, args []any) (any, error) { return nil, nil })
	tests := []struct {
		name     string
		in       any
		wantType string
		want     any // nil: same as in
	}{
		{"nil", nil, "null", nil},
		{"null", Null, "null", nil},
		{"undefined", Undefined, "undefined", nil},
		{"true", true, "boolean", true},
		{"false", false, "boolean", false},
		{"int", 42, "number", 42.0},
		{"zero", 0, "number", 0.0},
		{"negative int64", int64(-7), "number", -7.0},
		{"uint8", uint8(200), "number", 200.0},
		{"float32", float32(1.5), "number", 1.5},
		{"float64", 2.25, "number", 2.25},
		{"NaN", math.NaN(), "number", math.NaN()},
		{"inf", math.Inf(-1), "number", math.Inf(-1)},
		{"string", "héllo, 世界", "string", "héllo, 世界"},
		{"empty string", "", "string", ""},
		{"bytes", []byte{0, 1, 255}, "object", []byte{0, 1, 255}},
		{"float32s", []float32{1, -2.5, float32(math.Pi)}, "object", []float32{1, -2.5, float32(math.Pi)}},
		{"float64s", []float64{math.E, -0.5}, "object", []float64{math.E, -0.5}},
		{"int32s", []int32{-1, math.MaxInt32}, "object", []int32{-1, math.MaxInt32}},
		{"object", obj, "object", obj},
		{"function", fn, "function", fn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := th.call(t, "typeOf", tc.in); got != tc.wantType {
				t.Errorf("typeOf = %v, want %v", got, tc.wantType)
			}
			got := th.call(t, "echo", tc.in)
			if f, ok := tc.want.(float64); ok && math.IsNaN(f) {
				if g, ok := got.(float64); !ok || !math.IsNaN(g) {
					t.Errorf("echo = %#v, want NaN", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("echo = %#v (%T), want %#v", got, got, tc.want)
			}
		})
	}
	t.Run("array", func(t *testing.T) {
		got, ok := th.call(t, "echo", []any{1, "a", []any{true}}).(*Object)
		if !ok || got.Class() != "Array" || got.Len() != 3 || got.Index(0) != 1.0 || got.Index(1) != "a" {
			t.Fatalf("echo array = %v", got)
		}
		if inner, ok := got.Index(2).(*Object); !ok || inner.Index(0) != true {
			t.Errorf("nested array element = %v", got.Index(2))
		}
	})
	t.Run("map", func(t *testing.T) {
		got := th.call(t, "describe", map[string]any{"name": "x", "items": []any{1, 2.5}})
		if got != "x:2:2.5" {
			t.Errorf("describe = %v, want x:2:2.5", got)
		}
	})
	t.Run("copies", func(t *testing.T) {
		in := []byte{1, 2, 3}
		got := th.call(t, "echo", in).([]byte)
		in[0] = 9
		if got[0] != 1 {
			t.Errorf("result aliases the argument")
		}
	})
}

func TestHostAdd(t *testing.T) {
	th := newHost(t, Config{})
	rng := rand.New(rand.NewSource(1))
	tests := []struct {
		name string
		args []any
	}{
		{"none", nil},
		{"two ints", []any{2, 3}},
		{"mixed", []any{1.25, int32(-4), float32(0.5), uint16(7)}},
		{"random", []any{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64() * 1e10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want float64
			for _, a := range tc.args {
				want += reflect.ValueOf(a).Convert(reflect.TypeFor[float64]()).Float()
			}
			if got := th.call(t, "add", tc.args...); got != want {
				t.Errorf("add = %v, want %v", got, want)
			}
		})
	}
	t.Run("strings", func(t *testing.T) {
		parts := []any{"a", "ü", "𝄞", "", "z"}
		var want strings.Builder
		for _, p := range parts {
			want.WriteString(p.(string))
		}
		if got := th.call(t, "concat", parts...); got != want.String() {
			t.Errorf("concat = %q, want %q", got, want.String())
		}
	})
	t.Run("not a function", func(t *testing.T) {
		if _, err := th.Call(th.guest, "nope"); err == nil {
			t.Error("calling a missing method succeeded")
		}
	})
}

func TestHostTypedArrays(t *testing.T) {
	th := newHost(t, Config{})
	rng := rand.New(rand.NewSource(2))
	for _, n := range []int{0, 1, 7, 1000} {
		t.Run(fmt.Sprint("sumF32/", n), func(t *testing.T) {
			xs := make([]float32, n)
			var want float64
			for i := range xs {
				xs[i] = float32(rng.NormFloat64())
				want += float64(xs[i])
			}
			if got := th.call(t, "sumF32", xs); got != want {
				t.Errorf("sumF32 = %v, want %v", got, want)
			}
		})
		t.Run(fmt.Sprint("makeF32/", n), func(t *testing.T) {
			scale := 0.1
			got, ok := th.call(t, "makeF32", n, scale).([]float32)
			if !ok || len(got) != n {
				t.Fatalf("makeF32 = %T of length %d, want []float32 of %d", got, len(got), n)
			}
			for i, g := range got {
				if want := float32(float64(i) * scale); g != want {
					t.Fatalf("makeF32[%d] = %v, want %v", i, g, want)
				}
			}
		})
		t.Run(fmt.Sprint("bytes/", n), func(t *testing.T) {
			b := make([]byte, n)
			rng.Read(b)
			want := 0
			for _, x := range b {
				want += int(x)
			}
			got, ok := th.call(t, "bytesLen", b).(*Object)
			if !ok || got.Index(0) != float64(n) || got.Index(1) != float64(want) {
				t.Errorf("bytesLen = %v, want [%d %d]", got, n, want)
			}
			rev := th.call(t, "reverseBytes", b).([]byte)
			for i := range b {
				if rev[i] != b[n-1-i] {
					t.Fatalf("reverseBytes[%d] = %d, want %d", i, rev[i], b[n-1-i])
				}
			}
		})
	}
}

func TestHostPromise(t *testing.T) {
	th := newHost(t, Config{})
	ctx := context.Background()
	t.Run("resolved after sleep", func(t *testing.T) {
		start := time.Now()
		p := th.call(t, "delayed", 41)
		if o, ok := p.(*Object); !ok || o.Class() != "Promise" {
			t.Fatalf("delayed returned %v, want a Promise", p)
		}
		v, err := th.Await(ctx, p)
		if err != nil || v != 42.0 {
			t.Fatalf("Await = %v, %v; want 42", v, err)
		}
		if d := time.Since(start); d < 10*time.Millisecond {
			t.Errorf("promise settled after %v, before the guest's 10ms sleep", d)
		}
	})
	t.Run("many in flight", func(t *testing.T) {
		var ps []any
		for i := range 5 {
			ps = append(ps, th.call(t, "delayed", i))
		}
		for i, p := range ps {
			if v, err := th.Await(ctx, p); err != nil || v != float64(i+1) {
				t.Errorf("Await #%d = %v, %v", i, v, err)
			}
		}
	})
	rejections := []struct {
		name, method string
		arg          any
		want         string
	}{
		{"rejected", "fail", "bad input", "bad input"},
		{"recovered panic", "risky", 5, "recovered: runtime error: index out of range [5] with length 3"},
	}
	for _, tc := range rejections {
		t.Run(tc.name, func(t *testing.T) {
			_, err := th.Await(ctx, th.call(t, tc.method, tc.arg))
			var je *JSError
			if !errors.As(err, &je) || je.Message != tc.want {
				t.Fatalf("Await error = %v, want JSError %q", err, tc.want)
			}
			if o, ok := je.Value.(*Object); !ok || o.Class() != "Error" {
				t.Errorf("rejection value = %v, want an Error", je.Value)
			}
		})
	}
	t.Run("risky without panic", func(t *testing.T) {
		if v, err := th.Await(ctx, th.call(t, "risky", 1)); err != nil || v != 0.0 {
			t.Errorf("Await = %v, %v; want 0", v, err)
		}
	})
	t.Run("guest then", func(t *testing.T) {
		p := th.call(t, "thenAdd", th.call(t, "delayed", 1), 10)
		if v, err := th.Await(ctx, p); err != nil || v != 12.0 {
			t.Errorf("Await = %v, %v; want 12", v, err)
		}
	})
	t.Run("guest catch", func(t *testing.T) {
		p := th.call(t, "catchMsg", th.call(t, "fail", "oops"))
		if v, err := th.Await(ctx, p); err != nil || v != "caught: oops" {
			t.Errorf("Await = %v, %v; want caught: oops", v, err)
		}
	})
	t.Run("setTimeout", func(t *testing.T) {
		start := time.Now()
		p := th.call(t, "timeout", 15, "done")
		if v, err := th.Await(ctx, p); err != nil || v != "done" {
			t.Errorf("Await = %v, %v; want done", v, err)
		}
		if d := time.Since(start); d < 15*time.Millisecond {
			t.Errorf("setTimeout(15) fired after %v", d)
		}
	})
	t.Run("never settles", func(t *testing.T) {
		if _, err := th.Await(ctx, th.call(t, "never")); err == nil {
			t.Error("Await of a promise that cannot settle succeeded")
		}
	})
	t.Run("not a promise", func(t *testing.T) {
		if v, err := th.Await(ctx, 3.0); v != 3.0 || err != nil {
			t.Errorf("Await(3) = %v, %v", v, err)
		}
	})
	t.Run("still usable", func(t *testing.T) {
		if got := th.call(t, "add", 1, 2); got != 3.0 {
			t.Errorf("add after awaits = %v", got)
		}
	})
}

func TestHostOutput(t *testing.T) {
	th := newHost(t, Config{})
	for _, msg := range []string{"hello", "second line ü"} {
		t.Run(msg, func(t *testing.T) {
			th.stdout.Reset()
			th.stderr.Reset()
			th.call(t, "print", msg)
			if got, want := th.stdout.String(), msg+"\n"; got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			if got, want := th.stderr.String(), "err: "+msg+"\n"; got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
		})
	}
}

func TestHostCallbacks(t *testing.T) {
	th := newHost(t, Config{})
	mul := th.NewFunc(func(this any, args []any) (any, error) {
		return args[0].(float64) * args[1].(float64), nil
	})
	tests := []struct{ a, b float64 }{{2, 3}, {-1.5, 4}, {0, 9}}
	for _, tc := range tests {
		t.Run(fmt.Sprint("callHost/", tc.a, "*", tc.b), func(t *testing.T) {
			if got, want := th.call(t, "callHost", mul, tc.a, tc.b), tc.a*tc.b+1; got != want {
				t.Errorf("callHost = %v, want %v", got, want)
			}
		})
	}
	t.Run("global with nested guest call", func(t *testing.T) {
		// The host function calls back into the guest while the guest waits
		// for it: two nesting levels.
		th.Global().Set("hostSquarePlus", Func(func(this any, args []any) (any, error) {
			x := args[0].(float64)
			return th.Call(th.guest, "add", float64(x*x), 0.5)
		}))
		if got, want := th.call(t, "callGlobal", "hostSquarePlus", 4), 16.5; got != want {
			t.Errorf("callGlobal = %v, want %v", got, want)
		}
	})
	t.Run("exception", func(t *testing.T) {
		th.Global().Set("hostFail", Func(func(this any, args []any) (any, error) {
			return nil, errors.New("boom")
		}))
		if got := th.call(t, "catchHost", "hostFail"); got != "caught: boom" {
			t.Errorf("catchHost = %v", got)
		}
	})
}

func TestHostArgsEnv(t *testing.T) {
	th := newHost(t, Config{Args: []string{"a", "b c"}, Env: map[string]string{"WASMNN_K": "v=1", "OTHER": "x"}})
	tests := []struct{ method, arg, want string }{
		{"args", "", "js a b c"},
		{"env", "WASMNN_K", "v=1"},
		{"env", "OTHER", "x"},
		{"env", "MISSING", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+"/"+tc.arg, func(t *testing.T) {
			if got := th.call(t, tc.method, tc.arg); got != tc.want {
				t.Errorf("%s(%q) = %q, want %q", tc.method, tc.arg, got, tc.want)
			}
		})
	}
}

func TestHostExit(t *testing.T) {
	ctx := context.Background()
	t.Run("before readiness", func(t *testing.T) {
		_, err := New(ctx, engine, guestWasm, Config{Args: []string{"exit-early"}})
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 3 || !strings.Contains(ee.Stderr, "exiting before readiness") {
			t.Fatalf("New error = %v, want exit code 3 with stderr", err)
		}
	})
	tests := []struct {
		name, method string
		args         []any
		code         int32
		stderr       string
	}{
		{"os.Exit", "exit", []any{4}, 4, ""},
		{"os.Exit(0)", "exit", []any{0}, 0, ""},
		{"panic", "panic", nil, 2, "guest panics on purpose"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := newHost(t, Config{})
			p := th.call(t, "delayed", 1) // pending when the guest dies
			_, err := th.Call(th.guest, tc.method, tc.args...)
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != tc.code || !strings.Contains(ee.Stderr, tc.stderr) {
				t.Fatalf("error = %v, want exit code %d", err, tc.code)
			}
			want := fmt.Sprintf("Go program has exited with code %d", tc.code)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			if _, err := th.Call(th.guest, "add", 1, 2); !errors.As(err, &ee) {
				t.Errorf("call after exit: %v, want the exit error", err)
			}
			if _, err := th.Await(ctx, p); !errors.As(err, &ee) {
				t.Errorf("Await after exit: %v, want the exit error", err)
			}
			if _, err := th.ExportedFunction("sumAt").Call(ctx, 0, 0); err == nil {
				t.Error("direct export call after exit succeeded")
			}
		})
	}
}

func TestHostNewErrors(t *testing.T) {
	tests := []struct {
		name string
		wasm []byte
		want string
	}{
		{"not wasm", []byte("hello"), "compile"},
		{"no Go exports", []byte("\x00asm\x01\x00\x00\x00"), "not a GOOS=js module"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(context.Background(), engine, tc.wasm, Config{})
			if err == nil {
				h.Close(context.Background())
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestHostWasmExport(t *testing.T) {
	th := newHost(t, Config{})
	ctx := context.Background()
	alloc, sumAt := th.ExportedFunction("alloc"), th.ExportedFunction("sumAt")
	if alloc == nil || sumAt == nil || th.ExportedFunction("missing") != nil {
		t.Fatal("exports not found as expected")
	}
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{1, 3, 1024, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			res, err := alloc.Call(ctx, uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			ptr := uint32(res[0])
			var want float64
			mem := th.Memory()
			for i := 0; i < n; i++ {
				x := float32(rng.NormFloat64())
				want += float64(x)
				if !mem.WriteFloat32Le(ptr+uint32(4*i), x) {
					t.Fatalf("write at %#x out of range", ptr+uint32(4*i))
				}
			}
			res, err = sumAt.Call(ctx, uint64(ptr), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if got := math.Float64frombits(res[0]); got != want {
				t.Errorf("sumAt = %v, want %v", got, want)
			}
		})
	}
	t.Run("JS calls still work", func(t *testing.T) {
		if got := th.call(t, "add", 2, 2); got != 4.0 {
			t.Errorf("add = %v", got)
		}
	})
}

func TestHostRefCountBounded(t *testing.T) {
	th := newHost(t, Config{})
	obj := th.NewObject()
	for range 100 {
		th.call(t, "add", 1, 2)
	}
	th.call(t, "gc")
	base := th.RefCount()
	const calls, gcEvery = 10000, 2500
	peak := 0
	var busy time.Duration
	for i := range calls {
		start := time.Now()
		if got := th.call(t, "echo", obj); got != obj {
			t.Fatalf("call %d: echo = %v", i, got)
		}
		busy += time.Since(start)
		peak = max(peak, th.RefCount())
		if (i+1)%gcEvery == 0 {
			th.call(t, "gc")
			if n := th.RefCount(); n > base+16 {
				t.Fatalf("RefCount after %d calls and GC = %d, base %d: references leak", i+1, n, base)
			}
		}
	}
	t.Logf("%d calls: %.1f µs/call; refs: %d at start, peak %d between GCs, %d after GC", calls,
		float64(busy.Microseconds())/calls, base, peak, th.RefCount())
}

func TestHostMemoryStable(t *testing.T) {
	th := newHost(t, Config{})
	xs := make([]float32, 256)
	for range 1000 {
		th.call(t, "sumF32", xs)
	}
	th.call(t, "gc")
	size := th.MemorySize()
	for i := range 1000 {
		th.call(t, "sumF32", xs)
		if s := th.MemorySize(); s != size {
			t.Fatalf("memory grew from %d to %d bytes at call %d", size, s, i)
		}
	}
}

func TestHostCompileTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the guest from scratch")
	}
	ctx := context.Background()
	dir := t.TempDir()
	measure := func(name string, eng *Engine) time.Duration {
		start := time.Now()
		h, err := New(ctx, eng, guestWasm, Config{})
		if err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		h.Close(ctx)
		t.Logf("New, %s: %v", name, d)
		return d
	}
	newEngine := func() *Engine {
		e, err := NewEngine(ctx, EngineConfig{CompilationCacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close(ctx) })
		return e
	}
	first := newEngine()
	cold := measure("cold compile", first)
	second := newEngine() // as if in a new process
	disk := measure("from the compilation cache dir", second)
	mem := measure("compiled module reused in the Engine", second)
	if disk >= cold || mem >= cold {
		t.Errorf("cached New (%v on disk, %v in the Engine) not faster than compiling (%v)", disk, mem, cold)
	}
}

func TestNumberString(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-2.5, "-2.5"}, {1e21, "1e+21"}, {1.5e-7, "1.5e-7"},
		{123456789012, "123456789012"}, {math.NaN(), "NaN"}, {math.Inf(1), "Infinity"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := numberString(tc.in); got != tc.want {
				t.Errorf("numberString(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func BenchmarkCall(b *testing.B) {
	th := newHost(b, Config{})
	for b.Loop() {
		if _, err := th.Call(th.guest, "add", 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExport(b *testing.B) {
	th := newHost(b, Config{})
	ctx := context.Background()
	res, err := th.ExportedFunction("alloc").Call(ctx, 16)
	if err != nil {
		b.Fatal(err)
	}
	sumAt := th.ExportedFunction("sumAt")
	stack := []uint64{res[0], 16}
	for b.Loop() {
		stack[0], stack[1] = res[0], 16
		if err := sumAt.CallWithStack(ctx, stack); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHostInstantiated(t *testing.T) {
	ctx := context.Background()
	t.Run("runs before main", func(t *testing.T) {
		calls := 0
		h, err := New(ctx, engine, guestWasm, Config{Instantiated: func(ctx context.Context, h *Host) error {
			calls++
			if h.Module() == nil || h.Global().Get("guest") != nil {
				t.Errorf("Instantiated: module %v, guest already set up", h.Module())
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close(ctx)
		if calls != 1 {
			t.Errorf("Instantiated ran %d times, want 1", calls)
		}
	})
	t.Run("error aborts New", func(t *testing.T) {
		boom := errors.New("boom")
		h, err := New(ctx, engine, guestWasm, Config{Instantiated: func(context.Context, *Host) error { return boom }})
		if !errors.Is(err, boom) {
			if h != nil {
				h.Close(ctx)
			}
			t.Fatalf("New = %v, want the hook's error", err)
		}
	})
}

func TestEngineHostModules(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, EngineConfig{HostModules: func(ctx context.Context, rt wazero.Runtime) error {
		_, err := rt.NewHostModuleBuilder("extra").Instantiate(ctx)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	if e.Runtime().Module("extra") == nil || e.Runtime().Module("gojs") == nil {
		t.Error("the engine lacks the gojs or the extra host module")
	}
	boom := errors.New("boom")
	if _, err := NewEngine(ctx, EngineConfig{HostModules: func(context.Context, wazero.Runtime) error { return boom }}); !errors.Is(err, boom) {
		t.Errorf("NewEngine = %v, want the HostModules error", err)
	}
}

func TestHostFail(t *testing.T) {
	th := newHost(t, Config{})
	if err := th.Err(); err != nil {
		t.Fatalf("Err of a fresh Host = %v", err)
	}
	first, second := errors.New("first"), errors.New("second")
	if err := th.Fail(first); err != first {
		t.Errorf("Fail = %v, want %v", err, first)
	}
	if err := th.Fail(second); err != first {
		t.Errorf("second Fail = %v, want the first error", err)
	}
	if _, err := th.Call(th.guest, "add", 1, 2); err != first {
		t.Errorf("Call after Fail = %v, want %v", err, first)
	}
	if _, err := th.ExportedFunction("alloc").Call(context.Background(), 4); err == nil {
		t.Error("direct export call after Fail succeeded")
	}
	th.Close(context.Background())
	if err := th.Err(); !errors.Is(err, errClosed) {
		t.Errorf("Err after Close = %v", err)
	}
}

func TestHostCallContext(t *testing.T) {
	ctx := context.Background()
	t.Run("not consulted by default", func(t *testing.T) {
		th := newHost(t, Config{})
		short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		if _, err := th.CallContext(short, th.guest, "spin", 30); err != nil {
			t.Errorf("spin past the deadline: %v", err)
		}
		if got := th.call(t, "add", 1, 2); got != 3.0 {
			t.Errorf("add = %v", got)
		}
	})
	t.Run("CloseOnContextDone", func(t *testing.T) {
		e, err := NewEngine(ctx, EngineConfig{CompilationCacheDir: cacheDir, CloseOnContextDone: true})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close(ctx)
		h, err := New(ctx, e, guestWasm, Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close(ctx)
		g := h.Global().Get("guest").(*Object)
		if got, err := h.CallContext(ctx, g, "add", 1, 2); err != nil || got != 3.0 {
			t.Fatalf("add = %v, %v", got, err)
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = h.CallContext(short, g, "spin", 10000)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("spin past the deadline: %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the guest stopped %v after the call, long after its 20ms deadline", d)
		}
		if _, err2 := h.Call(g, "add", 1, 2); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("Call after the stop = %v, want %v", err2, err)
		}
	})
}
