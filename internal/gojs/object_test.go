package gojs

import (
	"fmt"
	"math"
	"testing"
)

// bareHost returns a Host with a JS world but no guest, to test the object
// model directly.
func bareHost() *Host {
	h := &Host{timers: map[int32]*timer{}}
	h.initGlobals()
	h.initRefs()
	return h
}

func TestObjectModel(t *testing.T) {
	h := bareHost()
	newOf := func(class string, args ...any) *Object {
		t.Helper()
		v, err := h.construct(h.global.get(class), args)
		if err != nil {
			t.Fatalf("new %s: %v", class, err)
		}
		return v.(*Object)
	}
	callM := func(o *Object, name string, args ...any) any {
		t.Helper()
		v, err := h.apply(o.get(name), o, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	t.Run("typed arrays share their buffer", func(t *testing.T) {
		f32 := newOf("Float32Array", 4.0)
		f32.setIndex(1, 1.5)
		f32.setIndex(3, -2.0)
		u8 := newOf("Uint8Array", f32.get("buffer"), 4.0, 4.0)
		bits := math.Float32bits(1.5)
		for i := range 4 {
			if got, want := u8.index(i), float64(byte(bits>>(8*i))); got != want {
				t.Errorf("byte %d = %v, want %v", i, got, want)
			}
		}
		sub := callM(f32, "subarray", 2.0).(*Object)
		if sub.length() != 2 || sub.index(1) != -2.0 || sub.get("byteOffset") != 8.0 {
			t.Errorf("subarray = %v (offset %v)", toString(sub), sub.get("byteOffset"))
		}
		sub.setIndex(0, 7.0)
		if f32.index(2) != 7.0 {
			t.Errorf("write through subarray not visible: %v", toString(f32))
		}
	})
	conversions := []struct {
		class string
		in    float64
		want  float64
	}{
		{"Uint8Array", 257, 1}, {"Uint8Array", -1, 255}, {"Int8Array", 200, -56},
		{"Uint8ClampedArray", 300, 255}, {"Uint8ClampedArray", 2.5, 2}, {"Int16Array", 40000, -25536},
		{"Uint32Array", -1, 4294967295}, {"Int32Array", 2147483648, -2147483648},
		{"Float32Array", 0.1, float64(float32(0.1))}, {"Float64Array", 0.1, 0.1},
	}
	for _, tc := range conversions {
		t.Run(fmt.Sprint(tc.class, "/", tc.in), func(t *testing.T) {
			a := newOf(tc.class, 1.0)
			a.setIndex(0, tc.in)
			if got := a.index(0); got != tc.want {
				t.Errorf("%s[0] = %v after storing %v, want %v", tc.class, got, tc.in, tc.want)
			}
		})
	}
	t.Run("arrays", func(t *testing.T) {
		a := newOf("Array", 2.0)
		callM(a, "push", "x")
		a.setIndex(5, true)
		if a.length() != 6 || a.index(2) != "x" || a.index(5) != true || a.index(0) != nil {
			t.Errorf("array = %v", toString(a))
		}
		if got := toString(a); got != ",,x,,,true" {
			t.Errorf("String(array) = %q", got)
		}
		a.set("length", 1.0)
		if a.length() != 1 {
			t.Errorf("length after truncation = %d", a.length())
		}
	})
	t.Run("errors and instanceof", func(t *testing.T) {
		e := newOf("TypeError", "bad")
		if !instanceOf(e, h.global.get("Error")) || !instanceOf(e, h.global.get("TypeError")) || instanceOf(e, h.global.get("RangeError")) {
			t.Error("TypeError instanceof chain wrong")
		}
		if got := toString(e); got != "TypeError: bad" {
			t.Errorf("String(err) = %q", got)
		}
		if _, err := h.apply(h.global.get("nope"), nil, nil); err == nil {
			t.Error("calling undefined did not throw")
		}
	})
	t.Run("promise then chain", func(t *testing.T) {
		p, resolve, _ := h.newPromise()
		double := h.newFunction("", func(this any, args []any) (any, error) { return args[0].(float64) * 2, nil })
		q := callM(p, "then", double).(*Object)
		resolve(21.0)
		h.drainMicrotasks()
		if q.promise.status != fulfilled || q.promise.value != 42.0 {
			t.Errorf("derived promise = %v %v, want fulfilled 42", q.promise.status, q.promise.value)
		}
		r := callM(q, "then", h.newFunction("", func(this any, args []any) (any, error) {
			return nil, &throw{"nope"}
		})).(*Object)
		caught := callM(r, "catch", h.newFunction("", func(this any, args []any) (any, error) {
			return "handled " + args[0].(string), nil
		})).(*Object)
		h.drainMicrotasks()
		if caught.promise.status != fulfilled || caught.promise.value != "handled nope" {
			t.Errorf("catch = %v %v", caught.promise.status, caught.promise.value)
		}
	})
	t.Run("reference table", func(t *testing.T) {
		if got := len(h.ids); got != 6 {
			t.Errorf("fresh table has %d ids, want 6", got)
		}
	})
}
