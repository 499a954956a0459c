// threads-child.mjs: one process of js/test/threads.test.mjs. It starts wasmnn
// with the thread count given, runs each model on a seeded input, and prints
// one JSON line: {info, outputs: {model: {name: {dims, bits}}}}, bits being
// the float32 values' bit patterns in hex (compared bit for bit by the test),
// plus what the soak and failure steps measured when asked for.
//
//   node threads-child.mjs THREADS SEED SOAK MODEL.wnn...
import { readFile } from 'node:fs/promises';
import * as wasmnn from '../wasmnn.js';
import { randomFloats } from './helpers.mjs';

const [threads, seed, soak, ...models] = process.argv.slice(2);
const report = { outputs: {} };

function bits(data) {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

async function runOnce(model, feeds) {
  const out = await model.run(feeds);
  const res = {};
  for (const name of model.outputNames) res[name] = { dims: [...out[name].dims], bits: bits(out[name].data) };
  return res;
}

function feedsOf(model) {
  const feeds = {};
  for (const { name, dims } of model.inputs) {
    feeds[name] = new wasmnn.Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), Number(seed)), [...dims]);
  }
  return feeds;
}

await wasmnn.init({ threads: Number(threads) });
for (const path of models) {
  const model = await wasmnn.load(await readFile(path));
  report.outputs[path] = await runOnce(model, feedsOf(model));
  await model.dispose();
}
if (Number(soak) > 0) {
  // Memory over many runs, then over 100 load/dispose cycles (the first 10
  // let the Go heap settle), of the first model.
  const bytes = await readFile(models[0]);
  let model = await wasmnn.load(bytes);
  const feeds = feedsOf(model);
  const first = await runOnce(model, feeds);
  for (let i = 0; i < 20; i++) await model.run(feeds);
  const mem = [wasmnn.backendInfo().memoryBytes];
  for (let i = 0; i < Number(soak); i++) await model.run(feeds);
  mem.push(wasmnn.backendInfo().memoryBytes);
  for (let i = 0; i < 100; i++) {
    await model.dispose();
    model = await wasmnn.load(bytes);
    if (i === 9) mem.push(wasmnn.backendInfo().memoryBytes);
  }
  mem.push(wasmnn.backendInfo().memoryBytes);
  const last = await runOnce(model, feeds);
  // The pool's workers: the same ones, all still running (none started per load).
  const pool = globalThis[Symbol.for('wasmnn.runtime.v1')].pool;
  report.soak = { mem, same: JSON.stringify(first) === JSON.stringify(last),
    workers: pool.workers.length, alive: pool.workers.filter((w) => w.threadId >= 0).length };
  await model.dispose();
}
if (process.env.WASMNN_TEST_KILL_THREAD) {
  // A kernel thread dies (as if the worker crashed): later runs must still
  // give the same outputs, on the threads that are left or on one.
  const pool = globalThis[Symbol.for('wasmnn.runtime.v1')].pool;
  const w = pool.workers[0];
  const exited = new Promise((resolve) => w.once('exit', resolve));
  await w.terminate();
  await exited;
  for (const path of models) {
    const model = await wasmnn.load(await readFile(path));
    report.after = report.after || {};
    report.after[path] = await runOnce(model, feedsOf(model));
    await model.dispose();
  }
}
report.info = wasmnn.backendInfo();
console.log(JSON.stringify(report));
