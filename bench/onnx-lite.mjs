// onnx-lite.mjs: a small ONNX (protobuf) reader for the benchmark. It decodes
// the parts of a ModelProto that bench/tfjs-graph.mjs needs to rebuild a
// model in TensorFlow.js with the same weights: the graph's nodes (op type,
// inputs, outputs, attributes), its initializers as Float32Arrays, and its
// inputs and outputs with their shapes. Only float32 and int64 tensors are
// decoded; anything else is kept as raw bytes.

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const utf8 = new TextDecoder();

// Reader walks one protobuf message in buf[start:end].
class Reader {
  constructor(buf, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  done() { return this.pos >= this.end; }

  // varint returns the next varint as a BigInt (int64 values may be negative).
  varint() {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('onnx-lite: truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
      if (shift > 70n) throw new Error('onnx-lite: varint too long');
    }
    return BigInt.asIntN(64, result);
  }

  int() { return Number(this.varint()); }

  tag() {
    const t = this.int();
    return { field: t >>> 3, wire: t & 7 };
  }

  bytes() {
    const n = this.int();
    const start = this.pos;
    this.pos += n;
    if (this.pos > this.end) throw new Error('onnx-lite: truncated field');
    return [start, this.pos];
  }

  sub() {
    const [s, e] = this.bytes();
    return new Reader(this.buf, s, e);
  }

  string() {
    const [s, e] = this.bytes();
    return utf8.decode(this.buf.subarray(s, e));
  }

  float32() {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wire) {
    switch (wire) {
      case WIRE_VARINT: this.varint(); break;
      case WIRE_I64: this.pos += 8; break;
      case WIRE_LEN: this.bytes(); break;
      case WIRE_I32: this.pos += 4; break;
      default: throw new Error(`onnx-lite: unsupported wire type ${wire}`);
    }
  }

  // ints reads a repeated int64 field, packed or not, appending to out.
  ints(wire, out) {
    if (wire === WIRE_LEN) {
      const r = this.sub();
      while (!r.done()) out.push(r.int());
    } else {
      out.push(this.int());
    }
  }

  // floats reads a repeated float field, packed or not, appending to out.
  floats(wire, out) {
    if (wire === WIRE_LEN) {
      const r = this.sub();
      while (!r.done()) out.push(r.float32());
    } else {
      out.push(this.float32());
    }
  }
}

const FLOAT = 1;
const INT64 = 7;

function readTensor(r) {
  const t = { name: '', dims: [], dataType: 0, data: null };
  const floatData = [];
  const int64Data = [];
  let raw = null;
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.ints(wire, t.dims); break;
      case 2: t.dataType = r.int(); break;
      case 4: r.floats(wire, floatData); break;
      case 7: r.ints(wire, int64Data); break;
      case 8: t.name = r.string(); break;
      case 9: raw = r.bytes(); break;
      default: r.skip(wire);
    }
  }
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.dataType === FLOAT) {
    if (raw) {
      // Copy: raw_data need not be 4-byte aligned in the file.
      const bytes = new Uint8Array(raw[1] - raw[0]);
      bytes.set(r.buf.subarray(raw[0], raw[1]));
      t.data = new Float32Array(bytes.buffer);
    } else {
      t.data = Float32Array.from(floatData);
    }
  } else if (t.dataType === INT64) {
    if (raw) {
      const dv = new DataView(r.buf.buffer, r.buf.byteOffset + raw[0], raw[1] - raw[0]);
      t.data = Array.from({ length: (raw[1] - raw[0]) / 8 }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
    } else {
      t.data = int64Data;
    }
  } else if (raw) {
    t.data = new Uint8Array(r.buf.subarray(raw[0], raw[1]));
  }
  if (t.data && t.data.length !== count && t.dataType === FLOAT) {
    throw new Error(`onnx-lite: tensor ${t.name} has ${t.data.length} values for dims [${t.dims}]`);
  }
  return t;
}

function readAttribute(r) {
  const a = { name: '', value: undefined };
  const ints = [];
  const floats = [];
  let type = 0;
  let single;
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: a.name = r.string(); break;
      case 2: single = r.float32(); break;
      case 3: single = r.int(); break;
      case 4: single = r.string(); break;
      case 5: single = readTensor(r.sub()); break;
      case 7: r.floats(wire, floats); break;
      case 8: r.ints(wire, ints); break;
      case 20: type = r.int(); break;
      default: r.skip(wire);
    }
  }
  // AttributeProto.type: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS.
  if (type === 6) a.value = floats;
  else if (type === 7) a.value = ints;
  else if (single !== undefined) a.value = single;
  else if (ints.length) a.value = ints;
  else if (floats.length) a.value = floats;
  else a.value = type === 7 ? [] : single;
  return a;
}

function readNode(r) {
  const n = { name: '', opType: '', inputs: [], outputs: [], attrs: {} };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: n.inputs.push(r.string()); break;
      case 2: n.outputs.push(r.string()); break;
      case 3: n.name = r.string(); break;
      case 4: n.opType = r.string(); break;
      case 5: {
        const a = readAttribute(r.sub());
        n.attrs[a.name] = a.value;
        break;
      }
      default: r.skip(wire);
    }
  }
  return n;
}

function readShape(r) {
  const dims = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field !== 1) { r.skip(wire); continue; }
    const d = r.sub();
    let v = -1;
    while (!d.done()) {
      const t = d.tag();
      if (t.field === 1) v = d.int();
      else d.skip(t.wire);
    }
    dims.push(v);
  }
  return dims;
}

function readValueInfo(r) {
  const vi = { name: '', shape: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      vi.name = r.string();
    } else if (field === 2) {
      const tp = r.sub(); // TypeProto
      while (!tp.done()) {
        const t = tp.tag();
        if (t.field !== 1) { tp.skip(t.wire); continue; }
        const tt = tp.sub(); // TypeProto.Tensor
        while (!tt.done()) {
          const u = tt.tag();
          if (u.field === 2) vi.shape = readShape(tt.sub());
          else tt.skip(u.wire);
        }
      }
    } else {
      r.skip(wire);
    }
  }
  return vi;
}

function readGraph(r) {
  const g = { name: '', nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: g.nodes.push(readNode(r.sub())); break;
      case 2: g.name = r.string(); break;
      case 5: {
        const t = readTensor(r.sub());
        g.initializers.set(t.name, t);
        break;
      }
      case 11: g.inputs.push(readValueInfo(r.sub())); break;
      case 12: g.outputs.push(readValueInfo(r.sub())); break;
      default: r.skip(wire);
    }
  }
  // Graph inputs may list the initializers too (IR < 4): keep real inputs.
  g.inputs = g.inputs.filter((vi) => !g.initializers.has(vi.name));
  return g;
}

/**
 * parseONNX decodes an ONNX model (a Uint8Array) into
 * {graph: {name, nodes, initializers: Map<name, {dims, data}>, inputs, outputs}}.
 */
export function parseONNX(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const r = new Reader(buf);
  const model = { graph: null, opset: 0 };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 7) {
      model.graph = readGraph(r.sub());
    } else if (field === 8) {
      const o = r.sub();
      let domain = '';
      let version = 0;
      while (!o.done()) {
        const t = o.tag();
        if (t.field === 1) domain = o.string();
        else if (t.field === 2) version = o.int();
        else o.skip(t.wire);
      }
      if (domain === '' || domain === 'ai.onnx') model.opset = version;
    } else {
      r.skip(wire);
    }
  }
  if (!model.graph) throw new Error('onnx-lite: no graph in the model');
  return model;
}
