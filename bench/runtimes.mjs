// runtimes.mjs: the runtimes the JS side of the benchmark measures, behind
// one interface, for Node (run-node.mjs) and the browser (run-chromium.mjs):
//
//   const rt = await makeRuntime(kind, libs, opts)   // kind: 'wasmnn' | 'tfjs' | 'ort'
//   rt.info                                          // versions, SIMD, threads
//   const c = await rt.prepare(entry, files)          // entry: a suite index.json entry
//   const out = await c.run()                         // one inference; resolves to the output (channels-first)
//   await c.dispose()
//
// files.wnn() and files.onnx() resolve to the case's .wnn and .onnx bytes.
// Every runtime is fed the same input (inputData) and its run() covers the
// same work: copy the input in, infer, copy the output out to a JS
// Float32Array.

import { parseONNX } from './onnx-lite.mjs';
import { buildTfjsGraph, toChannelsFirst, toChannelsLast } from './tfjs-graph.mjs';

/** inputData returns the case's deterministic input (uniform in [-1, 1)). */
export function inputData(shape, seed = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = u * 2 - 1;
  }
  return out;
}

/** fingerprint samples an output for the cross-runtime check. */
export function fingerprint(data) {
  const k = Math.min(512, data.length);
  const sample = new Array(k);
  for (let i = 0; i < k; i++) sample[i] = data[Math.floor((i * data.length) / k)];
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  return { n: data.length, sum, sample };
}

