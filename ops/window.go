package ops

import "fmt"

// AutoPad selects how spatial padding is computed, as in ONNX.
type AutoPad uint8

// AutoPad modes.
const (
	PadExplicit  AutoPad = iota // use PadsBegin/PadsEnd as given
	PadSameUpper                // output = ceil(in/stride); odd padding goes at the end
	PadSameLower                // output = ceil(in/stride); odd padding goes at the beginning
	PadValid                    // no padding
)

var autoPadNames = [...]string{"explicit", "same_upper", "same_lower", "valid"}

// String returns the mode's name.
func (p AutoPad) String() string {
	if int(p) < len(autoPadNames) {
		return autoPadNames[p]
	}
	return fmt.Sprintf("autopad(%d)", p)
}

// ParseAutoPad maps "explicit", "same" or "same_upper", "same_lower" and
// "valid" (case-sensitive, as written here; "" means explicit) to a mode.
func ParseAutoPad(s string) (AutoPad, error) {
	switch s {
	case "", "explicit", "NOTSET":
		return PadExplicit, nil
	case "same", "same_upper", "SAME_UPPER":
		return PadSameUpper, nil
	case "same_lower", "SAME_LOWER":
		return PadSameLower, nil
	case "valid", "VALID":
		return PadValid, nil
	}
	return 0, fmt.Errorf("unknown padding mode %q", s)
}

// Window describes a sliding window over 1 to 3 spatial dimensions. Nil
// slices take defaults: stride 1, dilation 1, padding 0.
type Window struct {
	Strides   []int
	Dilations []int
	PadsBegin []int
	PadsEnd   []int
	AutoPad   AutoPad
}

// Dims3 is a size in 3 spatial dimensions (depth, height, width). Lower-rank
// tensors use 1 for the missing leading dimensions.
type Dims3 struct{ D, H, W int }

func (d Dims3) slice(rank int) []int {
	all := []int{d.D, d.H, d.W}
	return all[3-rank:]
}

func (d Dims3) prod() int { return d.D * d.H * d.W }

func to3(v []int, rank, def int) Dims3 {
	r := Dims3{def, def, def}
	all := []*int{&r.D, &r.H, &r.W}
	for i := 0; i < rank && i < len(v); i++ {
		*all[3-rank+i] = v[i]
	}
	return r
}

// spatial resolves one spatial axis: it returns the begin padding and the
// output size.
func spatial(axis string, in, k, s, d, pb, pe int, mode AutoPad, ceil bool) (int, int, error) {
	if k < 1 || s < 1 || d < 1 {
		return 0, 0, fmt.Errorf("%w: %s: kernel %d, stride %d and dilation %d must be >= 1", ErrShape, axis, k, s, d)
	}
	if pb < 0 || pe < 0 {
		return 0, 0, fmt.Errorf("%w: %s: negative padding %d,%d", ErrShape, axis, pb, pe)
	}
	if in > MaxElements || k > MaxElements || s > MaxElements || d > MaxElements || pb > MaxElements || pe > MaxElements {
		return 0, 0, fmt.Errorf("%w: %s: size out of range", ErrShape, axis)
	}
	ek := (k-1)*d + 1 // effective kernel extent
	switch mode {
	case PadValid:
		pb, pe = 0, 0
	case PadSameUpper, PadSameLower:
		out := (in + s - 1) / s
		total := (out-1)*s + ek - in
		if total < 0 {
			total = 0
		}
		pb, pe = total/2, total-total/2
		if mode == PadSameLower {
			pb, pe = pe, pb
		}
	}
	span := in + pb + pe - ek
	out := 0
	switch {
	case !ceil && span >= 0:
		out = span/s + 1
	case ceil && span+s-1 >= 0:
		// PyTorch's and ONNX's ceil((in+pads-extent)/stride) + 1, which
		// accepts a window extending past the padded input (even a kernel
		// larger than it) as long as the window starts inside.
		out = (span+s-1)/s + 1
		// The last window must start inside the input or the begin padding.
		if (out-1)*s >= in+pb {
			out--
		}
	}
	if out < 1 {
		return 0, 0, fmt.Errorf("%w: %s: kernel extent %d is larger than padded input %d", ErrShape, axis, ek, in+pb+pe)
	}
	return pb, out, nil
}

func dimsPtr(d *Dims3) [3]*int { return [3]*int{&d.D, &d.H, &d.W} }

func checkWindowLens(rank int, w Window) error {
	for _, f := range []struct {
		name string
		v    []int
	}{{"strides", w.Strides}, {"dilations", w.Dilations}, {"pads_begin", w.PadsBegin}, {"pads_end", w.PadsEnd}} {
		if f.v != nil && len(f.v) != rank {
			return fmt.Errorf("%w: %s %v must have %d values (one per spatial axis)", ErrShape, f.name, f.v, rank)
		}
	}
	return nil
}
