package train

import (
	"bytes"
	"fmt"
	"io"
	"math"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/ops"
)

// FromNPY reads examples and labels from the bytes of two .npy files (as a
// browser or a server hands them over; LoadNPY reads files): images of shape
// N x C x H x W (or N x H x W, read as one channel) of any numeric dtype,
// converted to float32 and used as the model's input as they are (they must
// be preprocessed already), and N labels (shape N or N x 1) of an integer
// dtype, or floats holding whole numbers. The result has no class names;
// Fit and Evaluate check the labels against the model's classes. Errors
// wrap ErrData and say which of the two arrays, and which example, is at
// fault.
func FromNPY(images, labels []byte) (*Data, error) {
	return fromNPY(bytes.NewReader(images), bytes.NewReader(labels), "images", "labels")
}

// fromNPY is FromNPY on readers, naming them iname and lname in errors.
func fromNPY(images, labels io.Reader, iname, lname string) (*Data, error) {
	shape, x, err := npy.Read(images)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrData, iname, err)
	}
	switch len(shape) {
	case 3:
		shape = []int{shape[0], 1, shape[1], shape[2]}
	case 4:
	default:
		return nil, dataErr("%s: shape %s: want N x C x H x W images (or N x H x W for one channel)", iname, ops.FormatShape(shape))
	}
	lshape, y, err := npy.ReadInts(labels)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrData, lname, err)
	}
	if !(len(lshape) == 1 || len(lshape) == 2 && lshape[1] == 1) {
		return nil, dataErr("%s: shape %s: want N class indices (shape N or N x 1)", lname, ops.FormatShape(lshape))
	}
	if shape[0] != lshape[0] {
		return nil, dataErr("%s holds %d images but %s holds %d labels", iname, shape[0], lname, lshape[0])
	}
	d := &Data{Images: x, Shape: shape[1:], Labels: make([]int, len(y))}
	for i, v := range y {
		if v < 0 || v > math.MaxInt32 {
			return nil, dataErr("%s: label %d of example %d is not a class index (want 0, 1, ...)", lname, v, i)
		}
		d.Labels[i] = int(v)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", iname, err)
	}
	return d, nil
}
