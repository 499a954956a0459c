package onnx

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
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

// field is one decoded field: its number, wire type and payload (v for
// length-delimited fields, x for numeric ones).
type field struct {
	num protowire.Number
	typ protowire.Type
	v   []byte
	x   uint64
}

// walk calls fn for every field of the message b, in order.
func walk(b []byte, what string, fn func(f field) error) error {
	off := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %s: bad field tag at byte %d: %v", ErrMalformed, what, off, protowire.ParseError(n))
		}
		f := field{num: num, typ: typ}
		b = b[n:]
		off += n
		switch typ {
		case protowire.VarintType:
			f.x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.x = uint64(v)
		case protowire.Fixed64Type:
			f.x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: %s: field %d at byte %d: %v (truncated or corrupt)", ErrMalformed, what, num, off, protowire.ParseError(n))
		}
		b = b[n:]
		off += n
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func wireErr(what string, f field) error {
	return fmt.Errorf("%w: %s: field %d has wire type %d, which does not match its declared type", ErrMalformed, what, f.num, f.typ)
}

// str reads a length-delimited field as a string.
func (f field) str(what string) (string, error) {
	if f.typ != protowire.BytesType {
		return "", wireErr(what, f)
	}
	return string(f.v), nil
}

func (f field) varint(what string) (uint64, error) {
	if f.typ != protowire.VarintType {
		return 0, wireErr(what, f)
	}
	return f.x, nil
}

func (f field) msg(what string) ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, wireErr(what, f)
	}
	return f.v, nil
}

// appendInts appends a repeated varint field, packed or not.
func (f field) appendInts(dst []int64, what string) ([]int64, error) {
	switch f.typ {
	case protowire.VarintType:
		return append(dst, int64(f.x)), nil
	case protowire.BytesType:
		b := f.v
		for len(b) > 0 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: %s: bad packed integer: %v", ErrMalformed, what, protowire.ParseError(n))
			}
			dst = append(dst, int64(v))
			b = b[n:]
		}
		return dst, nil
	}
	return nil, wireErr(what, f)
}

func (f field) appendFloats(dst []float32, what string) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(f.x))), nil
	case protowire.BytesType:
		if len(f.v)%4 != 0 {
			return nil, fmt.Errorf("%w: %s: packed floats of %d bytes", ErrMalformed, what, len(f.v))
		}
		for i := 0; i < len(f.v); i += 4 {
			dst = append(dst, math.Float32frombits(uint32(f.v[i])|uint32(f.v[i+1])<<8|uint32(f.v[i+2])<<16|uint32(f.v[i+3])<<24))
		}
		return dst, nil
	}
	return nil, wireErr(what, f)
}

func (f field) appendDoubles(dst []float64, what string) ([]float64, error) {
	switch f.typ {
	case protowire.Fixed64Type:
		return append(dst, math.Float64frombits(f.x)), nil
	case protowire.BytesType:
		if len(f.v)%8 != 0 {
			return nil, fmt.Errorf("%w: %s: packed doubles of %d bytes", ErrMalformed, what, len(f.v))
		}
		for i := 0; i < len(f.v); i += 8 {
			var u uint64
			for j := 7; j >= 0; j-- {
				u = u<<8 | uint64(f.v[i+j])
			}
			dst = append(dst, math.Float64frombits(u))
		}
		return dst, nil
	}
	return nil, wireErr(what, f)
}

