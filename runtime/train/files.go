//go:build !(js && wasm)

package train

// Reading training data from files is for the native build (the CLI): the
// browser module hands over bytes (FromNPY) and decoded pixels
// (FromImages), and leaves the image decoders out as imageprep does.

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

// LoadNPY reads examples and labels from two .npy files; see FromNPY.
// Errors name the file.
func LoadNPY(imagesPath, labelsPath string) (*Data, error) {
	fi, err := os.Open(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	defer fi.Close()
	fl, err := os.Open(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	defer fl.Close()
	return fromNPY(fi, fl, imagesPath, labelsPath)
}

// imageExts are the file name extensions LoadImageDir reads.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// LoadImageDir reads a folder of images with one sub-folder per class: the
// sub-folders' names, sorted (byte order), are the classes, and each holds
// PNG or JPEG files (.png, .jpg, .jpeg, in any case) of its class, decoded
// with imageprep.Decode (its size guards) and converted as FromImages does
// with the model's preprocessing pp. Names starting with a dot are skipped.
// It needs at least two classes; an empty class folder, another kind of
// file, a nested folder or an image that does not decode is an error
// wrapping ErrData that names the folder or the file.
func LoadImageDir(dir string, pp *runtime.Preprocess, invert imageprep.InvertMode) (*Data, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	var classes []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !e.IsDir() {
			return nil, dataErr("%s: not a folder: put the images of each class in a sub-folder named after the class",
				filepath.Join(dir, e.Name()))
		}
		classes = append(classes, e.Name())
	}
	if len(classes) < 2 {
		return nil, dataErr("%s has %d class folders: a classifier needs at least two (one sub-folder of images per class)", dir, len(classes))
	}
	ad, err := newImageAdder(classes, pp, invert)
	if err != nil {
		return nil, err
	}
	for label, class := range classes {
		sub := filepath.Join(dir, class)
		files, err := os.ReadDir(sub)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrData, err)
		}
		n := 0
		for _, f := range files {
			path := filepath.Join(sub, f.Name())
			switch {
			case strings.HasPrefix(f.Name(), "."):
				continue
			case f.IsDir():
				return nil, dataErr("%s: a folder inside class folder %s (put the images directly in it)", path, sub)
			case !imageExts[strings.ToLower(filepath.Ext(f.Name()))]:
				return nil, dataErr("%s: not a .png, .jpg or .jpeg file", path)
			}
			img, err := decodeFile(path)
			if err != nil {
				return nil, err
			}
			if err := ad.add(path, img, label); err != nil {
				return nil, err
			}
			n++
		}
		if n == 0 {
			return nil, dataErr("%s: empty class folder (no .png, .jpg or .jpeg images)", sub)
		}
	}
	return ad.finish()
}

// decodeFile decodes the image file at path.
func decodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	defer f.Close()
	img, err := imageprep.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrData, path, err)
	}
	return img, nil
}
