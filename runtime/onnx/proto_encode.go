package onnx

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Encoding of the ONNX messages (Model.Encode).

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
