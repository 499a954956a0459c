package ref

import "math"

// ResizeAttrs are the attributes of a Resize (ONNX Resize, opsets 10 to 19,
// by their ONNX names and values).
type ResizeAttrs struct {
	Mode           string    // nearest, linear, cubic
	Coord          string    // coordinate_transformation_mode
	Nearest        string    // nearest_mode
	CubicA         float64   // cubic_coeff_a
	ExcludeOutside bool      // exclude_outside
	Extrapolation  float64   // extrapolation_value
	Scales         []float32 // or Sizes, one per axis of Axes (all axes when nil)
	Sizes          []int
	Axes           []int
	Policy         string    // keep_aspect_ratio_policy
	ROI            []float32 // [starts..., ends...] per axis of Axes, for tf_crop_and_resize
}

// Resize resamples x (shape xs) as ONNX Resize, with the conventions of ONNX
// Runtime where ONNX leaves room: output sizes floor(in*scale) with the
// product rounded to float32, scales of sizes out/in in float32, an axis of
// scale 1 copied untransformed, and an output of the input's shape a copy.
// Each output is the sum over the tensor product of per-axis taps (1 for
// nearest, 2 linear, 4 cubic, indices clamped to the edges), coordinates in
// float64.
func Resize(x []float64, xs []int, a ResizeAttrs) ([]float64, []int) {
	r := len(xs)
	axes := a.Axes
	if axes == nil {
		for i := 0; i < r; i++ {
			axes = append(axes, i)
		}
	}
	for i := range axes {
		if axes[i] < 0 {
			axes[i] += r
		}
	}
	out := append([]int(nil), xs...)
	scale := make([]float64, r)
	roi0, roi1 := make([]float64, r), make([]float64, r)
	for i := range scale {
		scale[i], roi1[i] = 1, 1
	}
	for i, ax := range axes {
		if a.ROI != nil {
			roi0[ax], roi1[ax] = float64(a.ROI[i]), float64(a.ROI[len(axes)+i])
		}
		if a.Scales != nil {
			scale[ax] = float64(a.Scales[i])
			out[ax] = int(math.Floor(float64(float32(a.Scales[i]) * float32(xs[ax]))))
		} else {
			out[ax] = a.Sizes[i]
			scale[ax] = float64(float32(a.Sizes[i]) / float32(xs[ax]))
		}
	}
	if a.Sizes != nil && a.Policy != "" && a.Policy != "stretch" {
		p := scale[axes[0]]
		for _, ax := range axes {
			if a.Policy == "not_larger" {
				p = math.Min(p, scale[ax])
			} else {
				p = math.Max(p, scale[ax])
			}
		}
		for _, ax := range axes {
			scale[ax] = p
			out[ax] = int(math.Round(float64(float32(p) * float32(xs[ax]))))
		}
	}
	y := make([]float64, size(out))
	same := true
	for i := range xs {
		same = same && xs[i] == out[i]
	}
	if same {
		copy(y, x)
		return y, out
	}
	// Per axis and output index: the taps (input index, weight), or none
	// for the extrapolation value.
	type tap struct {
		i int
		w float64
	}
	taps := make([][][]tap, r)
	for ax := 0; ax < r; ax++ {
		n := xs[ax]
		taps[ax] = make([][]tap, out[ax])
		for o := 0; o < out[ax]; o++ {
			if scale[ax] == 1 && n == out[ax] {
				taps[ax][o] = []tap{{o, 1}}
				continue
			}
			c := resizeCoord(a.Coord, float64(o), scale[ax], float64(n), float64(out[ax]), roi0[ax], roi1[ax])
			if a.Mode != "nearest" && scale[ax] == 1 {
				c = float64(o)
			}
			if a.Coord == "tf_crop_and_resize" && (c < 0 || c > float64(n-1)) {
				continue
			}
			clamp := func(i int) int { return min(max(i, 0), n-1) }
			switch a.Mode {
			case "nearest":
				taps[ax][o] = []tap{{clamp(refNearest(c, a.Nearest)), 1}}
			case "linear":
				f := math.Floor(c)
				t := c - f
				if c <= 0 || c >= float64(n-1) {
					taps[ax][o] = []tap{{clamp(int(f)), 1}}
				} else {
					taps[ax][o] = []tap{{int(f), 1 - t}, {int(f) + 1, t}}
				}
			case "cubic":
				f := math.Floor(c)
				t := c - f
				w := [4]float64{}
				for k := range w {
					w[k] = keys(math.Abs(t-float64(k-1)), a.CubicA)
				}
				sum := 1.0
				if a.ExcludeOutside {
					sum = 0
					for k := range w {
						if j := int(f) - 1 + k; j < 0 || j >= n {
							w[k] = 0
						}
						sum += w[k]
					}
				}
				for k := range w {
					taps[ax][o] = append(taps[ax][o], tap{clamp(int(f) - 1 + k), w[k] / sum})
				}
			}
		}
	}
	for i := range y {
		c := coords(i, out)
		var rec func(ax, idx int, w float64) float64
		rec = func(ax, idx int, w float64) float64 {
			if ax == r {
				return w * x[idx]
			}
			s := 0.0
			for _, t := range taps[ax][c[ax]] {
				s += rec(ax+1, idx*xs[ax]+t.i, w*t.w)
			}
			return s
		}
		outside := false
		for ax := range c {
			outside = outside || taps[ax][c[ax]] == nil
		}
		if outside {
			y[i] = a.Extrapolation
		} else {
			y[i] = rec(0, 0, 1)
		}
	}
	return y, out
}

// resizeCoord is ONNX Resize's coordinate transformation of output index x.
func resizeCoord(mode string, x, s, in, out, r0, r1 float64) float64 {
	switch mode {
	case "asymmetric":
		return x / s
	case "pytorch_half_pixel":
		if out > 1 {
			return (x+0.5)/s - 0.5
		}
		return 0
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / s
	case "align_corners":
		if out == 1 {
			return 0
		}
		return x * (in - 1) / (out - 1)
	case "tf_crop_and_resize":
		if out > 1 {
			return r0*(in-1) + x*(r1-r0)*(in-1)/(out-1)
		}
		return 0.5 * (r0 + r1) * (in - 1)
	case "half_pixel_symmetric":
		adj := out / (s * in)
		offset := in / 2 * (1 - adj)
		return offset + (x+0.5)/s - 0.5
	}
	return (x+0.5)/s - 0.5
}

func refNearest(c float64, mode string) int {
	switch mode {
	case "round_prefer_ceil":
		return int(math.Floor(c + 0.5))
	case "floor":
		return int(math.Floor(c))
	case "ceil":
		return int(math.Ceil(c))
	}
	return int(math.Ceil(c - 0.5)) // round_prefer_floor
}

// keys is Keys' cubic convolution kernel with parameter a at distance d.
func keys(d, a float64) float64 {
	switch {
	case d <= 1:
		return ((a+2)*d-(a+3))*d*d + 1
	case d < 2:
		return ((a*d-5*a)*d+8*a)*d - 4*a
	}
	return 0
}
