#!/usr/bin/env node
// profile-node.mjs: where wasmnn's time goes in one model, in Node, one
// thread: runs a suite model with runProfiled and prints the milliseconds per
// layer (median over the runs), grouped by op and algorithm, the slowest
// layers, and the time outside the layers (the JS API call: copying the input
// in and the output out, queueing).
//
// usage: node bench/profile-node.mjs bench/suite/model__resnet18.wnn [--runs 20] [--no-simd] [--top 15]
//          [--wasm path/to/wasmnn.wasm] (default js/dist/wasmnn.wasm; wasmnn-simd.wasm and wasm_exec.js beside it)

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inputData, median } from './runtimes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const wasmAt = argv.indexOf('--wasm');
const wasmPath = wasmAt >= 0 ? argv[wasmAt + 1] : '';
const file = argv.find((a, i) => !a.startsWith('--') && !/^\d+$/.test(a) && (wasmAt < 0 || i !== wasmAt + 1));
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
if (!file) {
  console.error('usage: profile-node.mjs MODEL.wnn [--runs N] [--no-simd] [--top N]');
  process.exit(2);
}
const runs = opt('--runs', 20);
const top = opt('--top', 15);
const wasmnn = await import(pathToFileURL(path.join(root, 'js/wasmnn.js')).href);
await wasmnn.init({ simd: !argv.includes('--no-simd'), ...(wasmPath ? { wasmURL: pathToFileURL(path.resolve(wasmPath)).href } : {}) });
const model = await wasmnn.load(fs.readFileSync(file));
const summary = model.summary();
const feeds = {};
for (const i of model.inputs) feeds[i.name] = new wasmnn.Tensor('float32', inputData(i.dims), i.dims);
// Warm up for a second (V8 tiers hot wasm functions up in the background).
for (const t0 = performance.now(); performance.now() - t0 < 1000;) await model.run(feeds);
const per = new Map();
const totals = [];
const walls = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const { times, layers } = await model.runProfiled(feeds);
  walls.push(performance.now() - t0);
  totals.push(times.reduce((a, b) => a + b, 0));
  layers.forEach((l, i) => { if (!per.has(l)) per.set(l, []); per.get(l).push(times[i]); });
}
const info = new Map(summary.layers.map((l) => [l.name, l]));
const rows = [...per].map(([name, t]) => {
  const l = info.get(name) || {};
  return { name, op: l.op || '?', algo: l.algo || '', ms: median(t), flops: l.flops || 0, shape: (l.output_shape || []).join('x') };
});
const wall = median(walls);
const inLayers = median(totals);
console.log(`${path.basename(file)}: SIMD ${wasmnn.backendInfo().simd ? 'on' : 'off'}, ${runs} profiled runs, ` +
  `median wall ${wall.toFixed(2)} ms, in layers ${inLayers.toFixed(2)} ms, outside ${(wall - inLayers).toFixed(2)} ms`);
const groups = new Map();
for (const r of rows) {
  const k = `${r.op}${r.algo ? ' ' + r.algo : ''}`;
  const g = groups.get(k) || { k, n: 0, ms: 0, flops: 0 };
  g.n++;
  g.ms += r.ms;
  g.flops += r.flops;
  groups.set(k, g);
}
console.log('\n| op (algorithm) | layers | ms | share | GFLOP/s |\n|---|---:|---:|---:|---:|');
for (const g of [...groups.values()].sort((a, b) => b.ms - a.ms)) {
  console.log(`| ${g.k} | ${g.n} | ${g.ms.toFixed(2)} | ${((100 * g.ms) / inLayers).toFixed(1)}% | ` +
    `${g.flops ? (g.flops / (g.ms * 1e6)).toFixed(1) : '–'} |`);
}
console.log(`\nslowest ${top} layers:\n\n| layer | op | algo | output | ms | GFLOP/s |\n|---|---|---|---|---:|---:|`);
for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, top)) {
  console.log(`| ${r.name} | ${r.op} | ${r.algo} | ${r.shape} | ${r.ms.toFixed(2)} | ` +
    `${r.flops ? (r.flops / (r.ms * 1e6)).toFixed(1) : '–'} |`);
}
await model.dispose();
process.exit(0);
