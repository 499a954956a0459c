package format

import "fmt"

// The tensors section: the weights, an array of maps.

// fieldAt is the table of a tensor.
func (t *Tensor) fieldAt(i int) field {
	switch i {
	case 0:
		return field{key: "data", p: &t.Data}
	case 1:
		return field{key: "dtype", p: &t.DType}
	case 2:
		return field{key: "name", p: &t.Name}
	case 3:
		return field{key: "shape", p: &t.Shape}
	}
	return field{}
}

// tensors reads the tensors array (nil when empty), checking each tensor
// (checkTensor) and that names are unique.
func (r *reader) tensors() ([]Tensor, error) {
	n, err := r.arrayLen(levelSection)
	if err != nil || n == 0 {
		return nil, err
	}
	// Tensors are not presized: decoding stops at the first invalid one, and
	// a valid one takes at least 19 bytes, which pays for its Tensor.
	var ts []Tensor
	names := make(map[string]int)
	for k := range n {
		start := r.off
		ts = append(ts, Tensor{})
		t := &ts[k]
		err := readFields(r, levelItem, t)
		if err == nil {
			err = checkTensor(t)
		}
		if err == nil {
			if j, dup := names[t.Name]; dup {
				err = fmt.Errorf("duplicate tensor name %q (also tensors[%d])", t.Name, j)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("[%d]%s: %w", k, r.describeAt(start, "tensor"), err)
		}
		names[t.Name] = k
	}
	return ts, nil
}

// tensors writes the tensors array.
func (w *writer) tensors(ts []Tensor) { writeRecords(w, ts) }
