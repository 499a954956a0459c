// Steady-state runs do not grow the wasm memory.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let model;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  model = await wasmnn.load(await buildFixture(tmp.dir, 'lenet5'));
});

after(async () => {
  if (model) await model.dispose();
  if (tmp) await tmp.cleanup();
});

test('1000 lenet5 runs after a warm-up of 50 leave the wasm memory size unchanged', async () => {
  const xs = [0, 1, 2, 3].map((s) => new wasmnn.Tensor('float32', randomFloats(1024, s), [1, 1, 32, 32]));
  const first = [];
  for (let i = 0; i < 50; i++) {
    const out = await model.run({ input: xs[i % 4] });
    if (i < 4) first.push(out.fc3.data);
  }
  const before = wasmnn.backendInfo().memoryBytes;
  assert.ok(before > 0);
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    const out = await model.run({ input: xs[i % 4] });
    if (i >= 996) assert.equal(firstBitDifference(out.fc3.data, first[i % 4]), -1, `run ${i} gives the same result as the warm-up`);
  }
  const ms = (performance.now() - t0) / 1000;
  const afterBytes = wasmnn.backendInfo().memoryBytes;
  assert.equal(afterBytes, before, `wasm memory grew from ${before} to ${afterBytes} bytes (${ms.toFixed(3)} ms/run)`);
});

test('loading and disposing models does not leak them', async () => {
  const bytes = await import('node:fs/promises').then((fs) => fs.readFile(`${tmp.dir}/lenet5.wnn`));
  const models = wasmnn.backendInfo().models;
  for (let i = 0; i < 5; i++) {
    const m = await wasmnn.load(bytes);
    assert.equal(wasmnn.backendInfo().models, models + 1);
    await m.dispose();
  }
  assert.equal(wasmnn.backendInfo().models, models);
});
