package gojs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The gojs ABI: every import takes the guest's stack pointer; arguments and
// results live at sp+8 onwards in Go's ABI0 layout. JS values are 8-byte
// slots: all-zero is undefined, a non-NaN float64 is a number, a NaN carries
// a reference id in its low word and a type flag in its high word.

const (
	nanHead = 0x7FF80000

	// Fixed reference ids shared with syscall/js.
	refNaN, refZero, refNull, refTrue, refFalse, refGlobal, refGo = 0, 1, 2, 3, 4, 5, 6
	numFixedRefs                                                  = 7
)

// initRefs resets the reference table to the fixed values.
func (h *Host) initRefs() {
	h.values = []any{math.NaN(), 0.0, jsNull, true, false, h.global, h.goObj}
	h.refCounts = make([]int, numFixedRefs)
	h.ids = map[any]uint32{0.0: refZero, jsNull: refNull, true: refTrue, false: refFalse, h.global: refGlobal, h.goObj: refGo}
}

// guestFault aborts the current guest call: the host cannot make sense of
// what the guest asked, so the guest is considered crashed.
func (h *Host) guestFault(format string, args ...any) {
	h.setDead(fmt.Errorf(format, args...))
	panic(h.dead)
}

// checkDead propagates a guest exit or crash that happened in a nested call
// out of the current import.
func (h *Host) checkDead() {
	if h.dead != nil {
		panic(h.dead)
	}
}

func (h *Host) readU32(a uint32) uint32 {
	v, ok := h.mem.ReadUint32Le(a)
	if !ok {
		h.guestFault("memory read at %#x out of range", a)
	}
	return v
}

func (h *Host) readI64(a uint32) int64 {
	v, ok := h.mem.ReadUint64Le(a)
	if !ok {
		h.guestFault("memory read at %#x out of range", a)
	}
	return int64(v)
}

func (h *Host) writeU8(a uint32, v byte) {
	if !h.mem.WriteByte(a, v) {
		h.guestFault("memory write at %#x out of range", a)
	}
}

func (h *Host) writeU32(a, v uint32) {
	if !h.mem.WriteUint32Le(a, v) {
		h.guestFault("memory write at %#x out of range", a)
	}
}

func (h *Host) writeI64(a uint32, v int64) {
	if !h.mem.WriteUint64Le(a, uint64(v)) {
		h.guestFault("memory write at %#x out of range", a)
	}
}

// bytesAt views len bytes of guest memory at ptr; the view is only valid
// until the guest next runs (memory may grow).
func (h *Host) bytesAt(ptr, n int64) []byte {
	if ptr < 0 || n < 0 || ptr+n > math.MaxUint32 {
		h.guestFault("bad slice %#x+%d", ptr, n)
	}
	b, ok := h.mem.Read(uint32(ptr), uint32(n))
	if !ok {
		h.guestFault("slice %#x+%d out of range", ptr, n)
	}
	return b
}

// loadSlice views the []byte whose header is at a.
func (h *Host) loadSlice(a uint32) []byte {
	return h.bytesAt(h.readI64(a), h.readI64(a+8))
}

// loadString copies the string whose header is at a.
func (h *Host) loadString(a uint32) string {
	return string(h.loadSlice(a))
}

// loadValue decodes the JS value slot at a.
func (h *Host) loadValue(a uint32) any {
	bits := uint64(h.readI64(a))
	f := math.Float64frombits(bits)
	if f == 0 {
		return nil
	}
	if !math.IsNaN(f) {
		return f
	}
	id := uint32(bits)
	if int(id) >= len(h.values) {
		h.guestFault("reference %d out of range", id)
	}
	return h.values[id]
}

// loadValues decodes the []ref whose header is at a.
func (h *Host) loadValues(a uint32) []any {
	ptr, n := h.readI64(a), h.readI64(a+8)
	if n < 0 || n > 1<<24 {
		h.guestFault("bad argument count %d", n)
	}
	out := make([]any, n)
	for i := range out {
		out[i] = h.loadValue(uint32(ptr) + uint32(8*i))
	}
	return out
}

