package format

// The meta section: the model's name, description, labels, preprocessing
// and free-form extra strings.

// metaFields are the keys of the "meta" map. Encode leaves out an empty
// "extra" and a nil "preprocess".
var metaFields = []field[Meta]{
	at("description", strCodec, func(m *Meta) *string { return &m.Description }),
	at("extra", stringMapOf(levelItem, "key", strCodec), func(m *Meta) *map[string]string { return &m.Extra }).
		omitWhen(func(m *Meta) bool { return len(m.Extra) == 0 }),
	at("labels", arrayOf(levelItem, strCodec), func(m *Meta) *[]string { return &m.Labels }),
	at("name", strCodec, func(m *Meta) *string { return &m.Name }),
	at("preprocess", preprocessCodec, func(m *Meta) **Preprocess { return &m.Preprocess }).
		omitWhen(func(m *Meta) bool { return m.Preprocess == nil }),
}

// preprocessCodec reads the preprocessing map, nil reading as a nil
// *Preprocess, and writes a non-nil one.
var preprocessCodec = codec[*Preprocess]{
	read: func(r *reader) (*Preprocess, error) {
		if k, err := r.peek(); err != nil {
			return nil, err
		} else if k == "nil" {
			r.off++
			return nil, nil
		}
		p := new(Preprocess)
		return p, readFields(r, levelItem, preprocessFields, p)
	},
	write: func(w *writer, p *Preprocess) { writeFields(w, preprocessFields, p) },
}

// preprocessFields are the keys of the preprocessing map.
var preprocessFields = []field[Preprocess]{
	at("channels", intCodec, func(p *Preprocess) *int { return &p.Channels }),
	at("content_height", intCodec, func(p *Preprocess) *int { return &p.ContentHeight }),
	at("content_width", intCodec, func(p *Preprocess) *int { return &p.ContentWidth }),
	at("height", intCodec, func(p *Preprocess) *int { return &p.Height }),
	at("invert", boolCodec, func(p *Preprocess) *bool { return &p.Invert }),
	at("layout", strCodec, func(p *Preprocess) *string { return &p.Layout }),
	at("mean", arrayOf(levelField, numberCodec), func(p *Preprocess) *[]float32 { return &p.Mean }),
	at("scale", numberCodec, func(p *Preprocess) *float32 { return &p.Scale }),
	at("std", arrayOf(levelField, numberCodec), func(p *Preprocess) *[]float32 { return &p.Std }),
	at("width", intCodec, func(p *Preprocess) *int { return &p.Width }),
}
