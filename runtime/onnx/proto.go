package onnx

import (
	"errors"
	"fmt"
)

// The ONNX messages this package reads and writes, with the field numbers of
// onnx.proto. Only the fields wasmnn uses are kept; others are skipped when
// reading. Repeated numeric fields are read packed or unpacked, and written
// packed.

// Errors wrapped by this package's errors; test with errors.Is.
var (
	// ErrMalformed reports bytes that are not a valid ONNX model, or a graph
	// that is inconsistent (missing inputs, cycles, wrong tensor sizes).
	ErrMalformed = errors.New("malformed ONNX model")
	// ErrUnsupported reports a valid model that uses ops, types or features
	// wasmnn cannot run.
	ErrUnsupported = errors.New("unsupported ONNX feature")
)

// Model is an ONNX ModelProto.
type Model struct {
	IRVersion       int64
	Opsets          []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
	Metadata        []KeyValue
	hasFunctions    bool
}

// OpsetID is an OperatorSetIdProto: an operator domain ("" is the default
// ai.onnx domain) and its version.
type OpsetID struct {
	Domain  string
	Version int64
}

// KeyValue is a StringStringEntryProto.
type KeyValue struct{ Key, Value string }

// Graph is a GraphProto.
type Graph struct {
	Name         string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []*ValueInfo
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
	DocString    string
	sparseInits  int
}

// Node is a NodeProto.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []*Attr
}

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// Attribute types.
const (
	AttrUndefined AttrType = 0
	AttrFloat     AttrType = 1
	AttrInt       AttrType = 2
	AttrString    AttrType = 3
	AttrTensor    AttrType = 4
	AttrGraph     AttrType = 5
	AttrFloats    AttrType = 6
	AttrInts      AttrType = 7
	AttrStrings   AttrType = 8
	AttrTensors   AttrType = 9
	AttrGraphs    AttrType = 10
)

// Attr is an AttributeProto. Graph-valued attributes (subgraphs of If, Loop,
// Scan) are recognised but not decoded.
type Attr struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       []byte
	T       *Tensor
	Floats  []float32
	Ints    []int64
	Strings [][]byte
	RefName string
	// hasGraph reports a subgraph (g or graphs) that was skipped.
	hasGraph bool
}

// Tensor data types (TensorProto.DataType).
const (
	TypeFloat   = 1
	TypeUint8   = 2
	TypeInt8    = 3
	TypeUint16  = 4
	TypeInt16   = 5
	TypeInt32   = 6
	TypeInt64   = 7
	TypeString  = 8
	TypeBool    = 9
	TypeFloat16 = 10
	TypeDouble  = 11
	TypeUint32  = 12
	TypeUint64  = 13
)

var typeNames = map[int32]string{0: "undefined", 1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
	7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64", 14: "complex64",
	15: "complex128", 16: "bfloat16"}

func typeName(t int32) string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type %d", t)
}

// Tensor is a TensorProto.
type Tensor struct {
	Name       string
	Dims       []int64
	DataType   int32
	FloatData  []float32
	Int32Data  []int32
	Int64Data  []int64
	DoubleData []float64
	Uint64Data []uint64
	StringData [][]byte
	RawData    []byte
	hasRaw     bool
	external   bool
	segment    bool
}

// ValueInfo is a ValueInfoProto holding a tensor type: an element type and,
// if HasShape, one Dim per axis.
type ValueInfo struct {
	Name      string
	ElemType  int32
	Shape     []Dim
	HasShape  bool
	NotTensor bool // a sequence, map or other non-tensor type
}

// Dim is a TensorShapeProto.Dimension: a fixed size (HasValue) or a
// symbolic name (Param), or neither (unknown).
type Dim struct {
	Value    int64
	Param    string
	HasValue bool
}
