// Long sessions: 10,000 runs with failures mixed in keep the wasm memory and
// Go's JS value table bounded and every result exact; 100 load/dispose
// cycles give the memory back; Promise.all over runs on two models equals
// running them one by one.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, cli, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const WARMUP = 100;
const RUNS = 10_000;
const FAIL_EVERY = 500;
const CYCLES = 100;
// Go's runtime on wasm grows its heap one arena (512 KiB) at a time.
const HEAP_GRANULE = 512 << 10;

let tmp;
let bytes;
let bytes2;
let model;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  bytes = new Uint8Array(await readFile(await buildFixture(tmp.dir, 'lenet5')));
  const other = join(tmp.dir, 'lenet5-seed4.wnn');
  await cli('build', 'lenet5', '--seed', '4', '-o', other);
  bytes2 = new Uint8Array(await readFile(other));
  model = await wasmnn.load(bytes);
});

after(async () => {
  if (model) await model.dispose();
  if (tmp) await tmp.cleanup();
});

// liveRefs is how many JS values the Go program holds (wasm_exec.js's table).
function liveRefs() {
  const go = globalThis[Symbol.for('wasmnn.runtime.v1')].go;
  return go._values.length - go._idPool.length;
}

// collect makes Go collect garbage (dispose runs its collector) and lets its
// finalizers, which release JS values, run.
async function collect() {
  for (let i = 0; i < 2; i++) {
    const m = await wasmnn.load(bytes);
    await m.dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const input = (seed) => new wasmnn.Tensor('float32', randomFloats(1024, seed), [1, 1, 32, 32]);

test(`${RUNS} runs with a failure every ${FAIL_EVERY} keep memory and the JS value table bounded and results exact`, async () => {
  const xs = [0, 1, 2, 3].map((s) => input(500 + s));
  const want = [];
  for (const x of xs) want.push((await model.run({ input: x })).fc3.data);
  // Failures of each kind: a corrupt model (refused inside wasm), bad feeds
  // (refused in JS), bad pixels, and calls on a disposed model.
  const disposed = await wasmnn.load(bytes);
  await disposed.dispose();
  const failures = [
    { name: 'corrupt model', do: () => wasmnn.load(bytes.subarray(0, bytes.length - 9)), msg: /bad model file/ },
    { name: 'wrong dims', do: () => model.run({ input: new wasmnn.Tensor('float32', new Float32Array(784), [1, 1, 28, 28]) }), msg: /expects \[1, 1, 32, 32\]/ },
    { name: 'short pixels', do: () => model.classify({ data: new Uint8Array(10), width: 8, height: 8 }), msg: /needs 256 bytes/ },
    { name: 'disposed model', do: () => disposed.run({ input: xs[0] }), msg: /disposed/ },
  ];
  const check = async (i) => {
    const out = await model.run({ input: xs[i % 4] });
    const d = firstBitDifference(out.fc3.data, want[i % 4]);
    if (d !== -1) assert.fail(`run ${i}: fc3[${d}] differs from the first result`);
  };
  for (let i = 0; i < WARMUP; i++) await check(i);
  for (let i = 0; i < 20; i++) for (const f of failures) await f.do().catch(() => {});
  await collect();
  const memBefore = wasmnn.backendInfo().memoryBytes;
  const refsBefore = liveRefs();
  let peakRefs = refsBefore;
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) {
    await check(i);
    if (i % FAIL_EVERY === FAIL_EVERY - 1) {
      const f = failures[(i / FAIL_EVERY | 0) % failures.length];
      await assert.rejects(f.do(), f.msg, `after run ${i}: ${f.name}`);
    }
    peakRefs = Math.max(peakRefs, liveRefs());
  }
  const ms = performance.now() - start;
  await collect();
  const memAfter = wasmnn.backendInfo().memoryBytes;
  const refsAfter = liveRefs();
  console.log(`# ${RUNS} runs in ${(ms / 1000).toFixed(1)} s (${(ms / RUNS).toFixed(2)} ms/run); wasm memory ${memBefore} -> ${memAfter} bytes; JS values ${refsBefore} -> ${refsAfter} (peak ${peakRefs})`);
  assert.equal(memAfter, memBefore, `wasm memory grew from ${memBefore} to ${memAfter} bytes over ${RUNS} runs`);
  assert.ok(refsAfter <= refsBefore + 16, `Go holds ${refsAfter} JS values after the runs, ${refsBefore} before`);
  assert.ok(peakRefs <= refsBefore + 512, `Go held up to ${peakRefs} JS values during the runs, ${refsBefore} before`);
});

// The Go heap settles in the first few cycles (the first loads grow it once),
// so the baseline is taken after WARM cycles.
const WARM = 10;

test(`${CYCLES} load/dispose cycles after ${WARM} warm-up cycles return the memory to its size, within one heap granule`, async () => {
  const x = input(42);
  const want = (await model.run({ input: x })).fc3.data;
  const models = wasmnn.backendInfo().models;
  let baseline = 0;
  for (let i = 0; i < WARM + CYCLES; i++) {
    const m = await wasmnn.load(bytes);
    const out = await m.run({ input: x });
    assert.equal(firstBitDifference(out.fc3.data, want), -1, `cycle ${i}: the fresh model gives the same result`);
    await m.dispose();
    await assert.rejects(m.run({ input: x }), /disposed/);
    if (i === WARM - 1) baseline = wasmnn.backendInfo().memoryBytes;
  }
  const now = wasmnn.backendInfo().memoryBytes;
  console.log(`# wasm memory after ${WARM} warm-up cycles ${baseline} bytes, after ${CYCLES} more ${now}`);
  assert.equal(wasmnn.backendInfo().models, models, 'every model was released');
  assert.ok(now <= baseline + HEAP_GRANULE, `wasm memory grew from ${baseline} to ${now} bytes over ${CYCLES} cycles`);
});

test('Promise.all over 20 runs on two models equals sequential runs', async () => {
  const a = model;
  const b = await wasmnn.load(bytes2);
  try {
    const jobs = Array.from({ length: 20 }, (_, i) => ({ m: i % 2 ? b : a, x: input(700 + i) }));
    const seq = [];
    for (const j of jobs) seq.push(await j.m.run({ input: j.x }));
    const par = await Promise.all(jobs.map((j) => j.m.run({ input: j.x })));
    par.forEach((out, i) => assert.equal(firstBitDifference(out.fc3.data, seq[i].fc3.data), -1, `run ${i}`));
    // The two models differ, so a mix-up would show.
    const cross = await b.run({ input: jobs[0].x });
    assert.notEqual(firstBitDifference(cross.fc3.data, seq[0].fc3.data), -1, 'the two models give different results');
  } finally {
    await b.dispose();
  }
});