// storeValue encodes v into the slot at a, taking a reference for the guest.
func (h *Host) storeValue(a uint32, v any) {
	switch x := v.(type) {
	case nil:
		h.writeI64(a, 0)
		return
	case float64:
		if math.IsNaN(x) {
			h.writeU32(a+4, nanHead)
			h.writeU32(a, refNaN)
			return
		}
		if x != 0 {
			h.writeI64(a, int64(math.Float64bits(x)))
			return
		}
		v = 0.0 // -0 and 0 share the reference id of 0
	}
	id, ok := h.ids[v]
	if !ok {
		if n := len(h.idPool); n > 0 {
			id = h.idPool[n-1]
			h.idPool = h.idPool[:n-1]
			h.values[id] = v
			h.refCounts[id] = 0
		} else {
			id = uint32(len(h.values))
			h.values = append(h.values, v)
			h.refCounts = append(h.refCounts, 0)
		}
		h.ids[v] = id
	}
	h.refCounts[id]++
	h.writeU32(a+4, nanHead|typeFlag(v))
	h.writeU32(a, id)
}

// getSP re-reads the guest's stack pointer, which may have moved if guest
// code ran during the current import.
func (h *Host) getSP() uint32 {
	if err := h.getspFn.CallWithStack(h.ctx, h.spStack[:]); err != nil {
		h.setDead(err)
		panic(h.dead)
	}
	return uint32(h.spStack[0])
}

// storeResult writes the (value, ok) pair of valueCall/valueInvoke/valueNew
// at a fresh SP.
func (h *Host) storeResult(off uint32, res any, err error) {
	h.checkDead()
	sp := h.getSP()
	if err != nil {
		h.storeValue(sp+off, h.thrownValue(err))
		h.writeU8(sp+off+8, 0)
		return
	}
	h.storeValue(sp+off, res)
	h.writeU8(sp+off+8, 1)
}

// getProp is JS v[key] (a TypeError for undefined and null).
func (h *Host) getProp(v any, key string) (any, error) {
	switch x := v.(type) {
	case *Object:
		return x.get(key), nil
	case nil, *nullValue:
		return nil, h.typeError("Cannot read properties of %s (reading '%s')", toString(v), key)
	case string:
		if key == "length" {
			return float64(utf16Len(x)), nil
		}
		if i, ok := arrayIndex(key); ok {
			u := utf16Encode(x)
			if i < len(u) {
				return utf16Decode(u[i : i+1]), nil
			}
		}
	}
	return nil, nil
}

// setProp is JS v[key] = x.
func (h *Host) setProp(v any, key string, x any) error {
	switch o := v.(type) {
	case *Object:
		o.set(key, x)
		return nil
	case nil, *nullValue:
		return h.typeError("Cannot set properties of %s (setting '%s')", toString(v), key)
	}
	return nil // primitives: silently ignored, as in sloppy JS
}

// apply is Reflect.apply(fn, this, args).
func (h *Host) apply(fn, this any, args []any) (any, error) {
	o, ok := fn.(*Object)
	if !ok || o.call == nil {
		return nil, h.typeError("%s is not a function", toString(fn))
	}
	return o.call(this, args)
}

// construct is Reflect.construct(fn, args).
func (h *Host) construct(fn any, args []any) (any, error) {
	o, ok := fn.(*Object)
	if !ok || o.construct == nil {
		return nil, h.typeError("%s is not a constructor", toString(fn))
	}
	return o.construct(args)
}

// callGuestFunc runs the js.FuncOf function id: it posts the pending event on
// the Go object and resumes the guest, which stores event.result.
func (h *Host) callGuestFunc(id float64, this any, args []any) (any, error) {
	if h.dead != nil {
		return nil, h.dead
	}
	ev := h.newPlain()
	ev.set("id", id)
	ev.set("this", this)
	ev.set("args", h.newArray(args))
	h.goObj.set("_pendingEvent", ev)
	if err := h.resume(); err != nil {
		return nil, err
	}
	return ev.get("result"), nil
}

// resume runs the guest's event handler (or lets it check its timers when no
// event is pending) until every goroutine is idle again. Nested calls use one
// function handle per nesting level, as wazero forbids re-entering a handle.
func (h *Host) resume() error {
	if h.dead != nil {
		return h.dead
	}
	level := h.depth
	for len(h.resumeFns) <= level {
		fn := h.mod.ExportedFunction("resume")
		if fn == nil {
			return errors.New("host: guest does not export resume")
		}
		h.resumeFns = append(h.resumeFns, fn)
	}
	h.depth++
	err := h.resumeFns[level].CallWithStack(h.ctx, nil)
	h.depth--
	if err != nil {
		h.setDead(err)
		return h.dead
	}
	return nil
}

