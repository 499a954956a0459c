// Package format encodes and decodes the .wnn model file: a msgpack map with a
// format marker, an integer version, the graph, the weight tensors and the
// model's metadata. docs/FORMAT.md is the specification.
//
// Decoding treats its input as untrusted: every declared length is checked
// against the bytes present before anything is allocated, and every problem
// is reported as an error wrapping ErrBadModel, never as a panic.
package format

// Marker is the value of the "format" key of every .wnn file.
const Marker = "wnn"

// Version is the newest format version this package writes and reads.
// Version 2 added symbolic input dimensions (ValueInfo.Dims); Encode writes
// version 1 for files without them, so that older readers still read them.
const Version = 2

// Weight data types.
const (
	DTypeF32 = "f32" // IEEE 754 binary32, little-endian
	DTypeF16 = "f16" // IEEE 754 binary16, little-endian (converted to f32 at load)
)

// Model is the decoded content of a .wnn file.
type Model struct {
	Version int
	Graph   Graph
	Tensors []Tensor // weights, in file order; names are unique
	Meta    Meta
}

// Graph is the model's computation: named inputs with fixed shapes, output
// names, and nodes in any order (the runtime sorts them topologically).
type Graph struct {
	Inputs  []ValueInfo
	Outputs []string
	Nodes   []Node
}

// ValueInfo names a graph input and gives its shape. Dims, when not empty,
// has one entry per axis: the name of a symbolic dimension (any size at run
// time; Shape then holds a representative size), or "" for a fixed one.
type ValueInfo struct {
	Name  string
	Shape []int
	Dims  []string
}

// Node is one operation. Attrs values are exactly one of int64, float64,
// string, []int64 or []float64 after decoding (Encode also accepts int and
// float32 and their slices).
type Node struct {
	Name    string
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   map[string]any
}

// Tensor is a named weight tensor. Data holds the raw little-endian bytes of
// DType; len(Data) equals the element count times the element size.
type Tensor struct {
	Name  string
	DType string
	Shape []int
	Data  []byte
}

// Meta is the model's descriptive metadata.
type Meta struct {
	Name        string
	Description string
	Labels      []string    // class labels, index-aligned with the classifier output
	Preprocess  *Preprocess // how to turn an image into the first input; nil if not an image model
	Extra       map[string]string
}

// Preprocess tells how an image becomes the model's input tensor:
// the image is converted to Channels (1: gray, 3: RGB), optionally inverted
// (255-v), resized to ContentHeight x ContentWidth, placed centred on a
// Height x Width canvas of background value 0 (before inversion is applied to
// the canvas: the background is the model's "no ink" value), then each value v
// in [0, 255] becomes (v*Scale - Mean[c]) / Std[c]. Layout is "NCHW".
type Preprocess struct {
	Width         int       `json:"width"`
	Height        int       `json:"height"`
	ContentWidth  int       `json:"contentWidth,omitempty"`  // 0 means equal to Width
	ContentHeight int       `json:"contentHeight,omitempty"` // 0 means equal to Height
	Channels      int       `json:"channels"`
	Invert        bool      `json:"invert,omitempty"`
	Scale         float32   `json:"scale,omitempty"` // 0 means 1/255
	Mean          []float32 `json:"mean,omitempty"`
	Std           []float32 `json:"std,omitempty"`
	Layout        string    `json:"layout,omitempty"`
}
