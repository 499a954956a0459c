package gojs

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
)

// Func is a host function callable from the guest as a JS function. this and
// args arrive converted as by Host.Call results; the result is converted back
// as Call arguments are. A non-nil error is thrown in the guest: a *JSError
// throws its Value, any other error throws `new Error(err.Error())`. A panic
// in a Func aborts the guest call in progress and leaves the guest crashed.
type Func func(this any, args []any) (any, error)

// toJS converts a Go value to the JS value model:
//
//	nil, Null                      -> null
//	Undefined                      -> undefined
//	bool, string                   -> boolean, string
//	all integer and float kinds    -> number
//	[]byte                         -> Uint8Array (copy)
//	[]float32, []float64, []int32  -> Float32Array, Float64Array, Int32Array (copy)
//	[]any                          -> Array (elements converted)
//	map[string]any                 -> plain object (values converted)
//	Func, func(this any, args []any) (any, error) -> function
//	*Object                        -> itself
func (h *Host) toJS(v any) (any, error) {
	switch x := v.(type) {
	case nil, *nullValue:
		return jsNull, nil
	case undefinedValue:
		return nil, nil
	case bool, string, float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case uintptr:
		return float64(x), nil
	case []byte:
		return h.newTypedBytes(typedKindByName("Uint8Array"), append([]byte(nil), x...)), nil
	case []float32:
		b := make([]byte, 4*len(x))
		for i, f := range x {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
		}
		return h.newTypedBytes(typedKindByName("Float32Array"), b), nil
	case []float64:
		b := make([]byte, 8*len(x))
		for i, f := range x {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(f))
		}
		return h.newTypedBytes(typedKindByName("Float64Array"), b), nil
	case []int32:
		b := make([]byte, 4*len(x))
		for i, n := range x {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(n))
		}
		return h.newTypedBytes(typedKindByName("Int32Array"), b), nil
	case []any:
		elems := make([]any, len(x))
		for i, e := range x {
			j, err := h.toJS(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			elems[i] = j
		}
		return h.newArray(elems), nil
	case map[string]any:
		o := h.newPlain()
		for _, k := range sortedKeys(x) {
			j, err := h.toJS(x[k])
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			o.set(k, j)
		}
		return o, nil
	case Func:
		return h.NewFunc(x), nil
	case func(this any, args []any) (any, error):
		return h.NewFunc(x), nil
	case *Object:
		if x == nil {
			return jsNull, nil
		}
		if x.h != h {
			return nil, fmt.Errorf("host: object belongs to another Host")
		}
		return x, nil
	}
	return nil, fmt.Errorf("host: cannot convert %T to a JS value", v)
}

// fromJS converts a JS value to Go: undefined and null become nil, numbers
// float64, typed arrays of bytes, float32, float64 and int32 become (copied)
// []byte, []float32, []float64 and []int32; every other object stays *Object.
func fromJS(v any) any {
	switch x := v.(type) {
	case nil, *nullValue:
		return nil
	case *Object:
		if x.kind == kindTyped {
			b := x.bytes()
			switch x.ta.name {
			case "Uint8Array", "Uint8ClampedArray":
				return append([]byte(nil), b...)
			case "Float32Array":
				out := make([]float32, x.n)
				for i := range out {
					out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
				}
				return out
			case "Float64Array":
				out := make([]float64, x.n)
				for i := range out {
					out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
				}
				return out
			case "Int32Array":
				out := make([]int32, x.n)
				for i := range out {
					out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
				}
				return out
			}
		}
		return x
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// NewFunc returns a JS function that runs fn when the guest (or the host)
// calls it.
func (h *Host) NewFunc(fn Func) *Object {
	return h.newFunction("", func(this any, args []any) (any, error) {
		conv := make([]any, len(args))
		for i, a := range args {
			conv[i] = fromJS(a)
		}
		res, err := fn(fromJS(this), conv)
		if err != nil {
			if je, ok := err.(*JSError); ok {
				v, cerr := h.toJS(je.Value)
				if cerr != nil || je.Value == nil {
					v = h.newError("Error", je.Message)
				}
				return nil, &throw{v}
			}
			return nil, err
		}
		return h.toJS(res)
	})
}

// NewObject returns a new empty JS object (`{}`).
func (h *Host) NewObject() *Object { return h.newPlain() }

// Class returns the object's class name: "Object", "Array", "Function",
// "Uint8Array", "Float32Array", "ArrayBuffer", "Error", "TypeError",
// "Promise", "Date", ....
func (o *Object) Class() string { return o.class }

// IsFunction reports whether the object is callable.
func (o *Object) IsFunction() bool { return o.call != nil }

// Get returns property key, converted as Host.Call results are (undefined:
// nil).
func (o *Object) Get(key string) any { return fromJS(o.get(key)) }

// Set sets property key to v, converted as Host.Call arguments are.
func (o *Object) Set(key string, v any) error {
	j, err := o.h.toJS(v)
	if err != nil {
		return err
	}
	o.set(key, j)
	return nil
}

// Delete removes property key.
func (o *Object) Delete(key string) { o.remove(key) }

// Keys returns the own enumerable property names in insertion order (array
// indices first for arrays).
func (o *Object) Keys() []string {
	var out []string
	if o.kind == kindArray || o.kind == kindTyped {
		for i := 0; i < o.length(); i++ {
			out = append(out, strconv.Itoa(i))
		}
	}
	return append(out, o.keys...)
}

// Len returns the JS length of an array, typed array or array-like object.
func (o *Object) Len() int { return o.length() }

// Index returns element i of an array or typed array, converted as Get.
func (o *Object) Index(i int) any { return fromJS(o.index(i)) }

// String returns JS String(o).
func (o *Object) String() string { return toString(o) }
