package runtime

import (
	"fmt"
	"math"
	"sort"

	"github.com/wasmnn/wasmnn/ops"
)

// attrs reads a node's attributes as its op declares them. newAttrs checks
// every attribute present (declared, of its kind, in range; required ones
// present) and keeps the first error; reads then return the value or the
// declared default, and later errors (a list of the wrong length) stick too,
// so op builders can read everything and check err once.
type attrs struct {
	def *OpDef
	m   map[string]any
	err error
}

func newAttrs(d *OpDef, m map[string]any) *attrs {
	a := &attrs{def: d, m: m}
	var unknown []string
	for name, v := range m {
		s := d.Attr(name)
		if s == nil {
			unknown = append(unknown, name)
			continue
		}
		a.check(s, v)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		a.err = fmt.Errorf("%w: unknown attributes %v", ErrBadModel, unknown)
		return a
	}
	for _, s := range d.Attrs {
		if _, ok := m[s.Name]; s.Required && !ok {
			a.fail("attribute %s is required", s.Name)
		}
	}
	return a
}

func (a *attrs) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

// check validates one attribute value against its declaration.
func (a *attrs) check(s *AttrSpec, v any) {
	switch s.Kind {
	case AttrInt:
		i, ok := toInt(v)
		if !ok {
			a.fail("attribute %s: want an integer, got %T", s.Name, v)
		} else if i < s.Min || i > s.Max {
			a.fail("attribute %s = %d is out of range [%d, %d]", s.Name, i, s.Min, s.Max)
		}
	case AttrFloat:
		f, ok := toFloat(v)
		if !ok {
			a.fail("attribute %s: want a number, got %T", s.Name, v)
		} else if math.IsNaN(f) {
			a.fail("attribute %s is NaN", s.Name)
		}
	case AttrString:
		if _, ok := v.(string); !ok {
			a.fail("attribute %s: want a string, got %T", s.Name, v)
		}
	case AttrInts:
		list, ok := toInts(v)
		if !ok {
			a.fail("attribute %s: want a list of integers, got %T", s.Name, v)
			return
		}
		for _, e := range list {
			if int64(e) < s.Min || int64(e) > s.Max {
				a.fail("attribute %s value %d is out of range [%d, %d]", s.Name, e, s.Min, s.Max)
				return
			}
		}
	case AttrFloats:
		list, ok := toFloats(v)
		if !ok {
			a.fail("attribute %s: want a list of numbers, got %T", s.Name, v)
			return
		}
		for _, e := range list {
			if math.IsNaN(float64(e)) {
				a.fail("attribute %s has a NaN", s.Name)
				return
			}
		}
	}
}

// spec returns the declaration of name; reading an undeclared attribute is
// a bug in the op's builder.
func (a *attrs) spec(name string, kind AttrKind) *AttrSpec {
	s := a.def.Attr(name)
	if s == nil || s.Kind != kind {
		panic(fmt.Sprintf("runtime: op %s reads attribute %s, which it does not declare as kind %d", a.def.Name, name, kind))
	}
	return s
}

func (a *attrs) has(name string) bool { _, ok := a.m[name]; return ok }

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

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

func toInts(v any) ([]int, bool) {
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
				return nil, false
			}
			out = append(out, int(i))
		}
	default:
		return nil, false
	}
	if out == nil {
		out = []int{}
	}
	return out, true
}

func toFloats(v any) ([]float32, bool) {
	out := []float32{}
	switch x := v.(type) {
	case []float64:
		for _, e := range x {
			out = append(out, float32(e))
		}
	case []float32:
		out = append(out, x...)
	case []int64:
		for _, e := range x {
			out = append(out, float32(e))
		}
	case []int:
		for _, e := range x {
			out = append(out, float32(e))
		}
	default:
		return nil, false
	}
	return out, true
}

