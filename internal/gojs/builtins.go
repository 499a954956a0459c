package gojs

import (
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// protoSet holds the built-in prototypes of one Host's JS world.
type protoSet struct {
	object, function, array, arrayBuffer, promise, date *Object
	errors                                              map[string]*Object
	typed                                               map[string]*Object
}

// throw is a JS exception in flight: val is the thrown JS value.
type throw struct{ val any }

func (t *throw) Error() string { return "JavaScript exception: " + describe(t.val) }

// describe is a short human description of a thrown value.
func describe(v any) string {
	if o, ok := v.(*Object); ok && o.isError() {
		return toString(o)
	}
	return toString(v)
}

// typeError returns a thrown TypeError.
func (h *Host) typeError(format string, args ...any) error {
	return &throw{h.newError("TypeError", fmt.Sprintf(format, args...))}
}

// thrownValue turns an error from a function into the JS value to throw.
func (h *Host) thrownValue(err error) any {
	if t, ok := err.(*throw); ok {
		return t.val
	}
	return h.newError("Error", err.Error())
}

// arg returns args[i] or undefined.
func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// method defines a function-valued property.
func (h *Host) method(o *Object, name string, fn func(this any, args []any) (any, error)) {
	o.set(name, h.newFunction(name, fn))
}

// class defines a global constructor with its prototype.
func (h *Host) class(name string, proto *Object, call func(this any, args []any) (any, error), construct func(args []any) (any, error)) *Object {
	if call == nil {
		call = func(this any, args []any) (any, error) {
			return nil, h.typeError("class constructor %s cannot be invoked without 'new'", name)
		}
	}
	c := h.newFunction(name, call)
	c.construct = construct
	c.set("prototype", proto)
	proto.set("constructor", c)
	h.global.set(name, c)
	return c
}

// initGlobals builds globalThis and the Go object (ref 6).
func (h *Host) initGlobals() {
	p := &h.protos
	p.object = &Object{h: h, class: "Object"}
	p.function = h.newObject("Function", p.object)
	p.array = h.newObject("Array", p.object)
	p.arrayBuffer = h.newObject("ArrayBuffer", p.object)
	p.promise = h.newObject("Promise", p.object)
	p.date = h.newObject("Date", p.object)
	p.errors = map[string]*Object{}
	p.typed = map[string]*Object{}

	h.global = h.newPlain()
	g := h.global
	g.set("globalThis", g)

	// Object and Array.
	objectCtor := h.class("Object", p.object,
		func(this any, args []any) (any, error) { return h.toObject(arg(args, 0)), nil },
		func(args []any) (any, error) { return h.toObject(arg(args, 0)), nil })
	h.method(objectCtor, "keys", func(this any, args []any) (any, error) {
		o, ok := arg(args, 0).(*Object)
		if !ok {
			return h.newArray(nil), nil
		}
		keys := o.Keys()
		elems := make([]any, len(keys))
		for i, k := range keys {
			elems[i] = k
		}
		return h.newArray(elems), nil
	})
	h.method(p.object, "hasOwnProperty", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok {
			return false, nil
		}
		_, has := o.props[toString(arg(args, 0))]
		return has, nil
	})
	h.method(p.object, "toString", func(this any, args []any) (any, error) {
		return toString(this), nil
	})
	newArray := func(args []any) (any, error) {
		if len(args) == 1 {
			if n, ok := args[0].(float64); ok {
				if n < 0 || n != math.Trunc(n) || n > 1<<31 {
					return nil, &throw{h.newError("RangeError", "Invalid array length")}
				}
				return h.newArray(make([]any, int(n))), nil
			}
		}
		return h.newArray(append([]any(nil), args...)), nil
	}
	arrayCtor := h.class("Array", p.array,
		func(this any, args []any) (any, error) { return newArray(args) }, newArray)
	h.method(arrayCtor, "isArray", func(this any, args []any) (any, error) {
		o, ok := arg(args, 0).(*Object)
		return ok && o.kind == kindArray, nil
	})
	h.method(p.array, "push", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok || o.kind != kindArray {
			return nil, h.typeError("Array.prototype.push called on a non-array")
		}
		o.elems = append(o.elems, args...)
		return float64(len(o.elems)), nil
	})
	h.method(p.array, "join", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok {
			return "", nil
		}
		sep := ","
		if s := arg(args, 0); s != nil {
			sep = toString(s)
		}
		parts := make([]string, o.length())
		for i := range parts {
			if e := o.index(i); e != nil && e != any(jsNull) {
				parts[i] = toString(e)
			}
		}
		return strings.Join(parts, sep), nil
	})

	h.initFunctionProto()
	h.initErrors()
	h.initTyped()
	h.initPromise()
	h.initDate()
	h.initNodePolyfills()

	// crypto, performance, console, timers.
	cryptoObj := h.newPlain()
	h.method(cryptoObj, "getRandomValues", func(this any, args []any) (any, error) {
		o, ok := arg(args, 0).(*Object)
		if !ok || o.kind != kindTyped || strings.HasPrefix(o.ta.name, "Float") {
			return nil, h.typeError("crypto.getRandomValues: argument is not an integer typed array")
		}
		if _, err := rand.Read(o.bytes()); err != nil {
			return nil, err
		}
		return o, nil
	})
	g.set("crypto", cryptoObj)
	perf := h.newPlain()
	h.method(perf, "now", func(this any, args []any) (any, error) {
		return float64(time.Since(h.start).Nanoseconds()) / 1e6, nil
	})
	g.set("performance", perf)
	console := h.newPlain()
	logTo := func(w func() io.Writer) func(this any, args []any) (any, error) {
		return func(this any, args []any) (any, error) {
			parts := make([]string, len(args))
			for i, a := range args {
				parts[i] = describe(a)
			}
			io.WriteString(w(), strings.Join(parts, " ")+"\n")
			return nil, nil
		}
	}
	stdout := func() io.Writer { return h.stdout }
	stderr := func() io.Writer { return h.stderr }
	for _, name := range []string{"log", "info", "debug"} {
		h.method(console, name, logTo(stdout))
	}
	for _, name := range []string{"error", "warn"} {
		h.method(console, name, logTo(stderr))
	}
	g.set("console", console)
	h.method(g, "setTimeout", func(this any, args []any) (any, error) {
		ms := toNumber(arg(args, 1))
		if math.IsNaN(ms) || ms < 0 {
			ms = 0
		}
		var rest []any
		if len(args) > 2 {
			rest = append(rest, args[2:]...)
		}
		id := h.addTimer(time.Duration(ms*float64(time.Millisecond)), arg(args, 0), rest)
		return float64(id), nil
	})
	h.method(g, "clearTimeout", func(this any, args []any) (any, error) {
		delete(h.timers, int32(toNumber(arg(args, 0))))
		return nil, nil
	})
	h.method(g, "queueMicrotask", func(this any, args []any) (any, error) {
		fn := arg(args, 0)
		h.enqueue(func() { h.runJob(fn, nil) })
		return nil, nil
	})

	// The readiness hook (see the package documentation).
	h.method(g, ReadyName, func(this any, args []any) (any, error) {
		h.ready = true
		return nil, nil
	})

	// The Go object of wasm_exec.js: the guest reads _pendingEvent on it and
	// asks it to wrap js.FuncOf ids into callable functions.
	h.goObj = h.newPlain()
	h.goObj.class = "Go"
	h.goObj.set("_pendingEvent", jsNull)
	h.method(h.goObj, "_makeFuncWrapper", func(this any, args []any) (any, error) {
		id := toNumber(arg(args, 0))
		return h.newFunction("", func(this any, args []any) (any, error) {
			return h.callGuestFunc(id, this, args)
		}), nil
	})
}

