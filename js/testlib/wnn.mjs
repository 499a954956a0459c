// wnn.mjs: reading .wnn files in the tests (a MessagePack map,
// docs/FORMAT.md) to compare two models' graphs and weights byte for byte.
import assert from 'node:assert/strict';

// unpack decodes a MessagePack value (the .wnn container, docs/FORMAT.md):
// maps become Maps, bin values Uint8Arrays.
export function unpack(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const u = (n) => { const v = n === 1 ? dv.getUint8(off) : n === 2 ? dv.getUint16(off) : dv.getUint32(off); off += n; return v; };
  const take = (n) => { const b = bytes.subarray(off, off + n); off += n; return b; };
  const str = (n) => new TextDecoder().decode(take(n));
  const arr = (n) => Array.from({ length: n }, () => value());
  const map = (n) => { const m = new Map(); for (let i = 0; i < n; i++) { const k = value(); m.set(k, value()); } return m; };
  function value() {
    const t = u(1);
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 256;
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    if ((t & 0xf0) === 0x90) return arr(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return take(u(1));
      case 0xc5: return take(u(2));
      case 0xc6: return take(u(4));
      case 0xca: { const v = dv.getFloat32(off); off += 4; return v; }
      case 0xcb: { const v = dv.getFloat64(off); off += 8; return v; }
      case 0xcc: return u(1);
      case 0xcd: return u(2);
      case 0xce: return u(4);
      case 0xcf: { const v = dv.getBigUint64(off); off += 8; return Number(v); }
      case 0xd0: { const v = dv.getInt8(off); off += 1; return v; }
      case 0xd1: { const v = dv.getInt16(off); off += 2; return v; }
      case 0xd2: { const v = dv.getInt32(off); off += 4; return v; }
      case 0xd3: { const v = dv.getBigInt64(off); off += 8; return Number(v); }
      case 0xd9: return str(u(1));
      case 0xda: return str(u(2));
      case 0xdb: return str(u(4));
      case 0xdc: return arr(u(2));
      case 0xdd: return arr(u(4));
      case 0xde: return map(u(2));
      case 0xdf: return map(u(4));
    }
    throw new Error(`unpack: type byte 0x${t.toString(16)} at ${off - 1}`);
  }
  const v = value();
  assert.equal(off, bytes.length, 'trailing bytes after the .wnn map');
  return v;
}

// assertSameModel checks that two .wnn files have the same graph and the
// same weights, byte for byte (the weights' bits), and returns their
// metadata.
export function assertSameModel(got, want, what) {
  const a = unpack(got);
  const b = unpack(want);
  assert.deepEqual(a.get('graph'), b.get('graph'), `${what}: the graphs differ`);
  const ta = a.get('tensors');
  const tb = b.get('tensors');
  assert.equal(ta.length, tb.length, `${what}: the tensor counts differ`);
  for (let i = 0; i < ta.length; i++) {
    const name = tb[i].get('name');
    assert.equal(ta[i].get('name'), name);
    assert.deepEqual(ta[i].get('dims'), tb[i].get('dims'), `${what}: ${name} dims`);
    const da = ta[i].get('data');
    const db = tb[i].get('data');
    const first = da.findIndex((x, j) => x !== db[j]);
    assert.ok(da.length === db.length && first < 0, `${what}: weight ${name} differs from byte ${first} on`);
  }
  return [a.get('meta'), b.get('meta')];
}
