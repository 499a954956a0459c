package host

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wasmnn/wasmnn/internal/gojs"
	"github.com/wasmnn/wasmnn/wasm/simd"
)

// Object is a JS object in the guest's world: a plain object, an array, a
// function, a typed array, an ArrayBuffer, an Error, a Promise or a Date.
// Objects belong to the Host that made them; like the Host they are not safe
// for concurrent use. Its methods Get, Set, Delete, Keys, Len, Index, Class,
// IsFunction and String read and write it with values converted as by
// Host.Call.
type Object = gojs.Object

// Func is a host function callable from the guest as a JS function. this and
// args arrive converted as by Host.Call results; the result is converted back
// as Call arguments are. A non-nil error is thrown in the guest: a *JSError
// throws its Value, any other error throws `new Error(err.Error())`. A panic
// in a Func aborts the guest call in progress and leaves the guest crashed.
type Func = gojs.Func

// ExitError reports that the Go program in the guest has exited (returned
// from main, called os.Exit, or panicked: the Go runtime exits with code 2).
type ExitError = gojs.ExitError

// JSError is a JavaScript exception thrown by a function, or the reason of a
// rejected Promise, surfaced to Go.
type JSError = gojs.JSError

// Null is the JS null value, for passing to Call and Object.Set (a Go nil
// argument is converted to null as well).
var Null = gojs.Null

// Undefined is the JS undefined value, for passing to Call and Object.Set.
var Undefined = gojs.Undefined

// config collects the Options of New.
type config struct {
	stdout, stderr io.Writer
	args           []string
	env            map[string]string
	cacheDir       string
	workers        int
	noSIMD         bool
	memoryPages    uint32 // 0: wazero's default (4 GiB)
	closeOnDone    bool
}

// Option configures New.
type Option func(*config)

// WithMemoryLimit caps the guest's linear memory at bytes (rounded down to
// whole 64 KiB pages; at least one page). A guest that needs more fails the
// way a browser tab does when memory runs out: the Go program inside exits
// with an out-of-memory error and every later call returns that error. Use it
// to bound what untrusted models can make a Go process allocate.
func WithMemoryLimit(bytes uint64) Option {
	return func(c *config) { c.memoryPages = uint32(max(1, min(bytes>>16, 65536))) }
}

// WithStdout sends the guest's standard output (fmt.Print, os.Stdout,
// console.log) to w. The default discards it.
func WithStdout(w io.Writer) Option { return func(c *config) { c.stdout = w } }

// WithStderr sends the guest's standard error (including Go runtime panics)
// to w. The default discards it; the last few KB are kept for ExitError
// either way.
func WithStderr(w io.Writer) Option { return func(c *config) { c.stderr = w } }

// WithArgs sets the guest's os.Args[1:] (os.Args[0] is "js"). Arguments and
// environment together must fit in 8 KB.
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append([]string(nil), args...) }
}

// WithEnv adds the environment variable key=value for the guest.
func WithEnv(key, value string) Option {
	return func(c *config) {
		if c.env == nil {
			c.env = map[string]string{}
		}
		c.env[key] = value
	}
}

