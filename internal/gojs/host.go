package gojs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// ReadyName is the global function the guest calls (or the global it sets to
// true) once its exports are in place: New returns when it has.
const ReadyName = "__wasmnnReady"

// Config configures one guest for New. The zero value is usable.
type Config struct {
	// Stdout and Stderr receive what the guest writes to file descriptors 1
	// and 2 (fmt.Print, os.Stderr, console.log, Go runtime panics); nil
	// discards. The last few KB of standard error are kept for ExitError
	// either way.
	Stdout, Stderr io.Writer
	// Args are the guest's os.Args[1:] (os.Args[0] is "js"). Arguments and
	// environment together must fit in 8 KB.
	Args []string
	// Env is the guest's environment.
	Env map[string]string
	// CompilationWorkers lets wazero compile with that many goroutines (0 or 1:
	// one).
	CompilationWorkers int
	// Instantiated, if set, runs once the guest module is instantiated and
	// before its main starts, with the Host whose Module is the guest: the
	// place to instantiate modules that import the guest's memory, or
	// anything the guest's imports need from its first instruction. An error
	// aborts New (the guest is closed).
	Instantiated func(ctx context.Context, h *Host) error
}

// ExitError reports that the Go program in the guest has exited (returned
// from main, called os.Exit, or panicked: the Go runtime exits with code 2).
type ExitError struct {
	// Code is the exit code.
	Code int32
	// Stderr is the tail of what the guest wrote to standard error.
	Stderr string
}

// Error returns "Go program has exited with code N", followed by the tail of
// the guest's standard error if there is any.
func (e *ExitError) Error() string {
	msg := fmt.Sprintf("Go program has exited with code %d", e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ", stderr:\n" + s
	}
	return msg
}

// JSError is a JavaScript exception thrown by a function, or the reason of a
// rejected Promise, surfaced to Go.
type JSError struct {
	// Message is the Error's message, or String(value) for other values.
	Message string
	// Value is the thrown value, converted as Call results are.
	Value any
}

// Error returns "JavaScript error: " and the message.
func (e *JSError) Error() string { return "JavaScript error: " + e.Message }

// Host runs one GOOS=js GOARCH=wasm module and holds its JS world. A Host is
// not safe for concurrent use: drive it from one goroutine at a time.
type Host struct {
	ctx  context.Context
	mod  api.Module
	mem  api.Memory
	cfg  Config
	dead error // set once the guest exited or crashed

	getspFn   api.Function
	spStack   [1]uint64
	resumeFns []api.Function // one handle per nesting level
	depth     int            // active run/resume calls

	// The reference table shared with syscall/js.
	values    []any
	refCounts []int
	ids       map[any]uint32
	idPool    []uint32

	global, goObj *Object
	protos        protoSet

	timers    map[int32]*timer
	nextTimer int32
	micro     []func()
	draining  bool

	ready  bool
	closed bool

	stdout, stderr io.Writer
	stderrTail     tailBuffer
	start          time.Time
	startNano      int64
}

// timer is a pending timeout: fn nil is the Go runtime's own wake-up
// (scheduleTimeoutEvent), otherwise a setTimeout callback.
type timer struct {
	at   time.Time
	fn   any
	args []any
}

// Engine is a wazero runtime with the "gojs" host module defined, and the
// modules compiled in it: each distinct module is compiled once per Engine
// (and, with a compilation cache directory, once per machine). Hosts made
// from one Engine share its compiled code. An Engine is safe for concurrent
// use; the Hosts it runs are not.
type Engine struct {
	rt       wazero.Runtime
	mu       sync.Mutex
	compiled map[[sha256.Size]byte]wazero.CompiledModule
}

