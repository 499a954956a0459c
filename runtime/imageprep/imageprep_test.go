package imageprep

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// grayImage builds a w x h gray image from row-major values.
func grayImage(w, h int, v []uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	copy(img.Pix, v)
	return img
}

// close32 reports whether got is within a few float32 ulps of want.
func close32(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 4e-7*math.Max(1, math.Abs(want))
}

func TestToTensorSmall(t *testing.T) {
	// NRGBA pixels: opaque red, opaque (10,20,30), fully transparent green
	// (composited over white: 255,255,255), half-transparent black
	// (alpha 51 = 0.2: 0.8*255 = 204 of white shows through).
	rgba := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	rgba.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	rgba.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 255})
	rgba.SetNRGBA(0, 1, color.NRGBA{0, 255, 0, 0})
	rgba.SetNRGBA(1, 1, color.NRGBA{0, 0, 0, 51})
	rgbVals := [][3]float64{{255, 0, 0}, {10, 20, 30}, {255, 255, 255}, {204, 204, 204}}
	luma := func(p [3]float64) float64 { return 0.299*p[0] + 0.587*p[1] + 0.114*p[2] }

	tests := []struct {
		name  string
		img   image.Image
		p     Params
		shape []int
		want  []float64
	}{
		{
			name:  "gray_identity_scale_default",
			img:   grayImage(2, 2, []uint8{0, 51, 204, 255}),
			p:     Params{Width: 2, Height: 2, Channels: 1},
			shape: []int{1, 1, 2, 2},
			want:  []float64{0, 0.2, 0.8, 1},
		},
		{
			name:  "gray_invert_mean_std",
			img:   grayImage(2, 2, []uint8{0, 51, 204, 255}),
			p:     Params{Width: 2, Height: 2, Channels: 1, Invert: true, Mean: []float32{0.5}, Std: []float32{0.25}},
			shape: []int{1, 1, 2, 2},
			want:  []float64{(1 - 0.5) / 0.25, (0.8 - 0.5) / 0.25, (0.2 - 0.5) / 0.25, (0 - 0.5) / 0.25},
		},
		{
			name:  "gray_scale_one",
			img:   grayImage(2, 1, []uint8{7, 250}),
			p:     Params{Width: 2, Height: 1, Channels: 1, Scale: 1, Mean: []float32{100}},
			shape: []int{1, 1, 1, 2},
			want:  []float64{7 - 100, 250 - 100},
		},
		{
			name:  "rgb_alpha_over_white",
			img:   rgba,
			p:     Params{Width: 2, Height: 2, Channels: 3, Scale: 1},
			shape: []int{1, 3, 2, 2},
			want: []float64{
				rgbVals[0][0], rgbVals[1][0], rgbVals[2][0], rgbVals[3][0],
				rgbVals[0][1], rgbVals[1][1], rgbVals[2][1], rgbVals[3][1],
				rgbVals[0][2], rgbVals[1][2], rgbVals[2][2], rgbVals[3][2],
			},
		},
		{
			name:  "rgb_per_channel_mean_std",
			img:   rgba,
			p:     Params{Width: 2, Height: 2, Channels: 3, Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}},
			shape: []int{1, 3, 2, 2},
			want: func() []float64 {
				mean := []float64{float64(float32(0.485)), float64(float32(0.456)), float64(float32(0.406))}
				std := []float64{float64(float32(0.229)), float64(float32(0.224)), float64(float32(0.225))}
				var out []float64
				for c := range 3 {
					for _, p := range rgbVals {
						out = append(out, (p[c]/255-mean[c])/std[c])
					}
				}
				return out
			}(),
		},
		{
			name:  "gray_luma_bt601",
			img:   rgba,
			p:     Params{Width: 2, Height: 2, Channels: 1, Scale: 1},
			shape: []int{1, 1, 2, 2},
			want:  []float64{luma(rgbVals[0]), luma(rgbVals[1]), luma(rgbVals[2]), luma(rgbVals[3])},
		},
		{
			name: "subimage_offset_bounds",
			img: grayImage(3, 3, []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}).
				SubImage(image.Rect(1, 1, 3, 3)),
			p:     Params{Width: 2, Height: 2, Channels: 1, Scale: 1},
			shape: []int{1, 1, 2, 2},
			want:  []float64{5, 6, 8, 9},
		},
		{
			// Content 1x2 centred on 4x3: x offset (4-1)/2 = 1, y offset (3-2)/2 = 0.
			name:  "odd_padding_rounds_down",
			img:   grayImage(1, 2, []uint8{100, 200}),
			p:     Params{Width: 4, Height: 3, ContentWidth: 1, ContentHeight: 2, Channels: 1, Scale: 1, Mean: []float32{1}},
			shape: []int{1, 1, 3, 4},
			want: []float64{
				-1, 99, -1, -1,
				-1, 199, -1, -1,
				-1, -1, -1, -1,
			},
		},
		{
			// 4x2 -> 2x2: each output averages two horizontal neighbours.
			name:  "area_average_halves",
			img:   grayImage(4, 2, []uint8{0, 10, 20, 40, 100, 101, 255, 0}),
			p:     Params{Width: 2, Height: 2, Channels: 1, Scale: 1},
			shape: []int{1, 1, 2, 2},
			want:  []float64{5, 30, 100.5, 127.5},
		},
		{
			// 3 -> 2: output 0 covers [0, 1.5): (a + b/2)/1.5; output 1 covers [1.5, 3).
			name:  "area_average_fractional",
			img:   grayImage(3, 1, []uint8{30, 60, 90}),
			p:     Params{Width: 2, Height: 1, Channels: 1, Scale: 1},
			shape: []int{1, 1, 1, 2},
			want:  []float64{(30 + 60*0.5) / 1.5, (60*0.5 + 90) / 1.5},
		},
		{
			// 2 -> 4: centres at -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
			name:  "bilinear_upscale",
			img:   grayImage(2, 1, []uint8{40, 200}),
			p:     Params{Width: 4, Height: 1, Channels: 1, Scale: 1},
			shape: []int{1, 1, 1, 4},
			want:  []float64{40, 0.75*40 + 0.25*200, 0.25*40 + 0.75*200, 200},
		},
		{
			name:  "single_pixel_fills_content",
			img:   grayImage(1, 1, []uint8{77}),
			p:     Params{Width: 3, Height: 3, Channels: 1, Scale: 1},
			shape: []int{1, 1, 3, 3},
			want:  []float64{77, 77, 77, 77, 77, 77, 77, 77, 77},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, shape, err := ToTensor(tc.img, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shape, tc.shape) {
				t.Fatalf("shape %v, want %v", shape, tc.shape)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d values, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !close32(got[i], tc.want[i]) {
					t.Errorf("value %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestToTensorPadding checks that 28x28 content on a 32x32 canvas leaves a
// 2-pixel border of the background value and copies the image inside.
func TestToTensorPadding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pix := make([]uint8, 28*28)
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	img := grayImage(28, 28, pix)
	tests := []struct {
		name   string
		p      Params
		invert bool
	}{
		{"plain", Params{Width: 32, Height: 32, ContentWidth: 28, ContentHeight: 28, Channels: 1}, false},
		{"inverted_normalised", Params{Width: 32, Height: 32, ContentWidth: 28, ContentHeight: 28, Channels: 1, Invert: true,
			Mean: []float32{0.1307}, Std: []float32{0.3081}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := ToTensor(img, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			mean, std := 0.0, 1.0
			if len(tc.p.Mean) > 0 {
				mean, std = float64(tc.p.Mean[0]), float64(tc.p.Std[0])
			}
			for y := range 32 {
				for x := range 32 {
					v := 0.0
					if x >= 2 && x < 30 && y >= 2 && y < 30 {
						v = float64(pix[(y-2)*28+x-2])
						if tc.invert {
							v = 255 - v
						}
					}
					want := (v/255 - mean) / std
					if g := got[y*32+x]; !close32(g, want) {
						t.Fatalf("(%d,%d) = %v, want %v", x, y, g, want)
					}
				}
			}
		})
	}
}

// refResize is an independent 2-D formulation of the documented resampling:
// for a shrinking axis, the overlap of output pixel [i*r, (i+1)*r) with each
// input pixel; for a growing axis, the two pixels around the clamped centre.
func refResize(src []float64, sw, sh, dw, dh int) []float64 {
	axis := func(n, m, i, j int) float64 { // weight of input j in output i
		r := float64(n) / float64(m)
		switch {
		case n == m:
			if i == j {
				return 1
			}
			return 0
		case n > m:
			lo, hi := float64(i)*r, float64(i+1)*r
			ov := math.Min(hi, float64(j+1)) - math.Max(lo, float64(j))
			return math.Max(ov, 0) / r
		default:
			c := math.Min(math.Max(float64((float64(i)+0.5)*r)-0.5, 0), float64(n-1))
			return math.Max(0, 1-math.Abs(c-float64(j)))
		}
	}
	out := make([]float64, dw*dh)
	for y := range dh {
		for x := range dw {
			s := 0.0
			for j := range sh {
				for i := range sw {
					s += float64(axis(sw, dw, x, i) * axis(sh, dh, y, j) * src[j*sw+i])
				}
			}
			out[y*dw+x] = s
		}
	}
	return out
}

func TestToTensorResizeReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := [][4]int{ // sw, sh, cw, ch
		{7, 5, 3, 2}, {3, 4, 7, 9}, {10, 3, 4, 6}, {5, 5, 5, 5}, {1, 6, 4, 2}, {37, 29, 20, 20}, {13, 1, 5, 3},
	}
	for _, sz := range sizes {
		sw, sh, cw, ch := sz[0], sz[1], sz[2], sz[3]
		t.Run(fmt.Sprintf("%dx%d_to_%dx%d", sw, sh, cw, ch),
			func(t *testing.T) {
				img := image.NewRGBA(image.Rect(0, 0, sw, sh))
				for i := range img.Pix {
					img.Pix[i] = uint8(rng.IntN(256))
					if i%4 == 3 {
						img.Pix[i] = 255
					}
				}
				p := Params{Width: cw + 2, Height: ch + 1, ContentWidth: cw, ContentHeight: ch, Channels: 3, Scale: 1}
				got, _, err := ToTensor(img, p)
				if err != nil {
					t.Fatal(err)
				}
				for c := range 3 {
					src := make([]float64, sw*sh)
					for i := range src {
						src[i] = float64(img.Pix[4*i+c])
					}
					want := refResize(src, sw, sh, cw, ch)
					for y := range ch {
						for x := range cw {
							g := got[c*(cw+2)*(ch+1)+y*(cw+2)+x+1]
							if math.Abs(float64(g)-want[y*cw+x]) > 1e-4 {
								t.Fatalf("channel %d (%d,%d) = %v, want %v", c, x, y, g, want[y*cw+x])
							}
						}
					}
				}
			})
	}
}

func TestToTensorErrors(t *testing.T) {
	img := grayImage(2, 2, []uint8{1, 2, 3, 4})
	ok := Params{Width: 2, Height: 2, Channels: 1}
	with := func(f func(*Params)) Params { p := ok; f(&p); return p }
	tests := []struct {
		name string
		img  image.Image
		p    Params
		want error
		msg  string
	}{
		{"zero_width", img, with(func(p *Params) { p.Width = 0 }), ErrParams, "must be positive"},
		{"negative_height", img, with(func(p *Params) { p.Height = -3 }), ErrParams, "must be positive"},
		{"huge_canvas", img, with(func(p *Params) { p.Width = 1 << 20 }), ErrParams, "larger than"},
		{"negative_content", img, with(func(p *Params) { p.ContentWidth = -1 }), ErrParams, "negative"},
		{"content_too_big", img, with(func(p *Params) { p.ContentHeight = 3 }), ErrParams, "does not fit"},
		{"channels_2", img, with(func(p *Params) { p.Channels = 2 }), ErrParams, "want 1 (gray) or 3"},
		{"channels_0", img, with(func(p *Params) { p.Channels = 0 }), ErrParams, "want 1 (gray) or 3"},
		{"std_zero", img, with(func(p *Params) { p.Std = []float32{0} }), ErrParams, "std[0] is 0"},
		{"std_zero_rgb", img, with(func(p *Params) { p.Channels = 3; p.Std = []float32{1, 0, 1} }), ErrParams, "std[1] is 0"},
		{"mean_wrong_len", img, with(func(p *Params) { p.Mean = []float32{1, 2} }), ErrParams, "mean has 2 values"},
		{"mean_nan", img, with(func(p *Params) { p.Mean = []float32{float32(math.NaN())} }), ErrParams, "not finite"},
		{"scale_inf", img, with(func(p *Params) { p.Scale = float32(math.Inf(1)) }), ErrParams, "not finite"},
		{"nil_image", nil, ok, ErrImage, "nil"},
		{"empty_image", image.NewGray(image.Rect(3, 3, 3, 5)), ok, ErrImage, "empty"},
		{"unbounded_image", image.NewUniform(color.Black), ok, ErrImage, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, shape, err := ToTensor(tc.img, tc.p)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
			if data != nil || shape != nil {
				t.Errorf("returned data or shape with an error")
			}
			if tc.want == ErrParams && tc.p.Validate() == nil {
				t.Errorf("Validate accepted the parameters")
			}
		})
	}
}

func TestFromRGBA(t *testing.T) {
	pix := []byte{255, 0, 0, 255, 0, 255, 0, 255}
	img, err := FromRGBA(pix, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, g, _, _ := img.At(1, 0).RGBA(); r != 0 || g != 0xffff {
		t.Errorf("pixel (1,0) = %v", img.At(1, 0))
	}
	for _, tc := range []struct {
		w, h, n int
	}{{2, 2, 8}, {0, 1, 0}, {-1, 5, 4}, {MaxImageSide + 1, 1, 4 * (MaxImageSide + 1)}} {
		if _, err := FromRGBA(make([]byte, tc.n), tc.w, tc.h); !errors.Is(err, ErrImage) {
			t.Errorf("%dx%d with %d bytes: err %v", tc.w, tc.h, tc.n, err)
		}
	}
}