// intv returns an integer attribute, or its default.
func (a *attrs) intv(name string) int {
	s := a.spec(name, AttrInt)
	v, ok := a.m[name]
	if !ok {
		d, _ := s.Default.(int64)
		return int(d)
	}
	i, _ := toInt(v)
	return int(i)
}

// float returns a float attribute, or its default.
func (a *attrs) float(name string) float32 {
	s := a.spec(name, AttrFloat)
	v, ok := a.m[name]
	if !ok {
		d, _ := s.Default.(float64)
		return float32(d)
	}
	f, _ := toFloat(v)
	return float32(f)
}

// str returns a string attribute, or its default.
func (a *attrs) str(name string) string {
	s := a.spec(name, AttrString)
	v, ok := a.m[name].(string)
	if !ok {
		d, _ := s.Default.(string)
		return d
	}
	return v
}

// ints returns an integer list attribute, or nil if absent. If n >= 0 the
// list must have exactly n elements.
func (a *attrs) ints(name string, n int) []int {
	a.spec(name, AttrInts)
	v, ok := a.m[name]
	if !ok {
		return nil
	}
	out, _ := toInts(v)
	if n >= 0 && len(out) != n {
		a.fail("attribute %s has %d values, want %d", name, len(out), n)
		return nil
	}
	return out
}

// floats returns a float list attribute, or nil if absent. If n >= 0 the
// list must have exactly n elements.
func (a *attrs) floats(name string, n int) []float32 {
	a.spec(name, AttrFloats)
	v, ok := a.m[name]
	if !ok {
		return nil
	}
	out, _ := toFloats(v)
	if n >= 0 && len(out) != n {
		a.fail("attribute %s has %d values, want %d", name, len(out), n)
		return nil
	}
	return out
}

// AttrReader reads a node's attributes with the types, defaults and checks
// of its op's declaration, for packages that interpret nodes themselves (the
// float64 oracle, the trainer). The first error sticks and is returned by
// Err.
type AttrReader struct{ a *attrs }

// ReadAttrs returns a reader of n's attributes. An unknown op, an unknown
// attribute or a value of the wrong kind or range is reported by Err.
func ReadAttrs(n *Node) *AttrReader {
	d, err := lookupOp(n)
	if err != nil {
		return &AttrReader{&attrs{def: &OpDef{Name: n.Op}, err: err}}
	}
	return &AttrReader{newAttrs(d, n.Attrs)}
}

// Int returns an integer attribute, or its declared default.
func (r *AttrReader) Int(name string) int { return r.a.intv(name) }

// Float returns a float attribute, or its declared default.
func (r *AttrReader) Float(name string) float32 { return r.a.float(name) }

// String returns a string attribute, or its declared default.
func (r *AttrReader) String(name string) string { return r.a.str(name) }

// Has reports whether the attribute is present.
func (r *AttrReader) Has(name string) bool { return r.a.has(name) }

// Ints returns an integer list attribute, or nil if absent; n >= 0 requires
// exactly n values.
func (r *AttrReader) Ints(name string, n int) []int { return r.a.ints(name, n) }

// Floats returns a float list attribute, or nil if absent; n >= 0 requires
// exactly n values.
func (r *AttrReader) Floats(name string, n int) []float32 { return r.a.floats(name, n) }

// Window reads strides, dilations, pads and auto_pad for rank spatial axes.
func (r *AttrReader) Window(rank int) ops.Window { return window(r.a, rank) }

// Fused reads the fused activation of ops that take one ("activation" with
// "alpha" and "beta"; absent parameters take the activation op's defaults).
func (r *AttrReader) Fused() ops.Activation { return fusedAct(r.a) }

// Act reads the activation a standalone activation op (Relu, LeakyRelu,
// Clip, Sigmoid, Tanh) computes.
func (r *AttrReader) Act() ops.Activation { return opAct(r.a) }

// Err returns the first error met.
func (r *AttrReader) Err() error { return r.a.err }