/** compareFingerprints returns max |a - b| over the sample / max |b|. */
export function compareFingerprints(a, b) {
  if (!a || !b || a.n !== b.n) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.sample.length; i++) {
    diff = Math.max(diff, Math.abs(a.sample[i] - b.sample[i]));
    scale = Math.max(scale, Math.abs(b.sample[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

// summariseAlgos turns wasmnn's layer table into "im2col×3 winograd4×2".
function summariseAlgos(summary) {
  const count = new Map();
  for (const l of (summary && summary.layers) || []) {
    const algo = l.algo || l.Algo;
    if (algo) count.set(algo, (count.get(algo) || 0) + 1);
  }
  const keys = [...count.keys()].sort();
  if (keys.length === 1) return keys[0];
  return keys.map((k) => `${k}×${count.get(k)}`).join(' ');
}

async function makeWasmnn(wasmnn, opts) {
  await wasmnn.init({ simd: opts.simd !== false, threads: opts.threads || 1, ...(opts.wasmURL ? { wasmURL: opts.wasmURL } : {}) });
  const bi = wasmnn.backendInfo();
  if (opts.simd !== false && !bi.simd) throw new Error(`wasmnn: SIMD kernels not in use: ${bi.simdReason}`);
  if (bi.threads !== (opts.threads || 1)) throw new Error(`wasmnn: ${bi.threads} threads, not ${opts.threads}: ${bi.threadsReason}`);
  return {
    info: { runtime: 'wasmnn', version: wasmnn.version, simd: bi.simd, simdReason: bi.simdReason, threads: bi.threads },
    async prepare(entry, files) {
      const model = await wasmnn.load(await files.wnn(), opts.algo ? { algo: opts.algo } : {});
      const inputs = entry.inputs.map((i) => ({ ...i, data: inputData(i.shape) }));
      let algo = '';
      try { algo = summariseAlgos(model.summary()); } catch { /* no summary */ }
      return {
        algo: opts.algo || algo,
        async run() {
          const feeds = {};
          for (const i of inputs) feeds[i.name] = new wasmnn.Tensor('float32', i.data, i.shape);
          const out = await model.run(feeds);
          return out[entry.output].data;
        },
        async dispose() { await model.dispose(); },
      };
    },
  };
}

async function makeTfjs(tf, tfwasm, opts) {
  // One thread, SIMD on: make tfjs pick tfjs-backend-wasm-simd.wasm (the
  // non-threaded SIMD binary) and check that it did.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.env().set('WASM_HAS_SIMD_SUPPORT', opts.simd !== false);
  if (opts.wasmPaths) tfwasm.setWasmPaths(opts.wasmPaths);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  const threads = tfwasm.getThreadsCount();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return {
    info: { runtime: 'tfjs', version: tf.version_core, backend: tf.getBackend(), simd, threads,
      binary: simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm' },
    async prepare(entry, files) {
      const g = parseONNX(await files.onnx()).graph;
      const graph = buildTfjsGraph(tf, g);
      const inputs = entry.inputs.map((i) => {
        const cl = toChannelsLast(inputData(i.shape), i.shape);
        return { name: i.name, data: cl.data, shape: cl.shape };
      });
      const outShape = graph.output.shape;
      return {
        algo: '',
        outShape,
        async run() {
          const feeds = {};
          for (const i of inputs) feeds[i.name] = tf.tensor(i.data, i.shape);
          const y = graph.run(feeds);
          const data = await y.data();
          y.dispose();
          for (const t of Object.values(feeds)) t.dispose();
          return data;
        },
        channelsLast: true,
        async dispose() { graph.dispose(); },
      };
    },
  };
}

async function makeOrt(ort, opts) {
  ort.env.wasm.numThreads = opts.threads || 1;
  ort.env.wasm.proxy = false;
  if (opts.wasmPaths) ort.env.wasm.wasmPaths = opts.wasmPaths;
  return {
    info: { runtime: 'ort', version: ort.env.versions ? ort.env.versions.web : '', numThreads: ort.env.wasm.numThreads,
      simd: true, executionProvider: 'wasm', graphOptimizationLevel: 'all' },
    async prepare(entry, files) {
      const session = await ort.InferenceSession.create(await files.onnx(), {
        executionProviders: ['wasm'], graphOptimizationLevel: 'all', intraOpNumThreads: opts.threads || 1, interOpNumThreads: 1,
      });
      const inputs = entry.inputs.map((i) => ({ ...i, data: inputData(i.shape) }));
      const outName = session.outputNames[0];
      return {
        algo: '',
        async run() {
          const feeds = {};
          for (const i of inputs) feeds[i.name] = new ort.Tensor('float32', i.data, i.shape);
          const res = await session.run(feeds);
          const out = res[outName];
          const data = out.data;
          for (const t of Object.values(res)) if (typeof t.dispose === 'function') t.dispose();
          return data;
        },
        async dispose() { await session.release(); },
      };
    },
  };
}

/**
 * makeRuntime starts one runtime. kind is 'wasmnn' (libs.wasmnn; opts.simd,
 * opts.algo, opts.wasmURL), 'tfjs' (libs.tf, libs.tfwasm; opts.wasmPaths)
 * or 'ort' (libs.ort; opts.wasmPaths).
 */
export async function makeRuntime(kind, libs, opts = {}) {
  switch (kind) {
    case 'wasmnn': return makeWasmnn(libs.wasmnn, opts);
    case 'tfjs': return makeTfjs(libs.tf, libs.tfwasm, opts);
    case 'ort': return makeOrt(libs.ort, opts);
    default: throw new Error(`unknown runtime kind ${kind}`);
  }
}

/**
 * measure runs c untimed at least warmup times and for at least warmupMS
 * (JIT engines tier hot wasm functions up in the background during the
 * first runs: a fixed count of warm-up runs is not enough for small cases),
 * then timed at least reps times, and more (up to 10 * reps) while the timed
 * runs have taken less than minMS in total. It stops early, keeping at least
 * 3 timed runs, once the case has taken maxMS. Cases faster than batchMS
 * are timed in batches of back-to-back runs lasting about batchMS, each
 * batch giving one sample (its mean): browsers coarsen performance.now()
 * to 0.1 ms in pages that are not cross-origin isolated. It returns
 * {runs (ms per run), output}. now() is a millisecond clock.
 */
export async function measure(c, { warmup, reps, now, warmupMS = 1000, minMS = 300, maxMS = Infinity, batchMS = 2 }) {
  let output;
  const start = now();
  let n = 0;
  for (; n < warmup || (now() - start < warmupMS && n < 200); n++) {
    output = await c.run();
    if (n + 1 >= warmup && now() - start > maxMS / 2) {
      n++;
      break;
    }
  }
  const per = n > 0 ? (now() - start) / n : batchMS;
  const batch = per < batchMS ? Math.min(100, Math.ceil(batchMS / Math.max(per, 0.01))) : 1;
  const runs = [];
  let timed = 0;
  while (runs.length < reps || (timed < minMS && runs.length < 10 * reps)) {
    const t0 = now();
    for (let i = 0; i < batch; i++) output = await c.run();
    const dt = now() - t0;
    runs.push(dt / batch);
    timed += dt;
    if (runs.length >= 3 && now() - start > maxMS) break;
  }
  return { runs, output };
}

/**
 * crossCheck compares every result's output fingerprint (r.check) with the
 * reference runtime's on the same case (the first of refs measured, else
 * the first runtime), sets r.max_rel_diff, logs differences above tol and
 * returns the largest.
 */
export function crossCheck(results, refs, log, tol = 1e-3) {
  const byCase = new Map();
  for (const r of results) {
    if (!byCase.has(r.case)) byCase.set(r.case, []);
    byCase.get(r.case).push(r);
  }
  let worst = 0;
  for (const [name, rs] of byCase) {
    const ok = rs.filter((r) => r.check);
    let ref;
    for (const want of refs) ref = ref || ok.find((r) => r.runtime === want);
    ref = ref || ok[0];
    if (!ref) continue;
    for (const r of ok) {
      r.max_rel_diff = compareFingerprints(r.check, ref.check);
      if (r.max_rel_diff > tol) {
        log(`check: ${name} ${r.runtime}${r.algo ? ' ' + r.algo : ''} differs from ${ref.runtime}: ` +
          `max rel diff ${r.max_rel_diff.toExponential(2)}`);
      }
      worst = Math.max(worst, r.max_rel_diff);
    }
  }
  log(`check: the largest output difference between runtimes is ${worst.toExponential(2)} ` +
    '(max |a-b| / max |ref| over 512 sampled outputs)');
  return worst;
}

/**
 * benchCase prepares entry on rt, measures it and returns a Result (the
 * []Result JSON of internal/bench) with an output fingerprint in .check.
 */
export async function benchCase(rt, runtimeName, entry, files, o, now) {
  const model = entry.group === 'model';
  const r = { case: entry.name, runtime: runtimeName, algo: '', median_ms: 0, gflops: 0 };
  let c;
  try {
    c = await rt.prepare(entry, files);
    r.algo = c.algo || '';
    const { runs, output } = await measure(c, {
      warmup: model ? o.modelWarmup : o.warmup, reps: model ? o.modelReps : o.reps, now, maxMS: o.maxSeconds * 1000,
      warmupMS: o.warmupMS ?? 1000, minMS: o.minMS ?? 300,
    });
    const cf = c.channelsLast ? toChannelsFirst(output, c.outShape).data : output;
    r.median_ms = median(runs);
    r.gflops = r.median_ms > 0 ? entry.flops / (r.median_ms * 1e6) : 0;
    r.runs_ms = runs.map((v) => Math.round(v * 1000) / 1000);
    r.check = fingerprint(cf);
  } catch (err) {
    r.error = String((err && err.message) || err).split('\n')[0];
  }
  if (c) {
    try { await c.dispose(); } catch { /* ignore */ }
  }
  return r;
}

/** formatResult is a one-line log of a Result. */
export function formatResult(r) {
  if (r.error) return `${r.case.padEnd(34)} ${r.runtime.padEnd(18)} error: ${r.error}`;
  return `${r.case.padEnd(34)} ${r.runtime.padEnd(18)} ${r.median_ms.toFixed(3).padStart(10)} ms ` +
    `${r.gflops.toFixed(2).padStart(7)} GFLOP/s  ${r.algo}`;
}

/** median of an array of numbers. */
export function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return 0;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
