package onnx

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decoding of the ONNX messages (Decode).

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
