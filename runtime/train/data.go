package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// ErrData is wrapped by every error about training or evaluation data:
// mismatched counts, labels out of range, shapes that do not fit the model,
// non-finite values, unreadable files and images. The messages name the
// example (its index, or its file) at fault.
var ErrData = errors.New("train: bad data")

// dataErr builds an error wrapping ErrData.
func dataErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrData, fmt.Sprintf(format, args...))
}

// MaxExamples bounds the number of examples of a Data.
const MaxExamples = 1 << 24

// Data is a labelled set of examples held in memory: model inputs, already
// preprocessed, and their class indices. It is what Fit trains on and
// Evaluate measures, whatever the examples came from (FromNPY, FromImages,
// LoadImageDir, Dataset.Inputs, or arrays built by the caller).
type Data struct {
	// Images holds the examples back to back in C order, each of Shape:
	// N x C x H x W values for image models (NCHW).
	Images []float32
	// Shape is the shape of one example, the model's input without its
	// batch dimension ([C, H, W] for images).
	Shape []int
	// Labels holds each example's class index, in [0, classes).
	Labels []int
	// Classes names the classes (index = label). It may be nil: the class
	// count is then the model's and the names its labels.
	Classes []string
}

// Len returns the number of examples.
func (d *Data) Len() int { return len(d.Labels) }

// size returns the number of values of one example.
func (d *Data) size() int { return ops.ShapeSize(d.Shape) }

// Example returns the values of example i (aliasing Images).
func (d *Data) Example(i int) []float32 {
	n := d.size()
	return d.Images[i*n : (i+1)*n]
}

// Validate checks the data on its own: a shape of positive dimensions, as
// many examples as labels, finite values, labels in [0, len(Classes)) when
// Classes is set (non-negative otherwise). Errors wrap ErrData and name the
// first example at fault.
func (d *Data) Validate() error {
	if d == nil {
		return dataErr("no data")
	}
	if len(d.Shape) == 0 {
		return dataErr("the examples have no shape")
	}
	size := int64(1)
	for _, s := range d.Shape {
		if s < 1 {
			return dataErr("example shape %s has a dimension < 1", ops.FormatShape(d.Shape))
		}
		if size *= int64(s); size > math.MaxInt32 {
			return dataErr("example shape %s is too large", ops.FormatShape(d.Shape))
		}
	}
	n := int64(len(d.Labels))
	switch {
	case int64(len(d.Images))%size != 0:
		return dataErr("%d image values are not a whole number of %s examples", len(d.Images), ops.FormatShape(d.Shape))
	case int64(len(d.Images))/size != n:
		return dataErr("%d images but %d labels", int64(len(d.Images))/size, n)
	case n == 0:
		return dataErr("there are no examples")
	case n > MaxExamples:
		return dataErr("%d examples, more than the limit of %d", n, MaxExamples)
	}
	for i, y := range d.Labels {
		if y < 0 || d.Classes != nil && y >= len(d.Classes) {
			return dataErr("example %d has label %d, outside [0, %d)", i, y, len(d.Classes))
		}
	}
	for i, v := range d.Images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return dataErr("example %d has a non-finite value %v (at offset %d of the example)", int64(i)/size, v, int64(i)%size)
		}
	}
	for i, c := range d.Classes {
		if c == "" {
			return dataErr("class %d has an empty name", i)
		}
		if j := slices.Index(d.Classes[:i], c); j >= 0 {
			return dataErr("classes %d and %d are both named %q", j, i, c)
		}
	}
	return nil
}

// checkModel checks the data against a model input shape (batch first) and
// a class count, after Validate.
func (d *Data) checkModel(in runtime.ValueInfo, classes int) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if want := in.Shape[1:]; !ops.EqualShapes(d.Shape, want) {
		return dataErr("the examples are %s but the model's input %q takes %s (after the batch dimension)",
			ops.FormatShape(d.Shape), in.Name, ops.FormatShape(want))
	}
	if d.Classes != nil && len(d.Classes) != classes {
		return dataErr("the data has %d classes but the model outputs %d: replace its head for %d classes (ReplaceHead; wasmnn train --classes %d)",
			len(d.Classes), classes, len(d.Classes), len(d.Classes))
	}
	for i, y := range d.Labels {
		if y >= classes {
			return dataErr("example %d has label %d; the model has %d classes", i, y, classes)
		}
	}
	return nil
}

// Subset returns the examples at the given indices, in that order, as new
// Data (the values are copied; Shape and Classes are shared).
func (d *Data) Subset(idx []int) *Data {
	n := d.size()
	s := &Data{Images: make([]float32, 0, len(idx)*n), Shape: d.Shape, Labels: make([]int, 0, len(idx)), Classes: d.Classes}
	for _, i := range idx {
		s.Images = append(s.Images, d.Example(i)...)
		s.Labels = append(s.Labels, d.Labels[i])
	}
	return s
}

