package gojs

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Internally a JS value is one of: nil (undefined), null (the *nullValue
// sentinel), bool, float64, string or *Object. Nothing else may enter the
// reference table, which keys a map on the value itself.

type nullValue struct{}

type undefinedValue struct{}

// jsNull is the internal JS null.
var jsNull = &nullValue{}

// Null is the JS null value, for passing to Call and Object.Set (a Go nil
// argument is converted to null as well).
var Null any = jsNull

// Undefined is the JS undefined value, for passing to Call and Object.Set.
var Undefined any = undefinedValue{}

// objKind tells which built-in behaviour an Object has besides its
// properties.
type objKind uint8

const (
	kindPlain objKind = iota
	kindArray
	kindTyped
	kindBuffer
	kindPromise
	kindDate
)

// Object is a JS object in the guest's world: a plain object, an array, a
// function, a typed array, an ArrayBuffer, an Error, a Promise or a Date.
// Objects belong to the Host that made them; like the Host they are not safe
// for concurrent use.
type Object struct {
	h     *Host
	class string
	kind  objKind
	proto *Object
	keys  []string
	props map[string]any

	// call is set for functions; construct for those usable with new.
	call      func(this any, args []any) (any, error)
	construct func(args []any) (any, error)

	// elems holds the elements of an Array.
	elems []any

	// Typed arrays view the bytes of an ArrayBuffer object (kindBuffer, whose
	// data is the storage); off is in bytes, n in elements.
	ta     *typedKind
	buffer *Object
	data   []byte
	off, n int

	promise *promiseState
	timeMs  float64
}

// newObject makes an object of the given class and prototype.
func (h *Host) newObject(class string, proto *Object) *Object {
	return &Object{h: h, class: class, proto: proto}
}

// newPlain makes an object like `{}`.
func (h *Host) newPlain() *Object { return h.newObject("Object", h.protos.object) }

// newArray makes an Array holding elems (not copied).
func (h *Host) newArray(elems []any) *Object {
	o := h.newObject("Array", h.protos.array)
	o.kind = kindArray
	o.elems = elems
	return o
}

// newFunction makes a JS function implemented in Go.
func (h *Host) newFunction(name string, call func(this any, args []any) (any, error)) *Object {
	o := h.newObject("Function", h.protos.function)
	o.call = call
	if name != "" {
		o.set("name", name)
	}
	return o
}

// newArrayBuffer makes an ArrayBuffer owning data.
func (h *Host) newArrayBuffer(data []byte) *Object {
	o := h.newObject("ArrayBuffer", h.protos.arrayBuffer)
	o.kind = kindBuffer
	o.data = data
	return o
}

// newTyped makes a typed array of kind k viewing n elements of buf from byte
// offset off.
func (h *Host) newTyped(k *typedKind, buf *Object, off, n int) *Object {
	o := h.newObject(k.name, h.protos.typed[k.name])
	o.kind = kindTyped
	o.ta = k
	o.buffer = buf
	o.off = off
	o.n = n
	return o
}

// newTypedBytes makes a typed array of kind k over a fresh buffer holding b.
func (h *Host) newTypedBytes(k *typedKind, b []byte) *Object {
	return h.newTyped(k, h.newArrayBuffer(b), 0, len(b)/k.size)
}

// newError makes an Error (or TypeError, RangeError) with the message.
func (h *Host) newError(class, msg string) *Object {
	proto := h.protos.errors[class]
	if proto == nil {
		class, proto = "Error", h.protos.errors["Error"]
	}
	o := h.newObject(class, proto)
	o.set("message", msg)
	return o
}

// bytes returns the bytes a typed array views (aliasing its buffer).
func (o *Object) bytes() []byte {
	return o.buffer.data[o.off : o.off+o.n*o.ta.size]
}

// get is JS [[Get]] on an object: built-in properties, own properties, then
// the prototype chain. A missing property is undefined (nil).
func (o *Object) get(key string) any {
	switch o.kind {
	case kindArray:
		if key == "length" {
			return float64(len(o.elems))
		}
		if i, ok := arrayIndex(key); ok {
			return o.index(i)
		}
	case kindTyped:
		switch key {
		case "length":
			return float64(o.n)
		case "byteLength":
			return float64(o.n * o.ta.size)
		case "byteOffset":
			return float64(o.off)
		case "buffer":
			return o.buffer
		case "BYTES_PER_ELEMENT":
			return float64(o.ta.size)
		}
		if i, ok := arrayIndex(key); ok {
			return o.index(i)
		}
	case kindBuffer:
		if key == "byteLength" {
			return float64(len(o.data))
		}
	}
	for p := o; p != nil; p = p.proto {
		if v, ok := p.props[key]; ok {
			return v
		}
	}
	return nil
}

// set is JS [[Set]] on an object.
func (o *Object) set(key string, v any) {
	switch o.kind {
	case kindArray:
		if key == "length" {
			n := int(toNumber(v))
			if n < 0 {
				n = 0
			}
			o.resize(n)
			return
		}
		if i, ok := arrayIndex(key); ok {
			o.setIndex(i, v)
			return
		}
	case kindTyped:
		if i, ok := arrayIndex(key); ok {
			o.setIndex(i, v)
			return
		}
		switch key {
		case "length", "byteLength", "byteOffset", "buffer":
			return // read-only
		}
	}
	if o.props == nil {
		o.props = make(map[string]any)
	}
	if _, ok := o.props[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.props[key] = v
}

// remove deletes an own property.
func (o *Object) remove(key string) {
	if o.kind == kindArray {
		if i, ok := arrayIndex(key); ok {
			if i < len(o.elems) {
				o.elems[i] = nil
			}
			return
		}
	}
	if _, ok := o.props[key]; !ok {
		return
	}
	delete(o.props, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// index reads element i of an array or typed array (undefined out of range);
// other objects use the property named by i.
func (o *Object) index(i int) any {
	switch o.kind {
	case kindArray:
		if i >= 0 && i < len(o.elems) {
			return o.elems[i]
		}
		return nil
	case kindTyped:
		if i >= 0 && i < o.n {
			s := o.ta.size
			return o.ta.get(o.buffer.data[o.off+i*s:])
		}
		return nil
	}
	return o.get(strconv.Itoa(i))
}

// setIndex writes element i; arrays grow, typed arrays ignore out-of-range
// writes, as in JS.
func (o *Object) setIndex(i int, v any) {
	switch o.kind {
	case kindArray:
		if i < 0 {
			o.set(strconv.Itoa(i), v)
			return
		}
		if i >= len(o.elems) {
			o.resize(i + 1)
		}
		o.elems[i] = v
		return
	case kindTyped:
		if i >= 0 && i < o.n {
			s := o.ta.size
			o.ta.set(o.buffer.data[o.off+i*s:], toNumber(v))
		}
		return
	}
	o.set(strconv.Itoa(i), v)
}

func (o *Object) resize(n int) {
	if n <= len(o.elems) {
		clear(o.elems[n:])
		o.elems = o.elems[:n]
		return
	}
	o.elems = append(o.elems, make([]any, n-len(o.elems))...)
}

// length is the JS `.length` of an array-like, 0 otherwise.
func (o *Object) length() int {
	switch o.kind {
	case kindArray:
		return len(o.elems)
	case kindTyped:
		return o.n
	}
	f := toNumber(o.get("length"))
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	return int(f)
}

// arrayIndex reports whether key is a canonical array index ("0", "17").
func arrayIndex(key string) (int, bool) {
	if key == "" || len(key) > 9 || (key[0] == '0' && len(key) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// instanceOf is JS `v instanceof ctor`.
func instanceOf(v, ctor any) bool {
	o, ok := v.(*Object)
	c, ok2 := ctor.(*Object)
	if !ok || !ok2 {
		return false
	}
	proto, ok := c.get("prototype").(*Object)
	if !ok {
		return false
	}
	for p := o.proto; p != nil; p = p.proto {
		if p == proto {
			return true
		}
	}
	return false
}

// typeFlag is the reference kind the guest expects for v (see
// syscall/js: 0 none, 1 object, 2 string, 3 symbol, 4 function).
func typeFlag(v any) uint32 {
	switch x := v.(type) {
	case string:
		return 2
	case *Object:
		if x.call != nil {
			return 4
		}
		return 1
	}
	return 0
}

// typedKind describes one typed-array class.
type typedKind struct {
	name string
	size int
	get  func(b []byte) float64
	set  func(b []byte, x float64)
}

var typedKinds = []*typedKind{
	{"Int8Array", 1,
		func(b []byte) float64 { return float64(int8(b[0])) },
		func(b []byte, x float64) { b[0] = byte(toUint32(x)) }},
	{"Uint8Array", 1,
		func(b []byte) float64 { return float64(b[0]) },
		func(b []byte, x float64) { b[0] = byte(toUint32(x)) }},
	{"Uint8ClampedArray", 1,
		func(b []byte) float64 { return float64(b[0]) },
		func(b []byte, x float64) { b[0] = clampUint8(x) }},
	{"Int16Array", 2,
		func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) },
		func(b []byte, x float64) { binary.LittleEndian.PutUint16(b, uint16(toUint32(x))) }},
	{"Uint16Array", 2,
		func(b []byte) float64 { return float64(binary.LittleEndian.Uint16(b)) },
		func(b []byte, x float64) { binary.LittleEndian.PutUint16(b, uint16(toUint32(x))) }},
	{"Int32Array", 4,
		func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) },
		func(b []byte, x float64) { binary.LittleEndian.PutUint32(b, toUint32(x)) }},
	{"Uint32Array", 4,
		func(b []byte) float64 { return float64(binary.LittleEndian.Uint32(b)) },
		func(b []byte, x float64) { binary.LittleEndian.PutUint32(b, toUint32(x)) }},
	{"Float32Array", 4,
		func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) },
		func(b []byte, x float64) { binary.LittleEndian.PutUint32(b, math.Float32bits(float32(x))) }},
	{"Float64Array", 8,
		func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) },
		func(b []byte, x float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(x)) }},
}