// WithCompilationCacheDir keeps wazero's compiled code in dir, so that a later
// process loads it instead of compiling again. Within one process compiled
// modules are always reused.
func WithCompilationCacheDir(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithCompilationWorkers lets wazero compile with n goroutines (default 1).
func WithCompilationWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithSIMD(false) keeps the guest on its pure-Go kernels. By default New
// instantiates wasmnn's WebAssembly SIMD kernel module (wasm/simd) against
// the guest's memory and routes the guest's "wasmnn_simd" imports to it.
func WithSIMD(on bool) Option { return func(c *config) { c.noSIMD = !on } }

// WithCloseOnContextDone(true) lets the context of Model.Run, RunProfiled and
// Classify (and of Host.CallContext and Host.Await) stop the guest in the
// middle of a call, using wazero's RuntimeConfig.WithCloseOnContextDone. The
// price is the Host: a guest stopped mid-call has its Go runtime in an
// unknown state, so it is closed, and that call and every later one fail with
// an error wrapping the context's error; make a new Host to go on. Guest code
// also runs slightly slower. By default (false) the context is checked only
// before each call into the guest, and a call in progress runs to its end.
func WithCloseOnContextDone(on bool) Option { return func(c *config) { c.closeOnDone = on } }

// Host runs one GOOS=js GOARCH=wasm module (typically wasmnn.wasm) and holds
// its JS world. A Host is not safe for concurrent use: drive it from one
// goroutine at a time.
type Host struct {
	g    *gojs.Host
	eng  *gojs.Engine
	cfg  config
	simd *simdKernels // nil when SIMD is off
}

// simdKernels is the SIMD kernel instance of one guest.
type simdKernels struct {
	guest api.Module // the guest whose memory it uses
	mod   api.Module
	fns   []api.Function // in the order of simd.Kernels
	calls uint64
}

var (
	enginesMu sync.Mutex
	engines   = map[engineKey]*gojs.Engine{}
	kernels   sync.Map // guest api.Module -> *simdKernels
)

// engineKey says which Hosts share one wazero runtime and its compiled code.
type engineKey struct {
	dir         string
	pages       uint32
	closeOnDone bool
}

// getEngine returns the process's engine for key, made on first use with the
// "wasmnn_simd" imports defined.
func getEngine(ctx context.Context, key engineKey) (*gojs.Engine, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if e := engines[key]; e != nil {
		return e, nil
	}
	e, err := gojs.NewEngine(ctx, gojs.EngineConfig{
		CompilationCacheDir: key.dir,
		MemoryLimitPages:    key.pages,
		CloseOnContextDone:  key.closeOnDone,
		HostModules:         instantiateSIMDImports,
	})
	if err != nil {
		return nil, err
	}
	engines[key] = e
	return e, nil
}

// New compiles the GOOS=js module wasm (compiled code is cached per process,
// and on disk with WithCompilationCacheDir), instantiates it (and, unless
// WithSIMD(false), wasmnn's SIMD kernel module against its memory), and runs
// its main until the guest signals readiness by calling
// globalThis.__wasmnnReady(). It fails if main exits first (the error wraps
// an *ExitError with the code and stderr), if the guest goes idle with no
// pending timer before readiness, or if ctx ends.
func New(ctx context.Context, wasm []byte, opts ...Option) (*Host, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	eng, err := getEngine(ctx, engineKey{cfg.cacheDir, cfg.memoryPages, cfg.closeOnDone})
	if err != nil {
		return nil, err
	}
	h := &Host{eng: eng, cfg: cfg}
	g, err := gojs.New(ctx, eng, wasm, gojs.Config{
		Stdout:             cfg.stdout,
		Stderr:             cfg.stderr,
		Args:               cfg.args,
		Env:                cfg.env,
		CompilationWorkers: cfg.workers,
		Instantiated: func(ctx context.Context, g *gojs.Host) error {
			if cfg.noSIMD {
				return nil
			}
			return h.instantiateSIMD(ctx, g.Module())
		},
	})
	if err != nil {
		h.closeSIMD(ctx)
		return nil, err
	}
	h.g = g
	return h, nil
}

// instantiateSIMDImports defines the "wasmnn_simd" host module: available,
// and one trampoline per kernel that forwards to the calling guest's kernel
// instance.
func instantiateSIMDImports(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(simd.HostModule)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			stack[0] = 0
			if _, ok := kernels.Load(mod); ok {
				stack[0] = 1
			}
		}), nil, []api.ValueType{api.ValueTypeI32}).
		Export("available")
	for i, k := range simd.Kernels {
		params := make([]api.ValueType, k.Params)
		for j := range params {
			params[j] = api.ValueTypeI32
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				v, ok := kernels.Load(mod)
				if !ok {
					panic(fmt.Errorf("host: the guest called SIMD kernel %s, but SIMD is off", k.Name))
				}
				sk := v.(*simdKernels)
				sk.calls++
				if err := sk.fns[i].CallWithStack(ctx, stack); err != nil {
					panic(fmt.Errorf("host: SIMD kernel %s: %w", k.Name, err))
				}
			}), params, nil).
			Export(k.Name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("host: wasmnn_simd imports: %w", err)
	}
	return nil
}

// instantiateSIMD instantiates the kernel module against the memory of
// guest, and routes the guest's kernel imports to it.
func (h *Host) instantiateSIMD(ctx context.Context, guest api.Module) error {
	cm, err := h.eng.Compile(ctx, simd.Module(), h.cfg.workers)
	if err != nil {
		return fmt.Errorf("host: SIMD kernels: %w", err)
	}
	rctx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if name == simd.ImportModule {
			return guest
		}
		return nil
	})
	mod, err := h.eng.Runtime().InstantiateModule(rctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return fmt.Errorf("host: SIMD kernels: instantiate: %w", err)
	}
	sk := &simdKernels{guest: guest, mod: mod}
	for _, k := range simd.Kernels {
		f := mod.ExportedFunction(k.Name)
		if f == nil {
			mod.Close(ctx)
			return fmt.Errorf("host: SIMD kernels: no export %q", k.Name)
		}
		sk.fns = append(sk.fns, f)
	}
	h.simd = sk
	kernels.Store(guest, sk)
	return nil
}

