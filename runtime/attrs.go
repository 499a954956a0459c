package runtime

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// attrs reads a node's attributes with type checks; the first error sticks
// and later reads return zero values, so op builders can read everything and
// check err once.
type attrs struct {
	m    map[string]any
	used map[string]bool
	err  error
}

func newAttrs(m map[string]any) *attrs { return &attrs{m: m, used: map[string]bool{}} }

func (a *attrs) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

func (a *attrs) get(name string) (any, bool) {
	a.used[name] = true
	v, ok := a.m[name]
	return v, ok
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

// intv returns an integer attribute within [lo, hi], or def if absent.
func (a *attrs) intv(name string, def, lo, hi int64) int {
	v, ok := a.get(name)
	if !ok {
		return int(def)
	}
	i, ok := toInt(v)
	if !ok {
		a.fail("attribute %s: want an integer, got %T", name, v)
		return int(def)
	}
	if i < lo || i > hi {
		a.fail("attribute %s = %d is out of range [%d, %d]", name, i, lo, hi)
		return int(def)
	}
	return int(i)
}

// float returns a float attribute, or def if absent.
func (a *attrs) float(name string, def float64) float32 {
	v, ok := a.get(name)
	if !ok {
		return float32(def)
	}
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			a.fail("attribute %s is NaN", name)
		}
		return float32(x)
	case float32:
		return x
	case int64:
		return float32(x)
	case int:
		return float32(x)
	}
	a.fail("attribute %s: want a number, got %T", name, v)
	return float32(def)
}

func (a *attrs) str(name, def string) string {
	v, ok := a.get(name)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		a.fail("attribute %s: want a string, got %T", name, v)
		return def
	}
	return s
}

// ints returns an integer list attribute with each element in [lo, hi], or nil
// if absent. If n >= 0 the list must have exactly n elements.
func (a *attrs) ints(name string, n int, lo, hi int64) []int {
	v, ok := a.get(name)
	if !ok {
		return nil
	}
	var out []int
	switch x := v.(type) {
	case []int64:
		for _, e := range x {
			out = append(out, int(e))
		}
	case []int:
		out = append(out, x...)
	case []float64:
		for _, e := range x {
			i, ok := toInt(e)
			if !ok {
				a.fail("attribute %s: want integers, got %v", name, e)
				return nil
			}
			out = append(out, int(i))
		}
	default:
		a.fail("attribute %s: want a list of integers, got %T", name, v)
		return nil
	}
	if n >= 0 && len(out) != n {
		a.fail("attribute %s has %d values, want %d", name, len(out), n)
		return nil
	}
	for _, e := range out {
		if int64(e) < lo || int64(e) > hi {
			a.fail("attribute %s value %d is out of range [%d, %d]", name, e, lo, hi)
			return nil
		}
	}
	if out == nil {
		out = []int{}
	}
	return out
}

// unknown reports attributes that no reader asked for.
func (a *attrs) unknown() []string {
	var names []string
	for k := range a.m {
		if !a.used[k] {
			names = append(names, k)
		}
	}
	return names
}

// AttrReader reads a node's attributes with the types, defaults and checks
// that NewSession applies, for packages that interpret nodes themselves (the
// trainer). The first error sticks and is returned by Err.
type AttrReader struct{ a *attrs }

// ReadAttrs returns a reader of a node's attributes.
func ReadAttrs(m map[string]any) *AttrReader { return &AttrReader{newAttrs(m)} }

// Int returns an integer attribute, or def if absent.
func (r *AttrReader) Int(name string, def int) int {
	return r.a.intv(name, int64(def), math.MinInt32, math.MaxInt32)
}

// Float returns a float attribute, or def if absent.
func (r *AttrReader) Float(name string, def float64) float32 { return r.a.float(name, def) }

// String returns a string attribute, or "" if absent.
func (r *AttrReader) String(name string) string { return r.a.str(name, "") }

// Ints returns an integer list attribute, or nil if absent; n >= 0 requires
// exactly n values.
func (r *AttrReader) Ints(name string, n int) []int {
	return r.a.ints(name, n, math.MinInt32, math.MaxInt32)
}

// Window reads strides, dilations, pads and auto_pad for rank spatial axes.
func (r *AttrReader) Window(rank int) ops.Window { return window(r.a, rank) }

// Act reads an activation's parameters: LeakyReLU's slope (default 0.01)
// from lo, Clip's bounds (default ±Inf) from lo and hi.
func (r *AttrReader) Act(kind ops.ActKind, lo, hi string) ops.Activation {
	return actFromAttrs(kind, r.a, lo, hi)
}

// Fused reads the fused activation of Conv, Dense and Add ("activation" with
// "alpha" and "beta").
func (r *AttrReader) Fused() ops.Activation { return activationAttr(r.a) }

// Err returns the first error met.
func (r *AttrReader) Err() error { return r.a.err }