// EngineConfig configures NewEngine. The zero value is usable.
type EngineConfig struct {
	// CompilationCacheDir, if set, keeps wazero's compiled code in that
	// directory, so that a later process loads it instead of compiling again.
	CompilationCacheDir string
	// MemoryLimitPages caps each guest's linear memory at that many 64 KiB
	// pages (0: wazero's default, 65536 pages = 4 GiB). A guest that needs
	// more fails the way a browser tab does: the Go program inside exits with
	// an out-of-memory error.
	MemoryLimitPages uint32
	// HostModules, if set, defines further host modules in the runtime (after
	// "gojs"), for imports the guests have besides the gojs ones.
	HostModules func(ctx context.Context, rt wazero.Runtime) error
	// CloseOnContextDone makes guest code stop when the context of the call
	// running it ends (wazero's RuntimeConfig.WithCloseOnContextDone), at a
	// small cost in speed. Stopping closes the guest: its Go runtime is left
	// in the middle of something, so the Host fails every later call.
	CloseOnContextDone bool
	// Threads enables WebAssembly threads (shared memories and atomics,
	// wazero's experimental.CoreFeaturesThreads), so that guests with a
	// shared memory can be instantiated and other modules can use that
	// memory from other goroutines.
	Threads bool
}

var hosts sync.Map // api.Module -> *Host, for the shared gojs functions

// NewEngine makes a wazero runtime and defines the "gojs" host module in it
// (all 25 imports of wasm_exec.js, plus those of cfg.HostModules).
func NewEngine(ctx context.Context, cfg EngineConfig) (*Engine, error) {
	rcfg := wazero.NewRuntimeConfig()
	if cfg.MemoryLimitPages > 0 {
		rcfg = rcfg.WithMemoryLimitPages(min(cfg.MemoryLimitPages, 65536))
	}
	if cfg.CloseOnContextDone {
		rcfg = rcfg.WithCloseOnContextDone(true)
	}
	if cfg.Threads {
		rcfg = rcfg.WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesThreads)
	}
	if cfg.CompilationCacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CompilationCacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache: %w", err)
		}
		rcfg = rcfg.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(context.Background(), rcfg)
	if err := instantiateGojs(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("host: gojs imports: %w", err)
	}
	if cfg.HostModules != nil {
		if err := cfg.HostModules(ctx, rt); err != nil {
			rt.Close(ctx)
			return nil, err
		}
	}
	return &Engine{rt: rt, compiled: map[[sha256.Size]byte]wazero.CompiledModule{}}, nil
}

// Runtime returns the Engine's wazero runtime, for instantiating modules
// beside the guests (see Config.Instantiated).
func (e *Engine) Runtime() wazero.Runtime { return e.rt }

// Compile compiles wasm with workers goroutines (0 or 1: one), or returns the
// module compiled earlier from the same bytes.
func (e *Engine) Compile(ctx context.Context, wasm []byte, workers int) (wazero.CompiledModule, error) {
	key := sha256.Sum256(wasm)
	e.mu.Lock()
	defer e.mu.Unlock()
	if cm := e.compiled[key]; cm != nil {
		return cm, nil
	}
	if workers > 1 {
		ctx = experimental.WithCompilationWorkers(ctx, workers)
	}
	cm, err := e.rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("host: compile: %w", err)
	}
	e.compiled[key] = cm
	return cm, nil
}

// Close closes the runtime, with every module still instantiated in it.
func (e *Engine) Close(ctx context.Context) error { return e.rt.Close(ctx) }

func hostOf(mod api.Module) *Host {
	h, ok := hosts.Load(mod)
	if !ok {
		panic(errors.New("host: gojs function called by a module no Host runs"))
	}
	return h.(*Host)
}

