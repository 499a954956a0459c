package format

import "fmt"

// The graph section: graph inputs, output names and nodes.

// Smallest valid encodings: an input needs a non-empty "name" (map header,
// fixstr "name", a 1-byte fixstr: 1+5+2 bytes), a node a non-empty "op"
// (1+3+2 bytes).
const (
	minValueInfoSize = 8
	minNodeSize      = 6
)

// fieldAt is the table of the "graph" map.
func (g *Graph) fieldAt(i int) field {
	switch i {
	case 0:
		return field{key: "inputs", p: &g.Inputs}
	case 1:
		return field{key: "nodes", p: &g.Nodes}
	case 2:
		return field{key: "outputs", p: &g.Outputs}
	}
	return field{}
}

// graphInputs is the "inputs" array of the graph.
var graphInputs = records{
	what:     "inputs",
	minSize:  minValueInfoSize,
	required: "name",
}

// fieldAt is the table of a graph input.
func (v *ValueInfo) fieldAt(i int) field {
	switch i {
	case 0:
		return field{key: "dims", p: &v.Dims, omitEmpty: true} // version 2
	case 1:
		return field{key: "name", p: &v.Name}
	case 2:
		return field{key: "shape", p: &v.Shape}
	}
	return field{}
}

// graphNodes is the "nodes" array of the graph.
var graphNodes = records{
	what:     "nodes",
	minSize:  minNodeSize,
	required: "op",
	describe: "node",
}

// fieldAt is the table of a node.
func (n *Node) fieldAt(i int) field {
	switch i {
	case 0:
		return field{key: "attrs", p: &n.Attrs}
	case 1:
		return field{key: "inputs", p: &n.Inputs}
	case 2:
		return field{key: "name", p: &n.Name}
	case 3:
		return field{key: "op", p: &n.Op}
	case 4:
		return field{key: "outputs", p: &n.Outputs}
	}
	return field{}
}

// attrValue reads one attribute value: int64, float64, string, []int64 or
// []float64 (an empty array reads as []int64{}).
func (r *reader) attrValue() (any, error) {
	k, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch k {
	case "int":
		return r.int()
	case "float":
		return r.float()
	case "string":
		return r.str()
	case "array":
	default:
		return nil, fmt.Errorf("at offset %d: unsupported attribute value %s (want an int, a float, a string or an array of ints or floats)", r.off, withArticle(k))
	}
	start := r.off
	n, err := r.arrayLen(levelValue)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []int64{}, nil
	}
	first, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch first {
	case "int":
		return attrArray(r, n, start, "ints", (*reader).int)
	case "float":
		return attrArray(r, n, start, "floats", (*reader).float)
	}
	return nil, fmt.Errorf("at offset %d: unsupported attribute array of %s (want ints or floats)", r.off, first)
}

// attrArray reads the n elements of an attribute array that starts at
// offset start, all of which elem must read; kind names them in errors.
func attrArray[V any](r *reader, n, start int, kind string, elem func(*reader) (V, error)) ([]V, error) {
	v := make([]V, n)
	for i := range v {
		var err error
		if v[i], err = elem(r); err != nil {
			return nil, fmt.Errorf("array at offset %d must hold only %s: [%d]: %w", start, kind, i, err)
		}
	}
	return v, nil
}

// attrs writes a node's attributes, keys sorted.
func (w *writer) attrs(n *Node) {
	writeStringMap(w, n.Attrs, func(w *writer, k string, v any) {
		if err := w.attrValue(v); err != nil {
			w.check(fmt.Errorf("node %q (%s): attribute %q: %w", n.Name, n.Op, k, err))
		}
	})
}

// attrValue writes one attribute value of a type Encode accepts.
func (w *writer) attrValue(v any) error {
	switch v := v.(type) {
	case int:
		w.int(int64(v))
	case int64:
		w.int(v)
	case float32:
		w.float(float64(v))
	case float64:
		w.float(v)
	case string:
		w.str(v)
	case []int:
		writeArray(w, v, (*writer).goInt)
	case []int64:
		writeArray(w, v, (*writer).int)
	case []float32:
		writeArray(w, v, (*writer).number)
	case []float64:
		writeArray(w, v, (*writer).float)
	default:
		return fmt.Errorf("unsupported value type %T (want int, int64, float32, float64, string or a slice of a number type)", v)
	}
	return nil
}
