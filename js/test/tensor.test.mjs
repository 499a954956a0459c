// Tensor validation and the .npy test helpers; no wasm needed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Model, Tensor } from '../wasmnn.js';
import { decodeNpy, encodeNpy } from '../testlib/helpers.mjs';

describe('Tensor', () => {
  test('holds type, data, dims and size', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = new Tensor('float32', data, [2, 3]);
    assert.equal(t.type, 'float32');
    assert.equal(t.data, data, 'a Float32Array is kept, not copied');
    assert.deepEqual([...t.dims], [2, 3]);
    assert.equal(t.size, 6);
    assert.ok(Object.isFrozen(t.dims));
  });

  test('defaults dims to [data.length] and copies number arrays', () => {
    const t = new Tensor('float32', [0.5, 1.5, -2]);
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual([...t.data], [0.5, 1.5, -2]);
    assert.deepEqual([...t.dims], [3]);
  });

  test('dims are copied: changing the caller array does not change the tensor', () => {
    const dims = [2, 2];
    const t = new Tensor('float32', new Float32Array(4), dims);
    dims[0] = 4;
    assert.deepEqual([...t.dims], [2, 2]);
  });

  test('fields are read-only', () => {
    const t = new Tensor('float32', new Float32Array(4), [4]);
    assert.throws(() => { t.dims = [2, 2]; }, TypeError);
    assert.throws(() => { t.data = new Float32Array(4); }, TypeError);
    assert.throws(() => { t.type = 'int8'; }, TypeError);
    assert.throws(() => { t.dims.push(1); }, TypeError);
  });

  const bad = [
    { name: 'unsupported type', args: ['int8', new Float32Array(1), [1]], err: TypeError, msg: /unsupported type 'int8' \(supported: 'float32'\)/ },
    { name: 'type not a string', args: [Float32Array, new Float32Array(1), [1]], err: TypeError, msg: /unsupported type/ },
    { name: 'Float64Array data', args: ['float32', new Float64Array(4), [4]], err: TypeError, msg: /must be a Float32Array.*got a Float64Array/ },
    { name: 'Uint8Array data', args: ['float32', new Uint8Array(4), [4]], err: TypeError, msg: /Float32Array/ },
    { name: 'string in number array', args: ['float32', [1, '2'], [2]], err: TypeError, msg: /data\[1\] must be a number/ },
    { name: 'dims not an array', args: ['float32', new Float32Array(4), 4], err: TypeError, msg: /dims must be an array/ },
    { name: 'fractional dim', args: ['float32', new Float32Array(4), [2, 1.5]], err: TypeError, msg: /dims\[1\] must be an integer/ },
    { name: 'negative dim', args: ['float32', new Float32Array(4), [-2, -2]], err: RangeError, msg: /dims\[0\] must not be negative/ },
    { name: 'length mismatch', args: ['float32', new Float32Array(5), [2, 3]], err: RangeError, msg: /dims \[2, 3\] need 6 values, but data has 5/ },
  ];
  for (const c of bad) {
    test(`rejects ${c.name}`, () => {
      assert.throws(() => new Tensor(...c.args), (e) => e instanceof c.err && c.msg.test(e.message));
    });
  }
});

describe('new Tensor(data, dims), as in ONNX Runtime', () => {
  test('infers float32 from a Float32Array, keeping it', () => {
    const data = new Float32Array(6);
    const t = new Tensor(data, [2, 3]);
    assert.equal(t.type, 'float32');
    assert.equal(t.data, data);
    assert.deepEqual([...t.dims], [2, 3]);
    assert.equal(t.size, 6);
  });

  test('infers float32 from an array of numbers; dims default to [length]', () => {
    const t = new Tensor([1, 2, 3]);
    assert.equal(t.type, 'float32');
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual([...t.dims], [3]);
  });

  test('equals the three-argument form', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    assert.deepEqual(new Tensor(data, [2, 2]), new Tensor('float32', data, [2, 2]));
  });

  const bad = [
    { name: 'an Int32Array', args: [new Int32Array(2), [2]], err: TypeError, msg: /an Int32Array makes a 'int32' tensor, and wasmnn tensors are 'float32': pass a Float32Array/ },
    { name: 'a Float64Array', args: [new Float64Array(2), [2]], err: TypeError, msg: /a Float64Array makes a 'float64' tensor/ },
    { name: 'a Uint8Array', args: [new Uint8Array(2)], err: TypeError, msg: /a Uint8Array makes a 'uint8' tensor/ },
    { name: 'a BigInt64Array', args: [new BigInt64Array(2), [2]], err: TypeError, msg: /'int64' tensor/ },
    { name: 'a DataView', args: [new DataView(new ArrayBuffer(8)), [2]], err: TypeError, msg: /data must be a Float32Array or an array of numbers, got a DataView/ },
    { name: 'a string in the numbers', args: [[1, 'x'], [2]], err: TypeError, msg: /data\[1\] must be a number/ },
    { name: 'a third argument', args: [new Float32Array(2), [2], [2]], err: TypeError, msg: /with a type, the data come second/ },
    { name: 'dims that do not fit', args: [new Float32Array(5), [2, 3]], err: RangeError, msg: /dims \[2, 3\] need 6 values, but data has 5/ },
    { name: 'negative dims', args: [new Float32Array(4), [-4]], err: RangeError, msg: /must not be negative/ },
  ];
  for (const c of bad) {
    test(`rejects ${c.name}`, () => {
      assert.throws(() => new Tensor(...c.args), (e) => e instanceof c.err && c.msg.test(e.message));
    });
  }
});

test('Model cannot be constructed directly', () => {
  assert.throws(() => new Model(), (e) => e instanceof TypeError && /use await wasmnn.load/.test(e.message));
});

describe('npy helpers', () => {
  for (const dims of [[3], [1, 1, 32, 32], [2, 3, 4], []]) {
    test(`round trip shape [${dims}]`, () => {
      const n = dims.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => (i - 3.25) / 7);
      const bytes = encodeNpy(dims, data);
      const hlen = bytes[8] | (bytes[9] << 8);
      assert.equal((10 + hlen) % 64, 0, 'data start at a multiple of 64');
      assert.equal(bytes[10 + hlen - 1], 0x0a, 'header ends with a newline');
      const back = decodeNpy(bytes);
      assert.deepEqual(back.dims, dims);
      assert.deepEqual([...back.data], [...data]);
    });
  }
  test('rejects other dtypes and truncated data', () => {
    const bytes = encodeNpy([2], new Float32Array([1, 2]));
    assert.throws(() => decodeNpy(bytes.subarray(0, bytes.length - 1)), /needs 8 data bytes/);
    const f8 = Uint8Array.from(bytes);
    f8.set(new TextEncoder().encode('<f8'), f8.indexOf(0x3c)); // the first '<' starts '<f4'
    assert.throws(() => decodeNpy(f8), /want dtype '<f4'/);
  });
});
