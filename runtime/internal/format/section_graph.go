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

// graphFields are the keys of the "graph" map.
var graphFields = []field[Graph]{
	at("inputs", graphInputs.codec(), func(g *Graph) *[]ValueInfo { return &g.Inputs }),
	at("nodes", graphNodes.codec(), func(g *Graph) *[]Node { return &g.Nodes }),
	at("outputs", arrayOf(levelItem, strCodec), func(g *Graph) *[]string { return &g.Outputs }),
}

// graphInputs is the "inputs" array of the graph.
var graphInputs = records[ValueInfo]{
	what:    "inputs",
	level:   levelItem,
	minSize: minValueInfoSize,
	fields:  valueInfoFields,
	check:   nonEmpty("name", func(v *ValueInfo) string { return v.Name }),
}

// valueInfoFields are the keys of a graph input.
var valueInfoFields = []field[ValueInfo]{
	at("name", strCodec, func(v *ValueInfo) *string { return &v.Name }),
	at("shape", arrayOf(levelField+1, intCodec), func(v *ValueInfo) *[]int { return &v.Shape }),
}

// graphNodes is the "nodes" array of the graph.
var graphNodes = records[Node]{
	what:     "nodes",
	level:    levelItem,
	minSize:  minNodeSize,
	fields:   nodeFields,
	check:    nonEmpty("op", func(n *Node) string { return n.Op }),
	describe: "node",
}

// nodeFields are the keys of a node.
var nodeFields = []field[Node]{
	{key: "attrs", read: func(r *reader, n *Node) (err error) { n.Attrs, err = r.attrs(); return err }, write: (*writer).attrs},
	at("inputs", arrayOf(levelField+1, strCodec), func(n *Node) *[]string { return &n.Inputs }),
	at("name", strCodec, func(n *Node) *string { return &n.Name }),
	at("op", strCodec, func(n *Node) *string { return &n.Op }),
	at("outputs", arrayOf(levelField+1, strCodec), func(n *Node) *[]string { return &n.Outputs }),
}

// attrs reads a node's attribute map (nil when empty).
func (r *reader) attrs() (map[string]any, error) {
	return stringMap(r, levelAttr, "attribute", (*reader).attrValue)
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
		writeArray(w, v, intCodec.write)
	case []int64:
		writeArray(w, v, (*writer).int)
	case []float32:
		writeArray(w, v, numberCodec.write)
	case []float64:
		writeArray(w, v, (*writer).float)
	default:
		return fmt.Errorf("unsupported value type %T (want int, int64, float32, float64, string or a slice of a number type)", v)
	}
	return nil
}
