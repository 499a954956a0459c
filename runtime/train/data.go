package train

import (
	"fmt"

	"github.com/wasmnn/wasmnn/runtime"
)

// Dataset is a labelled set of single-channel images. Each image has
// Width·Height values in [0, 1], row by row, where 0 is the background and 1
// full ink as the model sees them: after the inversion its preprocessing
// applies to photographed or drawn images (MNIST's arrays are already light
// ink on black and are used as they are). Labels are class indices.
type Dataset struct {
	Images        [][]float32
	Labels        []int
	Width, Height int
}

// Len returns the number of images.
func (d Dataset) Len() int { return len(d.Images) }

// check validates the dataset against a class count.
func (d Dataset) check(classes int) error {
	if len(d.Images) == 0 {
		return fmt.Errorf("the dataset is empty")
	}
	if len(d.Labels) != len(d.Images) {
		return fmt.Errorf("the dataset has %d images but %d labels", len(d.Images), len(d.Labels))
	}
	if d.Width < 1 || d.Height < 1 {
		return fmt.Errorf("the dataset's images are %dx%d", d.Width, d.Height)
	}
	for i, img := range d.Images {
		if len(img) != d.Width*d.Height {
			return fmt.Errorf("image %d has %d values, want %dx%d", i, len(img), d.Width, d.Height)
		}
		if y := d.Labels[i]; y < 0 || y >= classes {
			return fmt.Errorf("image %d has label %d; the model has %d classes", i, y, classes)
		}
	}
	return nil
}

// placement turns dataset images into the model's input as its Preprocess
// metadata describes an image becoming the input: the image is the content
// area, centred on a canvas of background 0, and each value v (in [0, 1],
// that is 255·v on the 0-255 scale) becomes (255·v·Scale − Mean)/Std.
type placement struct {
	w, h, cw, ch int
	factor       float64 // 255·Scale (1 for the default Scale 1/255)
	mean, std    float64
}

func newPlacement(m *runtime.Model, d Dataset) (*placement, error) {
	pp := m.Meta.Preprocess
	in := m.Inputs[0].Shape
	if pp == nil {
		return nil, fmt.Errorf("the model has no preprocessing metadata: the trainer cannot map images to its input")
	}
	if pp.Channels != 1 || len(in) != 4 || in[1] != 1 || in[2] != pp.Height || in[3] != pp.Width {
		return nil, fmt.Errorf("the trainer needs a 1-channel image model with input [N 1 %d %d]; input %q is %v with %d channels",
			pp.Height, pp.Width, m.Inputs[0].Name, in, pp.Channels)
	}
	pl := &placement{w: pp.Width, h: pp.Height, cw: pp.ContentWidth, ch: pp.ContentHeight, factor: 1, mean: 0, std: 1}
	if pl.cw == 0 {
		pl.cw = pl.w
	}
	if pl.ch == 0 {
		pl.ch = pl.h
	}
	if d.Width != pl.cw || d.Height != pl.ch {
		return nil, fmt.Errorf("the images are %dx%d but the model's content area is %dx%d", d.Width, d.Height, pl.cw, pl.ch)
	}
	if pp.Scale != 0 {
		pl.factor = float64(255 * float64(pp.Scale))
	}
	if len(pp.Mean) > 0 {
		pl.mean = float64(pp.Mean[0])
	}
	if len(pp.Std) > 0 {
		pl.std = float64(pp.Std[0])
	}
	if !(pl.std > 0) {
		return nil, fmt.Errorf("preprocessing std %g must be positive", pl.std)
	}
	return pl, nil
}

// fill writes the input for img shifted by (dx, dy) pixels into dst
// (Width·Height values); content shifted off the canvas is dropped.
func (pl *placement) fill(dst, img []float32, dx, dy int) {
	bg := float32((0 - pl.mean) / pl.std)
	for i := range dst {
		dst[i] = bg
	}
	ox, oy := (pl.w-pl.cw)/2+dx, (pl.h-pl.ch)/2+dy
	for y := 0; y < pl.ch; y++ {
		ty := oy + y
		if ty < 0 || ty >= pl.h {
			continue
		}
		row := img[y*pl.cw : (y+1)*pl.cw]
		out := dst[ty*pl.w : (ty+1)*pl.w]
		for x, v := range row {
			if tx := ox + x; tx >= 0 && tx < pl.w {
				out[tx] = float32((float64(float64(v)*pl.factor) - pl.mean) / pl.std)
			}
		}
	}
}