// imports lists the gojs functions, all of signature (sp i32).
var imports = []struct {
	name string
	fn   func(h *Host, sp uint32)
}{
	{"runtime.wasmExit", (*Host).wasmExit},
	{"runtime.wasmWrite", func(h *Host, sp uint32) {
		fd, p := h.readI64(sp+8), h.readI64(sp+16)
		n := int32(h.readU32(sp + 24))
		h.writeFD(fd, h.bytesAt(p, int64(n)))
	}},
	{"runtime.resetMemoryDataView", func(h *Host, sp uint32) {}},
	{"runtime.nanotime1", func(h *Host, sp uint32) {
		h.writeI64(sp+8, h.startNano+time.Since(h.start).Nanoseconds())
	}},
	{"runtime.walltime", func(h *Host, sp uint32) {
		now := time.Now()
		h.writeI64(sp+8, now.Unix())
		h.writeU32(sp+16, uint32(now.Nanosecond()))
	}},
	{"runtime.scheduleTimeoutEvent", func(h *Host, sp uint32) {
		ms := h.readI64(sp + 8)
		id := h.addTimer(time.Duration(ms)*time.Millisecond, nil, nil)
		h.writeU32(sp+16, uint32(id))
	}},
	{"runtime.clearTimeoutEvent", func(h *Host, sp uint32) {
		delete(h.timers, int32(h.readU32(sp+8)))
	}},
	{"runtime.getRandomData", func(h *Host, sp uint32) {
		if _, err := rand.Read(h.loadSlice(sp + 8)); err != nil {
			h.guestFault("getRandomData: %v", err)
		}
	}},
	{"syscall/js.finalizeRef", func(h *Host, sp uint32) {
		id := h.readU32(sp + 8)
		if id < numFixedRefs || int(id) >= len(h.values) || h.refCounts[id] <= 0 {
			return
		}
		h.refCounts[id]--
		if h.refCounts[id] == 0 {
			delete(h.ids, h.values[id])
			h.values[id] = nil
			h.idPool = append(h.idPool, id)
		}
	}},
	{"syscall/js.stringVal", func(h *Host, sp uint32) {
		h.storeValue(sp+24, h.loadString(sp+8))
	}},
	{"syscall/js.valueGet", func(h *Host, sp uint32) {
		res, err := h.getProp(h.loadValue(sp+8), h.loadString(sp+16))
		if err != nil {
			h.guestFault("valueGet: %v", err)
		}
		sp = h.getSP()
		h.storeValue(sp+32, res)
	}},
	{"syscall/js.valueSet", func(h *Host, sp uint32) {
		if err := h.setProp(h.loadValue(sp+8), h.loadString(sp+16), h.loadValue(sp+32)); err != nil {
			h.guestFault("valueSet: %v", err)
		}
	}},
	{"syscall/js.valueDelete", func(h *Host, sp uint32) {
		if o, ok := h.loadValue(sp + 8).(*Object); ok {
			o.remove(h.loadString(sp + 16))
		}
	}},
	{"syscall/js.valueIndex", func(h *Host, sp uint32) {
		v, i := h.loadValue(sp+8), h.readI64(sp+16)
		var res any
		switch x := v.(type) {
		case *Object:
			res = x.index(int(i))
		default:
			var err error
			if res, err = h.getProp(v, fmt.Sprint(i)); err != nil {
				h.guestFault("valueIndex: %v", err)
			}
		}
		h.storeValue(sp+24, res)
	}},
	{"syscall/js.valueSetIndex", func(h *Host, sp uint32) {
		v, i, x := h.loadValue(sp+8), h.readI64(sp+16), h.loadValue(sp+24)
		o, ok := v.(*Object)
		if !ok {
			if err := h.setProp(v, fmt.Sprint(i), x); err != nil {
				h.guestFault("valueSetIndex: %v", err)
			}
			return
		}
		o.setIndex(int(i), x)
	}},
	{"syscall/js.valueCall", func(h *Host, sp uint32) {
		v, name, args := h.loadValue(sp+8), h.loadString(sp+16), h.loadValues(sp+32)
		m, err := h.getProp(v, name)
		var res any
		if err == nil {
			res, err = h.apply(m, v, args)
		}
		h.storeResult(56, res, err)
	}},
	{"syscall/js.valueInvoke", func(h *Host, sp uint32) {
		v, args := h.loadValue(sp+8), h.loadValues(sp+16)
		res, err := h.apply(v, nil, args)
		h.storeResult(40, res, err)
	}},
	{"syscall/js.valueNew", func(h *Host, sp uint32) {
		v, args := h.loadValue(sp+8), h.loadValues(sp+16)
		res, err := h.construct(v, args)
		h.storeResult(40, res, err)
	}},
	{"syscall/js.valueLength", func(h *Host, sp uint32) {
		var n int
		switch x := h.loadValue(sp + 8).(type) {
		case *Object:
			n = x.length()
		case string:
			n = utf16Len(x)
		case nil, *nullValue:
			h.guestFault("valueLength: Cannot read properties of %s (reading 'length')", toString(x))
		}
		h.writeI64(sp+16, int64(n))
	}},
	{"syscall/js.valuePrepareString", func(h *Host, sp uint32) {
		b := []byte(toString(h.loadValue(sp + 8)))
		h.storeValue(sp+16, h.newTypedBytes(typedKinds[1], b))
		h.writeI64(sp+24, int64(len(b)))
	}},
	{"syscall/js.valueLoadString", func(h *Host, sp uint32) {
		src, ok := h.loadValue(sp + 8).(*Object)
		if !ok || src.kind != kindTyped {
			h.guestFault("valueLoadString: not a prepared string")
		}
		copy(h.loadSlice(sp+16), src.bytes())
	}},
	{"syscall/js.valueInstanceOf", func(h *Host, sp uint32) {
		var r byte
		if instanceOf(h.loadValue(sp+8), h.loadValue(sp+16)) {
			r = 1
		}
		h.writeU8(sp+24, r)
	}},
	{"syscall/js.copyBytesToGo", func(h *Host, sp uint32) {
		dst := h.loadSlice(sp + 8)
		src, ok := h.loadValue(sp + 32).(*Object)
		if !ok || !isByteArray(src) {
			h.writeU8(sp+48, 0)
			return
		}
		n := copy(dst, src.bytes())
		h.writeI64(sp+40, int64(n))
		h.writeU8(sp+48, 1)
	}},
	{"syscall/js.copyBytesToJS", func(h *Host, sp uint32) {
		dst, ok := h.loadValue(sp + 8).(*Object)
		src := h.loadSlice(sp + 16)
		if !ok || !isByteArray(dst) {
			h.writeU8(sp+48, 0)
			return
		}
		n := copy(dst.bytes(), src)
		h.writeI64(sp+40, int64(n))
		h.writeU8(sp+48, 1)
	}},
}

