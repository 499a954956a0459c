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
// and with two threads (issue 17; make bench runs them on the models):
//
//   node-simd-2t  wasmnn with init({threads: 2}): the SIMD kernels on 2 worker_threads
//   ort-web-2t    ONNX Runtime Web with numThreads 2
//
// and, when asked for, tfjs-wasm-nosimd: TensorFlow.js with the scalar
// tfjs-backend-wasm.wasm (what issue 4's pure-Go target compares with).
//
// Each runtime runs in its own Node process (wasmnn has one instance per
// process, and separate processes keep the runtimes' heaps and JIT state
// apart); the parent sends them the cases one at a time, each case to every
// runtime in turn, so that a case's figures are taken close together in time. Results are written as the []Result JSON of
// internal/bench (case, runtime, algo, median_ms, gflops, runs_ms, error),
// plus max_rel_diff: how far the runtime's output is from the reference
// runtime's (ort-web, else the first one) on the same input.
//
// usage: node bench/run-node.mjs --suite DIR --out FILE [--runtimes node-simd,node,tfjs-wasm,ort-web]
//          [--reps 7] [--warmup 2] [--model-reps 3] [--model-warmup 1] [--max-seconds 20]
//          [--filter S1,S2] [--algos A1,A2] [--wasm path/to/wasmnn.wasm]
//
// --wasm runs wasmnn from that file (wasmnn-simd.wasm and wasm_exec.js
// beside it) instead of js/dist/wasmnn.wasm.
//
// --algos measures wasmnn (node-simd and node) once per forced conv algorithm
// instead (the Result's algo says which), for the algorithm comparison.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchCase, crossCheck, formatResult, makeRuntime } from './runtimes.mjs';
import { parseOptions } from './args.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const RUNTIMES = {
  'node-simd': { kind: 'wasmnn', opts: { simd: true } },
  node: { kind: 'wasmnn', opts: { simd: false } },
  'tfjs-wasm': { kind: 'tfjs', opts: {} },
  'tfjs-wasm-nosimd': { kind: 'tfjs', opts: { simd: false } },
  'ort-web': { kind: 'ort', opts: {} },
  'node-simd-2t': { kind: 'wasmnn', opts: { simd: true, threads: 2 } },
  'ort-web-2t': { kind: 'ort', opts: { threads: 2 } },
};

function parseArgs(argv) {
  const o = parseOptions(argv, {
    suite: '', out: '', runtimes: 'node-simd,node,tfjs-wasm,ort-web', reps: 7, warmup: 2, modelReps: 3,
    modelWarmup: 1, maxSeconds: 20, filter: '', algos: '', child: '', algo: '', wasm: '',
  });
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

// child serves one runtime to the parent over IPC: it starts the runtime,
// answers {ready, info} (or {failed, error}), then measures each case the
// parent sends ({entry}) and answers with the Result.
async function child(o) {
  const spec = RUNTIMES[o.child];
  let rt;
  try {
    if (!spec) throw new Error(`unknown runtime ${o.child}`);
    const opts = { ...spec.opts, algo: o.algo || undefined };
    if (spec.kind === 'wasmnn' && o.wasm) opts.wasmURL = pathToFileURL(path.resolve(o.wasm)).href;
    if (spec.kind === 'tfjs') opts.wasmPaths = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/';
    rt = await makeRuntime(spec.kind, await loadLibs(spec.kind), opts);
  } catch (err) {
    process.send({ type: 'failed', error: String(err.message || err) });
    return;
  }
  process.send({ type: 'ready', info: rt.info });
  process.on('message', async (m) => {
    if (m.type === 'exit') process.exit(0);
    const e = m.entry;
    const files = {
      wnn: async () => fs.readFileSync(path.join(o.suite, e.file)),
      onnx: async () => fs.readFileSync(path.join(o.suite, e.file.replace(/\.wnn$/, '.onnx'))),
    };
    const r = await benchCase(rt, o.child, e, files, o, () => performance.now());
    if (o.algo && !r.error) r.algo = o.algo;
    process.send({ type: 'result', result: r });
  });
}

// Worker is one child process serving one runtime (and forced algorithm).
class Worker {
  constructor(o, rt, algo) {
    this.name = rt + (algo ? ` (${algo})` : '');
    this.rt = rt;
    this.algo = algo;
    const args = ['--child', rt, '--suite', o.suite, '--out', '-', '--reps', String(o.reps), '--warmup', String(o.warmup),
      '--model-reps', String(o.modelReps), '--model-warmup', String(o.modelWarmup), '--max-seconds', String(o.maxSeconds)];
    if (algo) args.push('--algo', algo);
    if (o.wasm) args.push('--wasm', o.wasm);
    this.proc = fork(fileURLToPath(import.meta.url), args, { cwd: root, execArgv: ['--max-old-space-size=8192'] });
    this.waiting = null;
    this.queue = []; // messages not yet asked for
    this.dead = '';
    const deliver = (m) => {
      const w = this.waiting;
      this.waiting = null;
      if (w) w(m);
      else this.queue.push(m);
    };
    this.proc.on('message', deliver);
    this.proc.on('exit', (code, sig) => {
      this.dead = `the ${this.name} process exited (${sig || code})`;
      deliver({ type: 'dead' });
    });
  }

  next() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.dead) return Promise.resolve({ type: 'dead' });
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  async start() {
    const m = await this.next();
    if (m.type === 'ready') return m.info;
    this.failed = m.error || this.dead;
    return { runtime: this.rt, error: this.failed };
  }

  async bench(entry) {
    const fail = (error) => ({ case: entry.name, runtime: this.rt, algo: this.algo, median_ms: 0, gflops: 0, error });
    if (this.failed) return fail(this.failed);
    if (this.dead) return fail(this.dead);
    const p = this.next();
    this.proc.send({ type: 'case', entry });
    const m = await p;
    return m.type === 'result' ? m.result : fail(this.dead || 'no result');
  }

  stop() {
    if (!this.dead) this.proc.send({ type: 'exit' });
  }
}

// parent starts one worker per runtime (and algorithm) and measures the
// cases one by one, each on every runtime in turn, so that the runtimes'
// figures for a case are taken close together in time (the machine is
// shared: its load changes over minutes).
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
  const index = JSON.parse(fs.readFileSync(path.join(o.suite, 'index.json'), 'utf8'));
  const cases = selectCases(index, o.filter);
  const workers = runs.map(([rt, algo]) => new Worker(o, rt, algo));
  const info = {};
  for (const w of workers) {
    info[w.name] = await w.start();
    if (w.failed) console.log(`${w.name}: ${w.failed}`);
  }
  let results = [];
  for (const e of cases) {
    for (const w of workers) {
      const r = await w.bench(e);
      console.log(formatResult(r));
      results.push(r);
    }
  }
  for (const w of workers) w.stop();
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
