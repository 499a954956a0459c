// Threads: the SIMD kernels on worker_threads over the Go module's shared
// memory. Each thread count runs in its own process (there is one wasm
// instance per process); every output must equal the native CLI's bit for
// bit, and memory must stay flat over many runs and load/dispose cycles.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildFixture, cliRun, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const CHILD = fileURLToPath(new URL('../testlib/threads-child.mjs', import.meta.url));
const SEED = 11;
let tmp;
const models = {};
const want = {};

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  for (const name of ['lenet5', 'r18']) {
    models[name] = await buildFixture(tmp.dir, name);
    // The CLI's outputs for the child's input (same dims, same seed).
    const dims = name === 'lenet5' ? [1, 1, 32, 32] : [1, 3, 64, 64];
    const out = await cliRun(models[name], { input: { dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), SEED) } }, tmp.dir);
    want[name] = {};
    for (const f of await readdir(out.dir)) want[name][f.replace(/\.npy$/, '')] = await out.read(f.replace(/\.npy$/, ''));
  }
});

after(() => tmp && tmp.cleanup());

async function child(threads, soak = 0, env = {}) {
  const { stdout } = await promisify(execFile)(process.execPath,
    [CHILD, String(threads), String(SEED), String(soak), models.r18, models.lenet5],
    { maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  return JSON.parse(stdout.trim().split('\n').pop());
}

function floatsOf(hex) {
  const b = Buffer.from(hex, 'hex');
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

for (const threads of [1, 2, 3, 4]) {
  test(`${threads} thread(s): outputs bit-identical to the native CLI`, async () => {
    const r = await child(threads);
    assert.equal(r.info.threads, threads, `backendInfo().threads (reason: ${r.info.threadsReason})`);
    assert.equal(r.info.simd, true);
    for (const name of ['r18', 'lenet5']) {
      const outs = r.outputs[models[name]];
      assert.deepEqual(Object.keys(outs).sort(), Object.keys(want[name]).sort());
      for (const [out, w] of Object.entries(want[name])) {
        assert.deepEqual(outs[out].dims, w.dims);
        const g = floatsOf(outs[out].bits);
        const i = firstBitDifference(g, w.data);
        assert.equal(i, -1, `${name} ${out}[${i}] with ${threads} threads: ${g[i]} != CLI ${w.data[i]}`);
      }
    }
  });
}

test('2 threads: memory flat over 1,000 runs; 100 load/dispose cycles start no worker; outputs unchanged', async () => {
  const r = await child(2, 1000);
  assert.equal(r.info.threads, 2);
  assert.ok(r.soak.same, 'the outputs after the soak differ from the first');
  const [runsBefore, runsAfter] = r.soak.mem;
  assert.equal(runsAfter, runsBefore, `memory grew from ${runsBefore} to ${runsAfter} bytes over 1,000 runs`);
  // Loads do not start threads: after 100 load/dispose cycles the pool has
  // its one worker, alive. (What the cycles do to the Go heap is the same
  // with one thread; soak.test.mjs bounds it for LeNet-5.)
  assert.deepEqual([r.soak.workers, r.soak.alive], [1, 1]);
});

test('a kernel thread that dies: the instance goes on on one thread, outputs unchanged, and says why', async () => {
  const r = await child(3, 0, { WASMNN_TEST_KILL_THREAD: '1' });
  assert.equal(r.info.threads, 1);
  assert.match(r.info.threadsReason, /kernel thread exited/);
  assert.deepEqual(r.after, r.outputs);
});

test('threads option: bad values are refused', async () => {
  const wasmnn = await import('../wasmnn.js');
  for (const bad of [0, 1.5, -1, 17, '2']) {
    await assert.rejects(wasmnn.init({ threads: bad }), /threads must be an integer from 1 to 16/);
  }
});