// toObject is Object(v) for the cases the guest uses.
func (h *Host) toObject(v any) *Object {
	if o, ok := v.(*Object); ok {
		return o
	}
	return h.newPlain()
}

func (h *Host) initFunctionProto() {
	fp := h.protos.function
	h.method(fp, "call", func(this any, args []any) (any, error) {
		var rest []any
		if len(args) > 1 {
			rest = args[1:]
		}
		return h.apply(this, arg(args, 0), rest)
	})
	h.method(fp, "apply", func(this any, args []any) (any, error) {
		var list []any
		if o, ok := arg(args, 1).(*Object); ok {
			for i := 0; i < o.length(); i++ {
				list = append(list, o.index(i))
			}
		}
		return h.apply(this, arg(args, 0), list)
	})
	h.class("Function", fp, nil, nil)
}

func (h *Host) initErrors() {
	base := h.newObject("Error", h.protos.object)
	h.protos.errors["Error"] = base
	for _, name := range []string{"Error", "TypeError", "RangeError", "SyntaxError"} {
		proto := base
		if name != "Error" {
			proto = h.newObject(name, base)
			h.protos.errors[name] = proto
		}
		proto.set("name", name)
		proto.set("message", "")
		ctor := func(args []any) (any, error) {
			msg := ""
			if m := arg(args, 0); m != nil {
				msg = toString(m)
			}
			return h.newError(name, msg), nil
		}
		h.class(name, proto, func(this any, args []any) (any, error) { return ctor(args) }, ctor)
	}
	h.method(base, "toString", func(this any, args []any) (any, error) {
		return toString(this), nil
	})
}

