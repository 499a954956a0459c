package simd

import (
	"bytes"
	"fmt"
	"math"
	"slices"
)

// A small WebAssembly binary encoder: just what the kernel generators need
// (i32 and v128 values, one imported memory, functions, exports, structured
// control flow, loads, stores and the f32x4 arithmetic).

// valType is a WebAssembly value type.
type valType byte

const (
	tI32  valType = 0x7f
	tF32  valType = 0x7d
	tV128 valType = 0x7b
)

// funcType is a function signature.
type funcType struct {
	params, results []valType
}

func (t funcType) equal(u funcType) bool {
	return slices.Equal(t.params, u.params) && slices.Equal(t.results, u.results)
}

// module collects the parts of a module that imports one memory.
type module struct {
	memModule, memName string // the imported memory
	types              []funcType
	funcs              []*fn
	exports            []export
}

type export struct {
	name string
	fn   *fn
}

// fn is a function under construction: its signature, its locals beyond the
// parameters, and its body.
type fn struct {
	name   string
	typ    funcType
	index  uint32
	locals []valType
	code   bytes.Buffer
	depth  int // open blocks, checked at the end
}

// newFunc adds a function with the given parameters and results.
func (m *module) newFunc(name string, params, results []valType) *fn {
	f := &fn{name: name, typ: funcType{params, results}, index: uint32(len(m.funcs))}
	m.funcs = append(m.funcs, f)
	return f
}

// export exports f under name.
func (m *module) export(name string, f *fn) { m.exports = append(m.exports, export{name, f}) }

func (m *module) typeIndex(t funcType) uint32 {
	for i, u := range m.types {
		if u.equal(t) {
			return uint32(i)
		}
	}
	m.types = append(m.types, t)
	return uint32(len(m.types) - 1)
}

// encode returns the binary module.
func (m *module) encode() []byte {
	var out bytes.Buffer
	out.Write([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})
	typeIdx := make([]uint32, len(m.funcs))
	for i, f := range m.funcs {
		if f.depth != 0 {
			panic(fmt.Sprintf("simd: function %s has %d unclosed blocks", f.name, f.depth))
		}
		typeIdx[i] = m.typeIndex(f.typ)
	}
	section := func(id byte, body []byte) {
		out.WriteByte(id)
		out.Write(uleb(uint64(len(body))))
		out.Write(body)
	}
	// Types.
	var s []byte
	s = append(s, uleb(uint64(len(m.types)))...)
	for _, t := range m.types {
		s = append(s, 0x60)
		s = append(s, vec(t.params)...)
		s = append(s, vec(t.results)...)
	}
	section(1, s)
	// Imports: the memory, limits min 0 and no maximum.
	s = uleb(1)
	s = append(s, name(m.memModule)...)
	s = append(s, name(m.memName)...)
	s = append(s, 0x02, 0x00, 0x00)
	section(2, s)
	// Functions.
	s = uleb(uint64(len(m.funcs)))
	for _, ti := range typeIdx {
		s = append(s, uleb(uint64(ti))...)
	}
	section(3, s)
	// Exports.
	s = uleb(uint64(len(m.exports)))
	for _, e := range m.exports {
		s = append(s, name(e.name)...)
		s = append(s, 0x00)
		s = append(s, uleb(uint64(e.fn.index))...)
	}
	section(7, s)
	// Code.
	s = uleb(uint64(len(m.funcs)))
	for _, f := range m.funcs {
		var body []byte
		// Locals, run-length encoded by type.
		var groups [][2]uint64
		for _, t := range f.locals {
			if n := len(groups); n > 0 && groups[n-1][1] == uint64(t) {
				groups[n-1][0]++
			} else {
				groups = append(groups, [2]uint64{1, uint64(t)})
			}
		}
		body = append(body, uleb(uint64(len(groups)))...)
		for _, g := range groups {
			body = append(body, uleb(g[0])...)
			body = append(body, byte(g[1]))
		}
		body = append(body, f.code.Bytes()...)
		body = append(body, 0x0b)
		s = append(s, uleb(uint64(len(body)))...)
		s = append(s, body...)
	}
	section(10, s)
	return out.Bytes()
}

func vec(ts []valType) []byte {
	b := uleb(uint64(len(ts)))
	for _, t := range ts {
		b = append(b, byte(t))
	}
	return b
}

func name(s string) []byte { return append(uleb(uint64(len(s))), s...) }

// uleb encodes v as unsigned LEB128.
func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// sleb encodes v as signed LEB128.
func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// local is a local variable (or parameter) index.
type local uint32

// param returns parameter i.
func (f *fn) param(i int) local {
	if i >= len(f.typ.params) {
		panic("simd: no such parameter")
	}
	return local(i)
}

// local declares a new local of type t.
func (f *fn) local(t valType) local {
	f.locals = append(f.locals, t)
	return local(len(f.typ.params) + len(f.locals) - 1)
}

func (f *fn) op(b ...byte) *fn { f.code.Write(b); return f }

