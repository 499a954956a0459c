package imageprep

import (
	"fmt"
	"image"
)

// FromRGBA wraps non-premultiplied RGBA pixels (4 bytes per pixel, rows top to
// bottom, as in a browser's ImageData) as an image without copying, checking
// the buffer's size against width and height and both against MaxImageSide
// and MaxImagePixels. Errors wrap ErrImage.
func FromRGBA(pix []byte, width, height int) (image.Image, error) {
	if width < 1 || height < 1 || width > MaxImageSide || height > MaxImageSide || width*height > MaxImagePixels {
		return nil, fmt.Errorf("%w: size %dx%d is out of range (at most %d per side, %d pixels)",
			ErrImage, width, height, MaxImageSide, MaxImagePixels)
	}
	if len(pix) != 4*width*height {
		return nil, fmt.Errorf("%w: %dx%d RGBA pixels need %d bytes, got %d", ErrImage, width, height, 4*width*height, len(pix))
	}
	return &image.NRGBA{Pix: pix, Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}, nil
}
