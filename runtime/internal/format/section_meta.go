package format

// The meta section: the model's name, description, labels, preprocessing
// and free-form extra strings.

// fieldAt is the table of the "meta" map. Encode leaves out an empty
// "extra" and a nil "preprocess".
func (m *Meta) fieldAt(i int) field {
	switch i {
	case 0:
		return field{key: "description", p: &m.Description}
	case 1:
		return field{key: "extra", p: &m.Extra, omitEmpty: true}
	case 2:
		return field{key: "labels", p: &m.Labels}
	case 3:
		return field{key: "name", p: &m.Name}
	case 4:
		return field{key: "preprocess", p: &m.Preprocess, omitEmpty: true}
	}
	return field{}
}

// preprocess reads the preprocessing map at nesting level level, nil
// reading as a nil *Preprocess.
func (r *reader) preprocess(level int) (*Preprocess, error) {
	if k, err := r.peek(); err != nil {
		return nil, err
	} else if k == "nil" {
		r.off++
		return nil, nil
	}
	p := new(Preprocess)
	return p, readFields(r, level, p)
}

// fieldAt is the table of the preprocessing map.
func (p *Preprocess) fieldAt(i int) field {
	switch i {
	case 0:
		return field{key: "channels", p: &p.Channels}
	case 1:
		return field{key: "content_height", p: &p.ContentHeight}
	case 2:
		return field{key: "content_width", p: &p.ContentWidth}
	case 3:
		return field{key: "height", p: &p.Height}
	case 4:
		return field{key: "invert", p: &p.Invert}
	case 5:
		return field{key: "layout", p: &p.Layout}
	case 6:
		return field{key: "mean", p: &p.Mean}
	case 7:
		return field{key: "scale", p: &p.Scale}
	case 8:
		return field{key: "std", p: &p.Std}
	case 9:
		return field{key: "width", p: &p.Width}
	}
	return field{}
}
