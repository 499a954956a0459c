// engine.js does the demo's work with wasmnn: it runs inside the Web Worker
// (worker.js) by default, or on the page's own thread with ?worker=0. Every
// operation is an async function of one plain-object argument whose result
// can be posted between threads (typed arrays are transferred, not copied).
//
// Models used through the published API (wasmnn.load, model.run) get a
// "handle"; the Model lab and the layer views use the module's raw methods
// (globalThis.__wasmnn, see wasm/main.go and wasm/demo.go) by model id, so
// that a zoo architecture can be built inside the module and replanned
// with another conv algorithm without copying its weights.
//
// The pages start the demo module, lib/dist/wasmnn-demo.wasm (make demo-wasm:
// wasm/ built with -tags demo), through the package's wasmURL option: it is
// wasmnn.wasm plus the methods of wasm/demo.go (buildZoo, reopen,
// layerOutputs, conv2d, convAlgos), which the npm package's module leaves out.
import * as wasmnn from '../lib/wasmnn.js';

const LIB = new URL('../lib/', import.meta.url);
const IN_WORKER = typeof document === 'undefined';
const DEMO_WASM = new URL('dist/wasmnn-demo.wasm', LIB).href;

let starting = null;

// start loads wasm_exec.js and the wasm module once.
function start() {
  if (!starting) {
    starting = (async () => {
      if (IN_WORKER && typeof globalThis.Go !== 'function') {
        // A module worker cannot importScripts; Go's wasm_exec.js is a plain
        // script that sets globalThis.Go, so importing it works as well.
        const url = new URL('dist/wasm_exec.js', LIB).href;
        try {
          await import(url);
        } catch (e) {
          throw new Error(`could not load ${url} (${e.message}); the demo needs lib/ (make demo-files builds it)`);
        }
      }
      // lib/ mirrors the js/ package plus the demo module next to its
      // wasmnn.wasm (wasmnn.js loads wasm_exec.js and wasmnn-simd.wasm from
      // the wasm's directory). ?simd=0 in the page URL forces the pure-Go
      // kernels; ?threads=N sets the kernel threads (default: wasmnn's, which
      // needs the cross-origin isolation wasmnn serve gives the pages).
      const query = new URLSearchParams(globalThis.location ? globalThis.location.search : '');
      const opts = { wasmURL: DEMO_WASM, simd: query.get('simd') !== '0' };
      if (query.has('threads')) opts.threads = Number(query.get('threads'));
      await wasmnn.init(opts);
      if (typeof raw().conv2d !== 'function') {
        throw new Error(`${DEMO_WASM} is not the demo module (make demo-files builds it with -tags demo)`);
      }
    })();
    starting.catch(() => { starting = null; });
  }
  return starting;
}

function raw() {
  const api = globalThis.__wasmnn;
  if (!api) throw new Error('the wasm module is not running');
  return api;
}

function check(res, where) {
  if (res && typeof res.error === 'string') throw new Error(`${where}: ${res.error}`);
  return res;
}

function u8(f32) {
  return new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
}

function f32(u8a) {
  // The module hands out fresh Uint8Arrays; view them as float32 values.
  return new Float32Array(u8a.buffer, u8a.byteOffset, u8a.byteLength >>> 2);
}

