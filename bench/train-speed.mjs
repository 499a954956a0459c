#!/usr/bin/env node
// train-speed.mjs: training speed of LeNet-5 (images per second, batch 32)
// natively on one thread (bin/wasmnn train --threads 1), in Node and in
// headless Chromium (wasmnn.train in the wasm module, threads: 1), in the
// same run, with the same data, options and seed: the weights are the same
// bit for bit on all three (js/test/train.test.mjs, wasm/host/train_test.go,
// test/browser/teach.test.mjs), so only the time differs.
//
// Each measurement trains a fresh LeNet-5 (the zoo architecture, seed 1) on
// N random 1x32x32 examples of 10 classes, nothing held out, the defaults
// of `wasmnn train` otherwise (AdamW, shifts of up to 2 pixels), once for 1
// epoch and once for 1+E epochs; the difference is E epochs of training
// steps alone (start-up, loading the data, planning and saving cancel
// out): images/s = E·N / (t(1+E) − t(1)). Medians over --reps pairs,
// the runtimes taking turns, after --warmup untimed runs of 1+E epochs;
// the ratio to native is given of the medians and as the median of each
// round's ratio (the runs of a round are close together in time).
//
// usage: node bench/train-speed.mjs [--examples 1024] [--epochs 4] [--reps 5] [--warmup 1] [--out FILE.json]
//          [--runtimes native,node,chromium]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseOptions } from './args.mjs';
import { inputData, median } from './runtimes.mjs';
import { ROOT as root, BIN, browser, serve, writeNpy } from '../test/browser/lib.mjs';

function parseArgs(argv) {
  const o = parseOptions(argv, { examples: 1024, epochs: 4, reps: 5, warmup: 1, out: '', runtimes: 'native,node,chromium' });
  for (const k of ['examples', 'epochs', 'reps', 'warmup']) {
    if (!Number.isSafeInteger(o[k]) || o[k] < (k === 'warmup' ? 0 : 1)) throw new Error(`--${k} must be a whole number >= ${k === 'warmup' ? 0 : 1}`);
  }
  return o;
}

// data returns n examples (the bench's inputData, seed 1, scaled to
// [-2, 2)) and labels i % 10.
function data(n) {
  return { x: inputData([n, 1, 32, 32]).map((v) => 2 * v), y: Array.from({ length: n }, (_, i) => i % 10) };
}

// measure times each runtime for 1 and 1+E epochs, reps times, the
// runtimes interleaved (one pair each per round, so that a busy spell of
// the machine slows them alike), and returns per runtime the images/s of
// each pair and their median. Untimed runs come first: V8 compiles a hot
// wasm function again, optimised, in the background (dynamic tiering),
// which takes seconds for this module.
async function measure(o, runtimes) {
  for (const r of runtimes) for (let w = 0; w < o.warmup; w++) await r.time(1 + o.epochs);
  const rates = runtimes.map(() => []);
  for (let rep = 0; rep < o.reps; rep++) {
    for (const [i, r] of runtimes.entries()) {
      const t1 = await r.time(1);
      const tE = await r.time(1 + o.epochs);
      rates[i].push((o.epochs * o.examples) / ((tE - t1) / 1000));
      process.stderr.write(`${r.name}: ${rates[i][rep].toFixed(0)} images/s (1 epoch ${t1.toFixed(0)} ms, ${1 + o.epochs} epochs ${tE.toFixed(0)} ms)\n`);
    }
  }
  return runtimes.map((r, i) => ({ runtime: r.name, rates: rates[i], median: median(rates[i]) }));
}

// The JS side, the same in Node and in the page: train and time it.
const TRAIN_JS = async (wasmnn, x, y, epochs) => {
  const t0 = performance.now();
  const t = await wasmnn.train('lenet5', { images: x, labels: y, epochs, batch: 32, holdout: 0, seed: 1 });
  const ms = performance.now() - t0;
  await t.dispose();
  return ms;
};

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const { x, y } = data(o.examples);
  const want = o.runtimes.split(',');
  const runtimes = [];
  const info = {};
  const cleanup = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-train-speed-'));
  cleanup.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let results;
  try {
    if (want.includes('native')) {
      const X = path.join(tmp, 'x.npy');
      const Y = path.join(tmp, 'y.npy');
      writeNpy(X, x, [o.examples, 1, 32, 32]);
      writeNpy(Y, y, [o.examples]);
      runtimes.push({ name: 'native, 1 thread', time: async (epochs) => {
        const t0 = performance.now();
        execFileSync(BIN, ['train', 'lenet5', '--images', X, '--labels', Y, '--holdout', '0', '--threads', '1', '--epochs', String(epochs),
          '--batch', '32', '--seed', '1', '--quiet', '-o', path.join(tmp, 'out.wnn')], { stdio: 'pipe' });
        return performance.now() - t0;
      } });
    }
    if (want.includes('node')) {
      const wasmnn = await import(pathToFileURL(path.join(root, 'js', 'wasmnn.js')).href);
      await wasmnn.init({ threads: 1 });
      info.node = wasmnn.backendInfo();
      runtimes.push({ name: 'Node (wasm)', time: (epochs) => TRAIN_JS(wasmnn, x, y, epochs) });
    }
    if (want.includes('chromium')) {
      const srv = await serve(root);
      cleanup.push(() => srv.stop());
      const b = await browser();
      cleanup.unshift(() => b.close());
      const page = await b.ctx.newPage();
      await page.goto(`${srv.url}bench/chromium.html`);
      info.chromium = await page.evaluate(async ([xs, ys, src]) => {
        const wasmnn = await import('/js/wasmnn.js');
        await wasmnn.init({ threads: 1 });
        window.trainBench = { wasmnn, x: new Float32Array(xs), y: ys, run: (0, eval)(`(${src})`) };
        return wasmnn.backendInfo();
      }, [Array.from(x), y, TRAIN_JS.toString()]);
      runtimes.push({ name: 'Chromium (wasm, in the page)',
        time: (epochs) => page.evaluate((e) => window.trainBench.run(window.trainBench.wasmnn, window.trainBench.x, window.trainBench.y, e), epochs) });
    }
    results = await measure(o, runtimes);
  } finally {
    for (const c of cleanup) await c();
  }
  const native = results.find((r) => r.runtime.startsWith('native'));
  const cpu = os.cpus()[0] ? os.cpus()[0].model : 'unknown CPU';
  const lines = [
    `LeNet-5 training, batch 32, ${o.examples} examples, ${o.epochs} epochs timed (1+${o.epochs} minus 1), ` +
      `median of ${o.reps} after ${o.warmup} untimed; ${cpu}, ${os.cpus().length} cores; node ${process.version}`,
    '',
    '| runtime | images/s (median) | runs | native 1 thread / this: of the medians | per round (median) |',
    '|---|---:|---|---:|---:|',
    ...results.map((r) => {
      r.ratio = native ? native.median / r.median : null;
      r.roundRatio = native ? median(r.rates.map((v, i) => native.rates[i] / v)) : null;
      return `| ${r.runtime} | ${r.median.toFixed(0)} | ${r.rates.map((v) => v.toFixed(0)).join(', ')} | ` +
        `${native ? `${r.ratio.toFixed(2)}x` : '–'} | ${native ? `${r.roundRatio.toFixed(2)}x` : '–'} |`;
    }),
    '',
    ...Object.entries(info).map(([k, v]) => `${k}: SIMD ${v.simd ? 'on' : 'off'}, threads ${v.threads}`),
  ];
  const table = lines.join('\n');
  console.log(table);
  if (o.out) fs.writeFileSync(o.out, JSON.stringify({ options: o, results, info, table }, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