// typedKindByName finds a typed-array class.
func typedKindByName(name string) *typedKind {
	for _, k := range typedKinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// toUint32 is JS ToUint32 (modulo 2^32); narrower integer arrays truncate
// its result, which matches ToInt8/ToUint16/....
func toUint32(x float64) uint32 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	m := math.Mod(math.Trunc(x), 4294967296)
	if m < 0 {
		m += 4294967296
	}
	return uint32(m)
}

// clampUint8 is JS ToUint8Clamp.
func clampUint8(x float64) byte {
	switch {
	case math.IsNaN(x) || x <= 0:
		return 0
	case x >= 255:
		return 255
	}
	return byte(math.RoundToEven(x))
}

// toNumber is (a subset of) JS ToNumber.
func toNumber(v any) float64 {
	switch x := v.(type) {
	case nil:
		return math.NaN()
	case *nullValue:
		return 0
	case bool:
		if x {
			return 1
		}
		return 0
	case float64:
		return x
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if s == "Infinity" || s == "+Infinity" {
				return math.Inf(1)
			} else if s == "-Infinity" {
				return math.Inf(-1)
			}
			return math.NaN()
		}
		return f
	case *Object:
		if x.kind == kindDate {
			return x.timeMs
		}
		if x.kind == kindArray && len(x.elems) == 1 {
			return toNumber(toString(x.elems[0]))
		}
		if x.kind == kindArray && len(x.elems) == 0 {
			return 0
		}
	}
	return math.NaN()
}