// fetchBytes downloads url, reporting progress(loaded, total).
async function fetchBytes(url, progress) {
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) throw new Error(`cannot fetch ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
  const enc = (resp.headers.get('Content-Encoding') || 'identity').toLowerCase();
  const len = Number(resp.headers.get('Content-Length'));
  const total = enc === 'identity' && len > 0 ? len : undefined;
  if (!resp.body) return new Uint8Array(await resp.arrayBuffer());
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    progress(loaded, total !== undefined && loaded <= total ? total : undefined);
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  progress(loaded, loaded);
  return out;
}

const handles = new Map();
let nextHandle = 1;
let training = null; // the AbortController of the train operation in progress

function describeModel(m) {
  return {
    inputs: m.inputs.map((v) => ({ name: v.name, dims: [...v.dims] })),
    outputs: m.outputs.map((v) => ({ name: v.name, dims: [...v.dims] })),
    meta: JSON.parse(JSON.stringify(m.meta)),
    summary: JSON.parse(JSON.stringify(m.summary())),
  };
}

function rawDescribe(res) {
  const info = JSON.parse(res.info);
  const summary = JSON.parse(check(raw().summary(res.id, ''), 'summary').result);
  const vi = (list) => (list || []).map((v) => ({ name: v.name, dims: v.shape }));
  return { id: res.id, inputs: vi(info.inputs), outputs: vi(info.outputs), meta: info.meta || {}, summary };
}

function options(algo) {
  return JSON.stringify({ algo: algo && algo !== 'auto' ? algo : '' });
}

function rawFeeds(inputs) {
  return { names: inputs.map((i) => i.name), datas: inputs.map((i) => u8(i.data)) };
}

function rawOutputs(res) {
  return res.names.map((name, i) => ({ name, dims: Array.from(res.shapes[i]), data: f32(res.data[i]) }));
}

const now = () => performance.now();

export const ops = {
  // init starts the module and describes the backend.
  async init() {
    await start();
    return {
      backend: wasmnn.backendInfo(),
      algos: check(raw().convAlgos(), 'convAlgos').algos,
      version: wasmnn.version,
      worker: IN_WORKER,
    };
  },

  // loadModel loads a model with wasmnn.load: source is a URL (relative to
  // the page) or bytes.
  async loadModel({ source, algo }, progress) {
    await start();
    const m = await wasmnn.load(source, { onProgress: progress, algo: algo || 'auto' });
    const handle = nextHandle++;
    handles.set(handle, m);
    return { handle, ...describeModel(m) };
  },

  // run runs a handle's model: inputs [{name, data: Float32Array, dims}].
  async run({ handle, inputs }) {
    const m = handles.get(handle);
    if (!m) throw new Error(`no model ${handle}`);
    const feeds = {};
    for (const i of inputs) feeds[i.name] = new wasmnn.Tensor('float32', i.data, i.dims);
    const t0 = now();
    const out = await m.run(feeds);
    const ms = now() - t0;
    return { ms, outputs: Object.entries(out).map(([name, t]) => ({ name, dims: [...t.dims], data: t.data })) };
  },

  // classify reads an image (an ImageBitmap, moved here from the page, or
  // ImageData) with a handle's model.classify, whose options are topK and
  // invert: [{label, index, probability, inverted}].
  async classify({ handle, image, topK, invert }) {
    const m = handles.get(handle);
    if (!m) throw new Error(`no model ${handle}`);
    try {
      return await m.classify(image, { topK, invert });
    } finally {
      if (image && typeof image.close === 'function') image.close();
    }
  },

  // ocrLoad loads PaddleOCR's models with wasmnn.ocr.load: det, cls, rec
  // and keys are URLs (relative to the page) or bytes; progress covers the
  // four files together.
  async ocrLoad({ det, cls, rec, keys }, progress) {
    await start();
    const t0 = now();
    const reader = await wasmnn.ocr.load({ det, cls, rec, keys, onProgress: progress });
    const handle = nextHandle++;
    handles.set(handle, reader);
    return { handle, classifier: reader.classifier, loadMs: now() - t0, backend: wasmnn.backendInfo() };
  },

  // ocrRead reads the text in an image (an ImageBitmap moved here from the
  // page, or ImageData) with reader.readTimed: {lines, timings}.
  async ocrRead({ handle, image }) {
    const r = handles.get(handle);
    if (!r) throw new Error(`no OCR reader ${handle}`);
    try {
      return await r.readTimed(image);
    } finally {
      if (image && typeof image.close === 'function') image.close();
    }
  },

  // rawLoad loads a model into the module by id: source is a URL or bytes.
  async rawLoad({ source, algo }, progress) {
    await start();
    const bytes = typeof source === 'string' ? await fetchBytes(source, progress)
      : source instanceof Uint8Array ? source : new Uint8Array(source);
    return rawDescribe(check(raw().load(bytes, options(algo)), 'load'));
  },

  // buildZoo builds a zoo architecture with random weights inside the module.
  async buildZoo({ name, size, seed, algo }) {
    await start();
    const t0 = now();
    const res = check(raw().buildZoo(name, size || 0, seed || 0, options(algo)), 'buildZoo');
    return { ...rawDescribe(res), buildMs: now() - t0 };
  },

  // reopen plans model id again with another conv algorithm (same weights).
  async reopen({ id, algo }) {
    return rawDescribe(check(raw().reopen(id, options(algo)), 'reopen'));
  },

  // rawRun runs model id `runs` times and, if profiled, once more with
  // per-layer times: {times: ms per run, outputs, layerTimes?}.
  async rawRun({ id, inputs, runs = 1, profiled = false }) {
    const api = raw();
    const { names, datas } = rawFeeds(inputs);
    const times = [];
    let res;
    for (let i = 0; i < runs; i++) {
      const t0 = now();
      res = check(api.run(id, names, datas), 'run');
      times.push(now() - t0);
    }
    let layerTimes;
    if (profiled) {
      res = check(api.runProfiled(id, names, datas), 'runProfiled');
      layerTimes = Array.from(res.times);
    }
    return { times, layerTimes, outputs: rawOutputs(res) };
  },

  // layerOutputs runs model id and returns every node's output.
  async layerOutputs({ id, inputs }) {
    const { names, datas } = rawFeeds(inputs);
    const res = check(raw().layerOutputs(id, names, datas), 'layerOutputs');
    return res.names.map((name, i) => ({ name, op: res.ops[i], value: res.values[i], dims: Array.from(res.shapes[i]), data: f32(res.data[i]) }));
  },

  // conv2d convolves x [1 C H W] with kernels w [M C kh kw].
  async conv2d({ x, xShape, w, wShape, spec }) {
    await start();
    const t0 = now();
    const res = check(raw().conv2d(u8(x), xShape, u8(w), wShape, JSON.stringify(spec || {})), 'conv2d');
    const out = { ms: now() - t0, algo: res.algo, dims: Array.from(res.shape), data: f32(res.data) };
    if (res.pooledData) out.pooled = { dims: Array.from(res.pooledShape), data: f32(res.pooledData) };
    return out;
  },

  // train trains a model with wasmnn.train (the Teach it page): source is a
  // model URL (relative to the page) or bytes, images a Float32Array of the
  // examples' input tensors back to back, labels their classes, options the
  // rest of wasmnn.train's options. progress(p) gets every TrainProgress;
  // trainStop stops the run, which then resolves to the model as trained so
  // far. Resolves to a handle of the trained model (run, classify, save).
  async train({ source, images, labels, options }, progress) {
    await start();
    if (training) throw new Error('a model is being trained already');
    training = new AbortController();
    try {
      const t = await wasmnn.train(source, { ...options, images, labels, signal: training.signal, onProgress: (p) => progress(p) });
      const handle = nextHandle++;
      handles.set(handle, t);
      return { handle, ...describeModel(t), evaluation: t.evaluation, history: t.history, stopped: t.stopped, steps: t.steps,
        training: t.training };
    } finally {
      training = null;
    }
  },

  // trainStop stops the training run in progress, if any.
  async trainStop() {
    const running = Boolean(training);
    if (training) training.abort();
    return { running };
  },

  // save returns a trained model's .wnn bytes.
  async save({ handle }) {
    const m = handles.get(handle);
    if (!m || typeof m.save !== 'function') throw new Error(`no trained model ${handle}`);
    return { bytes: await m.save() };
  },

  async dispose({ handle, id }) {
    if (handle !== undefined) {
      const m = handles.get(handle);
      handles.delete(handle);
      if (m) await m.dispose();
    }
    if (id !== undefined) check(raw().dispose(id), 'dispose');
    return {};
  },
};

// transferables lists the ArrayBuffers of a result, to move them to the page.
export function transferables(v, out = new Set()) {
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  } else if (Array.isArray(v)) {
    for (const x of v) transferables(x, out);
  } else if (v && typeof v === 'object') {
    for (const x of Object.values(v)) transferables(x, out);
  }
  return [...out];
}
