package ocr

import (
	"context"
	"fmt"
	"image"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

// The classifier's and recogniser's normalisation: (x/255 - 0.5) / 0.5.
var (
	halfMean = []float32{0.5}
	halfStd  = []float32{0.5}
)

// lineInput resizes a crop to height 48 and width cw (cw of at most the
// canvas width) and writes it normalised, in BGR order, at the left of a
// [3 48 canvas] region of dst; the rest stays 0 (PaddleOCR pads with zeros
// after normalising).
func lineInput(dst []float32, c *image.RGBA, cw, canvas int) error {
	data, _, err := imageprep.ToTensor(c, imageprep.Params{Width: cw, Height: recHeight, Channels: 3, Mean: halfMean, Std: halfStd})
	if err != nil {
		return err
	}
	for ch := range 3 {
		from := data[(2-ch)*cw*recHeight:]
		to := dst[ch*canvas*recHeight:]
		for y := range recHeight {
			copy(to[y*canvas:y*canvas+cw], from[y*cw:(y+1)*cw])
		}
	}
	return nil
}

// scaledWidth is ceil(48*w/h) for a w x h crop, at least 1.
func scaledWidth(c *image.RGBA) int {
	w, h := c.Rect.Dx(), c.Rect.Dy()
	return max((recHeight*w+h-1)/h, 1)
}

// classify runs the direction classifier on the crops, in batches, turns
// those it reads as upside down (label 1, "180", with a score above
// ClsThresh) by 180 degrees and marks them in turned.
func (r *Reader) classify(ctx context.Context, crops []*image.RGBA, turned []bool) error {
	plane := 3 * recHeight * clsWidth
	for start := 0; start < len(crops); start += clsBatch {
		batch := crops[start:min(start+clsBatch, len(crops))]
		r.buf.clsIn = zeroed(r.buf.clsIn, len(batch)*plane)
		x, err := ops.FromData(r.buf.clsIn, len(batch), 3, recHeight, clsWidth)
		if err != nil {
			return err
		}
		for i, c := range batch {
			if err := lineInput(x.Data[i*plane:(i+1)*plane], c, min(scaledWidth(c), clsWidth), clsWidth); err != nil {
				return err
			}
		}
		y, err := r.cls.run(ctx, x)
		if err != nil {
			return fmt.Errorf("classifier: %w", err)
		}
		if !shapeIs(y.Shape, len(batch), 2) {
			return fmt.Errorf("%w: the classifier's output is %s, want [%d 2]", ErrModel, ops.FormatShape(y.Shape), len(batch))
		}
		for i, c := range batch {
			p0, p180 := y.Data[2*i], y.Data[2*i+1]
			if p180 > p0 && p180 > r.opts.ClsThresh {
				rotate180(c)
				turned[start+i] = true
			}
		}
	}
	return nil
}

// recognize reads one crop: the recogniser at height 48 and the crop's own
// width (ceil(48*w/h), at least 32 and at most MaxRecWidth, rounded up to a
// multiple of 8 with zero padding), then CTC greedy decoding.
func (r *Reader) recognize(ctx context.Context, c *image.RGBA) (string, float32, error) {
	cw := min(scaledWidth(c), r.opts.MaxRecWidth)
	width := max(cw, recMinWidth)
	width = (width + recAlign - 1) / recAlign * recAlign
	r.buf.recIn = zeroed(r.buf.recIn, 3*recHeight*width)
	x, err := ops.FromData(r.buf.recIn, 1, 3, recHeight, width)
	if err != nil {
		return "", 0, err
	}
	if err := lineInput(x.Data, c, cw, width); err != nil {
		return "", 0, err
	}
	y, err := r.rec.run(ctx, x)
	if err != nil {
		return "", 0, fmt.Errorf("recogniser: %w", err)
	}
	if len(y.Shape) != 3 || y.Shape[0] != 1 || y.Shape[2] != r.recWidthC {
		return "", 0, fmt.Errorf("%w: the recogniser's output is %s, want [1 T %d]", ErrModel, ops.FormatShape(y.Shape), r.recWidthC)
	}
	text, score := ctcGreedy(y.Data, y.Shape[1], y.Shape[2], r.dict, r.recLogits)
	return text, score, nil
}

// ctcGreedy decodes T steps of C class scores: the most probable class per
// step (the first on ties), repeats merged, blanks (class 0) dropped; the
// score is the mean probability of the kept steps (0 for no text). The
// scores are probabilities, or with logits the values before the softmax,
// whose kept classes' probabilities it then computes as ops.Softmax does
// (the same float64 exponentials and sum, so the same float32 bits).
func ctcGreedy(prob []float32, steps, classes int, dict []string, logits bool) (string, float32) {
	var sb strings.Builder
	sum, n := 0.0, 0
	prev := -1
	for t := range steps {
		row := prob[t*classes : (t+1)*classes]
		best := 0
		for k, p := range row {
			if p > row[best] {
				best = k
			}
		}
		if best != 0 && best != prev && best-1 < len(dict) {
			sb.WriteString(dict[best-1])
			p := row[best]
			if logits {
				p = softmaxAt(row, best)
			}
			sum += float64(p)
			n++
		}
		prev = best
	}
	if n == 0 {
		return "", 0
	}
	return sb.String(), float32(sum / float64(n))
}

// softmaxAt is element k of the softmax of row, where row[k] is row's
// largest value, computed as ops.Softmax computes it.
func softmaxAt(row []float32, k int) float32 {
	m := float64(row[k])
	sum := 0.0
	for _, v := range row {
		sum += ops.Exp64(float64(v) - m)
	}
	return float32(float64(float32(ops.Exp64(float64(row[k])-m))) / sum)
}