// New compiles the GOOS=js module wasm in eng (or reuses the module compiled
// from the same bytes), instantiates it, and runs its main until the guest
// signals readiness by calling globalThis.__wasmnnReady() (ReadyName). It
// fails if main exits first (the error wraps an *ExitError with the code and
// stderr), if the guest goes idle with no pending timer before readiness, or
// if ctx ends.
func New(ctx context.Context, eng *Engine, wasm []byte, cfg Config) (*Host, error) {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	cm, err := eng.Compile(ctx, wasm, cfg.CompilationWorkers)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"run", "resume", "getsp"} {
		if _, ok := cm.ExportedFunctions()[name]; !ok {
			return nil, fmt.Errorf("host: module does not export %q: not a GOOS=js module", name)
		}
	}

	h := &Host{
		ctx:        context.Background(),
		cfg:        cfg,
		stdout:     cfg.Stdout,
		timers:     map[int32]*timer{},
		start:      time.Now(),
		stderrTail: tailBuffer{max: 4096},
	}
	h.stderr = io.MultiWriter(cfg.Stderr, &h.stderrTail)
	h.startNano = h.start.UnixNano()
	h.initGlobals()
	h.initRefs()

	mod, err := eng.rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("host: instantiate: %w", err)
	}
	h.mod = mod
	hosts.Store(mod, h)
	h.mem = mod.Memory()
	h.getspFn = mod.ExportedFunction("getsp")
	if h.mem == nil {
		h.Close(ctx)
		return nil, errors.New("host: module has no memory")
	}
	if cfg.Instantiated != nil {
		if err := cfg.Instantiated(ctx, h); err != nil {
			h.Close(ctx)
			return nil, err
		}
	}
	argc, argv, err := h.writeArgs()
	if err != nil {
		h.Close(ctx)
		return nil, err
	}

	h.depth++
	err = mod.ExportedFunction("run").CallWithStack(h.ctx, []uint64{uint64(argc), uint64(argv)})
	h.depth--
	if err != nil {
		h.setDead(err)
	}
	err = h.runUntil(ctx, h.isReady)
	if err != nil {
		h.Close(ctx)
		if errors.Is(err, errIdle) {
			return nil, fmt.Errorf("host: guest went idle without calling globalThis.%s() and no timer is pending", ReadyName)
		}
		return nil, fmt.Errorf("host: guest failed before signalling readiness: %w", err)
	}
	return h, nil
}

func (h *Host) isReady() bool {
	return h.ready || h.global.get(ReadyName) == true
}

// writeArgs lays out argv and the environment from offset 4096 as
// wasm_exec.js does, below the linker's minimum data address.
func (h *Host) writeArgs() (argc, argv uint32, err error) {
	const start, limit = 4096, 4096 + 8192
	offset := uint32(start)
	overflow := false
	strPtr := func(s string) uint32 {
		b := append([]byte(s), 0)
		if offset+uint32(len(b)) >= limit {
			overflow = true
			return 0
		}
		ptr := offset
		h.mem.Write(offset, b)
		offset += uint32(len(b))
		offset = (offset + 7) &^ 7
		return ptr
	}
	args := append([]string{"js"}, h.cfg.Args...)
	var ptrs []uint32
	for _, a := range args {
		ptrs = append(ptrs, strPtr(a))
	}
	ptrs = append(ptrs, 0)
	keys := make([]string, 0, len(h.cfg.Env))
	for k := range h.cfg.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ptrs = append(ptrs, strPtr(k+"="+h.cfg.Env[k]))
	}
	ptrs = append(ptrs, 0)
	argv = offset
	if overflow || offset+uint32(8*len(ptrs)) >= limit {
		return 0, 0, errors.New("host: command line and environment exceed 8 KB")
	}
	for _, p := range ptrs {
		h.mem.WriteUint64Le(offset, uint64(p))
		offset += 8
	}
	return uint32(len(args)), argv, nil
}

// setDead records that the guest exited or crashed, and closes the module so
// that direct calls of its exports fail instead of running a broken runtime.
func (h *Host) setDead(err error) {
	if h.dead != nil {
		return
	}
	code := uint32(1)
	var ee *ExitError
	if errors.As(err, &ee) {
		h.dead = ee
		code = uint32(ee.Code)
	} else if cerr := h.ctx.Err(); cerr != nil {
		h.dead = fmt.Errorf("host: the guest was stopped when its context ended (%w): %w", cerr, err)
	} else {
		h.dead = fmt.Errorf("host: guest crashed: %w", err)
	}
	if h.mod != nil {
		_ = h.mod.CloseWithExitCode(context.Background(), code)
	}
}

