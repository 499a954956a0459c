package train

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// attrReader reads node attributes (int64, float64, string, []int64 or
// []float64, as runtime.Node documents); the first error sticks.
// runtime.NewSession has already validated them, so errors here are rare.
type attrReader struct {
	m   map[string]any
	err error
}

func (a *attrReader) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case int:
		return x, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), true
		}
	}
	return 0, false
}

func (a *attrReader) intv(name string, def int) int {
	v, ok := a.m[name]
	if !ok {
		return def
	}
	i, ok := toInt(v)
	if !ok {
		a.fail("attribute %s: want an integer, got %T", name, v)
		return def
	}
	return i
}

func (a *attrReader) float(name string, def float64) float32 {
	v, ok := a.m[name]
	if !ok {
		return float32(def)
	}
	switch x := v.(type) {
	case float64:
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

func (a *attrReader) str(name string) string {
	v, ok := a.m[name]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		a.fail("attribute %s: want a string, got %T", name, v)
	}
	return s
}

// ints returns an integer list attribute (nil if absent); n >= 0 requires
// that many values.
func (a *attrReader) ints(name string, n int) []int {
	v, ok := a.m[name]
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
			out = append(out, i)
		}
	default:
		a.fail("attribute %s: want a list of integers, got %T", name, v)
		return nil
	}
	if n >= 0 && len(out) != n {
		a.fail("attribute %s has %d values, want %d", name, len(out), n)
		return nil
	}
	return out
}

// window reads strides, dilations, pads and auto_pad for rank spatial axes.
func (a *attrReader) window(rank int) ops.Window {
	w := ops.Window{Strides: a.ints("strides", rank), Dilations: a.ints("dilations", rank)}
	if pads := a.ints("pads", 2*rank); pads != nil {
		w.PadsBegin, w.PadsEnd = pads[:rank], pads[rank:]
	}
	mode, err := ops.ParseAutoPad(a.str("auto_pad"))
	if err != nil {
		a.fail("attribute auto_pad: %v", err)
	}
	w.AutoPad = mode
	return w
}

// act reads an activation's parameters as the runtime does: LeakyReLU's
// slope (default 0.01) from lo, Clip's bounds (default ±Inf) from lo and hi.
func (a *attrReader) act(kind ops.ActKind, lo, hi string) ops.Activation {
	act := ops.Activation{Kind: kind}
	switch kind {
	case ops.ActLeakyReLU:
		act.Alpha = a.float(lo, 0.01)
	case ops.ActClip:
		act.Alpha = a.float(lo, math.Inf(-1))
		act.Beta = a.float(hi, math.Inf(1))
	}
	return act
}

// fused reads the fused activation of Conv, Dense and Add: activation
// ("" for none) with alpha and beta.
func (a *attrReader) fused() ops.Activation {
	name := a.str("activation")
	if name == "" {
		return ops.Activation{}
	}
	kind, err := ops.ParseActKind(name)
	if err != nil {
		a.fail("attribute activation: %v", err)
		return ops.Activation{}
	}
	return a.act(kind, "alpha", "beta")
}
