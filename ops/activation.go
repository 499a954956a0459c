package ops

import (
	"fmt"
	"math"
)

// ActKind names an elementwise activation.
type ActKind uint8

// Activation kinds. Alpha and Beta of Activation carry their parameters.
const (
	ActNone        ActKind = iota // identity
	ActReLU                       // max(x, 0)
	ActLeakyReLU                  // x if x >= 0 else Alpha*x
	ActClip                       // min(max(x, Alpha), Beta); ReLU6 is Clip(0, 6)
	ActSigmoid                    // 1/(1+e**-x)
	ActTanh                       // tanh(x)
	ActHardSigmoid                // max(0, min(1, Alpha*x + Beta)), as ONNX HardSigmoid
	ActHardSwish                  // x * HardSigmoid(x) with alpha 1/6 and beta 0.5, as ONNX HardSwish
)

var actNames = [...]string{"none", "relu", "leakyrelu", "clip", "sigmoid", "tanh", "hardsigmoid", "hardswish"}

// String returns the activation kind's lower-case name.
func (k ActKind) String() string {
	if int(k) < len(actNames) {
		return actNames[k]
	}
	return fmt.Sprintf("act(%d)", k)
}

// valid reports whether k is one of the kinds above.
func (k ActKind) valid() bool { return int(k) < len(actNames) }

// ParseActKind maps a lower-case name ("relu", "clip", ...) to its kind.
func ParseActKind(name string) (ActKind, error) {
	for i, n := range actNames {
		if n == name {
			return ActKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown activation %q", name)
}

// Activation is an activation kind with its parameters: Alpha is LeakyReLU's
// slope, Clip's minimum or HardSigmoid's alpha, Beta is Clip's maximum or
// HardSigmoid's beta (HardSwish has none).
type Activation struct {
	Kind        ActKind
	Alpha, Beta float32
}

// ReLU6 is Clip(0, 6).
var ReLU6 = Activation{Kind: ActClip, Alpha: 0, Beta: 6}

// Apply applies the activation to buf in place.
//
// ReLU, LeakyReLU and Clip choose between bit patterns with integer selects
// instead of branches (Go's compiler turns "if c { u = w }" on integers into
// a conditional move, or a wasm select, but not on floats): on real data the
// sign of each value is unpredictable, and the mispredicted branches made
// ReLU cost ten times a plain copy in the wasm build. The results are those
// of the comparisons written out: x < 0 picks the other value, so -0 and NaN
// pass ReLU unchanged. HardSigmoid and HardSwish compute exactly what the
// standalone HardSigmoid and HardSwish functions do.
//
// ReLU, Clip (with ordered bounds), HardSigmoid, HardSwish and Sigmoid run
// on the installed Clip, HardAct and Sigmoid kernels when there are (see
// Kernels), which compute the same values.
func (a Activation) Apply(buf []float32) {
	if len(buf) >= minKernelRun && a.applyKernel(buf, 1, len(buf), len(buf)) {
		return
	}
	a.applyGo(buf)
}

// applyGo is Apply in pure Go.
func (a Activation) applyGo(buf []float32) {
	switch a.Kind {
	case ActNone:
	case ActReLU:
		for i, v := range buf {
			buf[i] = relu32(v)
		}
	case ActLeakyReLU:
		alpha := a.Alpha
		for i, v := range buf {
			u, w := math.Float32bits(v), math.Float32bits(float32(v*alpha))
			if v < 0 {
				u = w
			}
			buf[i] = math.Float32frombits(u)
		}
	case ActClip:
		lo, hi := a.Alpha, a.Beta
		if lo > hi {
			// Every value ends at hi, as with the comparisons in sequence.
			for i, v := range buf {
				if v < lo {
					v = lo
				}
				if v > hi {
					v = hi
				}
				buf[i] = v
			}
			return
		}
		for i, v := range buf {
			buf[i] = clip32(v, lo, hi)
		}
	case ActSigmoid:
		for i, v := range buf {
			buf[i] = Sigmoid32(v)
		}
	case ActTanh:
		for i, v := range buf {
			buf[i] = Tanh32(v)
		}
	case ActHardSigmoid:
		hardSigmoidGo(buf, 1, len(buf), len(buf), a.Alpha, a.Beta, false)
	case ActHardSwish:
		hardSigmoidGo(buf, 1, len(buf), len(buf), hardSwishAlpha, hardSwishBeta, true)
	default:
		panic(fmt.Sprintf("ops: unknown activation kind %d", a.Kind))
	}
}

// minKernelRun is the shortest buffer Apply hands to an installed kernel (a
// kernel call costs about as much as a few dozen elements).
const minKernelRun = 32

// applyKernel applies a to the rows×cols block of c with row stride ld on
// an installed kernel, if one computes a's kind; it reports whether it did.
func (a Activation) applyKernel(c []float32, rows, cols, ld int) bool {
	switch a.Kind {
	case ActReLU:
		if k := installed.Clip; k != nil {
			k(c[:(rows-1)*ld+cols], rows, cols, ld, 0, float32(math.Inf(1)))
			return true
		}
	case ActClip:
		if k := installed.Clip; k != nil && !(a.Alpha > a.Beta) {
			k(c[:(rows-1)*ld+cols], rows, cols, ld, a.Alpha, a.Beta)
			return true
		}
	case ActHardSigmoid:
		if k := installed.HardAct; k != nil {
			k(c[:(rows-1)*ld+cols], rows, cols, ld, a.Alpha, a.Beta, false)
			return true
		}
	case ActHardSwish:
		if k := installed.HardAct; k != nil {
			k(c[:(rows-1)*ld+cols], rows, cols, ld, hardSwishAlpha, hardSwishBeta, true)
			return true
		}
	case ActSigmoid:
		if k := installed.Sigmoid; k != nil {
			k(c[:(rows-1)*ld+cols], rows, cols, ld)
			return true
		}
	}
	return false
}

// sigmoidGo is the pure-Go SigmoidKernel: Sigmoid's Activation.Apply row by
// row.
func sigmoidGo(c []float32, rows, cols, ldc int) {
	act := Activation{Kind: ActSigmoid}
	for r := 0; r < rows; r++ {
		act.applyGo(c[r*ldc : r*ldc+cols])
	}
}

// relu32 returns 0 if v < 0 and v otherwise, without a branch.
func relu32(v float32) float32 {
	u := math.Float32bits(v)
	if v < 0 {
		u = 0
	}
	return math.Float32frombits(u)
}

// clip32 returns lo if v < lo, else hi if v > hi, else v (NaN passes),
// without a branch; it needs !(lo > hi).
func clip32(v, lo, hi float32) float32 {
	u := math.Float32bits(v)
	if v < lo {
		u = math.Float32bits(lo)
	}
	if v > hi {
		u = math.Float32bits(hi)
	}
	return math.Float32frombits(u)
}

// Scalar applies the activation to one value; it equals Apply on a one-element
// buffer.
func (a Activation) Scalar(v float32) float32 {
	var b [1]float32
	b[0] = v
	a.Apply(b[:])
	return b[0]
}

// FLOPsPerElement is the FLOP count charged per element for the activation
// (comparisons count 1; sigmoid and tanh count 4).
func (a Activation) FLOPsPerElement() int64 {
	switch a.Kind {
	case ActNone:
		return 0
	case ActSigmoid, ActTanh, ActHardSigmoid:
		return 4
	case ActHardSwish:
		return 5
	case ActClip:
		return 2
	}
	return 1
}
