package train

import (
	"fmt"
	"image"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

// LabeledImage is one decoded image of a class, for FromImages.
type LabeledImage struct {
	// Name identifies the image in errors: a file name, "drawing 3".
	Name  string
	Image image.Image
	Label int
}

// FromImages turns images into model inputs as classify does: each image
// becomes a tensor through imageprep.ToTensor with the model's
// preprocessing metadata pp, inverted or not as imageprep.ResolveInvert
// decides for invert (InvertAuto: an inverting model's input is inverted
// only for dark-on-light images). classes names the classes; every label
// must index it and every class needs at least one image. Errors wrap
// ErrData and name the image or the class.
func FromImages(images []LabeledImage, classes []string, pp *runtime.Preprocess, invert imageprep.InvertMode) (*Data, error) {
	ad, err := newImageAdder(classes, pp, invert)
	if err != nil {
		return nil, err
	}
	for _, img := range images {
		if err := ad.add(img.Name, img.Image, img.Label); err != nil {
			return nil, err
		}
	}
	return ad.finish()
}

// imageAdder converts images one by one into a Data.
type imageAdder struct {
	d      *Data
	params imageprep.Params
	modelI bool
	mode   imageprep.InvertMode
	counts []int
}

func newImageAdder(classes []string, pp *runtime.Preprocess, invert imageprep.InvertMode) (*imageAdder, error) {
	if pp == nil {
		return nil, fmt.Errorf("the model has no preprocessing metadata: it does not say how an image becomes its input")
	}
	if len(classes) == 0 {
		return nil, dataErr("there are no classes")
	}
	params := imageprep.Params{Width: pp.Width, Height: pp.Height, ContentWidth: pp.ContentWidth, ContentHeight: pp.ContentHeight,
		Channels: pp.Channels, Scale: pp.Scale, Mean: pp.Mean, Std: pp.Std}
	if err := params.Validate(); err != nil {
		return nil, fmt.Errorf("the model's preprocessing: %w", err)
	}
	d := &Data{Shape: []int{pp.Channels, pp.Height, pp.Width}, Classes: classes}
	return &imageAdder{d: d, params: params, modelI: pp.Invert, mode: invert, counts: make([]int, len(classes))}, nil
}

// add converts one image of class label.
func (a *imageAdder) add(name string, img image.Image, label int) error {
	if label < 0 || label >= len(a.counts) {
		return dataErr("%s: label %d, outside [0, %d)", name, label, len(a.counts))
	}
	if a.d.Len() >= MaxExamples {
		return dataErr("more than %d images", MaxExamples)
	}
	if img == nil {
		return dataErr("%s: no image", name)
	}
	p := a.params
	p.Invert = imageprep.ResolveInvert(img, a.mode, a.modelI)
	x, shape, err := imageprep.ToTensor(img, p)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrData, name, err)
	}
	if !ops.EqualShapes(shape[1:], a.d.Shape) {
		return dataErr("%s: the preprocessed image is %s, want %s", name, ops.FormatShape(shape[1:]), ops.FormatShape(a.d.Shape))
	}
	a.d.Images = append(a.d.Images, x...)
	a.d.Labels = append(a.d.Labels, label)
	a.counts[label]++
	return nil
}

// finish checks that every class has an image.
func (a *imageAdder) finish() (*Data, error) {
	for c, n := range a.counts {
		if n == 0 {
			return nil, dataErr("class %d (%q) has no images", c, a.d.Classes[c])
		}
	}
	if err := a.d.Validate(); err != nil {
		return nil, err
	}
	return a.d, nil
}