// Split divides d into a training set and a held-out set by a fixed rule:
// the examples of each class, in their order in d, are shuffled with a
// generator seeded by seed (math/rand/v2 PCG(seed, 0x5b117), Fisher-Yates),
// and every k-th of the shuffled list (positions k-1, 2k-1, ...) is held
// out: ⌊n/k⌋ of a class of n examples, so a class with fewer than k
// examples has none held out. Both sets keep d's order. The same data, k
// and seed give the same split on every platform. k must be at least 2.
func Split(d *Data, k int, seed uint64) (trainSet, heldOut *Data, err error) {
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	if k < 2 {
		return nil, nil, fmt.Errorf("split: every %d-th example: k must be at least 2", k)
	}
	byClass := map[int][]int{}
	var classes []int
	for i, y := range d.Labels {
		if byClass[y] == nil {
			classes = append(classes, y)
		}
		byClass[y] = append(byClass[y], i)
	}
	slices.Sort(classes)
	rng := rand.New(rand.NewPCG(seed, 0x5b117))
	held := make([]bool, d.Len())
	for _, c := range classes {
		idx := byClass[c]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for p := k - 1; p < len(idx); p += k {
			held[idx[p]] = true
		}
	}
	var tr, ho []int
	for i, h := range held {
		if h {
			ho = append(ho, i)
		} else {
			tr = append(tr, i)
		}
	}
	return d.Subset(tr), d.Subset(ho), nil
}

// background returns, per input channel, the value of "no ink" in a model's
// input: (0 − Mean[c])/Std[c] rounded to float32 as imageprep writes the
// canvas around the content, or 0 when the model has no preprocessing
// metadata.
func background(m *runtime.Model, channels int) []float32 {
	bg := make([]float32, channels)
	pp := m.Meta.Preprocess
	if pp == nil {
		return bg
	}
	for c := range bg {
		mean, std := 0.0, 1.0
		if len(pp.Mean) > 0 {
			mean = float64(pp.Mean[min(c, len(pp.Mean)-1)])
		}
		if len(pp.Std) > 0 {
			std = float64(pp.Std[min(c, len(pp.Std)-1)])
		}
		if std != 0 {
			bg[c] = float32((0 - mean) / std)
		}
	}
	return bg
}

// shiftInto writes example src ([C, H, W]) shifted by (dx, dy) pixels into
// dst: values shifted off the plane are dropped and the uncovered pixels of
// channel c take bg[c].
func shiftInto(dst, src []float32, c, h, w, dx, dy int, bg []float32) {
	plane := h * w
	for ch := 0; ch < c; ch++ {
		d, s := dst[ch*plane:(ch+1)*plane], src[ch*plane:(ch+1)*plane]
		for y := 0; y < h; y++ {
			out := d[y*w : (y+1)*w]
			sy := y - dy
			if sy < 0 || sy >= h {
				for x := range out {
					out[x] = bg[ch]
				}
				continue
			}
			row := s[sy*w : (sy+1)*w]
			for x := range out {
				if sx := x - dx; sx >= 0 && sx < w {
					out[x] = row[sx]
				} else {
					out[x] = bg[ch]
				}
			}
		}
	}
}

// Dataset is a labelled set of single-channel images. Each image has
// Width·Height values in [0, 1], row by row, where 0 is the background and 1
// full ink as the model sees them: after the inversion its preprocessing
// applies to photographed or drawn images (MNIST's arrays are already light
// ink on black and are used as they are). Labels are class indices.
// Dataset.Inputs turns it into the model inputs Fit and Evaluate take.
type Dataset struct {
	Images        [][]float32
	Labels        []int
	Width, Height int
}

// Len returns the number of images.
func (d Dataset) Len() int { return len(d.Images) }

// check validates the dataset against a class count.
func (d Dataset) check() error {
	if len(d.Images) == 0 {
		return dataErr("the dataset is empty")
	}
	if len(d.Labels) != len(d.Images) {
		return dataErr("the dataset has %d images but %d labels", len(d.Images), len(d.Labels))
	}
	if d.Width < 1 || d.Height < 1 {
		return dataErr("the dataset's images are %dx%d", d.Width, d.Height)
	}
	for i, img := range d.Images {
		if len(img) != d.Width*d.Height {
			return dataErr("image %d has %d values, want %dx%d", i, len(img), d.Width, d.Height)
		}
		if d.Labels[i] < 0 {
			return dataErr("image %d has label %d", i, d.Labels[i])
		}
	}
	return nil
}

// Inputs places every image on m's input as its Preprocess metadata
// describes an image becoming the input (the image is the content area,
// centred on a canvas of background 0, and each value v becomes
// (255·v·Scale − Mean)/Std) and returns the inputs as Data without class
// names. m must be a 1-channel image model whose content area is the
// images' size.
func (d Dataset) Inputs(m *runtime.Model) (*Data, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	pl, err := newPlacement(m, d)
	if err != nil {
		return nil, err
	}
	plane := pl.w * pl.h
	out := &Data{Images: make([]float32, len(d.Images)*plane), Shape: []int{1, pl.h, pl.w}, Labels: slices.Clone(d.Labels)}
	for i, img := range d.Images {
		pl.fill(out.Images[i*plane:(i+1)*plane], img)
	}
	return out, nil
}

// placement maps dataset images onto a model's input.
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
		return nil, dataErr("the images are %dx%d but the model's content area is %dx%d", d.Width, d.Height, pl.cw, pl.ch)
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

// fill writes the input for img into dst (Width·Height values).
func (pl *placement) fill(dst, img []float32) {
	bg := float32((0 - pl.mean) / pl.std)
	for i := range dst {
		dst[i] = bg
	}
	ox, oy := (pl.w-pl.cw)/2, (pl.h-pl.ch)/2
	for y := 0; y < pl.ch; y++ {
		row := img[y*pl.cw : (y+1)*pl.cw]
		out := dst[(oy+y)*pl.w+ox:]
		for x, v := range row {
			out[x] = float32((float64(float64(v)*pl.factor) - pl.mean) / pl.std)
		}
	}
}
