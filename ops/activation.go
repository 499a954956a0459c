package ops

import "fmt"

// ActKind names an elementwise activation.
type ActKind uint8

// Activation kinds. Alpha and Beta of Activation carry their parameters.
const (
	ActNone      ActKind = iota // identity
	ActReLU                     // max(x, 0)
	ActLeakyReLU                // x if x >= 0 else Alpha*x
	ActClip                     // min(max(x, Alpha), Beta); ReLU6 is Clip(0, 6)
	ActSigmoid                  // 1/(1+e**-x)
	ActTanh                     // tanh(x)
)

var actNames = [...]string{"none", "relu", "leakyrelu", "clip", "sigmoid", "tanh"}

// String returns the activation kind's lower-case name.
func (k ActKind) String() string {
	if int(k) < len(actNames) {
		return actNames[k]
	}
	return fmt.Sprintf("act(%d)", k)
}

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
// slope or Clip's minimum, Beta is Clip's maximum.
type Activation struct {
	Kind        ActKind
	Alpha, Beta float32
}

// ReLU6 is Clip(0, 6).
var ReLU6 = Activation{Kind: ActClip, Alpha: 0, Beta: 6}

// Apply applies the activation to buf in place.
func (a Activation) Apply(buf []float32) {
	switch a.Kind {
	case ActNone:
	case ActReLU:
		for i, v := range buf {
			if v < 0 {
				buf[i] = 0
			}
		}
	case ActLeakyReLU:
		for i, v := range buf {
			if v < 0 {
				buf[i] = float32(v * a.Alpha)
			}
		}
	case ActClip:
		lo, hi := a.Alpha, a.Beta
		for i, v := range buf {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			buf[i] = v
		}
	case ActSigmoid:
		for i, v := range buf {
			buf[i] = Sigmoid32(v)
		}
	case ActTanh:
		for i, v := range buf {
			buf[i] = Tanh32(v)
		}
	default:
		panic(fmt.Sprintf("ops: unknown activation kind %d", a.Kind))
	}
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
	case ActSigmoid, ActTanh:
		return 4
	case ActClip:
		return 2
	}
	return 1
}
