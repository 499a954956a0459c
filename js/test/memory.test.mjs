// Steady-state runs do not grow the wasm memory, and Go releases the JS
// values it was handed.
//
// Every call through syscall/js allocates a little on the Go side (js.Value
// references with finalizers, maps, slices): that garbage, and the runtime's
// finalizer records, pile up until Go's GC first reaches its 4 MB minimum heap
// goal, which takes a few thousand lenet5 runs. So after the warm-up of 50
// runs the test runs windows of 1000 runs until one leaves the memory size
// unchanged and Go's GC has run at least once; a leak of more than about half
// a kilobyte per run grows the memory in every window and fails the test, and
// JS values that Go never releases show up after its GC.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const WARMUP = 50;
const WINDOW = 1000;
const MAX_WINDOWS = 10;
const MAX_GROWTH = 16 << 20;

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

test(`${WINDOW} consecutive lenet5 runs leave the wasm memory size unchanged`, async () => {
  const xs = [0, 1, 2, 3].map((s) => new wasmnn.Tensor('float32', randomFloats(1024, s), [1, 1, 32, 32]));
  const first = [];
  for (let i = 0; i < WARMUP; i++) {
    const out = await model.run({ input: xs[i % 4] });
    if (i < 4) first.push(out.fc3.data);
  }
  const start = wasmnn.backendInfo().memoryBytes;
  const sizes = [start];
  const afterGC = []; // live JS references right after each Go GC
  let refs = liveRefs();
  let flat = false;
  for (let w = 0; w < MAX_WINDOWS && !(flat && afterGC.length > 0); w++) {
    const before = wasmnn.backendInfo().memoryBytes;
    for (let i = 0; i < WINDOW; i++) {
      const out = await model.run({ input: xs[i % 4] });
      if (i >= WINDOW - 4) assert.equal(firstBitDifference(out.fc3.data, first[i % 4]), -1, 'a late run gives the warm-up result');
      const now = liveRefs();
      if (now < refs) afterGC.push(now);
      refs = now;
    }
    const now = wasmnn.backendInfo().memoryBytes;
    sizes.push(now);
    flat = now === before;
    assert.ok(now - start <= MAX_GROWTH, `wasm memory grew by ${now - start} bytes: ${sizes.join(' -> ')}`);
  }
  assert.ok(flat, `no window of ${WINDOW} runs left the wasm memory unchanged: ${sizes.join(' -> ')}`);
  assert.ok(afterGC.length > 0, `Go's GC never released JS values in ${(sizes.length - 1) * WINDOW} runs`);
  for (const n of afterGC) assert.ok(n < 200, `Go still holds ${n} JS values after a GC: ${afterGC.join(', ')}`);
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
