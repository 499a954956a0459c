//go:build !(js && wasm)

package imageprep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"strings"
	"testing"
)

// encode renders img in the given format.
func encode(t testing.TB, format string, img image.Image) []byte {
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&buf, img, &gif.Options{NumColors: 256})
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngWithSize returns a valid 1x1 PNG whose IHDR claims w x h.
func pngWithSize(t testing.TB, w, h uint32) []byte {
	b := encode(t, "png", image.NewGray(image.Rect(0, 0, 1, 1)))
	// Signature (8), IHDR length (4), "IHDR" (4), width, height, ..., CRC.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestDecode(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 13)
		if i%4 == 3 {
			src.Pix[i] = 255
		}
	}
	pal := image.NewPaletted(image.Rect(0, 0, 5, 3), palette.Plan9)
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i * 7)
	}
	tests := []struct {
		name   string
		data   []byte
		exact  image.Image // decoded pixels must equal these
		width  int
		height int
	}{
		{"png", encode(t, "png", src), src, 5, 3},
		{"gif", encode(t, "gif", pal), pal, 5, 3},
		{"jpeg", encode(t, "jpeg", src), nil, 5, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.width || b.Dy() != tc.height {
				t.Fatalf("bounds %v, want %dx%d", b, tc.width, tc.height)
			}
			if tc.exact != nil {
				for y := range tc.height {
					for x := range tc.width {
						r1, g1, b1, a1 := img.At(x, y).RGBA()
						r2, g2, b2, a2 := tc.exact.At(x, y).RGBA()
						if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
							t.Fatalf("pixel (%d,%d) differs", x, y)
						}
					}
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encode(t, "png", image.NewGray(image.Rect(0, 0, 4, 4)))
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "empty input"},
		{"text", []byte("hello, this is not an image"), "unrecognised image format"},
		{"bmp", []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"), "unrecognised image format"},
		{"truncated_png", good[:len(good)-20], "cannot decode png"},
		{"truncated_png_header", good[:20], "cannot read image header"},
		{"too_wide", pngWithSize(t, 20000, 1), "too large"},
		{"too_many_pixels", pngWithSize(t, 10000, 10000), "too large"},
		{"zero_size", pngWithSize(t, 0, 5), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(bytes.NewReader(tc.data))
			if !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrImage mentioning %q", err, tc.msg)
			}
			if img != nil {
				t.Errorf("returned an image with the error")
			}
		})
	}
}

func FuzzDecodeToTensor(f *testing.F) {
	small := image.NewNRGBA(image.Rect(0, 0, 6, 4))
	for i := range small.Pix {
		small.Pix[i] = uint8(i * 29)
	}
	for _, format := range []string{"png", "jpeg", "gif"} {
		f.Add(encode(f, format, small))
	}
	f.Add(pngWithSize(f, 3000, 3000))
	params := []Params{
		{Width: 8, Height: 8, ContentWidth: 6, ContentHeight: 5, Channels: 1, Invert: true},
		{Width: 5, Height: 7, Channels: 3, Mean: []float32{0.5}, Std: []float32{0.2, 0.3, 0.4}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decode(bytes.NewReader(data), 256, 1<<14)
		if err != nil {
			if !errors.Is(err, ErrImage) {
				t.Fatalf("error %v does not wrap ErrImage", err)
			}
			return
		}
		for _, p := range params {
			out, shape, err := ToTensor(img, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != shape[1]*shape[2]*shape[3] {
				t.Fatalf("%d values for shape %v", len(out), shape)
			}
			for _, v := range out {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("non-finite value %v", v)
				}
			}
		}
	})
}

// TestDecodeRefusesBombs feeds a PNG whose header declares 8192x8192 pixels
// but that holds almost no data (the first 2 KB of a real one): it must be
// refused without decoding, and so without allocating the image; the whole
// file (deflate at about 800:1) is still accepted.
func TestDecodeRefusesBombs(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 8192, 8192)) // all black: compresses extremely well
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("an all-black 8192x8192 PNG is %d bytes", buf.Len())
	var ms1, ms2 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	_, err := Decode(bytes.NewReader(buf.Bytes()[:2048]))
	runtime.ReadMemStats(&ms2)
	if !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), "decompression bomb") {
		t.Fatalf("err = %v", err)
	}
	if grew := ms2.TotalAlloc - ms1.TotalAlloc; grew > 8<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", grew)
	}
	if _, err := Decode(bytes.NewReader(buf.Bytes())); err != nil {
		t.Errorf("the complete image was refused: %v", err)
	}
}
