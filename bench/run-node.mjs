#!/usr/bin/env node
// run-node.mjs: the Node side of `make bench`. It reads the suite that
// `wasmnn bench --write-suite DIR` wrote (index.json, one .wnn per case, and
// the .onnx that bench/run.sh exports next to it) and measures every case,
// one thread, on:
//
//   node-simd   wasmnn.wasm through the JS API, SIMD kernels on
//   node        the same, init({simd: false}): the pure-Go kernels
//   tfjs-wasm   TensorFlow.js, wasm backend, tfjs-backend-wasm-simd.wasm (SIMD, no threads)
//   ort-web     ONNX Runtime Web, wasm backend, numThreads 1 (SIMD)
//
// and, when asked for, tfjs-wasm-nosimd: TensorFlow.js with the scalar
// tfjs-backend-wasm.wasm (what issue 4's pure-Go target compares with).
//
// Each runtime runs in its own Node process (wasmnn has one instance per
// process, and separate processes keep the runtimes' heaps and JIT state
// apart), one after the other. Results are written as the []Result JSON of
// internal/bench (case, runtime, algo, median_ms, gflops, runs_ms, error),
// plus max_rel_diff: how far the runtime's output is from the reference
// runtime's (ort-web, else the first one) on the same input.
//
// usage: node bench/run-node.mjs --suite DIR --out FILE [--runtimes node-simd,node,tfjs-wasm,ort-web]
//          [--reps 7] [--warmup 2] [--model-reps 3] [--model-warmup 1] [--max-seconds 20]
//          [--filter S1,S2] [--algos A1,A2]
//
// --algos measures wasmnn (node-simd and node) once per forced conv algorithm
// instead (the Result's algo says which), for the algorithm comparison.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchCase, crossCheck, formatResult, makeRuntime } from './runtimes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const RUNTIMES = {
  'node-simd': { kind: 'wasmnn', opts: { simd: true } },
  node: { kind: 'wasmnn', opts: { simd: false } },
  'tfjs-wasm': { kind: 'tfjs', opts: {} },
  'tfjs-wasm-nosimd': { kind: 'tfjs', opts: { simd: false } },
  'ort-web': { kind: 'ort', opts: {} },
};

function parseArgs(argv) {
  const o = {
    suite: '', out: '', runtimes: 'node-simd,node,tfjs-wasm,ort-web', reps: 7, warmup: 2, modelReps: 3,
    modelWarmup: 1, maxSeconds: 20, filter: '', algos: '', child: '', algo: '',
  };
  const names = { 'model-reps': 'modelReps', 'model-warmup': 'modelWarmup', 'max-seconds': 'maxSeconds' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    let [k, v] = a.slice(2).split(/=(.*)/s);
    if (v === undefined) v = argv[++i];
    const key = names[k] || k;
    if (!(key in o)) throw new Error(`unknown option --${k}`);
    o[key] = typeof o[key] === 'number' ? Number(v) : v;
  }
  if (!o.suite || !o.out) throw new Error('usage: run-node.mjs --suite DIR --out FILE [options]');
  return o;
}

function selectCases(index, filter) {
  const subs = filter.split(',').filter(Boolean);
  return subs.length ? index.filter((e) => subs.some((s) => e.name.includes(s))) : index;
}

async function loadLibs(kind) {
  switch (kind) {
    case 'wasmnn': return { wasmnn: await import(pathToFileURL(path.join(root, 'js/wasmnn.js')).href) };
    case 'tfjs': {
      const tf = await import('@tensorflow/tfjs-core');
      const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
      return { tf, tfwasm };
    }
    case 'ort': return { ort: await import('onnxruntime-web') };
    default: throw new Error(kind);
  }
}

// child measures every case on one runtime and writes
// {info, results: [Result + check]} to o.out.
async function child(o) {
  const spec = RUNTIMES[o.child];
  if (!spec) throw new Error(`unknown runtime ${o.child}`);
  const index = JSON.parse(fs.readFileSync(path.join(o.suite, 'index.json'), 'utf8'));
  const cases = selectCases(index, o.filter);
  const libs = await loadLibs(spec.kind);
  const opts = { ...spec.opts, algo: o.algo || undefined };
  if (spec.kind === 'tfjs') opts.wasmPaths = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/';
  const rt = await makeRuntime(spec.kind, libs, opts);
  const results = [];
  for (const e of cases) {
    const files = {
      wnn: async () => fs.readFileSync(path.join(o.suite, e.file)),
      onnx: async () => fs.readFileSync(path.join(o.suite, e.file.replace(/\.wnn$/, '.onnx'))),
    };
    const r = await benchCase(rt, o.child, e, files, o, () => performance.now());
    console.log(formatResult(r));
    results.push(r);
  }
  fs.writeFileSync(o.out, JSON.stringify({ info: rt.info, results }));
}

function runChild(o, rtName, algo, tmp) {
  const args = [fileURLToPath(import.meta.url), '--child', rtName, '--suite', o.suite, '--out', tmp,
    '--reps', String(o.reps), '--warmup', String(o.warmup), '--model-reps', String(o.modelReps),
    '--model-warmup', String(o.modelWarmup), '--max-seconds', String(o.maxSeconds), '--filter', o.filter];
  if (algo) args.push('--algo', algo);
  const res = spawnSync(process.execPath, ['--max-old-space-size=8192', ...args], { stdio: 'inherit', cwd: root });
  if (res.status !== 0 || !fs.existsSync(tmp)) {
    return { info: { runtime: rtName, error: `exit status ${res.status}` }, results: [] };
  }
  const out = JSON.parse(fs.readFileSync(tmp, 'utf8'));
  fs.rmSync(tmp);
  return out;
}

async function parent(o) {
  const runtimes = o.runtimes.split(',').filter(Boolean);
  for (const r of runtimes) if (!RUNTIMES[r]) throw new Error(`unknown runtime ${r} (known: ${Object.keys(RUNTIMES)})`);
  const algos = o.algos.split(',').filter(Boolean);
  const runs = [];
  if (algos.length) {
    for (const r of runtimes.filter((n) => RUNTIMES[n].kind === 'wasmnn')) {
      for (const a of algos) runs.push([r, a]);
    }
  } else {
    for (const r of runtimes) runs.push([r, '']);
  }
  const info = {};
  let results = [];
  for (const [rt, algo] of runs) {
    const tmp = `${o.out}.${rt}${algo ? '-' + algo : ''}.tmp`;
    const out = runChild(o, rt, algo, tmp);
    info[rt] = out.info;
    for (const r of out.results) {
      if (algo && !r.error) r.algo = algo;
      results.push(r);
    }
  }
  // Cross-check: every runtime's output against the reference runtime's.
  crossCheck(results, ['ort-web'], console.log);
  results = results.map(({ check, ...r }) => r);
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(o.out.replace(/\.json$/, '') + '.info.json', JSON.stringify({
    node: process.version, v8: process.versions.v8, runtimes: info,
  }, null, 2) + '\n');
}

const o = parseArgs(process.argv.slice(2));
if (o.child) await child(o);
else await parent(o);
