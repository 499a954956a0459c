package imageprep

import (
	"fmt"
	"image"
)

// MaxPixels bounds the size of raw pixel buffers accepted by FromRGBA.
const maxRGBAPixels = 64 << 20

// FromRGBA wraps non-premultiplied RGBA pixels (4 bytes per pixel, rows top to
// bottom, as in a browser's ImageData) as an image, checking the buffer's size
// against width and height.
func FromRGBA(pix []byte, width, height int) (image.Image, error) {
	if width < 1 || height < 1 || width > maxRGBAPixels/height {
		return nil, fmt.Errorf("image size %dx%d is out of range", width, height)
	}
	if len(pix) != 4*width*height {
		return nil, fmt.Errorf("%dx%d RGBA pixels need %d bytes, got %d", width, height, 4*width*height, len(pix))
	}
	return &image.NRGBA{Pix: pix, Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}, nil
}