// closeSIMD releases the SIMD kernel instance, if there is one.
func (h *Host) closeSIMD(ctx context.Context) {
	if h.simd == nil {
		return
	}
	kernels.Delete(h.simd.guest)
	h.simd.mod.Close(ctx)
}

// SIMD reports whether the guest got the WebAssembly SIMD kernels (see
// WithSIMD). Whether it uses them is up to the guest: wasmnn.wasm installs
// them at startup when they are available.
func (h *Host) SIMD() bool { return h.simd != nil }

// SIMDCalls returns how many SIMD kernel calls the guest has made.
func (h *Host) SIMDCalls() uint64 {
	if h.simd == nil {
		return 0
	}
	return h.simd.calls
}

// Close releases the guest module and its SIMD kernel instance. The compiled
// code stays cached for the process.
func (h *Host) Close(ctx context.Context) error {
	h.closeSIMD(ctx)
	h.simd = nil
	return h.g.Close(ctx)
}

// Global returns the guest world's globalThis.
func (h *Host) Global() *Object { return h.g.Global() }

// Call invokes obj[method](args...) with this = obj (obj nil means
// globalThis), typically a function the guest exported with js.FuncOf. Go
// arguments are converted to JS values: nil and Null to null, Undefined to
// undefined, bools, strings, numbers of any Go numeric kind, []byte to a
// Uint8Array, []float32, []float64 and []int32 to Float32Array, Float64Array
// and Int32Array (copies), []any to an Array, map[string]any to an object,
// Func to a function, *Object as is. The result comes back as nil
// (undefined, null), bool, float64, string, a copied []byte, []float32,
// []float64 or []int32 for the matching typed arrays, or *Object. A thrown
// exception is a *JSError; if the guest exits or crashes, the error says so
// (an *ExitError: "Go program has exited with code N") and so do all later
// calls. Pending Promise reactions run before Call returns.
func (h *Host) Call(obj *Object, method string, args ...any) (any, error) {
	return h.g.Call(obj, method, args...)
}

// CallContext is Call with a context: with WithCloseOnContextDone(true) the
// guest stops as soon as ctx ends, and the Host is closed (see
// WithCloseOnContextDone); otherwise ctx is not consulted.
func (h *Host) CallContext(ctx context.Context, obj *Object, method string, args ...any) (any, error) {
	return h.g.CallContext(ctx, obj, method, args...)
}

// Await waits for v, a Promise returned by a guest call, to settle, driving
// the guest's event loop (Promise reactions, timers and the goroutines they
// wake) meanwhile. It returns the fulfilment value converted as by Call, or a
// *JSError carrying the rejection's message. A value that is not a Promise is
// returned as is. If the Promise can never settle (no timer pending, guest
// idle), Await fails rather than hang; ctx bounds the wait. Await must not be
// called from inside a Func the guest is running.
func (h *Host) Await(ctx context.Context, v any) (any, error) { return h.g.Await(ctx, v) }

// NewFunc returns a JS function that runs fn when the guest (or the host)
// calls it.
func (h *Host) NewFunc(fn Func) *Object { return h.g.NewFunc(fn) }

// NewObject returns a new empty JS object (`{}`).
func (h *Host) NewObject() *Object { return h.g.NewObject() }

// ExportedFunction returns the guest's //go:wasmexport function name (nil if
// there is none) for direct calls, which cost far less than Call. Call it
// only from the top level (not from a Func the guest is running), keep the
// handle, and do not let the export block on the host: exports must finish
// without waiting for timers or events. Pointers into guest memory must stay
// referenced by the guest (e.g. from a global) while the host uses them.
func (h *Host) ExportedFunction(name string) api.Function { return h.g.ExportedFunction(name) }

// Memory returns the guest's linear memory. Byte slices read from it are
// invalidated when it grows, i.e. by any call into the guest.
func (h *Host) Memory() api.Memory { return h.g.Memory() }

// MemorySize returns the size of the guest's linear memory in bytes.
func (h *Host) MemorySize() uint32 { return h.g.MemorySize() }

// RefCount returns the number of JS values the guest currently references
// (including the fixed ones). References are released only after the guest's
// garbage collector runs its finalizers.
func (h *Host) RefCount() int { return h.g.RefCount() }