// isByteArray reports whether o is a Uint8Array or Uint8ClampedArray, the
// only sources and targets copyBytesToGo/copyBytesToJS accept.
func isByteArray(o *Object) bool {
	return o.kind == kindTyped && (o.ta.name == "Uint8Array" || o.ta.name == "Uint8ClampedArray")
}

// wasmExit records the exit code, closes the module so that any later call
// fails fast, and unwinds the guest.
func (h *Host) wasmExit(sp uint32) {
	code := int32(h.readU32(sp + 8))
	h.setDead(&ExitError{Code: code, Stderr: h.stderrTail.String()})
	panic(h.dead)
}

// instantiateGojs defines the "gojs" host module in rt. Its functions find
// their Host from the calling module.
func instantiateGojs(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder("gojs")
	i32 := []api.ValueType{api.ValueTypeI32}
	for _, imp := range imports {
		fn := imp.fn
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				fn(hostOf(mod), uint32(stack[0]))
			}), i32, nil).
			WithParameterNames("sp").
			Export(imp.name)
	}
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			h := hostOf(mod)
			fmt.Fprintln(h.stderr, "debug:", int32(stack[0]))
		}), i32, nil).
		WithParameterNames("value").
		Export("debug")
	_, err := b.Instantiate(ctx)
	return err
}
