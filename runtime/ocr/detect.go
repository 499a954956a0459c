package ocr

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

// The detector's normalisation (PaddleOCR's NormalizeImage for detection:
// ImageNet statistics). PaddleOCR reads images as BGR, so its first channel,
// normalised with mean 0.485 and std 0.229, is blue; these are the values per
// R, G, B channel.
var (
	detMean = []float32{0.406, 0.456, 0.485}
	detStd  = []float32{0.225, 0.224, 0.229}
)

// maxDetSide bounds the detector input's sides (imageprep.MaxCanvasSide).
const maxDetSide = imageprep.MaxCanvasSide

// detSize is PaddleOCR's DetResizeForTest (resize type 0): scale so that the
// longest side is at most limit ("max") or the shortest at least limit
// ("min"), truncate, then round each side to a multiple of 32 (at least 32).
// Sides are also capped at maxDetSide, so the work stays bounded for any
// image.
func detSize(w, h, limit int, limitType string) (int, int) {
	ratio := 1.0
	switch limitType {
	case "min":
		if m := min(w, h); m < limit {
			ratio = float64(limit) / float64(m)
		}
	default:
		if m := max(w, h); m > limit {
			ratio = float64(limit) / float64(m)
		}
	}
	side := func(n int) int {
		r := int(float64(n) * ratio)
		r = int(math.RoundToEven(float64(r)/32)) * 32
		return min(max(r, 32), maxDetSide)
	}
	return side(w), side(h)
}

// detInput resizes and normalises img for the detector: [1 3 H W] in BGR
// channel order.
func detInput(img image.Image, w, h int) (*ops.Tensor, error) {
	data, shape, err := imageprep.ToTensor(img, imageprep.Params{Width: w, Height: h, Channels: 3, Mean: detMean, Std: detStd})
	if err != nil {
		return nil, err
	}
	swapRB(data, w*h)
	return ops.FromData(data, shape...)
}

// swapRB exchanges the first and third planes of a 3-channel image: RGB to
// BGR, the order PaddleOCR's models expect.
func swapRB(data []float32, plane int) {
	r, b := data[:plane], data[2*plane:3*plane]
	for i := range r {
		r[i], b[i] = b[i], r[i]
	}
}

// quad is a detected text box: four corners (top-left, top-right,
// bottom-right, bottom-left) in image pixels, and its score.
type quad struct {
	p     [4]pt
	score float32
}

// boxes turns the detector's probability map (w x h) into text boxes in the
// coordinates of a dstW x dstH image (PaddleOCR's DBPostProcess in quad
// mode with score_mode "fast", then filter_tag_det_res): threshold the map,
// find the 8-connected components, fit each a minimum-area rectangle, score
// it by the mean probability inside, expand it (unclip) and scale it to the
// image.
func (r *Reader) boxes(ctx context.Context, prob []float32, w, h, dstW, dstH int) ([]quad, error) {
	o := r.opts
	if cap(r.buf.bitmap) < len(prob) {
		r.buf.bitmap = make([]bool, len(prob))
	}
	bitmap := r.buf.bitmap[:len(prob)]
	for i, p := range prob {
		bitmap[i] = p > o.Thresh
	}
	comps := components(bitmap, w, h, o.MaxCandidates, &r.buf)
	var out []quad
	sx, sy := float64(dstW)/float64(w), float64(dstH)/float64(h)
	for i, c := range comps {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rc := minAreaRect(convexHull(c))
		pts, side := miniBox(rc)
		if side < minSize {
			continue
		}
		score := boxScore(prob, w, h, pts)
		if score < o.BoxThresh {
			continue
		}
		big := rc.expand(unclipDistance(rc.w, rc.h, o.UnclipRatio))
		pts, side = miniBox(big)
		if side < minSize+2 {
			continue
		}
		var q quad
		q.score = score
		for k, p := range pts {
			x := clampF(math.RoundToEven(float64(p.x*sx)), 0, float64(dstW))
			y := clampF(math.RoundToEven(float64(p.y*sy)), 0, float64(dstH))
			q.p[k] = pt{x, y}
		}
		q.p = orderClockwise(q.p)
		for k := range q.p {
			q.p[k].x = clampF(q.p[k].x, 0, float64(dstW-1))
			q.p[k].y = clampF(q.p[k].y, 0, float64(dstH-1))
		}
		if int(dist(q.p[0], q.p[1])) <= 3 || int(dist(q.p[0], q.p[3])) <= 3 {
			continue
		}
		out = append(out, q)
	}
	sortReadingOrder(out, o.LineTolerance)
	return out, nil
}