// Decode parses an ONNX model (a serialized ModelProto). It checks the wire
// format only; Import checks the graph. Every problem is an error wrapping
// ErrMalformed; Decode never panics.
func Decode(b []byte) (*Model, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrMalformed)
	}
	m := &Model{}
	err := walk(b, "model", func(f field) error {
		var err error
		switch f.num {
		case 1:
			var v uint64
			v, err = f.varint("model.ir_version")
			m.IRVersion = int64(v)
		case 2:
			m.ProducerName, err = f.str("model.producer_name")
		case 3:
			m.ProducerVersion, err = f.str("model.producer_version")
		case 4:
			m.Domain, err = f.str("model.domain")
		case 5:
			var v uint64
			v, err = f.varint("model.model_version")
			m.ModelVersion = int64(v)
		case 6:
			m.DocString, err = f.str("model.doc_string")
		case 7:
			var g []byte
			if g, err = f.msg("model.graph"); err == nil {
				if m.Graph != nil {
					return fmt.Errorf("%w: model has two graphs", ErrMalformed)
				}
				m.Graph, err = decodeGraph(g)
			}
		case 8:
			var o []byte
			if o, err = f.msg("model.opset_import"); err == nil {
				var op OpsetID
				op, err = decodeOpset(o)
				m.Opsets = append(m.Opsets, op)
			}
		case 14:
			var kv []byte
			if kv, err = f.msg("model.metadata_props"); err == nil {
				var p KeyValue
				p, err = decodeKeyValue(kv)
				m.Metadata = append(m.Metadata, p)
			}
		case 25:
			m.hasFunctions = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("%w: the model has no graph (is this an ONNX file?)", ErrMalformed)
	}
	return m, nil
}

func decodeOpset(b []byte) (OpsetID, error) {
	var o OpsetID
	err := walk(b, "opset_import", func(f field) error {
		var err error
		switch f.num {
		case 1:
			o.Domain, err = f.str("opset_import.domain")
		case 2:
			var v uint64
			v, err = f.varint("opset_import.version")
			o.Version = int64(v)
		}
		return err
	})
	return o, err
}

func decodeKeyValue(b []byte) (KeyValue, error) {
	var p KeyValue
	err := walk(b, "metadata_props", func(f field) error {
		var err error
		switch f.num {
		case 1:
			p.Key, err = f.str("metadata_props.key")
		case 2:
			p.Value, err = f.str("metadata_props.value")
		}
		return err
	})
	return p, err
}

func decodeGraph(b []byte) (*Graph, error) {
	g := &Graph{}
	err := walk(b, "graph", func(f field) error {
		var err error
		var v []byte
		switch f.num {
		case 1:
			if v, err = f.msg("graph.node"); err == nil {
				var n *Node
				n, err = decodeNode(v, len(g.Nodes))
				g.Nodes = append(g.Nodes, n)
			}
		case 2:
			g.Name, err = f.str("graph.name")
		case 5:
			if v, err = f.msg("graph.initializer"); err == nil {
				var t *Tensor
				t, err = decodeTensor(v, fmt.Sprintf("initializer %d", len(g.Initializers)))
				g.Initializers = append(g.Initializers, t)
			}
		case 10:
			g.DocString, err = f.str("graph.doc_string")
		case 11, 12, 13:
			if v, err = f.msg("graph value info"); err == nil {
				var vi *ValueInfo
				vi, err = decodeValueInfo(v)
				switch f.num {
				case 11:
					g.Inputs = append(g.Inputs, vi)
				case 12:
					g.Outputs = append(g.Outputs, vi)
				default:
					g.ValueInfo = append(g.ValueInfo, vi)
				}
			}
		case 15:
			g.sparseInits++
		}
		return err
	})
	return g, err
}

func decodeNode(b []byte, index int) (*Node, error) {
	n := &Node{}
	what := fmt.Sprintf("node %d", index)
	err := walk(b, what, func(f field) error {
		var err error
		var s string
		switch f.num {
		case 1:
			s, err = f.str(what + " input")
			n.Inputs = append(n.Inputs, s)
		case 2:
			s, err = f.str(what + " output")
			n.Outputs = append(n.Outputs, s)
		case 3:
			n.Name, err = f.str(what + " name")
		case 4:
			n.OpType, err = f.str(what + " op_type")
		case 5:
			var v []byte
			if v, err = f.msg(what + " attribute"); err == nil {
				var a *Attr
				a, err = decodeAttr(v, what)
				n.Attrs = append(n.Attrs, a)
			}
		case 7:
			n.Domain, err = f.str(what + " domain")
		}
		return err
	})
	if err != nil {
		if n.Name != "" {
			err = fmt.Errorf("node %q: %w", n.Name, err)
		}
		return nil, err
	}
	return n, nil
}

func decodeAttr(b []byte, node string) (*Attr, error) {
	a := &Attr{}
	what := node + " attribute"
	err := walk(b, what, func(f field) error {
		var err error
		var v []byte
		switch f.num {
		case 1:
			a.Name, err = f.str(what + " name")
			what = fmt.Sprintf("%s attribute %q", node, a.Name)
		case 2:
			if f.typ != protowire.Fixed32Type {
				return wireErr(what, f)
			}
			a.F = math.Float32frombits(uint32(f.x))
		case 3:
			var x uint64
			x, err = f.varint(what)
			a.I = int64(x)
		case 4:
			if v, err = f.msg(what); err == nil {
				a.S = v
			}
		case 5:
			if v, err = f.msg(what); err == nil {
				a.T, err = decodeTensor(v, what)
			}
		case 6, 11:
			a.hasGraph = true
		case 7:
			a.Floats, err = f.appendFloats(a.Floats, what)
		case 8:
			a.Ints, err = f.appendInts(a.Ints, what)
		case 9:
			if v, err = f.msg(what); err == nil {
				a.Strings = append(a.Strings, v)
			}
		case 20:
			var x uint64
			x, err = f.varint(what)
			a.Type = AttrType(int32(x))
		case 21:
			a.RefName, err = f.str(what)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if a.Name == "" {
		return nil, fmt.Errorf("%w: %s has no name", ErrMalformed, what)
	}
	if a.Type == AttrUndefined {
		// IR version 1 had no type field: infer it from the payload.
		switch {
		case a.T != nil:
			a.Type = AttrTensor
		case a.Floats != nil:
			a.Type = AttrFloats
		case a.Ints != nil:
			a.Type = AttrInts
		case a.Strings != nil:
			a.Type = AttrStrings
		case a.S != nil:
			a.Type = AttrString
		case a.hasGraph:
			a.Type = AttrGraph
		case a.I != 0:
			a.Type = AttrInt
		default:
			a.Type = AttrFloat
		}
	}
	return a, nil
}

func decodeTensor(b []byte, what string) (*Tensor, error) {
	t := &Tensor{}
	err := walk(b, what, func(f field) error {
		var err error
		switch f.num {
		case 1:
			t.Dims, err = f.appendInts(t.Dims, what+" dims")
		case 2:
			var x uint64
			x, err = f.varint(what + " data_type")
			t.DataType = int32(x)
		case 3:
			t.segment = true
		case 4:
			t.FloatData, err = f.appendFloats(t.FloatData, what+" float_data")
		case 5:
			var v []int64
			v, err = f.appendInts(nil, what+" int32_data")
			for _, x := range v {
				t.Int32Data = append(t.Int32Data, int32(x))
			}
		case 6:
			var v []byte
			if v, err = f.msg(what + " string_data"); err == nil {
				t.StringData = append(t.StringData, v)
			}
		case 7:
			t.Int64Data, err = f.appendInts(t.Int64Data, what+" int64_data")
		case 8:
			t.Name, err = f.str(what + " name")
			what = fmt.Sprintf("tensor %q", t.Name)
		case 9:
			t.RawData, err = f.msg(what + " raw_data")
			t.hasRaw = true
		case 10:
			t.DoubleData, err = f.appendDoubles(t.DoubleData, what+" double_data")
		case 11:
			var v []int64
			v, err = f.appendInts(nil, what+" uint64_data")
			for _, x := range v {
				t.Uint64Data = append(t.Uint64Data, uint64(x))
			}
		case 13:
			t.external = true
		case 14:
			var x uint64
			x, err = f.varint(what + " data_location")
			if x == 1 {
				t.external = true
			}
		}
		return err
	})
	return t, err
}

func decodeValueInfo(b []byte) (*ValueInfo, error) {
	vi := &ValueInfo{}
	err := walk(b, "value info", func(f field) error {
		var err error
		switch f.num {
		case 1:
			vi.Name, err = f.str("value info name")
		case 2:
			var v []byte
			if v, err = f.msg("value info type"); err == nil {
				err = decodeType(v, vi)
			}
		}
		return err
	})
	if err != nil && vi.Name != "" {
		err = fmt.Errorf("value %q: %w", vi.Name, err)
	}
	return vi, err
}

// decodeType reads a TypeProto: only tensor types are decoded; the others
// mark the value as not a tensor.
func decodeType(b []byte, vi *ValueInfo) error {
	sawTensor := false
	err := walk(b, "type", func(f field) error {
		switch f.num {
		case 1:
			sawTensor = true
			v, err := f.msg("tensor type")
			if err != nil {
				return err
			}
			return walk(v, "tensor type", func(f field) error {
				switch f.num {
				case 1:
					x, err := f.varint("tensor type elem_type")
					vi.ElemType = int32(x)
					return err
				case 2:
					v, err := f.msg("tensor shape")
					if err != nil {
						return err
					}
					vi.HasShape = true
					return walk(v, "tensor shape", func(f field) error {
						if f.num != 1 {
							return nil
						}
						v, err := f.msg("dimension")
						if err != nil {
							return err
						}
						var d Dim
						err = walk(v, "dimension", func(f field) error {
							var err error
							switch f.num {
							case 1:
								var x uint64
								x, err = f.varint("dim_value")
								d.Value, d.HasValue = int64(x), true
							case 2:
								d.Param, err = f.str("dim_param")
							}
							return err
						})
						vi.Shape = append(vi.Shape, d)
						return err
					})
				}
				return nil
			})
		case 4, 5, 8, 9:
			vi.NotTensor = true
		}
		return nil
	})
	if !sawTensor {
		vi.NotTensor = true
	}
	return err
}

// Encoding.

func appendStr(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendRepeatedStr(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendPackedInts(b []byte, num protowire.Number, v []int64) []byte {
	if len(v) == 0 {
		return b
	}
	var p []byte
	for _, x := range v {
		p = protowire.AppendVarint(p, uint64(x))
	}
	return appendMsg(b, num, p)
}

func appendPackedFloats(b []byte, num protowire.Number, v []float32) []byte {
	if len(v) == 0 {
		return b
	}
	p := make([]byte, 0, 4*len(v))
	for _, x := range v {
		p = protowire.AppendFixed32(p, math.Float32bits(x))
	}
	return appendMsg(b, num, p)
}

// Encode serializes the model as a ModelProto.
func (m *Model) Encode() []byte {
	var b []byte
	b = appendVarint(b, 1, uint64(m.IRVersion))
	b = appendStr(b, 2, m.ProducerName)
	b = appendStr(b, 3, m.ProducerVersion)
	b = appendStr(b, 4, m.Domain)
	if m.ModelVersion != 0 {
		b = appendVarint(b, 5, uint64(m.ModelVersion))
	}
	b = appendStr(b, 6, m.DocString)
	if m.Graph != nil {
		b = appendMsg(b, 7, m.Graph.encode())
	}
	for _, o := range m.Opsets {
		var ob []byte
		ob = appendStr(ob, 1, o.Domain)
		ob = appendVarint(ob, 2, uint64(o.Version))
		b = appendMsg(b, 8, ob)
	}
	for _, kv := range m.Metadata {
		var kb []byte
		kb = appendRepeatedStr(kb, 1, kv.Key)
		kb = appendRepeatedStr(kb, 2, kv.Value)
		b = appendMsg(b, 14, kb)
	}
	return b
}

func (g *Graph) encode() []byte {
	var b []byte
	for _, n := range g.Nodes {
		b = appendMsg(b, 1, n.encode())
	}
	b = appendStr(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendMsg(b, 5, t.encode())
	}
	b = appendStr(b, 10, g.DocString)
	for _, vi := range g.Inputs {
		b = appendMsg(b, 11, vi.encode())
	}
	for _, vi := range g.Outputs {
		b = appendMsg(b, 12, vi.encode())
	}
	for _, vi := range g.ValueInfo {
		b = appendMsg(b, 13, vi.encode())
	}
	return b
}

func (n *Node) encode() []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = appendRepeatedStr(b, 1, in)
	}
	for _, out := range n.Outputs {
		b = appendRepeatedStr(b, 2, out)
	}
	b = appendStr(b, 3, n.Name)
	b = appendStr(b, 4, n.OpType)
	for _, a := range n.Attrs {
		b = appendMsg(b, 5, a.encode())
	}
	b = appendStr(b, 7, n.Domain)
	return b
}

func (a *Attr) encode() []byte {
	var b []byte
	b = appendStr(b, 1, a.Name)
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = appendVarint(b, 3, uint64(a.I))
	case AttrString:
		b = appendMsg(b, 4, a.S)
	case AttrTensor:
		b = appendMsg(b, 5, a.T.encode())
	case AttrFloats:
		b = appendPackedFloats(b, 7, a.Floats)
	case AttrInts:
		b = appendPackedInts(b, 8, a.Ints)
	case AttrStrings:
		for _, s := range a.Strings {
			b = appendMsg(b, 9, s)
		}
	}
	b = appendVarint(b, 20, uint64(a.Type))
	return b
}

func (t *Tensor) encode() []byte {
	var b []byte
	b = appendPackedInts(b, 1, t.Dims)
	b = appendVarint(b, 2, uint64(t.DataType))
	b = appendPackedFloats(b, 4, t.FloatData)
	if len(t.Int32Data) > 0 {
		v := make([]int64, len(t.Int32Data))
		for i, x := range t.Int32Data {
			v[i] = int64(x)
		}
		b = appendPackedInts(b, 5, v)
	}
	b = appendPackedInts(b, 7, t.Int64Data)
	b = appendStr(b, 8, t.Name)
	if t.RawData != nil || t.hasRaw {
		b = appendMsg(b, 9, t.RawData)
	}
	if t.external {
		b = appendVarint(b, 14, 1) // data_location = EXTERNAL
	}
	return b
}

func (vi *ValueInfo) encode() []byte {
	var b []byte
	b = appendStr(b, 1, vi.Name)
	var tt []byte
	tt = appendVarint(tt, 1, uint64(vi.ElemType))
	if vi.HasShape {
		var sb []byte
		for _, d := range vi.Shape {
			var db []byte
			switch {
			case d.HasValue:
				db = appendVarint(db, 1, uint64(d.Value))
			case d.Param != "":
				db = appendStr(db, 2, d.Param)
			}
			sb = appendMsg(sb, 1, db)
		}
		tt = appendMsg(tt, 2, sb)
	}
	var tb []byte
	tb = appendMsg(tb, 1, tt)
	b = appendMsg(b, 2, tb)
	return b
}
