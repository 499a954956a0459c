// Every misuse rejects with a clear message, and a good run still works and
// gives the same result afterwards.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let modelPath;
let modelBytes;
let model;
let x;
let reference;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  modelPath = await buildFixture(tmp.dir, 'lenet5');
  modelBytes = new Uint8Array(await readFile(modelPath));
  model = await wasmnn.load(modelPath);
  x = new wasmnn.Tensor('float32', randomFloats(1024, 11), [1, 1, 32, 32]);
  reference = (await model.run({ input: x })).fc3.data;
});

after(async () => {
  if (model) await model.dispose();
  if (tmp) await tmp.cleanup();
});

// stillGood checks that a good run gives the reference result.
async function stillGood() {
  const out = await model.run({ input: x });
  assert.equal(firstBitDifference(out.fc3.data, reference), -1, 'a good run after the error gives the same result');
}

// rejectsWith asserts that promise rejects with an instance of cls whose
// message matches every pattern.
async function rejectsWith(promise, cls, ...patterns) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.constructor, cls, `${e.constructor.name}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

// A tensor-like object that gets past the Tensor constructor's checks.
const fake = (data, dims, type = 'float32') => ({ type, data, dims });

describe('run rejects bad feeds before calling wasm', () => {
  const cases = [
    { name: 'wrong dims', feeds: () => ({ input: new wasmnn.Tensor('float32', new Float32Array(784), [1, 1, 28, 28]) }), err: RangeError, msg: [/input "input" has dims \[1, 1, 28, 28\], the model expects \[1, 1, 32, 32\]/] },
    { name: 'wrong rank', feeds: () => ({ input: new wasmnn.Tensor('float32', new Float32Array(1024), [1, 32, 32]) }), err: RangeError, msg: [/expects \[1, 1, 32, 32\]/] },
    { name: 'wrong data length', feeds: () => ({ input: fake(new Float32Array(100), [1, 1, 32, 32]) }), err: RangeError, msg: [/input "input" has 100 values, dims \[1, 1, 32, 32\] need 1024/] },
    { name: 'Float64Array data', feeds: () => ({ input: fake(new Float64Array(1024), [1, 1, 32, 32]) }), err: TypeError, msg: [/input "input" data must be a Float32Array, got a Float64Array/] },
    { name: 'wrong tensor type', feeds: () => ({ input: fake(new Float32Array(1024), [1, 1, 32, 32], 'int32') }), err: TypeError, msg: [/type 'int32'; the model takes 'float32'/] },
    { name: 'not a tensor', feeds: () => ({ input: new Float32Array(1024) }), err: TypeError, msg: [/input "input" must be a wasmnn.Tensor, got a Float32Array/] },
    { name: 'unknown input name', feeds: () => ({ input: x, image: x }), err: RangeError, msg: [/unknown input name "image"/, /inputs: input/] },
    { name: 'missing input', feeds: () => ({}), err: RangeError, msg: [/input "input" is missing from feeds/] },
    { name: 'a Tensor instead of feeds', feeds: () => x, err: TypeError, msg: [/feeds must be an object mapping input names to Tensors, like \{input: tensor\}/] },
    { name: 'null feeds', feeds: () => null, err: TypeError, msg: [/feeds must be an object/] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      await rejectsWith(model.run(c.feeds()), c.err, /^model\.run: /, ...c.msg);
      await rejectsWith(model.runProfiled(c.feeds()), c.err, /^model\.runProfiled: /, ...c.msg);
      await stillGood();
    });
  }
});

describe('load rejects bad sources and options', () => {
  const noise = new Uint8Array(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (Math.imul(i, 2654435761) >>> 13) & 255;
  const cases = [
    { name: 'random bytes', src: () => noise, err: Error, msg: [/^wasmnn\.load: bad model file: this is neither a \.wnn nor an ONNX model \(it begins with the bytes 00 bb 77 33 /] },
    { name: 'truncated model', src: () => modelBytes.subarray(0, modelBytes.length >> 1), err: Error, msg: [/^wasmnn\.load: bad model file: .*truncated/] },
    { name: 'model cut after 100 bytes', src: () => modelBytes.slice(0, 100), err: Error, msg: [/^wasmnn\.load: bad model file/] },
    { name: 'empty bytes', src: () => new ArrayBuffer(0), err: Error, msg: [/^wasmnn\.load: bad model file: the file is empty/] },
    { name: 'unknown algo', src: () => modelBytes, opts: { algo: 'winograd3' }, err: RangeError, msg: [/algo: unknown convolution algorithm 'winograd3' \(known: 'auto', 'direct', 'im2col', 'depthwise', 'winograd', 'winograd2', 'winograd4', 'fft'\)/] },
    { name: 'missing file', src: () => `${tmp.dir}/nope.wnn`, err: Error, msg: [/^wasmnn\.load: cannot read the model .*nope\.wnn: ENOENT/] },
    { name: 'a number', src: () => 42, err: TypeError, msg: [/source must be a URL string, URL, ArrayBuffer, Uint8Array or Blob \(or a file path\), got number 42/] },
    { name: 'an empty string', src: () => '', err: TypeError, msg: [/source must be a non-empty string or URL/] },
    { name: 'unknown option', src: () => modelBytes, opts: { wasmUrl: 'x' }, err: TypeError, msg: [/unknown option "wasmUrl" \(known: wasmURL, simd, threads, onProgress, algo, layerAlgos, autotune, limits\)/] },
    { name: 'options not an object', src: () => modelBytes, opts: 'fast', err: TypeError, msg: [/options must be an object/] },
    { name: 'bad onProgress', src: () => modelBytes, opts: { onProgress: 1 }, err: TypeError, msg: [/onProgress must be a function/] },
    { name: 'bad algo type', src: () => modelBytes, opts: { algo: 3 }, err: TypeError, msg: [/algo must be a string/] },
    { name: 'bad layerAlgos', src: () => modelBytes, opts: { layerAlgos: { conv1: 1 } }, err: TypeError, msg: [/layerAlgos\.conv1 must be a string/] },
    { name: 'layerAlgos for a missing layer', src: () => modelBytes, opts: { layerAlgos: { nosuch: 'direct' } }, err: Error, msg: [/^wasmnn\.load: .*"nosuch": no Conv node has that name/] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const before = wasmnn.backendInfo().models;
      await rejectsWith(wasmnn.load(c.src(), c.opts), c.err, ...c.msg);
      assert.equal(wasmnn.backendInfo().models, before, 'no model is left loaded');
      await stillGood();
    });
  }
  test('a good load after the errors works', async () => {
    const m = await wasmnn.load(modelBytes);
    const out = await m.run({ input: x });
    assert.equal(firstBitDifference(out.fc3.data, reference), -1);
    await m.dispose();
  });
});

describe('classify rejects bad images and options', () => {
  const img = { data: new Uint8ClampedArray(4 * 8 * 8).fill(255), width: 8, height: 8 };
  const cases = [
    { name: 'not an image', image: () => 'digit.png', err: TypeError, msg: [/image must be an HTMLImageElement, .*got the string "digit.png" \(in Node only the \{data, width, height\} form works\)/] },
    { name: 'wrong data length', image: () => ({ data: new Uint8Array(10), width: 8, height: 8 }), err: RangeError, msg: [/a 8x8 RGBA image needs 256 bytes of data, got 10/] },
    { name: 'zero width', image: () => ({ data: new Uint8Array(0), width: 0, height: 8 }), err: RangeError, msg: [/width must be at least 1/] },
    { name: 'fractional height', image: () => ({ data: new Uint8Array(4), width: 1, height: 1.5 }), err: TypeError, msg: [/height must be an integer/] },
    { name: 'Float32Array pixels', image: () => ({ data: new Float32Array(256), width: 8, height: 8 }), err: TypeError, msg: [/image must be/] },
    { name: 'topK 0', image: () => img, opts: { topK: 0 }, err: RangeError, msg: [/topK must be at least 1, got 0/] },
    { name: 'topK a string', image: () => img, opts: { topK: '3' }, err: TypeError, msg: [/topK must be an integer/] },
    { name: 'unknown option', image: () => img, opts: { top: 3 }, err: TypeError, msg: [/unknown option "top"/] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      await rejectsWith(model.classify(c.image(), c.opts), c.err, /^model\.classify: /, ...c.msg);
      await stillGood();
    });
  }
});

describe('a disposed model', () => {
  test('rejects every call, and the others still work', async () => {
    const m = await wasmnn.load(modelBytes);
    const models = wasmnn.backendInfo().models;
    await m.dispose();
    assert.equal(m.disposed, true);
    assert.equal(wasmnn.backendInfo().models, models - 1);
    await rejectsWith(m.run({ input: x }), Error, /^model\.run: the model has been disposed/);
    await rejectsWith(m.runProfiled({ input: x }), Error, /^model\.runProfiled: the model has been disposed/);
    await rejectsWith(m.classify({ data: new Uint8Array(4), width: 1, height: 1 }), Error, /^model\.classify: the model has been disposed/);
    assert.throws(() => m.summary(), /^Error: model\.summary: the model has been disposed/);
    await m.dispose(); // twice is a no-op
    assert.deepEqual([...m.inputNames], ['input'], 'metadata stays readable');
    await stillGood();
  });
  test('runs queued before dispose still complete', async () => {
    const m = await wasmnn.load(modelBytes);
    const pending = m.run({ input: x });
    const disposed = m.dispose();
    const out = await pending;
    await disposed;
    assert.equal(firstBitDifference(out.fc3.data, reference), -1);
    await rejectsWith(m.run({ input: x }), Error, /disposed/);
  });
});

test('limits bound what a model may ask for, and bad limits are argument errors', async () => {
  const dir = await tempDir();
  try {
    const bytes = await readFile(await buildFixture(dir.dir, 'lenet5'));
    await assert.rejects(wasmnn.load(bytes, { limits: { maxNodes: 3 } }), { name: 'Error', message: /limit exceeded: the graph has \d+ nodes, the limit is 3/ });
    await assert.rejects(wasmnn.load(bytes, { limits: { maxModelBytes: 100 } }), { name: 'Error', message: /limit exceeded: the model file has \d+ bytes/ });
    await assert.rejects(wasmnn.load(bytes, { limits: { maxNodez: 3 } }), { name: 'TypeError', message: /unknown option "maxNodez"/ });
    await assert.rejects(wasmnn.load(bytes, { limits: { maxNodes: 1.5 } }), { name: 'TypeError', message: /limits.maxNodes must be an integer/ });
    const m = await wasmnn.load(bytes, { limits: { maxNodes: -1, maxModelBytes: 1 << 20 } });
    await m.dispose();
  } finally {
    await dir.cleanup();
  }
});
