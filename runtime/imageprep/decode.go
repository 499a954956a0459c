//go:build !(js && wasm)

package imageprep

// Decoding image files is for the native build (the CLI, servers): in the
// browser module the browser decodes images and hands over RGBA pixels
// (FromRGBA), so the wasm build leaves the decoders out (about 0.3 MB).

import (
	"bytes"
	"errors"
	"image"
	"io"

	// Registered decoders: the formats Decode accepts.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
)

// Decode decodes a PNG, JPEG or GIF image (the first frame of a GIF). It
// reads the image header first and refuses images wider or taller than
// MaxImageSide or with more than MaxImagePixels pixels before decoding
// them. Errors wrap ErrImage.
func Decode(r io.Reader) (image.Image, error) {
	return decode(r, MaxImageSide, MaxImagePixels)
}

// MaxFileBytes bounds the size of an encoded image Decode reads.
const MaxFileBytes = 256 << 20

// maxPixelsPerByte bounds how many pixels an encoded image may declare per
// byte of its file. No real image comes near it (deflate cannot compress
// better than about 1032:1, GIF's LZW about 2730:1), while a decompression
// bomb (a few bytes declaring a huge image) far exceeds it: such files are
// refused before the decoder allocates the image.
const maxPixelsPerByte = 3000

// decode is Decode with explicit limits.
func decode(r io.Reader, maxSide, maxPixels int) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, imageErr("cannot read the image: %v", err)
	}
	if len(data) > MaxFileBytes {
		return nil, imageErr("the image file is larger than %d bytes", MaxFileBytes)
	}
	r = bytes.NewReader(data)
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		if head.Len() == 0 {
			return nil, imageErr("no image data (empty input)")
		}
		if errors.Is(err, image.ErrFormat) {
			return nil, imageErr("unrecognised image format (want PNG, JPEG or GIF)")
		}
		return nil, imageErr("cannot read image header: %v", err)
	}
	if err := checkSize(format+" image", cfg.Width, cfg.Height, maxSide, maxPixels); err != nil {
		return nil, err
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixelsPerByte*int64(len(data)) {
		return nil, imageErr("%s image declares %dx%d pixels in only %d bytes: refused as a likely decompression bomb",
			format, cfg.Width, cfg.Height, len(data))
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, imageErr("cannot decode %s image: %v", format, err)
	}
	b := img.Bounds()
	if err := checkSize(format+" image", b.Dx(), b.Dy(), maxSide, maxPixels); err != nil {
		return nil, err
	}
	return img, nil
}
