package host

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wasmnn/wasmnn/internal/gojs"
	"github.com/wasmnn/wasmnn/wasm/sharedmem"
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
	threads        int // kernel threads; 0 or 1: the calling goroutine only
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

// WithThreads(n) runs the guest's SIMD kernels on n threads: the guest's
// memory is made shared (package wasm/sharedmem), n instances of the kernel
// module use it, and each large kernel call the guest splits by output
// region runs its parts on up to n goroutines at once (the calling one and
// n-1 others). Results are bit-identical for every n. n is clamped to [1,
// simd.MaxParts]; 1 (the default) keeps the guest's memory unshared. It has
// no effect with WithSIMD(false).
func WithThreads(n int) Option { return func(c *config) { c.threads = max(1, min(n, simd.MaxParts)) } }

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

// simdKernels is the SIMD kernel instances of one guest: one per thread.
type simdKernels struct {
	guest api.Module       // the guest whose memory they use
	mods  []api.Module     // mods[0] serves the guest's own goroutine
	fns   [][]api.Function // per instance, in the order of simd.Kernels
	calls uint64
	// split counts the parallel calls, and spread those that ran parts on
	// more than one goroutine.
	split, spread uint64
	// broken is set after a part failed on another goroutine: later
	// parallel calls run every part on the calling goroutine.
	broken bool
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
	threads     bool
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
		Threads:             key.threads,
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
	threaded := cfg.threads > 1 && !cfg.noSIMD
	if threaded {
		var err error
		if wasm, err = sharedmem.Share(wasm, sharedPages(cfg.memoryPages)); err != nil {
			return nil, fmt.Errorf("host: threads: %w", err)
		}
	}
	eng, err := getEngine(ctx, engineKey{cfg.cacheDir, cfg.memoryPages, cfg.closeOnDone, threaded})
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

// sharedPages is the maximum of a threaded guest's shared memory: the
// memory limit, if one is set below sharedmem.MaxPages.
func sharedPages(limit uint32) uint32 {
	if limit > 0 && limit < sharedmem.MaxPages {
		return limit
	}
	return sharedmem.MaxPages
}

// instantiateSIMDImports defines the "wasmnn_simd" host module: available,
// threads, parallel, and one trampoline per kernel that forwards to the
// calling guest's kernel instance.
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
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			stack[0] = 1
			if v, ok := kernels.Load(mod); ok {
				stack[0] = uint64(len(v.(*simdKernels).mods))
			}
		}), nil, []api.ValueType{api.ValueTypeI32}).
		Export("threads")
	i32 := api.ValueTypeI32
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			v, ok := kernels.Load(mod)
			if !ok {
				panic(errors.New("host: the guest called parallel, but SIMD is off"))
			}
			stack[0] = uint64(v.(*simdKernels).parallel(ctx, uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])))
		}), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}).
		Export("parallel")
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
				if err := sk.fns[0][i].CallWithStack(ctx, stack); err != nil {
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
// guest, once per thread, and routes the guest's kernel imports to the
// instances.
func (h *Host) instantiateSIMD(ctx context.Context, guest api.Module) error {
	kmod := simd.Module()
	n := 1
	if h.cfg.threads > 1 {
		n = h.cfg.threads
		var err error
		if kmod, err = sharedmem.Share(kmod, sharedPages(h.cfg.memoryPages)); err != nil {
			return fmt.Errorf("host: SIMD kernels: %w", err)
		}
	}
	cm, err := h.eng.Compile(ctx, kmod, h.cfg.workers)
	if err != nil {
		return fmt.Errorf("host: SIMD kernels: %w", err)
	}
	rctx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if name == simd.ImportModule {
			return guest
		}
		return nil
	})
	sk := &simdKernels{guest: guest}
	h.simd = sk
	for t := 0; t < n; t++ {
		mod, err := h.eng.Runtime().InstantiateModule(rctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
		if err != nil {
			h.closeSIMD(ctx)
			return fmt.Errorf("host: SIMD kernels: instantiate: %w", err)
		}
		sk.mods = append(sk.mods, mod)
		fns := make([]api.Function, 0, len(simd.Kernels))
		for _, k := range simd.Kernels {
			f := mod.ExportedFunction(k.Name)
			if f == nil {
				h.closeSIMD(ctx)
				return fmt.Errorf("host: SIMD kernels: no export %q", k.Name)
			}
			fns = append(fns, f)
		}
		sk.fns = append(sk.fns, fns)
	}
	kernels.Store(guest, sk)
	return nil
}

// parallel runs parts calls of kernel number kernel, with the nargs-value
// argument vectors at args in the guest's memory, on up to one goroutine per
// instance: the calling goroutine takes parts too, and each goroutine takes
// the next part not yet taken until none is left. It returns 0, or 1 if a
// part failed (the instances are then left to the calling goroutine).
func (sk *simdKernels) parallel(ctx context.Context, kernel, parts, args, nargs uint32) int32 {
	if int(kernel) >= len(simd.Kernels) || int(nargs) != simd.Kernels[kernel].Params || parts > simd.MaxParts {
		panic(fmt.Errorf("host: parallel: bad call kernel %d parts %d nargs %d", kernel, parts, nargs))
	}
	raw, ok := sk.guest.Memory().Read(args, parts*nargs*4)
	if !ok {
		panic(fmt.Errorf("host: parallel: arguments at %d (%d parts of %d) are outside memory", args, parts, nargs))
	}
	sk.calls += uint64(parts)
	sk.split++
	var next atomic.Int32
	var failed atomic.Bool
	work := func(t int) {
		stack := make([]uint64, nargs)
		for {
			p := int(next.Add(1)) - 1
			if p >= int(parts) || failed.Load() {
				return
			}
			for j := range stack {
				stack[j] = uint64(binary.LittleEndian.Uint32(raw[(p*int(nargs)+j)*4:]))
			}
			if err := sk.fns[t][kernel].CallWithStack(ctx, stack); err != nil {
				failed.Store(true)
				return
			}
		}
	}
	helpers := 0
	if !sk.broken {
		helpers = min(len(sk.mods), int(parts)) - 1
	}
	if helpers > 0 {
		sk.spread++
	}
	var wg sync.WaitGroup
	wg.Add(helpers)
	for t := 1; t <= helpers; t++ {
		go func() {
			defer wg.Done()
			work(t)
		}()
	}
	work(0)
	wg.Wait()
	if failed.Load() {
		sk.broken = true
		return 1
	}
	return 0
}

// closeSIMD releases the SIMD kernel instance, if there is one.
func (h *Host) closeSIMD(ctx context.Context) {
	if h.simd == nil {
		return
	}
	kernels.Delete(h.simd.guest)
	for _, m := range h.simd.mods {
		m.Close(ctx)
	}
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

// Threads returns the number of threads the guest's SIMD kernels run on (see
// WithThreads): 0 without SIMD kernels.
func (h *Host) Threads() int {
	if h.simd == nil {
		return 0
	}
	return len(h.simd.mods)
}

// SplitCalls returns how many kernel calls the guest split into parts for
// threads, and how many of those ran on more than one goroutine (fewer after
// a failure, when the parts run on the calling goroutine).
func (h *Host) SplitCalls() (split, spread uint64) {
	if h.simd == nil {
		return 0, 0
	}
	return h.simd.split, h.simd.spread
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