// Fail makes err the guest's terminal error (unless the guest has already
// exited or crashed) and closes the guest module; it returns the terminal
// error, which every later call returns too. Use it when a direct call of an
// export trapped: the Go runtime inside is then in an unknown state.
func (h *Host) Fail(err error) error {
	if h.dead == nil {
		h.dead = err
		if h.mod != nil {
			_ = h.mod.CloseWithExitCode(context.Background(), 1)
		}
	}
	return h.dead
}

// Err returns nil while the guest can be called, and otherwise why not: the
// guest exited or crashed (an *ExitError for an exit), or the Host is closed.
func (h *Host) Err() error { return h.usable() }

var (
	errIdle   = errors.New("host: guest is idle and no timer is pending")
	errClosed = errors.New("host: Host is closed")
)

func (h *Host) usable() error {
	if h.closed {
		return errClosed
	}
	return h.dead
}

// addTimer schedules fn(args...) after d (fn nil: resume the Go runtime).
func (h *Host) addTimer(d time.Duration, fn any, args []any) int32 {
	h.nextTimer++
	h.timers[h.nextTimer] = &timer{at: time.Now().Add(d), fn: fn, args: args}
	return h.nextTimer
}

// fireTimer waits for the earliest timer and runs it.
func (h *Host) fireTimer(ctx context.Context) error {
	var id int32
	var t *timer
	for i, u := range h.timers {
		if t == nil || u.at.Before(t.at) || (u.at.Equal(t.at) && i < id) {
			id, t = i, u
		}
	}
	if d := time.Until(t.at); d > 0 {
		wait := time.NewTimer(d)
		select {
		case <-ctx.Done():
			wait.Stop()
			return ctx.Err()
		case <-wait.C:
		}
	}
	delete(h.timers, id)
	if t.fn == nil {
		h.goObj.set("_pendingEvent", jsNull)
		return h.resume()
	}
	h.runJob(t.fn, t.args)
	return h.dead
}

// drainMicrotasks runs queued Promise reactions, unless a guest call is in
// progress (they run when control is back at the top).
func (h *Host) drainMicrotasks() {
	if h.depth > 0 || h.draining {
		return
	}
	h.draining = true
	for len(h.micro) > 0 && h.dead == nil {
		job := h.micro[0]
		h.micro[0] = nil
		h.micro = h.micro[1:]
		job()
	}
	h.micro = nil
	h.draining = false
}

// runUntil is the event loop: microtasks, then timers, until done reports
// true, the guest dies, nothing is left to wait for (errIdle) or ctx ends.
func (h *Host) runUntil(ctx context.Context, done func() bool) error {
	for {
		h.drainMicrotasks()
		if h.dead != nil {
			return h.dead
		}
		if done() {
			return nil
		}
		if len(h.timers) == 0 {
			return errIdle
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := h.fireTimer(ctx); err != nil {
			return err
		}
	}
}

// withContext makes ctx the context of guest calls until the returned
// function runs, when no guest call is in progress (nested calls keep the
// outermost context).
func (h *Host) withContext(ctx context.Context) func() {
	if h.depth > 0 {
		return func() {}
	}
	h.ctx = ctx
	return func() { h.ctx = context.Background() }
}

// jsError converts an error from a JS function into what Call returns.
func (h *Host) jsError(err error) error {
	t, ok := err.(*throw)
	if !ok {
		return err
	}
	msg := toString(t.val)
	if o, ok := t.val.(*Object); ok && o.isError() {
		msg = toString(o.get("message"))
	}
	return &JSError{Message: msg, Value: fromJS(t.val)}
}

// Close releases the guest module. The compiled code stays cached for the
// process.
func (h *Host) Close(ctx context.Context) error {
	if h.closed {
		return nil
	}
	h.closed = true
	err := h.mod.Close(ctx)
	hosts.Delete(h.mod)
	h.values, h.refCounts, h.ids, h.idPool = nil, nil, nil, nil
	h.timers, h.micro = map[int32]*timer{}, nil
	return err
}

// Module returns the guest module, for instantiating modules that import
// from it (see Config.Instantiated).
func (h *Host) Module() api.Module { return h.mod }

// Global returns the guest world's globalThis.
func (h *Host) Global() *Object { return h.global }

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
	return h.CallContext(context.Background(), obj, method, args...)
}

