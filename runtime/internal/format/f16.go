package format

import "math"

// Float32ToHalf returns the IEEE 754 binary16 bits nearest to f, rounding
// ties to even. Values too large for binary16 become infinities, values too
// small become (signed) zero or a subnormal. A NaN stays a NaN of the same
// sign: the top 10 bits of its payload are kept and the quiet bit is set, so
// the result is never an infinity.
func Float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff

	if exp == 0xff {
		if mant == 0 {
			return sign | 0x7c00
		}
		return sign | 0x7e00 | uint16(mant>>13)
	}

	// e is the binary16 biased exponent of f (binary32 bias 127, binary16 bias 15).
	e := exp - 127 + 15
	switch {
	case e >= 0x1f:
		// |f| >= 2^16, beyond the rounding boundary 65520: infinity.
		return sign | 0x7c00
	case e >= 1:
		// Normal result: keep 10 mantissa bits, round on the 13 dropped ones.
		// A carry out of the mantissa correctly bumps the exponent, up to
		// infinity (0x7c00) for values in [65520, 65536).
		h := uint16(e)<<10 | uint16(mant>>13)
		rem := mant & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
			h++
		}
		return sign | h
	case e < -10:
		// |f| < 2^-25, at most half the smallest subnormal (2^-24): rounds to
		// zero (binary32 subnormals land here too, as exp == 0).
		return sign
	default:
		// Subnormal result k * 2^-24 with k = m * 2^(e-14), m the 24-bit
		// significand; the shift is between 14 and 24.
		m := mant | 0x800000
		shift := uint(14 - e)
		k := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && k&1 == 1) {
			k++ // may carry into the smallest normal, 0x0400: still correct
		}
		return sign | uint16(k)
	}
}

// HalfToFloat32 returns the float32 equal to the IEEE 754 binary16 value h.
// The conversion is exact; NaN payloads are kept.
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		// Subnormal mant * 2^-24: normalise so the leading 1 is bit 10.
		e := uint32(127 - 14)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// F32ToF16 returns x converted to binary16 bits, element by element, as
// Float32ToHalf does. It allocates the result.
func F32ToF16(x []float32) []uint16 {
	h := make([]uint16, len(x))
	for i, v := range x {
		h[i] = Float32ToHalf(v)
	}
	return h
}

// F16ToF32 returns the binary16 values h converted exactly to float32, as
// HalfToFloat32 does. It allocates the result.
func F16ToF32(h []uint16) []float32 {
	x := make([]float32, len(h))
	for i, v := range h {
		x[i] = HalfToFloat32(v)
	}
	return x
}
