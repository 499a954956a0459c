package imageprep

import (
	"image"
	"math/rand/v2"
	"testing"
)

// BenchmarkToTensor times ToTensor on the OCR pipeline's shapes: the
// detector's input (a page at its own size), a recogniser line (a crop
// shrunk to 48 rows) and a classifier line (shrunk onto a 48x192 canvas).
func BenchmarkToTensor(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	page := func(w, h int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(256))
			if i%4 == 3 {
				img.Pix[i] = 255
			}
		}
		return img
	}
	half := []float32{0.5}
	for _, c := range []struct {
		name string
		img  *image.RGBA
		p    Params
	}{
		{"det_640x320", page(640, 320), Params{Width: 640, Height: 320, Channels: 3, Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}},
		{"rec_300x60_to_240x48", page(300, 60), Params{Width: 240, Height: 48, Channels: 3, Mean: half, Std: half}},
		{"rec_280x48_to_280x48", page(280, 48), Params{Width: 280, Height: 48, Channels: 3, Mean: half, Std: half}},
		{"cls_300x60_to_192x48", page(300, 60), Params{Width: 192, Height: 48, ContentWidth: 192, Channels: 3, Mean: half, Std: half}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := ToTensor(c.img, c.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