// toString is (a subset of) JS String(v).
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return "undefined"
	case *nullValue:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return numberString(x)
	case string:
		return x
	case *Object:
		switch {
		case x.kind == kindArray || x.kind == kindTyped:
			n := x.length()
			parts := make([]string, n)
			for i := range parts {
				e := x.index(i)
				if e != nil && e != any(jsNull) {
					parts[i] = toString(e)
				}
			}
			return strings.Join(parts, ",")
		case x.call != nil:
			return "function () { [native code] }"
		case x.isError():
			name := toString(x.get("name"))
			msg := toString(x.get("message"))
			if msg == "" {
				return name
			}
			return name + ": " + msg
		case x.kind == kindDate:
			return numberString(x.timeMs)
		}
		return "[object " + x.class + "]"
	}
	return ""
}

// isError reports whether o inherits from Error.prototype.
func (o *Object) isError() bool {
	ep := o.h.protos.errors["Error"]
	for p := o.proto; p != nil; p = p.proto {
		if p == ep {
			return true
		}
	}
	return false
}

// numberString formats like JS Number.prototype.toString.
func numberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	// Go writes e-07, JS e-7.
	if i := strings.IndexByte(s, 'e'); i >= 0 && len(s) > i+2 {
		sign, digits := s[i+1], strings.TrimLeft(s[i+2:], "0")
		s = s[:i+1] + string(sign) + digits
	}
	return s
}

// utf16Len is the JS length of a string.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func utf16Encode(s string) []uint16 { return utf16.Encode([]rune(s)) }

func utf16Decode(u []uint16) string { return string(utf16.Decode(u)) }
