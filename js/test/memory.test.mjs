// Steady-state runs do not grow the wasm memory: run copies tensors straight
// into and out of the model's Go-owned buffers (the wasmnn_buffer and
// wasmnn_run exports), so a run creates no JS values for Go to track and
// allocates nothing on the Go side.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const WARMUP = 50;
const WINDOW = 1000;

let tmp;
let modelPath;
let model;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  modelPath = await buildFixture(tmp.dir, 'lenet5');
  model = await wasmnn.load(modelPath);
});

after(async () => {
  if (model) await model.dispose();
  if (tmp) await tmp.cleanup();
});

// liveRefs is how many JS values the Go program holds (wasm_exec.js's table);
// it drops when Go's GC has run the js.Value finalizers.
function liveRefs() {
  const go = globalThis[Symbol.for('wasmnn.runtime.v1')].go;
  return go._values.length - go._idPool.length;
}

test(`after ${WARMUP} warm-up runs, ${WINDOW} consecutive lenet5 runs leave the wasm memory size unchanged`, async () => {
  const xs = [0, 1, 2, 3].map((s) => new wasmnn.Tensor('float32', randomFloats(1024, s), [1, 1, 32, 32]));
  const first = [];
  for (let i = 0; i < WARMUP; i++) {
    const out = await model.run({ input: xs[i % 4] });
    if (i < 4) first.push(out.fc3.data);
  }
  const before = wasmnn.backendInfo().memoryBytes;
  const refs = liveRefs();
  for (let i = 0; i < WINDOW; i++) {
    const out = await model.run({ input: xs[i % 4] });
    if (i >= WINDOW - 4) assert.equal(firstBitDifference(out.fc3.data, first[i % 4]), -1, 'a late run gives the warm-up result');
  }
  const now = wasmnn.backendInfo().memoryBytes;
  assert.equal(now, before, `wasm memory grew from ${before} to ${now} bytes over ${WINDOW} runs`);
  assert.ok(liveRefs() <= refs + 16, `Go holds ${liveRefs()} JS values after the runs, ${refs} before`);
});

test('loading and disposing models does not leak them', async () => {
  const bytes = await readFile(modelPath);
  const models = wasmnn.backendInfo().models;
  for (let i = 0; i < 5; i++) {
    const m = await wasmnn.load(bytes);
    assert.equal(wasmnn.backendInfo().models, models + 1);
    await m.dispose();
  }
  assert.equal(wasmnn.backendInfo().models, models);
});