func (h *Host) initTyped() {
	bufCtor := func(args []any) (any, error) {
		n := toNumber(arg(args, 0))
		if math.IsNaN(n) {
			n = 0
		}
		if n < 0 || n != math.Trunc(n) || n > 1<<32 {
			return nil, &throw{h.newError("RangeError", "Invalid array buffer length")}
		}
		return h.newArrayBuffer(make([]byte, int(n))), nil
	}
	h.class("ArrayBuffer", h.protos.arrayBuffer, nil, bufCtor)
	h.method(h.protos.arrayBuffer, "slice", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok || o.kind != kindBuffer {
			return nil, h.typeError("ArrayBuffer.prototype.slice called on a non-buffer")
		}
		b, e := sliceRange(len(o.data), args)
		return h.newArrayBuffer(append([]byte(nil), o.data[b:e]...)), nil
	})

	base := h.newObject("TypedArray", h.protos.object)
	h.method(base, "subarray", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok || o.kind != kindTyped {
			return nil, h.typeError("subarray called on a non-typed array")
		}
		b, e := sliceRange(o.n, args)
		return h.newTyped(o.ta, o.buffer, o.off+b*o.ta.size, e-b), nil
	})
	h.method(base, "slice", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok || o.kind != kindTyped {
			return nil, h.typeError("slice called on a non-typed array")
		}
		b, e := sliceRange(o.n, args)
		src := o.bytes()[b*o.ta.size : e*o.ta.size]
		return h.newTypedBytes(o.ta, append([]byte(nil), src...)), nil
	})
	h.method(base, "set", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok || o.kind != kindTyped {
			return nil, h.typeError("set called on a non-typed array")
		}
		src, ok := arg(args, 0).(*Object)
		if !ok {
			return nil, h.typeError("set: source is not an object")
		}
		off := int(toNumber(arg(args, 1)))
		if arg(args, 1) == nil {
			off = 0
		}
		n := src.length()
		if off < 0 || off+n > o.n {
			return nil, &throw{h.newError("RangeError", "offset is out of bounds")}
		}
		if src.kind == kindTyped && src.ta == o.ta {
			copy(o.bytes()[off*o.ta.size:], src.bytes())
			return nil, nil
		}
		vals := make([]any, n) // read all first: source and target may overlap
		for i := range vals {
			vals[i] = src.index(i)
		}
		for i, v := range vals {
			o.setIndex(off+i, v)
		}
		return nil, nil
	})
	h.method(base, "fill", func(this any, args []any) (any, error) {
		o, ok := this.(*Object)
		if !ok || o.kind != kindTyped {
			return nil, h.typeError("fill called on a non-typed array")
		}
		b, e := sliceRange(o.n, args[min(1, len(args)):])
		for i := b; i < e; i++ {
			o.setIndex(i, arg(args, 0))
		}
		return o, nil
	})
	for _, k := range typedKinds {
		proto := h.newObject(k.name, base)
		h.protos.typed[k.name] = proto
		ctor := h.class(k.name, proto, nil, func(args []any) (any, error) { return h.constructTyped(k, args) })
		ctor.set("BYTES_PER_ELEMENT", float64(k.size))
	}
}