// minSize is DBPostProcess's smallest box side in map pixels (fixed at 3 in
// PaddleOCR): smaller components are dropped, and boxes whose side is below
// minSize+2 after unclipping.
const minSize = 3

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// components labels the 8-connected components of bitmap (w x h, row-major)
// in raster order of their first pixel and returns, for each of the first
// limit of them, its boundary candidates: the leftmost and rightmost pixel of
// each of its rows (enough for the convex hull). buf's label, stack and row
// buffers are reused.
func components(bitmap []bool, w, h, limit int, buf *scratch) [][]ipt {
	if cap(buf.label) < len(bitmap) {
		buf.label = make([]int32, len(bitmap))
	}
	label := buf.label[:len(bitmap)]
	clear(label)
	if cap(buf.rowMin) < h {
		buf.rowMin, buf.rowMax = make([]int, h), make([]int, h)
	}
	rowMin, rowMax := buf.rowMin[:h], buf.rowMax[:h]
	for y := range rowMin {
		rowMin[y], rowMax[y] = -1, -1
	}
	var comps [][]ipt
	stack := buf.stack[:0]
	rows := buf.rows[:0]
	for start, on := range bitmap {
		if !on || label[start] != 0 {
			continue
		}
		if len(comps) >= limit {
			break
		}
		id := int32(len(comps) + 1)
		rows = rows[:0]
		label[start] = id
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			if rowMin[y] < 0 {
				rows = append(rows, y)
				rowMin[y], rowMax[y] = x, x
			} else {
				rowMin[y], rowMax[y] = min(rowMin[y], x), max(rowMax[y], x)
			}
			for dy := -1; dy <= 1; dy++ {
				ny := y + dy
				if ny < 0 || ny >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					nx := x + dx
					if nx < 0 || nx >= w || (dx == 0 && dy == 0) {
						continue
					}
					j := ny*w + nx
					if bitmap[j] && label[j] == 0 {
						label[j] = id
						stack = append(stack, j)
					}
				}
			}
		}
		sort.Ints(rows)
		ps := make([]ipt, 0, 2*len(rows))
		for _, y := range rows {
			ps = append(ps, ipt{rowMin[y], y}, ipt{rowMax[y], y})
			rowMin[y], rowMax[y] = -1, -1
		}
		comps = append(comps, ps)
	}
	buf.stack, buf.rows = stack, rows
	return comps
}

// boxScore is the mean probability over the pixels of the box's polygon
// (PaddleOCR's box_score_fast: the polygon's corners truncated to integers
// relative to its bounding box, edges included).
func boxScore(prob []float32, w, h int, p [4]pt) float32 {
	minX, maxX := math.Inf(1), math.Inf(-1)
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, q := range p {
		minX, maxX = math.Min(minX, q.x), math.Max(maxX, q.x)
		minY, maxY = math.Min(minY, q.y), math.Max(maxY, q.y)
	}
	x0 := min(max(int(math.Floor(minX)), 0), w-1)
	x1 := min(max(int(math.Ceil(maxX)), 0), w-1)
	y0 := min(max(int(math.Floor(minY)), 0), h-1)
	y1 := min(max(int(math.Ceil(maxY)), 0), h-1)
	var poly [4]ipt
	for i, q := range p {
		poly[i] = ipt{int(q.x - float64(x0)), int(q.y - float64(y0))}
	}
	// The polygon's orientation, to test "inside or on an edge" with the
	// sign of each edge's cross product.
	var area int64
	for i := range poly {
		area += cross(ipt{}, poly[i], poly[(i+1)%4])
	}
	sum, n := 0.0, 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if insideQuad(poly, ipt{x - x0, y - y0}, area) {
				sum += float64(prob[y*w+x])
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float32(sum / float64(n))
}

// insideQuad reports whether p lies inside the convex quadrilateral q or on
// its boundary; area's sign gives q's orientation (0: degenerate, then only
// points on its edges count).
func insideQuad(q [4]ipt, p ipt, area int64) bool {
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		c := cross(a, b, p)
		switch {
		case area > 0 && c < 0, area < 0 && c > 0:
			return false
		case area == 0 && c != 0:
			return false
		}
	}
	return true
}

// sortReadingOrder sorts boxes top to bottom by their top-left corner, then
// moves each box left of its predecessors on the same line (top-left corners
// less than tol pixels apart vertically), as PaddleOCR's sorted_boxes does.
func sortReadingOrder(qs []quad, tol float64) {
	sort.SliceStable(qs, func(i, j int) bool {
		a, b := qs[i].p[0], qs[j].p[0]
		if a.y != b.y {
			return a.y < b.y
		}
		return a.x < b.x
	})
	for i := 0; i < len(qs)-1; i++ {
		for j := i; j >= 0; j-- {
			if math.Abs(qs[j+1].p[0].y-qs[j].p[0].y) < tol && qs[j+1].p[0].x < qs[j].p[0].x {
				qs[j], qs[j+1] = qs[j+1], qs[j]
			} else {
				break
			}
		}
	}
}

// errDetOutput describes a detector output that is not a probability map.
func errDetOutput(shape []int, w, h int) error {
	return fmt.Errorf("%w: the detector's output is %s, want [1 1 %d %d] (a probability map of the input's size)", ErrModel, ops.FormatShape(shape), h, w)
}