// CallContext is Call with a context for the guest code it runs. wazero
// ignores the context unless the Engine was made with
// EngineConfig.CloseOnContextDone; then the guest stops as soon as ctx ends,
// and stays stopped: the call and every later one fail with an error
// wrapping ctx.Err(). Inside a Func the guest is running, the context of the
// outermost call applies.
func (h *Host) CallContext(ctx context.Context, obj *Object, method string, args ...any) (any, error) {
	if err := h.usable(); err != nil {
		return nil, err
	}
	if obj == nil {
		obj = h.global
	}
	fn, ok := obj.get(method).(*Object)
	if !ok || fn.call == nil {
		return nil, fmt.Errorf("host: %s is not a function", method)
	}
	jsArgs := make([]any, len(args))
	for i, a := range args {
		v, err := h.toJS(a)
		if err != nil {
			return nil, fmt.Errorf("host: %s argument %d: %w", method, i, err)
		}
		jsArgs[i] = v
	}
	defer h.withContext(ctx)()
	res, err := fn.call(obj, jsArgs)
	h.drainMicrotasks()
	if h.dead != nil {
		return nil, h.dead
	}
	if err != nil {
		return nil, h.jsError(err)
	}
	return fromJS(res), nil
}

// Await waits for v, a Promise returned by a guest call, to settle, driving
// the guest's event loop (Promise reactions, timers and the goroutines they
// wake) meanwhile. It returns the fulfilment value converted as by Call, or a
// *JSError carrying the rejection's message. A value that is not a Promise is
// returned as is. If the Promise can never settle (no timer pending, guest
// idle), Await fails rather than hang; ctx bounds the wait (and, with
// EngineConfig.CloseOnContextDone, the guest code that runs meanwhile).
// Await must not be called from inside a Func the guest is running.
func (h *Host) Await(ctx context.Context, v any) (any, error) {
	p, ok := v.(*Object)
	if !ok || p.kind != kindPromise {
		return v, nil
	}
	if err := h.usable(); err != nil {
		return nil, err
	}
	if h.depth > 0 {
		return nil, errors.New("host: Await called while the guest is running")
	}
	defer h.withContext(ctx)()
	err := h.runUntil(ctx, func() bool { return p.promise.status != pending })
	if errors.Is(err, errIdle) {
		return nil, errors.New("host: promise can never settle: the guest is idle and no timer is pending")
	}
	if err != nil {
		return nil, err
	}
	if p.promise.status == rejected {
		return nil, h.jsError(&throw{p.promise.value})
	}
	return fromJS(p.promise.value), nil
}

// ExportedFunction returns the guest's //go:wasmexport function name (nil if
// there is none) for direct calls, which cost far less than Call. Call it
// only from the top level (not from a Func the guest is running), keep the
// handle, and do not let the export block on the host: exports must finish
// without waiting for timers or events. Pointers into guest memory must stay
// referenced by the guest (e.g. from a global) while the host uses them.
func (h *Host) ExportedFunction(name string) api.Function { return h.mod.ExportedFunction(name) }

// Memory returns the guest's linear memory. Byte slices read from it are
// invalidated when it grows, i.e. by any call into the guest.
func (h *Host) Memory() api.Memory { return h.mem }

// MemorySize returns the size of the guest's linear memory in bytes.
func (h *Host) MemorySize() uint32 { return h.mem.Size() }

// RefCount returns the number of JS values the guest currently references
// (including the fixed ones). References are released only after the guest's
// garbage collector runs its finalizers.
func (h *Host) RefCount() int { return len(h.ids) }

// writeFD writes guest output: fd 2 to stderr, anything else to stdout.
func (h *Host) writeFD(fd int64, b []byte) {
	if fd == 2 {
		h.stderr.Write(b)
		return
	}
	h.stdout.Write(b)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
