package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// guestEnv and cacheEnv tell example_test.go (package host_test) where
// TestMain put the test guest and the compilation cache.
const (
	guestEnv = "WASMNN_HOST_TEST_GUEST"
	cacheEnv = "WASMNN_HOST_TEST_CACHE"
)

var (
	guestWasm []byte
	cacheDir  string
)

// TestMain builds the generic test guest of package gojs
// (internal/gojs/testdata/guest) for GOOS=js GOARCH=wasm once. Package gojs
// tests the JS world in depth; the tests here check what package host adds.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmnn-host-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := filepath.Join(dir, "guest.wasm")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join("..", "..", "internal", "gojs", "testdata", "guest")
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
	os.Setenv(guestEnv, out)
	os.Setenv(cacheEnv, cacheDir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newGuest starts the test guest and returns its Host and globalThis.guest.
func newGuest(t *testing.T, opts ...Option) (*Host, *Object) {
	t.Helper()
	h, err := New(context.Background(), guestWasm, append([]Option{WithCompilationCacheDir(cacheDir)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	g, ok := h.Global().Get("guest").(*Object)
	if !ok {
		t.Fatalf("globalThis.guest is %T", h.Global().Get("guest"))
	}
	return h, g
}

func TestOptions(t *testing.T) {
	var stdout, stderr bytes.Buffer
	h, g := newGuest(t, WithArgs("a", "b c"), WithEnv("WASMNN_K", "v=1"), WithStdout(&stdout), WithStderr(&stderr))
	tests := []struct{ method, arg, want string }{
		{"args", "", "js a b c"},
		{"env", "WASMNN_K", "v=1"},
		{"env", "MISSING", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+"/"+tc.arg, func(t *testing.T) {
			if got, err := h.Call(g, tc.method, tc.arg); err != nil || got != tc.want {
				t.Errorf("%s(%q) = %q, %v; want %q", tc.method, tc.arg, got, err, tc.want)
			}
		})
	}
	t.Run("output", func(t *testing.T) {
		if _, err := h.Call(g, "print", "hi"); err != nil {
			t.Fatal(err)
		}
		if stdout.String() != "hi\n" || stderr.String() != "err: hi\n" {
			t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	})
}

func TestSIMDWiring(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("SIMD=", on), func(t *testing.T) {
			h, g := newGuest(t, WithSIMD(on))
			if h.SIMD() != on || h.SIMDCalls() != 0 {
				t.Errorf("SIMD() = %v, SIMDCalls() = %d; want %v, 0", h.SIMD(), h.SIMDCalls(), on)
			}
			if got, err := h.Call(g, "add", 1, 2); err != nil || got != 3.0 {
				t.Errorf("add = %v, %v", got, err)
			}
			if err := h.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
			if h.SIMD() {
				t.Error("SIMD() after Close")
			}
		})
	}
}

func TestExitBeforeReadiness(t *testing.T) {
	_, err := New(context.Background(), guestWasm, WithArgs("exit-early"), WithCompilationCacheDir(cacheDir))
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || !strings.Contains(ee.Stderr, "exiting before readiness") {
		t.Fatalf("New error = %v, want exit code 3 with stderr", err)
	}
}

func TestEngineShared(t *testing.T) {
	ctx := context.Background()
	a, err := getEngine(ctx, engineKey{dir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	b, err := getEngine(ctx, engineKey{dir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := getEngine(ctx, engineKey{dir: cacheDir, closeOnDone: true})
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a == c {
		t.Errorf("engines: same key shared %v, different keys shared %v", a == b, a == c)
	}
}

// wasmnnModel starts wasmnn.wasm with opts and loads zoo model arch (built
// with zcfg) in it.
func wasmnnModel(t *testing.T, arch string, zcfg zoo.Config, opts ...Option) (*Host, *Model) {
	t.Helper()
	h := newWasmnn(t, opts...)
	m, err := zoo.Build(arch, zcfg)
	if err != nil {
		t.Fatal(err)
	}
	file, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	gm, err := h.Load(file, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h, gm
}

// zeroInputs returns zero tensors for the model's inputs.
func zeroInputs(t *testing.T, m *Model) map[string]*ops.Tensor {
	t.Helper()
	in := map[string]*ops.Tensor{}
	for _, vi := range m.Inputs {
		x, err := ops.NewTensor(vi.Shape...)
		if err != nil {
			t.Fatal(err)
		}
		in[vi.Name] = x
	}
	return in
}

func TestRunContext(t *testing.T) {
	h, gm := wasmnnModel(t, "lenet5", zoo.Config{Seed: 1})
	in := zeroInputs(t, gm)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	calls := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"Run", func(ctx context.Context) error { _, err := gm.Run(ctx, in); return err }},
		{"RunProfiled", func(ctx context.Context) error { _, _, err := gm.RunProfiled(ctx, in); return err }},
		{"Classify", func(ctx context.Context) error {
			_, err := gm.Classify(ctx, make([]byte, 4*32*32), 32, 32, 3)
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(cancelled); !errors.Is(err, context.Canceled) {
				t.Errorf("with a cancelled context: %v, want context.Canceled", err)
			}
			if err := tc.run(context.Background()); err != nil {
				t.Errorf("after the cancelled call: %v", err)
			}
		})
	}
	if _, err := h.LoadedModels(); err != nil {
		t.Errorf("LoadedModels after cancelled calls: %v", err)
	}
}

func TestRunCloseOnContextDone(t *testing.T) {
	// About 0.6 G multiply-adds: a second or more under wazero.
	h, gm := wasmnnModel(t, "resnet18", zoo.Config{Seed: 1, InputSize: 128, Classes: 10}, WithCloseOnContextDone(true))
	in := zeroInputs(t, gm)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := gm.Run(ctx, in)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run past its deadline: %v, want context.DeadlineExceeded", err)
	}
	d := time.Since(start)
	if d > 5*time.Second {
		t.Errorf("Run stopped %v after its start, long after the 50ms deadline", d)
	}
	t.Logf("stopped after %v: %v", d, err)
	if _, err2 := gm.Run(context.Background(), in); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("Run after the stop: %v, want %v", err2, err)
	}
	if _, err := h.LoadedModels(); err == nil {
		t.Error("LoadedModels after the stop succeeded")
	}
}
