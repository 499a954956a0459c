package ocr

import "image"

// scratch holds the buffers a Reader reuses from one read to the next (reads
// are serialised), as a Session reuses its plans: reading a stream of
// similar images allocates little beyond the first read. They grow to the
// largest image read so far and stay until the Reader is dropped.
type scratch struct {
	src    image.RGBA // the image composited over white
	bitmap []bool     // the detector's map, thresholded
	label  []int32    // component labels of bitmap
	stack  []int      // the flood fill's stack
	rowMin []int      // per row, a component's leftmost pixel (-1: none)
	rowMax []int      // per row, its rightmost pixel
	rows   []int      // the rows a component touches
	crops  []*image.RGBA
	turn   image.RGBA // a crop before it is turned upright
	clsIn  []float32
	recIn  []float32
}

// reuseRGBA makes img a w x h image over its own pixel buffer, growing it if
// it is too small; the pixels are left as they were.
func reuseRGBA(img *image.RGBA, w, h int) *image.RGBA {
	n := 4 * w * h
	if cap(img.Pix) < n {
		img.Pix = make([]uint8, n)
	}
	img.Pix = img.Pix[:n]
	img.Stride = 4 * w
	img.Rect = image.Rect(0, 0, w, h)
	return img
}

// zeroed returns buf resized to n values, all 0, growing it if needed.
func zeroed(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}
