// A model with symbolic input dims, [N 3 6 W] (test/fixtures/dynamic.wnn and,
// with its first convolution unpadded, dynamic-narrow.wnn: written by
// `go test ./internal/wasmtest -run TestFixtures -update`):
// model.inputs names the symbolic axes; runs at batches 1 to 3 and several
// widths give outputs of the right dims, equal bit for bit to `wasmnn run`
// on the same .npy; repeated same-shape runs keep the wasm memory flat;
// inputs that do not fit reject, naming the input, and shapes the graph
// cannot take reject with the Go message naming the node and the shapes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { JS_DIR, cliRun, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const FIXTURE = join(JS_DIR, 'test', 'fixtures', 'dynamic.wnn');

let tmp;
let model;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  model = await wasmnn.load(FIXTURE);
});

after(async () => {
  if (model) await model.dispose();
  if (tmp) await tmp.cleanup();
});

const tensor = (dims, seed) => new wasmnn.Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), seed), dims);

test('inputs name the symbolic dims', () => {
  assert.deepEqual(model.inputs, [{ name: 'x', dims: ['N', 3, 6, 'W'], sampleDims: [1, 3, 6, 8] }]);
  assert.ok(Object.isFrozen(model.inputs[0].dims));
  assert.deepEqual(model.outputNames, ['d', 'p']);
  assert.deepEqual(model.outputs.map((o) => o.dims), [[1, 5], [1, 8, 3, 4]]);
  assert.deepEqual(model.summary().inputs[0].dims, ['N', '', '', 'W']);
});

describe('bit-identical to the native CLI at every shape', () => {
  const shapes = [[1, 3, 6, 8], [2, 3, 6, 8], [3, 3, 6, 8], [1, 3, 6, 13], [2, 3, 6, 13], [3, 3, 6, 13], [2, 3, 6, 1], [1, 3, 6, 8]];
  shapes.forEach((dims, k) => {
    test(`x ${JSON.stringify(dims)}`, async () => {
      const x = tensor(dims, 100 + k);
      const got = await model.run({ x });
      const prof = await model.runProfiled({ x });
      const want = await cliRun(FIXTURE, { x: { dims, data: x.data } }, tmp.dir);
      const expect = { d: [dims[0], 5], p: [dims[0], 8, 3, Math.ceil(dims[3] / 2)] };
      for (const name of model.outputNames) {
        const w = await want.read(name);
        assert.deepEqual(w.dims, expect[name], `CLI output ${name} dims`);
        for (const [how, out] of [['run', got], ['runProfiled', prof.outputs]]) {
          assert.deepEqual([...out[name].dims], expect[name], `${how} output ${name} dims`);
          const i = firstBitDifference(out[name].data, w.data);
          assert.equal(i, -1, `${how} output ${name}[${i}]: JS ${out[name].data[i]} != CLI ${w.data[i]} ` +
            '(rebuild both with `make build wasm` if the Go code changed)');
        }
      }
    });
  });
});

test('same-shape runs leave the wasm memory unchanged, also alternating between two planned shapes', async () => {
  const a = tensor([3, 3, 6, 21], 7);
  const b = tensor([2, 3, 6, 5], 8);
  const ref = [(await model.run({ x: a })).p.data, (await model.run({ x: b })).p.data];
  for (const xs of [[a], [a, b]]) {
    for (let i = 0; i < 50; i++) await model.run({ x: xs[i % xs.length] });
    const before = wasmnn.backendInfo().memoryBytes;
    for (let i = 0; i < 600; i++) {
      const out = await model.run({ x: xs[i % xs.length] });
      if (i >= 598) assert.equal(firstBitDifference(out.p.data, ref[xs.length === 1 ? 0 : i % 2]), -1);
    }
    const now = wasmnn.backendInfo().memoryBytes;
    assert.equal(now, before, `wasm memory grew from ${before} to ${now} bytes over 600 runs of ${xs.length} shape(s)`);
  }
});

describe('inputs that do not fit reject before wasm is called, naming the input', () => {
  const cases = [
    { name: 'fixed axis', dims: [2, 4, 6, 8], msg: /^model\.run: input "x" has dims \[2, 4, 6, 8\], the model expects \[N, 3, 6, W\] \(dimension 1 is fixed\)$/ },
    { name: 'rank', dims: [2, 3, 6], msg: /^model\.run: input "x" has dims \[2, 3, 6\], the model expects \[N, 3, 6, W\] \(rank 4\)$/ },
    { name: 'zero width', dims: [2, 3, 6, 0], msg: /^model\.run: input "x" has dims \[2, 3, 6, 0\]: dimension 3 \(W\) must be at least 1$/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      await assert.rejects(model.run({ x: new wasmnn.Tensor('float32', new Float32Array(c.dims.reduce((a, b) => a * b, 1)), c.dims) }),
        (e) => e instanceof RangeError && c.msg.test(e.message));
    });
  }
});

test('a width the graph cannot take rejects with the Go message naming the node and the shapes; runs go on', async () => {
  const narrow = await wasmnn.load(join(JS_DIR, 'test', 'fixtures', 'dynamic-narrow.wnn'));
  try {
    const x = tensor([3, 3, 6, 2], 9);
    for (const run of [(f) => narrow.run(f), (f) => narrow.runProfiled(f)]) {
      await assert.rejects(run({ x }), (e) => {
        assert.equal(e.constructor, Error, e.message);
        assert.match(e.message, /^model\.run(Profiled)?: for input shapes x \[3 3 6 2\]: node "c1" \(Conv\): /);
        return true;
      });
    }
    const ok = await narrow.run({ x: tensor([2, 3, 6, 9], 10) });
    assert.deepEqual([...ok.d.dims], [2, 5]);
    assert.deepEqual([...ok.p.dims], [2, 8, 2, 4]);
  } finally {
    await narrow.dispose();
  }
});