func (f *fn) imm(v uint64) *fn { f.code.Write(uleb(v)); return f }

// Variables and constants.
func (f *fn) get(l local) *fn   { return f.op(0x20).imm(uint64(l)) }
func (f *fn) set(l local) *fn   { return f.op(0x21).imm(uint64(l)) }
func (f *fn) tee(l local) *fn   { return f.op(0x22).imm(uint64(l)) }
func (f *fn) i32(v int32) *fn   { f.op(0x41); f.code.Write(sleb(int64(v))); return f }
func (f *fn) call(g *fn) *fn    { return f.op(0x10).imm(uint64(g.index)) }
func (f *fn) drop() *fn         { return f.op(0x1a) }
func (f *fn) selectOp() *fn     { return f.op(0x1b) }
func (f *fn) ret() *fn          { return f.op(0x0f) }
func (f *fn) v128Zero() *fn     { f.simd(0x0c); f.code.Write(make([]byte, 16)); return f }
func (f *fn) f32(v float32) *fn { return f.op(0x43).op(f32bytes(v)...) }
func (f *fn) i32Add() *fn       { return f.op(0x6a) }
func (f *fn) i32Sub() *fn       { return f.op(0x6b) }
func (f *fn) i32Mul() *fn       { return f.op(0x6c) }
func (f *fn) i32And() *fn       { return f.op(0x71) }
func (f *fn) i32Shl() *fn       { return f.op(0x74) }
func (f *fn) i32ShrU() *fn      { return f.op(0x76) }
func (f *fn) i32Eqz() *fn       { return f.op(0x45) }
func (f *fn) i32Eq() *fn        { return f.op(0x46) }
func (f *fn) i32Ne() *fn        { return f.op(0x47) }
func (f *fn) i32LtS() *fn       { return f.op(0x48) }
func (f *fn) i32GtS() *fn       { return f.op(0x4a) }
func (f *fn) i32LeS() *fn       { return f.op(0x4c) }
func (f *fn) i32GeS() *fn       { return f.op(0x4e) }
func (f *fn) i32LtU() *fn       { return f.op(0x49) }
func (f *fn) addTo(l local, v int32) *fn {
	return f.get(l).i32(v).i32Add().set(l)
}

func f32bytes(v float32) []byte {
	var b [4]byte
	u := math.Float32bits(v)
	b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	return b[:]
}

// Control flow. Blocks have no parameters or results.
func (f *fn) block() *fn { f.depth++; return f.op(0x02, 0x40) }
func (f *fn) loop() *fn  { f.depth++; return f.op(0x03, 0x40) }
func (f *fn) if_() *fn   { f.depth++; return f.op(0x04, 0x40) }
func (f *fn) else_() *fn { return f.op(0x05) }
func (f *fn) end() *fn   { f.depth--; return f.op(0x0b) }
func (f *fn) br(d int) *fn {
	return f.op(0x0c).imm(uint64(d))
}
func (f *fn) brIf(d int) *fn { return f.op(0x0d).imm(uint64(d)) }

// until emits a loop that runs body until done, which pushes an i32, is
// true, testing it before each pass (body may run no times): block, loop,
// done, br_if 1, body, br 0, end, end.
func (f *fn) until(done, body func()) {
	f.block()
	f.loop()
	done()
	f.brIf(1)
	body()
	f.br(0)
	f.end()
	f.end()
}

// Memory. Offsets are byte offsets added to the address on the stack;
// alignment hints are those of 4-byte aligned data.
func (f *fn) memarg(align, off uint32) *fn { return f.imm(uint64(align)).imm(uint64(off)) }
func (f *fn) f32Load(off uint32) *fn       { return f.op(0x2a).memarg(2, off) }
func (f *fn) f32Store(off uint32) *fn      { return f.op(0x38).memarg(2, off) }

// SIMD instructions: prefix 0xfd and an unsigned LEB128 opcode.
func (f *fn) simd(op uint32) *fn { return f.op(0xfd).imm(uint64(op)) }

func (f *fn) v128Load(off uint32) *fn        { return f.simd(0x00).memarg(2, off) }
func (f *fn) v128Load32Splat(off uint32) *fn { return f.simd(0x09).memarg(2, off) }
func (f *fn) v128Store(off uint32) *fn       { return f.simd(0x0b).memarg(2, off) }
func (f *fn) f32x4Splat() *fn                { return f.simd(0x13) }
func (f *fn) f32x4Add() *fn                  { return f.simd(0xe4) }
func (f *fn) f32x4Sub() *fn                  { return f.simd(0xe5) }
func (f *fn) f32x4Mul() *fn                  { return f.simd(0xe6) }
func (f *fn) f32x4Pmin() *fn                 { return f.simd(0xea) }
func (f *fn) f32x4Pmax() *fn                 { return f.simd(0xeb) }

// i8x16Shuffle picks 16 bytes from the two operands (0-15 the first, 16-31
// the second).
func (f *fn) i8x16Shuffle(lanes [16]byte) *fn { f.simd(0x0d); return f.op(lanes[:]...) }