// sliceRange resolves JS (begin, end) arguments against length n.
func sliceRange(n int, args []any) (int, int) {
	idx := func(v any, def int) int {
		if v == nil {
			return def
		}
		f := toNumber(v)
		if math.IsNaN(f) {
			return 0
		}
		if f < 0 {
			f += float64(n)
		}
		return int(math.Max(0, math.Min(float64(n), math.Trunc(f))))
	}
	b, e := idx(arg(args, 0), 0), idx(arg(args, 1), n)
	if e < b {
		e = b
	}
	return b, e
}

// constructTyped is `new Uint8Array(...)` and its siblings.
func (h *Host) constructTyped(k *typedKind, args []any) (any, error) {
	switch a := arg(args, 0).(type) {
	case nil, *nullValue:
		return h.newTypedBytes(k, nil), nil
	case float64:
		if a < 0 || a != math.Trunc(a) || a*float64(k.size) > 1<<32 {
			return nil, &throw{h.newError("RangeError", "Invalid typed array length")}
		}
		return h.newTypedBytes(k, make([]byte, int(a)*k.size)), nil
	case *Object:
		if a.kind == kindBuffer {
			off := 0
			if v := arg(args, 1); v != nil {
				off = int(toNumber(v))
			}
			if off < 0 || off > len(a.data) || off%k.size != 0 {
				return nil, &throw{h.newError("RangeError", "start offset of "+k.name+" should be a multiple of "+fmt.Sprint(k.size))}
			}
			var n int
			if v := arg(args, 2); v != nil {
				n = int(toNumber(v))
				if n < 0 || off+n*k.size > len(a.data) {
					return nil, &throw{h.newError("RangeError", "Invalid typed array length")}
				}
			} else {
				if (len(a.data)-off)%k.size != 0 {
					return nil, &throw{h.newError("RangeError", "byte length of "+k.name+" should be a multiple of "+fmt.Sprint(k.size))}
				}
				n = (len(a.data) - off) / k.size
			}
			return h.newTyped(k, a, off, n), nil
		}
		n := a.length()
		o := h.newTypedBytes(k, make([]byte, n*k.size))
		for i := 0; i < n; i++ {
			o.setIndex(i, a.index(i))
		}
		return o, nil
	}
	return h.newTypedBytes(k, nil), nil
}

func (h *Host) initDate() {
	newDate := func(args []any) (any, error) {
		o := h.newObject("Date", h.protos.date)
		o.kind = kindDate
		if v := arg(args, 0); v != nil {
			o.timeMs = toNumber(v)
		} else {
			o.timeMs = float64(time.Now().UnixMilli())
		}
		return o, nil
	}
	ctor := h.class("Date", h.protos.date, func(this any, args []any) (any, error) {
		return time.Now().UTC().Format("Mon Jan 02 2006 15:04:05 GMT+0000 (Coordinated Universal Time)"), nil
	}, newDate)
	h.method(ctor, "now", func(this any, args []any) (any, error) {
		return float64(time.Now().UnixMilli()), nil
	})
	dateOf := func(this any) (*Object, error) {
		o, ok := this.(*Object)
		if !ok || o.kind != kindDate {
			return nil, h.typeError("this is not a Date object")
		}
		return o, nil
	}
	for _, name := range []string{"getTime", "valueOf"} {
		h.method(h.protos.date, name, func(this any, args []any) (any, error) {
			o, err := dateOf(this)
			if err != nil {
				return nil, err
			}
			return o.timeMs, nil
		})
	}
	// The guest's world runs in UTC: time.Local in the guest is UTC.
	h.method(h.protos.date, "getTimezoneOffset", func(this any, args []any) (any, error) {
		if _, err := dateOf(this); err != nil {
			return nil, err
		}
		return 0.0, nil
	})
	h.method(h.protos.date, "toISOString", func(this any, args []any) (any, error) {
		o, err := dateOf(this)
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(int64(o.timeMs)).UTC().Format("2006-01-02T15:04:05.000Z"), nil
	})
}

// enosys is the error the fs and process polyfills report, as in
// wasm_exec.js.
func (h *Host) enosys() *Object {
	e := h.newError("Error", "not implemented")
	e.set("code", "ENOSYS")
	return e
}

// initNodePolyfills installs fs, process and path as wasm_exec.js does when
// it runs outside Node: writes go to the Host's stdout/stderr, everything else
// fails with ENOSYS.
func (h *Host) initNodePolyfills() {
	g := h.global
	fs := h.newPlain()
	consts := h.newPlain()
	for _, c := range []string{"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_EXCL", "O_DIRECTORY"} {
		consts.set(c, -1.0)
	}
	fs.set("constants", consts)
	writeSync := func(fd any, buf any) (float64, error) {
		o, ok := buf.(*Object)
		if !ok || o.kind != kindTyped {
			return 0, h.typeError("fs.writeSync: buffer is not a typed array")
		}
		b := o.bytes()
		h.writeFD(int64(toNumber(fd)), b)
		return float64(len(b)), nil
	}
	h.method(fs, "writeSync", func(this any, args []any) (any, error) {
		return writeSync(arg(args, 0), arg(args, 1))
	})
	h.method(fs, "write", func(this any, args []any) (any, error) {
		cb := arg(args, 5)
		buf, _ := arg(args, 1).(*Object)
		if buf == nil || toNumber(arg(args, 2)) != 0 || int(toNumber(arg(args, 3))) != buf.length() || arg(args, 4) != any(jsNull) {
			return h.apply(cb, nil, []any{h.enosys()})
		}
		n, err := writeSync(arg(args, 0), buf)
		if err != nil {
			return h.apply(cb, nil, []any{h.thrownValue(err)})
		}
		return h.apply(cb, nil, []any{jsNull, n})
	})
	h.method(fs, "fsync", func(this any, args []any) (any, error) {
		return h.apply(arg(args, 1), nil, []any{jsNull})
	})
	for _, name := range []string{"chmod", "chown", "close", "fchmod", "fchown", "fstat", "ftruncate",
		"lchown", "link", "lstat", "mkdir", "open", "read", "readdir", "readlink", "rename", "rmdir",
		"stat", "symlink", "truncate", "unlink", "utimes"} {
		h.method(fs, name, func(this any, args []any) (any, error) {
			if len(args) == 0 {
				return nil, nil
			}
			return h.apply(args[len(args)-1], nil, []any{h.enosys()})
		})
	}
	g.set("fs", fs)

	proc := h.newPlain()
	for _, name := range []string{"getuid", "getgid", "geteuid", "getegid"} {
		h.method(proc, name, func(this any, args []any) (any, error) { return -1.0, nil })
	}
	for _, name := range []string{"getgroups", "umask", "cwd", "chdir"} {
		h.method(proc, name, func(this any, args []any) (any, error) { return nil, &throw{h.enosys()} })
	}
	proc.set("pid", -1.0)
	proc.set("ppid", -1.0)
	g.set("process", proc)

	path := h.newPlain()
	h.method(path, "resolve", func(this any, args []any) (any, error) {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = toString(a)
		}
		return strings.Join(parts, "/"), nil
	})
	g.set("path", path)
}
