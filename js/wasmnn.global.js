// Generated from wasmnn.js by build-global.mjs (npm run build); do not edit.
// A classic script: <script src="wasmnn.global.js"></script> sets globalThis.wasmnn.
(() => {
'use strict';

const __wasmnnModuleURL = (typeof document !== 'undefined' && document.currentScript && document.currentScript.src) || (typeof location !== 'undefined' && location.href) || '';

// wasmnn: run wasmnn (.wnn) and ONNX neural networks in the browser and in Node >= 20.
//
// The API is shaped like ONNX Runtime Web's: always async, name-keyed.
//
//   const model = await wasmnn.load('models/lenet5.wnn');
//   const x = new wasmnn.Tensor('float32', new Float32Array(32 * 32), [1, 1, 32, 32]);
//   const out = await model.run({ input: x });      // { fc3: Tensor }
//   const top = await model.classify(imageData, { topK: 3 });
//   await model.dispose();
//
// One Go WebAssembly instance (js/dist/wasmnn.wasm, built with GOOS=js) serves
// every model of a page or process. It is started once, on the first load()
// or an explicit init(); the Go side is single-threaded, so every call into it
// goes through one promise queue, in call order.
//
// This file is an ES module. build-global.mjs turns it into wasmnn.global.js,
// a classic script that sets globalThis.wasmnn, and wasmnn.cjs, a CommonJS
// module: keep every export in the one `export {...}` list at the end, and
// use this module's URL only as the base of literal asset URLs (ASSETS
// below); build-global.mjs refuses any other use, comments included.

const VERSION = '0.1.0';

// ASSETS holds the URLs of the package's own files. Each is written as the
// literal pattern bundlers look for, a new URL of a quoted './' path against
// this module's URL: Vite, webpack 5 and Parcel (and Rollup with a plugin)
// copy the file into the build and rewrite the URL; unbundled (Node, a CDN,
// a copy of the package) it is the file beside this one. Keep the path a
// quoted literal, never a variable or template, and the file in dist/ (the
// folder js/README.md has esbuild users copy). To add a file: a line here
// (its URL is then ASSETS.name), its path in package.json's "files", and its
// name in BESIDE if it is looked up next to a wasmURL too; check-pack.mjs
// finds the paths here. Vite inlines files under 4 KB as data: URLs, which
// fetch takes and a Worker does not: start a worker script with the literal
// form where it is used, new Worker(new URL('./dist/NAME.js', this module's
// URL), { type: 'module' }), which Vite and webpack bundle as a worker.
const ASSETS = assetURLs(() => ({
  wasm: new URL('./dist/wasmnn.wasm', __wasmnnModuleURL),
  simd: new URL('./dist/wasmnn-simd.wasm', __wasmnnModuleURL),
  goRuntime: new URL('./dist/wasm_exec.js', __wasmnnModuleURL),
}));

// BESIDE names the files looked up next to a wasmURL given to init or load
// (a CDN, a custom layout): they sit in one directory, as in dist/.
const BESIDE = { simd: 'wasmnn-simd.wasm', goRuntime: 'wasm_exec.js' };

// assetURLs evaluates the table of asset URLs once, as this file first runs
// (a classic script knows its own URL only then). A bundle in a format with
// no module URL leaves it null: init then needs a wasmURL.
function assetURLs(table) {
  try {
    return Object.freeze(Object.fromEntries(Object.entries(table()).map(([k, u]) => [k, new URL(u).href])));
  } catch {
    return null;
  }
}

const IS_NODE = typeof process === 'object' && process !== null &&
  typeof process.versions === 'object' && process.versions !== null && typeof process.versions.node === 'string';

// The runtime state is shared, through a registered symbol, by every copy of
// this file on the page (say the ES module and the classic script), so there
// is only ever one Go instance and one call queue.
const STATE_KEY = Symbol.for('wasmnn.runtime.v1');
const state = globalThis[STATE_KEY] || (globalThis[STATE_KEY] = {
  starting: null, // Promise<void> while or once started; null before, or after a failed start
  wasmURL: null, // Promise<string>: the resolved URL the instance was (or is being) started from
  api: null, // globalThis.__wasmnn as set by the Go module
  instance: null, // the WebAssembly.Instance
  go: null, // the Go object of wasm_exec.js running it
  wasmBytes: 0, // size of the wasm binary
  exited: false, // the Go program ended (a fatal error); nothing works any more
  tail: Promise.resolve(), // the call queue
});

// ---------------------------------------------------------------- helpers

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an Array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return v.constructor && v.constructor.name ? `a ${v.constructor.name}` : 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  return `${typeof v} ${String(v)}`;
}

function fmtDims(dims) {
  return `[${Array.from(dims).join(', ')}]`;
}

function isPlainObject(v) {
  if (typeof v !== 'object' || v === null) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function checkOptions(options, allowed, where) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw new TypeError(`${where}: unknown option "${k}" (known: ${allowed.join(', ')})`);
    }
  }
  return options;
}

let nodeModules = null;

// node loads the Node built-ins this file uses, only when running in Node.
function node() {
  if (!nodeModules) {
    const imp = (s) => import(/* webpackIgnore: true */ /* @vite-ignore */ s);
    nodeModules = Promise.all([imp('node:fs/promises'), imp('node:url'), imp('node:path')])
      .then(([fs, url, path]) => ({ fs, url, path }));
  }
  return nodeModules;
}

const HAS_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]+:/; // two+ letters, so C:\ is a path

// resolveURL turns a URL string, URL or (in Node) file path into an absolute
// URL string.
async function resolveURL(u, what) {
  if (u instanceof URL) return u.href;
  if (typeof u !== 'string' || u === '') {
    throw new TypeError(`${what} must be a non-empty string or URL, got ${describe(u)}`);
  }
  if (IS_NODE) {
    if (HAS_SCHEME.test(u)) return new URL(u).href;
    const { url, path } = await node();
    return url.pathToFileURL(path.resolve(u)).href;
  }
  // Without a page (a runtime with no location), relative to this package.
  const base = (typeof document !== 'undefined' && document.baseURI) ||
    (typeof location !== 'undefined' && location.href) || (ASSETS ? new URL('..', ASSETS.wasm).href : undefined);
  return new URL(u, base).href;
}

function defaultWasmURL() {
  if (!ASSETS) {
    throw new Error('wasmnn: cannot tell where wasmnn.wasm is: this copy of wasmnn.js was bundled without its ' +
      'module URL (as esbuild\'s --format=iife does); bundle it as an ES module (esbuild --format=esm) or pass ' +
      '{wasmURL} to init()/load()');
  }
  return ASSETS.wasm;
}

// companionURL is where the file ASSETS[key] is for the wasm module at
// wasmURL: the package's own copy (wherever a bundler put it) with the
// package's wasm, else the file named BESIDE[key] in wasmURL's directory.
function companionURL(wasmURL, key) {
  if (ASSETS && wasmURL === ASSETS.wasm) return ASSETS[key];
  return new URL(BESIDE[key], wasmURL).href;
}

// ---------------------------------------------------------------- init

const SERVE_HINT = 'Serve them over HTTP (pages opened from file:// cannot fetch them), .wasm as application/wasm';

// assetAdvice says what to do when the file at url, which wasmnn loads with
// the wasm module at wasmURL, cannot be loaded.
function assetAdvice(url, wasmURL = url) {
  if (url.includes('/node_modules/.vite/')) {
    return 'Vite\'s dependency pre-bundling moved wasmnn.js away from its files: add ' +
      'optimizeDeps: { exclude: [\'wasmnn\'] } to vite.config.js (or pass {wasmURL} to init()/load())';
  }
  const local = IS_NODE && url.startsWith('file:');
  if (ASSETS && wasmURL === ASSETS.wasm) {
    if (local) {
      return 'The package\'s dist/ folder is incomplete: reinstall wasmnn (in the wasmnn repository, `make wasm` ' +
        'builds js/dist/), or pass {wasmURL} to init()/load()';
    }
    return 'wasmnn loads dist/wasmnn.wasm, dist/wasmnn-simd.wasm and dist/wasm_exec.js from beside wasmnn.js, ' +
      'where Vite, webpack 5 and Parcel copy them in a build. With esbuild or another bundler that does not, ' +
      'copy node_modules/wasmnn/dist/ to a dist/ folder next to the bundle, or serve the three files from one ' +
      'folder and pass {wasmURL: \'…/wasmnn.wasm\'} to init()/load(). ' + SERVE_HINT;
  }
  if (local) return 'Check the wasmURL given to init()/load(): wasmnn-simd.wasm and wasm_exec.js go beside wasmnn.wasm';
  return 'Check the wasmURL given to init()/load(): it must be where wasmnn.wasm is served, with wasmnn-simd.wasm ' +
    'and wasm_exec.js (all three are in the package\'s dist/ folder) beside it. ' + SERVE_HINT;
}

function wasmLoadError(url, reason) {
  return new Error(`wasmnn: could not load the wasm module from ${url}: ${reason}. ${assetAdvice(url)}`);
}

// notWasm says what bytes that should be a wasm module are instead, or ''
// when they begin like one; type is the response's Content-Type, null for a
// file.
function notWasm(bytes, type) {
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) return '';
  const ct = type === null ? '' : `Content-Type ${type || 'missing'}`;
  const paren = (list) => (list.some(Boolean) ? ` (${list.filter(Boolean).join('; ')})` : '');
  if (bytes.length === 0) return `it is empty${paren([ct])}`;
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (type === 'text/html' || /^<(!doctype|html|head|body|script|meta|title|!--)/.test(head)) {
    if (type === null) return 'it is an HTML page';
    return `the server sent an HTML page${paren([ct])}, not the wasm file: what a dev server or a single-page ` +
      'app\'s fallback answers for a file it does not have';
  }
  const hex = Array.from(bytes.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `it is not a wasm module${paren([ct, `it begins with the bytes ${hex}`])}`;
}

// loadScript runs a classic script (wasm_exec.js) in a browser page or worker.
async function loadScript(url) {
  if (typeof document !== 'undefined' && typeof document.createElement === 'function') {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = url;
      s.async = true;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error(`could not load ${url}`));
      (document.head || document.documentElement).appendChild(s);
    });
  } else {
    if (typeof importScripts === 'function') {
      try {
        importScripts(url); // classic worker
        return;
      } catch (e) {
        // a module worker has importScripts but it throws: import instead
      }
    }
    await import(/* webpackIgnore: true */ /* @vite-ignore */ url); // module worker
  }
}

// ensureGo makes globalThis.Go (Go's lib/wasm/wasm_exec.js) available: it is
// loaded with the wasm file (companionURL) unless a page already included it.
async function ensureGo(wasmURL) {
  if (typeof globalThis.Go === 'function') return;
  let url;
  try {
    if (IS_NODE) {
      // Node imports only file: URLs: the copy next to a file: wasmURL if
      // there is one, else the one in this package.
      const beside = companionURL(wasmURL, 'goRuntime');
      url = ASSETS ? ASSETS.goRuntime : beside;
      if (beside !== url && beside.startsWith('file:')) {
        const { fs, url: nodeURL } = await node();
        if (await fs.access(nodeURL.fileURLToPath(beside)).then(() => true, () => false)) url = beside;
      }
      await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
    } else {
      url = companionURL(wasmURL, 'goRuntime');
      await loadScript(url);
    }
  } catch (e) {
    throw new Error(`wasmnn: could not load Go's wasm_exec.js from ${url} (${e.message}). ` +
      `${assetAdvice(url, wasmURL)}; or include it with a <script> tag before wasmnn`);
  }
  if (typeof globalThis.Go !== 'function') {
    throw new Error(`wasmnn: ${url} did not define globalThis.Go; it must be wasm_exec.js from the Go release that built wasmnn.wasm`);
  }
}

// countingResponse returns a Response whose body counts its bytes into box.n.
function countingResponse(resp, box) {
  const counter = new TransformStream({
    transform(chunk, controller) {
      box.n += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return new Response(resp.body.pipeThrough(counter), { headers: { 'Content-Type': 'application/wasm' } });
}

// compile fetches (or in Node reads) and compiles the wasm module; with
// transform, it compiles transform(bytes) instead of the bytes fetched.
async function compile(url, transform) {
  if (IS_NODE && url.startsWith('file:')) {
    const { fs, url: nodeURL } = await node();
    const path = nodeURL.fileURLToPath(url);
    let bytes;
    try {
      bytes = await fs.readFile(path);
    } catch (e) {
      throw new Error(`wasmnn: could not read the wasm module ${path}: ${e.message}. ${assetAdvice(url)}`);
    }
    try {
      return { module: await WebAssembly.compile(transform ? transform(bytes) : bytes), bytes: bytes.byteLength };
    } catch (e) {
      throw new Error(`wasmnn: ${path} is not a usable wasm module: ${notWasm(bytes, null) || e.message}`);
    }
  }
  if (typeof fetch !== 'function') throw wasmLoadError(url, 'fetch is not available');
  if (url.startsWith('file:')) throw wasmLoadError(url, 'browsers do not fetch file: URLs');
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw wasmLoadError(url, `the request failed (${e.message}: the server is unreachable, or a ` +
      'Content-Security-Policy connect-src does not allow it)');
  }
  const type = (resp.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  if (!resp.ok) throw wasmLoadError(url, `HTTP ${resp.status} ${resp.statusText}`.trim());
  if (!transform && typeof WebAssembly.compileStreaming === 'function' && type === 'application/wasm' && resp.body) {
    const box = { n: 0 };
    try {
      return { module: await WebAssembly.compileStreaming(countingResponse(resp, box)), bytes: box.n };
    } catch (e) {
      throw compileError(url, type, e);
    }
  }
  // Another Content-Type: compile the bytes if they are wasm, else say what they are.
  let bytes;
  try {
    bytes = new Uint8Array(await resp.arrayBuffer());
  } catch (e) {
    throw wasmLoadError(url, `reading the response failed: ${e.message}`);
  }
  const problem = notWasm(bytes, type);
  if (problem) throw wasmLoadError(url, problem);
  try {
    return { module: await WebAssembly.compile(transform ? transform(bytes) : bytes), bytes: bytes.byteLength };
  } catch (e) {
    throw compileError(url, type, e);
  }
}

// compileError explains why the engine did not compile the wasm module
// fetched from url (Content-Type type): a Content-Security-Policy without
// 'wasm-unsafe-eval', or a file that is not a usable module.
function compileError(url, type, e) {
  if (/unsafe-eval|Content.Security.Policy/i.test(e.message)) {
    return new Error(`wasmnn: the Content-Security-Policy does not allow compiling the wasm module from ${url}: ` +
      'add \'wasm-unsafe-eval\' to its script-src (wasmnn needs nothing more; a worker has its own policy, sent ' +
      `with the worker's script) (${e.message})`);
  }
  return wasmLoadError(url, `not a usable wasm module (Content-Type ${type || 'missing'}): ${e.message}`);
}

// SIMD_PROBE is the smallest module using a 128-bit SIMD instruction
// (v128.const): WebAssembly.validate accepts it only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);

// compileKernels compiles the SIMD kernel module (dist/wasmnn-simd.wasm, with
// the wasm module at wasmURL: companionURL) when the engine supports SIMD; it
// returns {module} or {reason} saying why the pure-Go kernels will run instead.
async function compileKernels(wasmURL, wanted, transform) {
  if (!wanted) return { reason: 'disabled by the simd: false option' };
  if (!WebAssembly.validate(SIMD_PROBE)) return { reason: 'this WebAssembly engine has no SIMD' };
  const url = companionURL(wasmURL, 'simd');
  try {
    return { module: (await compile(url, transform)).module };
  } catch (e) {
    return { reason: `could not load the SIMD kernels (wasmnn-simd.wasm): ${e.message}` };
  }
}

// ---------------------------------------------------------------- threads
//
// Go's GOOS=js port has no threads, so wasmnn brings its own for the SIMD
// kernels: the Go module's memory is made shared (shareMemory), N-1 workers
// (wasmnn-thread.js) each instantiate the kernel module on it, and the Go
// side hands large kernel calls, split by output region into argument
// vectors, to the parallel() import. The calling thread and the workers take
// parts from a ticket in a small control block until none is left, and the
// caller waits until all are done. Which thread runs a part never changes a
// result, so outputs are bit-identical for any thread count.

// SHARED_MAX_PAGES is the maximum of the shared memory, in 64 KiB pages
// (sharedmem.MaxPages in Go): 2 GiB.
const SHARED_MAX_PAGES = 32768;

// MAX_THREADS bounds the threads option (simd.MaxParts in Go: no call is
// split into more parts).
const MAX_THREADS = 16;

// The control block's slots; startThreads sends them to wasmnn-thread.js.
const CTL = Object.freeze({
  TICKET: 0, // (generation << 8) | parts not yet taken, of the call in progress
  DONE: 1, // parts finished in the call in progress
  KERNEL: 2, // the kernel number (position in the kernel module's exports)
  PARTS: 3, // the number of parts of the call
  ARGS: 4, // the byte address of the argument vectors in the Go module's memory
  NARGS: 5, // the number of uint32 arguments of one part
  FAILED: 6, // set to 1 when a part threw
  QUIT: 7, // set to 1 to end the threads
  SLEEPERS: 8, // threads blocked in Atomics.wait on TICKET
});
const CTL_SLOTS = 16;

// THREAD_SPIN_MS is how long an idle thread polls for the next call before it
// sleeps in Atomics.wait: long enough to catch most next calls (waking from
// Atomics.wait takes tens of microseconds), short enough not to take much CPU
// time from the Go thread on a busy machine (polling for 2 ms made ResNet-18
// 2.2x slower on 2 threads than on 1 when other processes kept both cores
// busy; on an idle machine 0.5 ms with 4 parts per thread was the best of
// the settings tried, 1.19x faster than 1 thread).
// THREAD_STALL_MS is how long the caller waits for a part without progress
// before it gives up on the pool.
const THREAD_SPIN_MS = 0.5;
const THREAD_STALL_MS = 10000;

// THREAD_SLOW_MS and THREAD_BACKOFF: a call whose caller waited longer than
// THREAD_SLOW_MS (and twice its own share) for the other threads makes the
// next THREAD_BACKOFF calls run on the calling thread (see runParallel).
const THREAD_SLOW_MS = 0.5;
const THREAD_BACKOFF = 32;

// shareMemory returns a copy of the wasm binary bytes whose one memory
// (defined or imported) is shared with a maximum of maxPages pages: only the
// memory's limits change. It is the rewrite of the Go package wasm/sharedmem
// (Share), which a test checks gives the same bytes.
function shareMemory(bytes, maxPages) {
  const b = new Uint8Array(bytes);
  const fail = (why) => { throw new Error(`wasmnn: cannot make the module's memory shared: ${why}`); };
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d || b[4] !== 1) fail('not a WebAssembly binary');
  let off = 0;
  const uleb = () => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (off >= b.length) fail('unexpected end');
      const c = b[off++];
      v += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) return v;
    }
    return fail('LEB128 too long');
  };
  const putUleb = (out, v) => {
    do {
      let c = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) c |= 0x80;
      out.push(c);
    } while (v > 0);
  };
  // limits reads memory limits at off and returns them shared.
  const limits = () => {
    const flags = b[off++];
    if (flags > 3 || flags === 2) fail(`memory limits flags ${flags}: only 32-bit memories can be shared`);
    const min = uleb();
    if (flags & 1) uleb();
    if (min > maxPages) fail(`the memory's minimum of ${min} pages is above the maximum of ${maxPages}`);
    const out = [3];
    putUleb(out, min);
    putUleb(out, maxPages);
    return out;
  };
  const parts = [b.subarray(0, 8)];
  let memories = 0;
  off = 8;
  while (off < b.length) {
    const id = b[off++];
    const size = uleb();
    const start = off;
    const end = start + size;
    if (end > b.length) fail('a section runs past the end of the module');
    if (id !== 2 && id !== 5) {
      off = end;
      const head = [id];
      putUleb(head, size);
      parts.push(Uint8Array.from(head), b.subarray(start, end));
      continue;
    }
    const body = [];
    const n = uleb();
    putUleb(body, n);
    for (let i = 0; i < n; i++) {
      if (id === 5) {
        body.push(...limits());
        memories++;
        continue;
      }
      const from = off;
      for (let j = 0; j < 2; j++) { // module and field names
        const len = uleb();
        off += len;
      }
      const kind = b[off++];
      if (kind === 2) {
        body.push(...b.subarray(from, off), ...limits());
        memories++;
        continue;
      }
      if (kind === 0) uleb();
      else if (kind === 1) { off++; if (b[off++] & 1) uleb(); uleb(); } else if (kind === 3) off += 2;
      else fail(`import ${i} has unknown kind ${kind}`);
      body.push(...b.subarray(from, off));
    }
    if (off !== end) fail(`malformed section ${id}`);
    const head = [id];
    putUleb(head, body.length);
    parts.push(Uint8Array.from(head), Uint8Array.from(body));
  }
  if (memories !== 1) fail(`the module has ${memories} memories, want 1`);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// nodeBuiltin imports a Node built-in module; the name is a variable so that
// bundlers do not try to resolve it for browsers.
function nodeBuiltin(name) {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}

// defaultThreads is ONNX Runtime Web's default: min(4, ceil(cores / 2)).
async function defaultThreads() {
  let cores = 1;
  if (IS_NODE) {
    const os = await nodeBuiltin('node:os');
    cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } else if (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) {
    cores = navigator.hardwareConcurrency;
  }
  return Math.min(4, Math.ceil(cores / 2));
}

// threadsOff says why this page or process cannot run threads ('' if it
// can).
function threadsOff() {
  if (!IS_NODE && globalThis.crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated; serve it with the headers ' +
      '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" to turn them on';
  }
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'SharedArrayBuffer is not available';
  if (!IS_NODE && typeof Worker !== 'function') return 'this context cannot start Web Workers';
  return '';
}

// canBlock tells whether this thread may sleep in Atomics.wait (not on a
// browser page's main thread, where the caller spins instead).
const CAN_BLOCK = IS_NODE || (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope);

// startThreads starts n-1 kernel threads on memory (a shared
// WebAssembly.Memory) with kmodule (the kernel module, memory import
// shared) and resolves to the pool once every thread has its kernels.
async function startThreads(n, kmodule, memory) {
  const control = new SharedArrayBuffer(CTL_SLOTS * 4);
  const ctl = new Int32Array(control);
  const workers = [];
  let NodeWorker = null;
  if (IS_NODE) NodeWorker = (await nodeBuiltin('node:worker_threads')).Worker;
  const pool = {
    threads: n,
    ctl,
    workers,
    memory,
    gen: 0,
    broken: '', // why the pool stopped being used
    fns: null, // the calling thread's kernels, set by start
    argv: [], // argument arrays by length, for callPart
    view: null, // a Uint32Array over memory (memoryView)
    backoff: 0, // calls left to run on the calling thread alone
    backoffs: 0, // how often the pool backed off
  };
  const ready = [];
  for (let i = 1; i < n; i++) {
    // A literal worker URL (relative to this module, as for the dist files)
    // lets bundlers (Vite, webpack) emit the worker script and rewrite it.
    const w = IS_NODE
      ? new NodeWorker(new URL('./wasmnn-thread.js', __wasmnnModuleURL))
      : new Worker(new URL('./wasmnn-thread.js', __wasmnnModuleURL), { type: 'module', name: `wasmnn thread ${i}` });
    workers.push(w);
    ready.push(new Promise((resolve, reject) => {
      const onMessage = (m) => {
        const data = IS_NODE ? m : m.data;
        if (data && data.ready) resolve();
        else if (data && data.error) reject(new Error(data.error));
      };
      const onError = (e) => {
        const why = `a kernel thread failed: ${(e && e.message) || e}`;
        if (!pool.broken) pool.broken = why;
        reject(new Error(why));
      };
      if (IS_NODE) {
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', () => { if (!pool.broken && !Atomics.load(ctl, CTL.QUIT)) pool.broken = 'a kernel thread exited'; });
      } else {
        w.addEventListener('message', onMessage);
        w.addEventListener('error', (e) => { e.preventDefault(); onError(e); });
      }
    }));
    w.postMessage({ module: kmodule, memory, control, slots: CTL, spinMs: THREAD_SPIN_MS });
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    stopThreads(pool);
    throw e;
  }
  if (IS_NODE) for (const w of workers) w.unref(); // idle threads do not keep Node running
  return pool;
}

// stopThreads ends the pool's threads.
function stopThreads(pool) {
  Atomics.store(pool.ctl, CTL.QUIT, 1);
  Atomics.notify(pool.ctl, CTL.TICKET);
  for (const w of pool.workers) w.terminate();
  pool.workers.length = 0;
}

// runParallel is the parallel() import with a pool: it publishes the call,
// takes parts itself until none is left, and waits for the others. It
// returns 0, 1 if a part threw, or 2 if a thread stopped answering; after a
// failure the pool is not used again (the caller runs every part).
function runParallel(pool, k, parts, args, nargs) {
  if (pool.broken || parts <= 1) return runParts(pool.fns, pool.memory, k, 0, parts, args, nargs);
  if (pool.backoff > 0) { // the other threads were slow to come: run alone for a while
    pool.backoff--;
    return runParts(pool.fns, pool.memory, k, 0, parts, args, nargs);
  }
  const t0 = performance.now();
  const ctl = pool.ctl;
  ctl[CTL.KERNEL] = k;
  ctl[CTL.PARTS] = parts;
  ctl[CTL.ARGS] = args;
  ctl[CTL.NARGS] = nargs;
  Atomics.store(ctl, CTL.DONE, 0);
  pool.gen = (pool.gen + 1) & 0x7fffff;
  Atomics.store(ctl, CTL.TICKET, (pool.gen << 8) | parts);
  if (Atomics.load(ctl, CTL.SLEEPERS) > 0) Atomics.notify(ctl, CTL.TICKET);
  const view = memoryView(pool);
  const at = args >>> 2;
  const f = pool.fns[k];
  const a = pool.argv[nargs] || (pool.argv[nargs] = new Array(nargs));
  let failed = 0;
  for (;;) {
    const t = Atomics.load(ctl, CTL.TICKET);
    if ((t & 0xff) === 0) break;
    if (Atomics.compareExchange(ctl, CTL.TICKET, t, t - 1) !== t) continue;
    const p = (t & 0xff) - 1;
    try {
      callPart(f, view, at + p * nargs, a);
    } catch {
      failed = 1;
    }
    Atomics.add(ctl, CTL.DONE, 1);
  }
  let last = Atomics.load(ctl, CTL.DONE);
  const t1 = performance.now();
  let since = t1;
  for (let i = 0; last < parts; i++) {
    if (CAN_BLOCK && i > 1000) Atomics.wait(ctl, CTL.DONE, last, 50);
    const d = Atomics.load(ctl, CTL.DONE);
    if (d !== last) {
      last = d;
      since = performance.now();
    } else if ((i & 1023) === 1023 && performance.now() - since > THREAD_STALL_MS) {
      pool.broken = `a kernel thread did not finish its part in ${THREAD_STALL_MS / 1000} s`;
      return 2;
    }
  }
  if (failed || Atomics.load(ctl, CTL.FAILED)) {
    pool.broken = 'a kernel failed on a thread';
    return 1;
  }
  // When the machine is busy, the system may not run a kernel thread for
  // milliseconds while it holds a part, and every call would wait for it.
  // If this call waited far longer than it took to run its own parts, the
  // next THREAD_BACKOFF calls run on this thread alone (the results are the
  // same either way), then threads are tried again.
  const waited = performance.now() - t1;
  if (waited > THREAD_SLOW_MS && waited > 2 * (t1 - t0)) {
    pool.backoff = THREAD_BACKOFF;
    pool.backoffs++;
  }
  return 0;
}

// memoryView returns a Uint32Array over all of the pool's memory, made again
// only after the memory grew.
function memoryView(pool) {
  const buf = pool.memory.buffer;
  if (!pool.view || pool.view.byteLength !== buf.byteLength) pool.view = new Uint32Array(buf);
  return pool.view;
}

// shareDecoder lets wasm_exec.js decode strings from a shared memory:
// browsers refuse TextDecoder.decode on views of a SharedArrayBuffer, so
// such views are copied first. Installed once, only when threads start.
function shareDecoder() {
  const proto = globalThis.TextDecoder && globalThis.TextDecoder.prototype;
  if (!proto || proto.decode.wasmnnShared) return;
  const decode = proto.decode;
  const shared = function (input, options) {
    if (input && typeof SharedArrayBuffer === 'function' && input.buffer instanceof SharedArrayBuffer) {
      input = new Uint8Array(input.buffer, input.byteOffset, input.byteLength).slice();
    }
    return decode.call(this, input, options);
  };
  shared.wasmnnShared = true;
  proto.decode = shared;
}

// sharedRandom replaces wasm_exec.js's runtime.getRandomData, which hands
// crypto.getRandomValues a view of the memory (refused for shared views in
// browsers), by one that fills a plain buffer and copies it in.
function sharedRandom(go) {
  go.importObject.gojs['runtime.getRandomData'] = (sp) => {
    sp >>>= 0;
    const mem = new DataView(go._inst.exports.mem.buffer);
    const ptr = mem.getUint32(sp + 8, true) + mem.getInt32(sp + 12, true) * 4294967296;
    const len = mem.getUint32(sp + 16, true) + mem.getInt32(sp + 20, true) * 4294967296;
    const tmp = new Uint8Array(len);
    for (let i = 0; i < len; i += 65536) crypto.getRandomValues(tmp.subarray(i, Math.min(len, i + 65536)));
    new Uint8Array(go._inst.exports.mem.buffer, ptr, len).set(tmp);
  };
}

// kernelFunctions lists the kernel module's exported functions in the order
// of its exports, which is the order of simd.Kernels in Go: the kernel
// numbers of parallel().
function kernelFunctions(module, exports) {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => exports[e.name]);
}

// runParts runs parts [from, parts) of a parallel() call on this thread:
// kernel number k once per argument vector of nargs uint32 values at byte
// address args of memory.
function runParts(fns, memory, k, from, parts, args, nargs) {
  const v = new Uint32Array(memory.buffer, args, parts * nargs);
  const f = fns[k];
  const a = new Array(nargs);
  for (let p = from; p < parts; p++) callPart(f, v, p * nargs, a);
  return 0;
}

// callPart calls f with the a.length arguments at v[at...], through the
// plain array a (faster than spreading a typed array).
function callPart(f, v, at, a) {
  for (let j = 0; j < a.length; j++) a[j] = v[at + j];
  f.apply(null, a);
}

async function start(urlPromise, simdWanted, threadsWanted) {
  const url = await urlPromise;
  // Threads need a shared memory, SIMD kernels and workers; the reason they
  // are off, if they are, goes to backendInfo().threadsReason.
  let threads = threadsWanted === undefined ? await defaultThreads() : threadsWanted;
  const off = threadsOff();
  let threadsReason = '';
  if (threads > 1) {
    threadsReason = simdWanted ? off : 'the SIMD kernels are off (simd: false), and threads run only them';
    if (threadsReason) threads = 1;
  } else if (threadsWanted === undefined) {
    threadsReason = off || 'one thread is the default on a machine with 1 or 2 cores (like ONNX Runtime Web)';
  }
  if (threadsReason && threadsWanted > 1) {
    console.warn(`wasmnn: threads: ${threadsWanted} asked for, running on one: ${threadsReason}`);
  } else if (off && threadsWanted === undefined && !IS_NODE) {
    console.info(`wasmnn: threads are off: ${threadsReason}`);
  }
  const share = threads > 1 ? (b) => shareMemory(b, SHARED_MAX_PAGES) : null;
  const [{ module, bytes }, kernels] = await Promise.all([compile(url, share), compileKernels(url, simdWanted, share)]);
  await ensureGo(url);
  const go = new globalThis.Go();
  if (share) {
    shareDecoder();
    sharedRandom(go);
  }
  let pool = null;
  // The Go module imports its SIMD kernels from "wasmnn_simd". The kernel
  // module imports the Go module's memory, so it can only be instantiated
  // after it: the imports forward to it once it exists, and available()
  // tells Go's init whether to use them (else the pure-Go kernels run).
  // Every kernel the Go module imports (simd.Kernels in Go) is forwarded by
  // name, so adding a kernel needs no change here.
  let kern = null;
  let kernList = null;
  go.importObject.wasmnn_simd = {
    available: () => (kern ? 1 : 0),
    threads: () => (pool ? pool.threads : 1),
    // parallel(kernel, parts, args, nargs) runs export number kernel of the
    // kernel module once per argument vector in memory (see threads above).
    parallel: (k, parts, args, nargs) => (pool
      ? runParallel(pool, k, parts, args, nargs)
      : runParts(kernList, instance.exports.mem, k, 0, parts, args, nargs)),
  };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== 'wasmnn_simd' || imp.kind !== 'function' || imp.name in go.importObject.wasmnn_simd) continue;
    const name = imp.name;
    go.importObject.wasmnn_simd[name] = (...args) => kern[name](...args);
  }
  let instance;
  try {
    instance = await WebAssembly.instantiate(module, go.importObject);
  } catch (e) {
    throw new Error(`wasmnn: the wasm module from ${url} does not fit this wasm_exec.js (${e.message}); ` +
      'both must come from the same Go release: use the dist/wasm_exec.js that comes with this wasmnn.wasm (a wasmURL of your own needs its own wasm_exec.js beside it)');
  }
  state.simdReason = kernels.reason || '';
  if (kernels.module) {
    try {
      kern = (await WebAssembly.instantiate(kernels.module, { go: { mem: instance.exports.mem } })).exports;
      kernList = kernelFunctions(kernels.module, kern);
    } catch (e) {
      state.simdReason = `the SIMD kernels did not instantiate: ${e.message}`;
    }
  }
  if (threads > 1 && !kern) {
    threads = 1;
    threadsReason = `threads run only the SIMD kernels, which are off: ${state.simdReason}`;
  }
  if (threads > 1) {
    try {
      pool = await startThreads(threads, kernels.module, instance.exports.mem);
      pool.fns = kernList;
    } catch (e) {
      threadsReason = `the kernel threads did not start (${e.message}); running on one thread`;
      console.warn(`wasmnn: ${threadsReason}`);
      threads = 1;
    }
  }
  state.threads = threads;
  state.threadsReason = threadsReason;
  state.pool = pool;
  // The Go program's main runs synchronously inside go.run until it blocks;
  // it calls __wasmnnReady once globalThis.__wasmnn is set.
  let ready = false;
  const previous = globalThis.__wasmnnReady;
  globalThis.__wasmnnReady = () => { ready = true; };
  let exited = false;
  const running = go.run(instance);
  running.then(() => { exited = true; state.exited = true; }, () => { exited = true; state.exited = true; });
  if (previous === undefined) delete globalThis.__wasmnnReady;
  else globalThis.__wasmnnReady = previous;
  if (!ready) {
    await Promise.race([running.catch(() => {}), new Promise((r) => setTimeout(r, 0))]);
  }
  const api = globalThis.__wasmnn;
  if (!ready || exited || !api || typeof api.run !== 'function') {
    throw new Error(`wasmnn: the wasm module from ${url} did not start (is it wasmnn.wasm, built for GOOS=js by the ` +
      'same Go release as wasm_exec.js? see the console for Go\'s output)');
  }
  state.api = api;
  state.go = go;
  state.instance = instance;
  state.wasmBytes = bytes;
}

/**
 * init starts the wasm module once per page or process. load() calls it, so
 * calling it is needed only to start early or to set wasmURL. Calling it again
 * returns the same promise; a different wasmURL after the first call rejects.
 */
async function init(options) {
  const opts = checkOptions(options, ['wasmURL', 'simd', 'threads'], 'wasmnn.init');
  if (opts.simd !== undefined && typeof opts.simd !== 'boolean') {
    throw new TypeError(`wasmnn.init: simd must be a boolean, got ${describe(opts.simd)}`);
  }
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1 && opts.threads <= MAX_THREADS)) {
    throw new TypeError(`wasmnn.init: threads must be an integer from 1 to ${MAX_THREADS}, got ${describe(opts.threads)}`);
  }
  if (state.starting) {
    if (opts.threads !== undefined && opts.threads !== state.threadsWanted) {
      throw new Error(`wasmnn.init: the wasm module was already started with threads: ${state.threadsWanted === undefined ? 'default' : state.threadsWanted}; ` +
        `threads cannot change to ${opts.threads} (there is one instance per page or process)`);
    }
    if (opts.wasmURL !== undefined) {
      const [have, want] = await Promise.all([state.wasmURL, resolveURL(opts.wasmURL, 'wasmnn.init: wasmURL')]);
      if (have !== want) {
        throw new Error(`wasmnn.init: the wasm module was already started from ${have}; ` +
          `wasmURL cannot change to ${want} (there is one instance per page or process)`);
      }
    }
    return state.starting;
  }
  const urlPromise = opts.wasmURL !== undefined
    ? resolveURL(opts.wasmURL, 'wasmnn.init: wasmURL')
    : Promise.resolve().then(defaultWasmURL);
  const starting = start(urlPromise, opts.simd !== false, opts.threads);
  state.starting = starting;
  state.threadsWanted = opts.threads;
  state.wasmURL = urlPromise;
  urlPromise.catch(() => {});
  starting.catch(() => {
    if (state.starting === starting) { // let a later call try again, say with another wasmURL
      state.starting = null;
      state.wasmURL = null;
    }
  });
  return starting;
}

// call runs fn(api) in the queue, after every call made before it.
function call(fn) {
  const p = state.tail.then(() => {
    if (hasExited()) throw exitedError();
    return fn(state.api);
  });
  state.tail = p.catch(() => {});
  return p;
}

// hasExited tells whether the Go program has ended (after a fatal error).
function hasExited() {
  return state.exited || Boolean(state.go && state.go.exited);
}

function exitedError() {
  return new Error('wasmnn: the wasm module has exited after a fatal error (see the console for Go\'s output); ' +
    'reload the page or restart the process');
}

// fastError is the Error for a failed fast-path export call: the Go
// message is at wasmnn_error_ptr (wasmnn_error_len bytes).
function fastError(ex, where) {
  if (hasExited()) return exitedError();
  const p = ex.wasmnn_error_ptr();
  const n = ex.wasmnn_error_len();
  return new Error(`${where}: ${new TextDecoder().decode(new Uint8Array(ex.mem.buffer, p, n))}`);
}

// check turns a {error} result of the Go module into a rejected Error.
function check(res, where) {
  if (hasExited()) throw exitedError();
  if (res === null || typeof res !== 'object') throw new Error(`${where}: the wasm module returned ${describe(res)}`);
  if (typeof res.error === 'string') throw new Error(`${where}: ${res.error}`);
  return res;
}

/**
 * backendInfo describes the wasm backend: {initialized, simd (the SIMD
 * kernels are in use), simdReason (why not, when they are not), threads,
 * wasmBytes, memoryBytes, models, readers (OCR readers loaded), version}.
 */
function backendInfo() {
  const inst = state.instance;
  let models = 0;
  let readers = 0;
  if (state.api && !hasExited()) {
    try {
      const r = state.api.memory();
      if (r && typeof r.models === 'number') models = r.models;
      if (r && typeof r.readers === 'number') readers = r.readers;
    } catch { /* exited */ }
  }
  return {
    initialized: Boolean(state.api),
    simd: Boolean(inst && typeof inst.exports.wasmnn_simd === 'function' && inst.exports.wasmnn_simd() === 1),
    simdReason: state.simdReason || '',
    threads: state.pool && state.pool.broken ? 1 : state.threads || 1,
    threadsReason: (state.pool && state.pool.broken) || state.threadsReason || '',
    wasmBytes: state.wasmBytes,
    memoryBytes: inst ? inst.exports.mem.buffer.byteLength : 0,
    models,
    readers,
    version: VERSION,
  };
}

// ---------------------------------------------------------------- Tensor

const TENSOR_TYPES = ['float32'];

function checkDims(dims, where) {
  if (!Array.isArray(dims)) {
    throw new TypeError(`${where}: dims must be an array of integers, got ${describe(dims)}`);
  }
  let size = 1;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d)) {
      throw new TypeError(`${where}: dims[${i}] must be an integer, got ${describe(d)}`);
    }
    if (d < 0) throw new RangeError(`${where}: dims[${i}] must not be negative, got ${d}`);
    size *= d;
  }
  if (!Number.isSafeInteger(size)) throw new RangeError(`${where}: dims ${fmtDims(dims)} hold too many elements`);
  return size;
}

// TYPED_ARRAY_TYPES names the tensor type ONNX Runtime infers from each
// typed array in new Tensor(data, dims); wasmnn holds only 'float32'.
const TYPED_ARRAY_TYPES = {
  Float32Array: 'float32', Float64Array: 'float64', Int8Array: 'int8', Uint8Array: 'uint8',
  Uint8ClampedArray: 'uint8', Int16Array: 'int16', Uint16Array: 'uint16', Int32Array: 'int32',
  Uint32Array: 'uint32', BigInt64Array: 'int64', BigUint64Array: 'uint64', Float16Array: 'float16',
};

// inferType gives the type of new Tensor(data, dims), as ONNX Runtime
// infers it: 'float32' for a Float32Array or an array of numbers; other
// typed arrays name the type they would be, which wasmnn does not hold.
function inferType(data) {
  if (data instanceof Float32Array || Array.isArray(data)) return 'float32'; // the constructor checks the numbers
  const name = data.constructor && data.constructor.name;
  const other = TYPED_ARRAY_TYPES[name];
  if (other) {
    throw new TypeError(`new Tensor(data, dims): ${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name} makes a '${other}' tensor, and wasmnn ` +
      `tensors are 'float32': pass a Float32Array (Float32Array.from(data))`);
  }
  throw new TypeError(`new Tensor(data, dims): data must be a Float32Array or an array of numbers, got ${describe(data)}`);
}

/**
 * Tensor is a typed, shaped array: new Tensor('float32', data, dims), or, as
 * in ONNX Runtime, new Tensor(data, dims) with the type inferred from data
 * ('float32' for a Float32Array or an array of numbers). data is a
 * Float32Array (kept, not copied) or an array of numbers (copied); dims
 * defaults to [data.length]. type, data, dims and size are read-only.
 */
class Tensor {
  constructor(type, data, dims) {
    if (typeof type !== 'string' && (ArrayBuffer.isView(type) || Array.isArray(type))) {
      if (dims !== undefined) {
        throw new TypeError(`new Tensor(data, dims): a third argument (${describe(dims)}) after the data and dims; ` +
          "with a type, the data come second: new Tensor('float32', data, dims)");
      }
      dims = data;
      data = type;
      type = inferType(data);
    }
    if (typeof type !== 'string' || !TENSOR_TYPES.includes(type)) {
      throw new TypeError(`new Tensor: unsupported type ${typeof type === 'string' ? `'${type}'` : describe(type)} (supported: ${TENSOR_TYPES.map((t) => `'${t}'`).join(', ')})`);
    }
    if (Array.isArray(data)) {
      for (let i = 0; i < data.length; i++) {
        if (typeof data[i] !== 'number') {
          throw new TypeError(`new Tensor: data[${i}] must be a number, got ${describe(data[i])}`);
        }
      }
      data = Float32Array.from(data);
    } else if (!(data instanceof Float32Array)) {
      throw new TypeError(`new Tensor: data of a 'float32' tensor must be a Float32Array or an array of numbers, got ${describe(data)}`);
    }
    if (dims === undefined) dims = [data.length];
    const size = checkDims(dims, 'new Tensor');
    if (size !== data.length) {
      throw new RangeError(`new Tensor: dims ${fmtDims(dims)} need ${size} values, but data has ${data.length}`);
    }
    /** type is the element type, 'float32'. */
    this.type = type;
    /** data holds the values, row-major. */
    this.data = data;
    /** dims is the shape (a frozen array). */
    this.dims = Object.freeze(dims.slice());
    /** size is the number of elements, the product of dims. */
    this.size = size;
    Object.freeze(this);
  }

  get [Symbol.toStringTag]() { return 'Tensor'; }
}

// ---------------------------------------------------------------- Model

const MODEL_TOKEN = Symbol('wasmnn.Model');

function camelKeys(o) {
  if (!isPlainObject(o)) return o;
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    const c = k.replace(/_([a-z])/g, (_, ch) => ch.toUpperCase());
    out[c.charAt(0).toLowerCase() + c.slice(1)] = v;
  }
  return out;
}

function deepFreeze(v) {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

// valueInfos turns the Go module's value infos ({name, shape, dims?}: shape
// the sizes, dims the names of symbolic axes, '' for fixed ones) into
// {name, dims, sampleDims}: dims has a number for each fixed axis and the
// name for each symbolic one (['N', 3, 6, 'W']), as ONNX Runtime Web's
// metadata; sampleDims has numbers only, the model's representative sizes.
function valueInfos(list) {
  return (list || []).map((v) => ({
    name: v.name,
    dims: v.shape.map((d, i) => (v.dims && v.dims[i] ? v.dims[i] : d)),
    sampleDims: v.shape.slice(),
  }));
}

// MAX_DIM is the largest size of one axis the wasm module takes (an int32).
const MAX_DIM = 0x7fffffff;

function u8view(a) {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function isRGBA(v) {
  return v !== null && typeof v === 'object' && 'data' in v && 'width' in v && 'height' in v &&
    (v.data instanceof Uint8ClampedArray || v.data instanceof Uint8Array);
}

const DRAWABLES = ['HTMLImageElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'ImageBitmap', 'HTMLVideoElement',
  'VideoFrame'];

// MAX_DRAW_SIDE bounds the longer side of an image drawn for classify: larger
// ones are scaled down on the canvas first, so that a camera photo does not
// grow the wasm memory (which never shrinks) by tens of megabytes.
const MAX_DRAW_SIDE = 1024;

function isDrawable(v) {
  return DRAWABLES.some((n) => typeof globalThis[n] === 'function' && v instanceof globalThis[n]);
}

// toRGBA returns {data, width, height, sourceWidth, sourceHeight}: the
// non-premultiplied RGBA pixels of an image-like value, drawing it on a canvas
// when needed (scaled down to at most maxSide pixels on the longer side), and
// the image's own size. RGBA objects are used as they are.
async function toRGBA(image, where, maxSide = MAX_DRAW_SIDE) {
  if (isRGBA(image)) {
    const { data, width, height } = image;
    for (const [k, v] of [['width', width], ['height', height]]) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`${where}: image ${k} must be an integer, got ${describe(v)}`);
      if (v < 1) throw new RangeError(`${where}: image ${k} must be at least 1, got ${v}`);
    }
    if (data.length !== 4 * width * height) {
      throw new RangeError(`${where}: a ${width}x${height} RGBA image needs ${4 * width * height} bytes of data, got ${data.length}`);
    }
    return { data: u8view(data), width, height, sourceWidth: width, sourceHeight: height };
  }
  if (!isDrawable(image)) {
    throw new TypeError(`${where}: image must be an HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, ImageData, ` +
      `ImageBitmap or {data: Uint8ClampedArray|Uint8Array (RGBA), width, height}, got ${describe(image)}` +
      (IS_NODE ? ' (in Node only the {data, width, height} form works)' : ''));
  }
  let width = image.width;
  let height = image.height;
  if (typeof HTMLImageElement === 'function' && image instanceof HTMLImageElement) {
    if (!image.complete || image.naturalWidth === 0) {
      try {
        await image.decode();
      } catch (e) {
        throw new Error(`${where}: the image ${image.src} could not be decoded: ${e.message}`);
      }
    }
    width = image.naturalWidth;
    height = image.naturalHeight;
  } else if (typeof HTMLVideoElement === 'function' && image instanceof HTMLVideoElement) {
    width = image.videoWidth;
    height = image.videoHeight;
  } else if (typeof VideoFrame === 'function' && image instanceof VideoFrame) {
    width = image.displayWidth;
    height = image.displayHeight;
  }
  if (!(width > 0 && height > 0)) throw new RangeError(`${where}: the image has no pixels (${width}x${height})`);
  const sw = width;
  const sh = height;
  if (Math.max(width, height) > maxSide) {
    const f = maxSide / Math.max(width, height);
    width = Math.max(1, Math.round(width * f));
    height = Math.max(1, Math.round(height * f));
  }
  let canvas;
  if (typeof OffscreenCanvas === 'function') {
    canvas = new OffscreenCanvas(width, height);
  } else {
    canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(image, 0, 0, sw, sh, 0, 0, width, height);
  let pixels;
  try {
    pixels = ctx.getImageData(0, 0, width, height);
  } catch (e) {
    throw new Error(`${where}: cannot read the image's pixels (${e.message}); a cross-origin image needs CORS ` +
      '(crossOrigin = "anonymous" and an Access-Control-Allow-Origin header)');
  }
  return { data: u8view(pixels.data), width, height, sourceWidth: sw, sourceHeight: sh };
}

/**
 * Model is a loaded network. Create one with wasmnn.load(); free it with
 * dispose().
 */
class Model {
  #id;
  #disposed = false;
  #summary = null;
  #inputs;
  #outputs;

  constructor(token, id, info) {
    if (token !== MODEL_TOKEN) throw new TypeError('wasmnn.Model cannot be constructed directly: use await wasmnn.load(source)');
    this.#id = id;
    this.#inputs = deepFreeze(valueInfos(info.inputs));
    this.#outputs = deepFreeze(valueInfos(info.outputs));
    const m = info.meta || {};
    const meta = {
      name: m.name || '',
      description: m.description || '',
      labels: (m.labels || []).slice(),
      preprocess: m.preprocess ? camelKeys(m.preprocess) : null,
      extra: { ...(m.extra || {}) },
    };
    /** inputNames lists the model's inputs, in order. */
    this.inputNames = Object.freeze(this.#inputs.map((v) => v.name));
    /** outputNames lists the model's outputs, in order. */
    this.outputNames = Object.freeze(this.#outputs.map((v) => v.name));
    /** meta is the model's metadata: name, description, labels, preprocess, extra. */
    this.meta = deepFreeze(meta);
    Object.freeze(this);
  }

  /**
   * inputs lists the model's inputs as [{name, dims, sampleDims}]: dims has
   * the size of each fixed axis and the name of each symbolic one (['N', 3,
   * 6, 'W']: any batch and width), sampleDims numbers only (the sizes the
   * model was planned for at load: a shape that fits).
   */
  get inputs() { return this.#inputs; }
  /**
   * outputs lists the model's outputs as [{name, dims, sampleDims}], with
   * their dims for inputs of the sampleDims (a run's outputs have the dims
   * that follow from its inputs).
   */
  get outputs() { return this.#outputs; }
  /** labels are the class names, index-aligned with the first output ([] if none). */
  get labels() { return this.meta.labels; }
  /** disposed tells whether dispose() was called. */
  get disposed() { return this.#disposed; }

  #live(where) {
    if (this.#disposed) throw new Error(`${where}: the model has been disposed`);
  }

  // feeds validates a {name: Tensor} map and returns the parallel arrays the
  // Go module takes: names, data bytes and dims, in the model's input order.
  // A tensor fits an input when it has the input's rank, its size on each
  // fixed axis, at least 1 on each symbolic one and the same size on axes of
  // the same name (in every input).
  #feeds(feeds, where) {
    if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds) || feeds instanceof Tensor) {
      throw new TypeError(`${where}: feeds must be an object mapping input names to Tensors, like {${this.inputNames[0]}: tensor}, got ${describe(feeds)}`);
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        throw new RangeError(`${where}: unknown input name "${name}" (the model's inputs: ${this.inputNames.join(', ')})`);
      }
    }
    const names = [];
    const datas = [];
    const dims = [];
    const named = new Map(); // symbolic axis name -> [size, input name]
    for (const info of this.#inputs) {
      const t = feeds[info.name];
      if (t === undefined) {
        throw new RangeError(`${where}: input "${info.name}" is missing from feeds (the model needs: ${this.inputNames.join(', ')})`);
      }
      if (t === null || typeof t !== 'object' || typeof t.type !== 'string' || !('data' in t) || !Array.isArray(t.dims)) {
        throw new TypeError(`${where}: input "${info.name}" must be a wasmnn.Tensor, got ${describe(t)}`);
      }
      if (t.type !== 'float32') {
        throw new TypeError(`${where}: input "${info.name}" has type '${t.type}'; the model takes 'float32'`);
      }
      if (!(t.data instanceof Float32Array)) {
        throw new TypeError(`${where}: input "${info.name}" data must be a Float32Array, got ${describe(t.data)}`);
      }
      const got = `${where}: input "${info.name}" has dims ${fmtDims(t.dims)}`;
      if (t.dims.length !== info.dims.length) {
        throw new RangeError(`${got}, the model expects ${fmtDims(info.dims)} (rank ${info.dims.length})`);
      }
      let need = 1;
      for (let i = 0; i < t.dims.length; i++) {
        const d = t.dims[i];
        const want = info.dims[i];
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0 || d > MAX_DIM) {
          throw new RangeError(`${got}: dims[${i}] must be an integer from 0 to ${MAX_DIM}`);
        }
        if (typeof want === 'number') {
          if (d !== want) throw new RangeError(`${got}, the model expects ${fmtDims(info.dims)} (dimension ${i} is fixed)`);
        } else if (d < 1) {
          throw new RangeError(`${got}: dimension ${i} (${want}) must be at least 1`);
        } else if (named.has(want) && named.get(want)[0] !== d) {
          const [size, from] = named.get(want);
          throw new RangeError(`${got}: dimension ${want} is ${d} here and ${size} in input "${from}"`);
        } else {
          named.set(want, [d, info.name]);
        }
        need *= d;
      }
      if (t.data.length !== need) {
        throw new RangeError(`${where}: input "${info.name}" has ${t.data.length} values, dims ${fmtDims(t.dims)} need ${need}`);
      }
      names.push(info.name);
      datas.push(u8view(t.data));
      dims.push(Array.from(t.dims));
    }
    return { names, datas, dims };
  }

  #outputsOf(res) {
    const out = {};
    for (let i = 0; i < res.names.length; i++) {
      const u8 = res.data[i];
      const data = new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength >>> 2);
      out[res.names[i]] = new Tensor('float32', data, Array.from(res.shapes[i]));
    }
    return out;
  }

  /**
   * run runs the model on {inputName: Tensor} and resolves to
   * {outputName: Tensor}. Inputs may have any dims that fit the model's
   * (symbolic axes, named in inputs[i].dims, take any size from 1); the
   * outputs have the dims that follow. The input data are read when the run
   * starts (runs are queued), so do not change them until the promise settles.
   */
  async run(feeds) {
    const where = 'model.run';
    this.#live(where);
    const { names, datas, dims } = this.#feeds(feeds, where);
    return call((api) => {
      const ex = state.instance.exports;
      if (typeof ex.wasmnn_run !== 'function' || typeof ex.wasmnn_set_shapes !== 'function') {
        return this.#outputsOf(check(api.run(this.#id, names, datas, dims), where));
      }
      return this.#runFast(ex, datas, dims, where);
    });
  }

  // runFast gives the module the input dims (wasmnn_dims, wasmnn_set_shapes:
  // it plans a new set of shapes once and keeps its buffers while the shapes
  // stay), copies the inputs straight into the model's Go-owned buffers in
  // wasm memory, runs it with the wasmnn_run export and copies the outputs
  // out with the dims the module reports: one copy each way, no JS values
  // for the Go side to track, so memory stays flat however many runs a page
  // makes. Addresses are asked for after wasmnn_set_shapes (it may move the
  // buffers), and views of the memory are taken anew after every call, as
  // the memory may grow.
  #runFast(ex, datas, dims, where) {
    const id = this.#id;
    const gone = () => new Error(`${where}: the model is no longer loaded in the wasm module`);
    for (let i = 0; i < dims.length; i++) {
      const rank = ex.wasmnn_rank(id, 0, i);
      if (rank !== dims[i].length) throw gone();
      if (rank > 0) new Int32Array(ex.mem.buffer, ex.wasmnn_dims(id, 0, i), rank).set(dims[i]);
    }
    if (ex.wasmnn_set_shapes(id) !== 0) throw fastError(ex, where);
    for (let i = 0; i < datas.length; i++) {
      if (datas[i].byteLength === 0) continue;
      const p = ex.wasmnn_buffer(id, 0, i);
      if (!p) throw gone();
      new Uint8Array(ex.mem.buffer, p, datas[i].byteLength).set(datas[i]);
    }
    if (ex.wasmnn_run(id) !== 0) throw fastError(ex, where);
    const out = {};
    this.#outputs.forEach((info, i) => {
      const rank = ex.wasmnn_rank(id, 1, i);
      if (rank < 0) throw gone();
      const d = rank > 0 ? Array.from(new Int32Array(ex.mem.buffer, ex.wasmnn_dims(id, 1, i), rank)) : [];
      const n = d.reduce((a, b) => a * b, 1);
      const p = n > 0 ? ex.wasmnn_buffer(id, 1, i) : 0;
      out[info.name] = new Tensor('float32', new Float32Array(ex.mem.buffer.slice(p, p + 4 * n)), d);
    });
    return out;
  }

  /**
   * runProfiled is run that also times each layer: it resolves to {outputs,
   * times, layers}, times[i] being the milliseconds spent in layers[i] (the
   * names of summary().layers).
   */
  async runProfiled(feeds) {
    const where = 'model.runProfiled';
    this.#live(where);
    const { names, datas, dims } = this.#feeds(feeds, where);
    return call((api) => {
      const res = check(api.runProfiled(this.#id, names, datas, dims), where);
      const layers = this.#summaryNow(api).layers.map((l) => l.name);
      return { outputs: this.#outputsOf(res), times: Array.from(res.times || []), layers };
    });
  }

  /**
   * classify preprocesses an image as the model's metadata says, runs the
   * model and resolves to the topK (default 3) classes, most probable first:
   * [{label, index, probability, inverted}]. invert (default 'auto') says
   * whether to invert the image (v -> 255 - v) first: 'auto' inverts, for a
   * model whose metadata inverts (MNIST style: it wants a bright signal on
   * dark), only an image of dark marks on a light ground, and leaves an image
   * that already is bright on dark; true and false override the model.
   * inverted tells which was done (the same in every entry).
   */
  async classify(image, options) {
    const where = 'model.classify';
    this.#live(where);
    const opts = checkOptions(options, ['topK', 'invert'], where);
    const topK = opts.topK === undefined ? 3 : opts.topK;
    if (typeof topK !== 'number' || !Number.isSafeInteger(topK)) throw new TypeError(`${where}: topK must be an integer, got ${describe(topK)}`);
    if (topK < 1) throw new RangeError(`${where}: topK must be at least 1, got ${topK}`);
    const invert = opts.invert === undefined ? 'auto' : opts.invert;
    if (invert !== 'auto' && typeof invert !== 'boolean') {
      throw new TypeError(`${where}: invert must be 'auto', true or false, got ${describe(invert)}`);
    }
    const mode = invert === 'auto' ? 'auto' : invert ? 'yes' : 'no';
    const { data, width, height } = await toRGBA(image, where);
    return call((api) => {
      const res = check(api.classify(this.#id, data, width, height, topK, mode), where);
      return JSON.parse(res.result);
    });
  }

  #summaryNow(api) {
    if (!this.#summary) {
      this.#summary = deepFreeze(JSON.parse(check(api.summary(this.#id, ''), 'model.summary').result));
    }
    return this.#summary;
  }

  /**
   * summary returns the layer table: {name, inputs, outputs, layers: [{name,
   * op, output_shape, params, macs, flops, algo, ...}], total_params,
   * total_flops, ...}, as `wasmnn summary --json` prints it.
   */
  summary() {
    this.#live('model.summary');
    if (hasExited()) throw exitedError();
    return this.#summaryNow(state.api);
  }

  /**
   * dispose frees the model in the wasm module once the calls already queued
   * have run. Further calls on the model reject. Disposing twice is a no-op.
   */
  async dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    await call((api) => { check(api.dispose(this.#id), 'model.dispose'); });
  }
}

// ---------------------------------------------------------------- load

async function readResponse(resp, onProgress) {
  const enc = (resp.headers.get('Content-Encoding') || 'identity').toLowerCase();
  const len = Number(resp.headers.get('Content-Length'));
  let total = enc === 'identity' && Number.isSafeInteger(len) && len > 0 ? len : undefined;
  if (!onProgress || !resp.body) {
    const b = new Uint8Array(await resp.arrayBuffer());
    if (onProgress) onProgress(b.byteLength, b.byteLength);
    return b;
  }
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    if (total !== undefined && loaded > total) total = undefined;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  onProgress(loaded, loaded);
  return out;
}

// CONV_ALGOS are the convolution algorithms the engine takes (Go's
// ops.KnownConvAlgos plus the alias 'winograd', the best Winograd variant
// per layer); wasmnn.d.ts's ConvAlgo lists the same, and a test checks both
// against the engine's own list.
const CONV_ALGOS = ['auto', 'direct', 'im2col', 'depthwise', 'winograd', 'winograd2', 'winograd4', 'fft'];

function checkAlgo(v, what) {
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string such as 'im2col', got ${describe(v)}`);
  if (!CONV_ALGOS.includes(v)) {
    throw new RangeError(`${what}: unknown convolution algorithm '${v}' (known: ${CONV_ALGOS.map((a) => `'${a}'`).join(', ')})`);
  }
}

// modelBytes reads a load() source into a Uint8Array; where and what name
// the call and the file in errors.
async function modelBytes(source, onProgress, where = 'wasmnn.load', what = 'the model') {
  if (source instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && source instanceof SharedArrayBuffer)) {
    source = new Uint8Array(source);
  } else if (ArrayBuffer.isView(source)) {
    source = u8view(source);
  } else if (typeof Blob === 'function' && source instanceof Blob) {
    source = new Uint8Array(await source.arrayBuffer());
  } else if (typeof source === 'string' || source instanceof URL) {
    const url = await resolveURL(source, `${where}: source`);
    if (IS_NODE && url.startsWith('file:')) {
      const { fs, url: nodeURL } = await node();
      const path = nodeURL.fileURLToPath(url);
      let b;
      try {
        b = await fs.readFile(path);
      } catch (e) {
        throw new Error(`${where}: cannot read ${what} ${path}: ${e.message}`);
      }
      source = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } else {
      let resp;
      try {
        resp = await fetch(url);
      } catch (e) {
        throw new Error(`${where}: cannot fetch ${what} ${url}: ${e.message}` +
          (url.startsWith('file:') ? `; ${SERVE_HINT}` : ''));
      }
      if (!resp.ok) throw new Error(`${where}: cannot fetch ${what} ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
      return readResponse(resp, onProgress);
    }
  } else {
    throw new TypeError(`${where}: source must be a URL string, URL, ArrayBuffer, Uint8Array or Blob${IS_NODE ? ' (or a file path)' : ''}, got ${describe(source)}`);
  }
  if (onProgress) onProgress(source.byteLength, source.byteLength);
  return source;
}

/**
 * load reads a model, a .wnn file or an ONNX file (URL string, URL,
 * ArrayBuffer, typed array or Blob; in Node also a file path), starting the
 * wasm module first if needed, and resolves to a Model. ONNX files are
 * converted inside the engine by the importer `wasmnn convert` uses (its
 * report is summary().conversion); any other file rejects with a message
 * saying what it looks like. options: wasmURL (see init), onProgress(loaded,
 * total) for the model download, algo (the convolution algorithm for every
 * layer: 'auto', 'direct', 'im2col', 'winograd', ...) and layerAlgos
 * ({layerName: algo}).
 */
async function load(source, options) {
  const where = 'wasmnn.load';
  const opts = checkOptions(options, ['wasmURL', 'simd', 'threads', 'onProgress', 'algo', 'layerAlgos', 'autotune', 'limits'], where);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw new TypeError(`${where}: onProgress must be a function, got ${describe(opts.onProgress)}`);
  }
  if (opts.algo !== undefined) checkAlgo(opts.algo, `${where}: algo`);
  if (opts.layerAlgos !== undefined) {
    if (!isPlainObject(opts.layerAlgos)) {
      throw new TypeError(`${where}: layerAlgos must be an object {layerName: algo}, got ${describe(opts.layerAlgos)}`);
    }
    for (const [k, v] of Object.entries(opts.layerAlgos)) checkAlgo(v, `${where}: layerAlgos.${k}`);
  }
  if (opts.autotune !== undefined && typeof opts.autotune !== 'boolean') {
    throw new TypeError(`${where}: autotune must be a boolean, got ${describe(opts.autotune)}`);
  }
  const LIMIT_KEYS = ['maxModelBytes', 'maxTensorElements', 'maxNodes', 'maxGraphDepth', 'maxInputRank', 'maxActivationBytes'];
  if (opts.limits !== undefined) {
    if (!isPlainObject(opts.limits)) throw new TypeError(`${where}: limits must be an object, got ${describe(opts.limits)}`);
    checkOptions(opts.limits, LIMIT_KEYS, `${where}: limits`);
    for (const [k, v] of Object.entries(opts.limits)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < -1) {
        throw new TypeError(`${where}: limits.${k} must be an integer >= -1 (0: default, -1: no limit), got ${describe(v)}`);
      }
    }
  }
  const initOpts = {};
  if (opts.wasmURL !== undefined) initOpts.wasmURL = opts.wasmURL;
  if (opts.simd !== undefined) initOpts.simd = opts.simd;
  if (opts.threads !== undefined) initOpts.threads = opts.threads;
  const started = init(initOpts);
  started.catch(() => {}); // awaited below; avoid an unhandled rejection while the model downloads
  const bytes = await modelBytes(source, opts.onProgress);
  await started;
  const json = JSON.stringify({ algo: opts.algo || '', layerAlgos: opts.layerAlgos || {}, autotune: Boolean(opts.autotune),
    limits: opts.limits || null });
  // Engine errors name the URL or path the model came from: an HTML page
  // in place of a model is a wrong URL.
  const named = typeof source === 'string' || source instanceof URL ? `${where} (${String(source)})` : where;
  return call((api) => {
    const res = check(api.load(bytes, json), named);
    return new Model(MODEL_TOKEN, res.id, JSON.parse(res.info));
  });
}

// ---------------------------------------------------------------- OCR

// MAX_OCR_SIDE is the default longest side an image drawn for reader.read
// is scaled down to: enough for text the detector (which sees at most 960
// pixels) finds, while a camera photo does not grow the wasm memory (which
// never shrinks) by tens of megabytes.
const MAX_OCR_SIDE = 2048;
const MAX_OCR_SIDE_LIMIT = 16384; // Go's imageprep.MaxImageSide

const READER_TOKEN = Symbol('wasmnn.OCRReader');

// OCR_FILES are the files ocr.load reads: the option and what it is.
const OCR_FILES = [['det', 'the detector'], ['cls', 'the classifier'], ['rec', 'the recogniser'], ['keys', 'the dictionary']];

// OCR_NUMBERS are ocr.load's numeric options (runtime/ocr.Options) and their
// ranges; the engine checks them again.
const OCR_NUMBERS = {
  limitSideLen: [32, 4096, true],
  thresh: [0, 1, false],
  boxThresh: [0, 1, false],
  unclipRatio: [0, 10, false],
  clsThresh: [0, 1, false],
  dropScore: [0, 1, false],
  maxRecWidth: [32, 16384, true],
};

/**
 * OCRReader reads the text in images with PaddleOCR's three models (text
 * detector, direction classifier, recogniser): the pipeline of `wasmnn ocr`,
 * the same Go code, with the same results bit for bit. Create one with
 * wasmnn.ocr.load(); free it with dispose().
 */
class OCRReader {
  #id;
  #disposed = false;

  constructor(token, id, classifier) {
    if (token !== READER_TOKEN) throw new TypeError('wasmnn.OCRReader cannot be constructed directly: use await wasmnn.ocr.load({det, cls, rec, keys})');
    this.#id = id;
    /** classifier tells whether the reader has the direction classifier (it turns upside-down lines). */
    this.classifier = classifier;
    Object.freeze(this);
  }

  /** disposed tells whether dispose() was called. */
  get disposed() { return this.#disposed; }

  /**
   * read finds and reads the lines of text in an image, in reading order:
   * [{text, score, box: [[x, y] x4]}], box being top-left, top-right,
   * bottom-right and bottom-left in the image's pixels, as `wasmnn ocr
   * --json` prints them. image is what model.classify takes (in Node the
   * {data, width, height} RGBA form). Drawn images are scaled down to
   * maxSide (default 2048) pixels on the longer side first, and the boxes
   * scaled back to the image's size.
   */
  async read(image, options) {
    return (await this.#read(image, options, 'reader.read')).lines;
  }

  /**
   * readTimed is read that also says where the time went: {lines, timings:
   * {detect, classify, recognize, total (ms), boxes (found by the detector,
   * before lines scoring below dropScore are dropped)}}.
   */
  async readTimed(image, options) {
    return this.#read(image, options, 'reader.readTimed');
  }

  async #read(image, options, where) {
    if (this.#disposed) throw new Error(`${where}: the reader has been disposed`);
    const opts = checkOptions(options, ['maxSide'], where);
    const maxSide = opts.maxSide === undefined ? MAX_OCR_SIDE : opts.maxSide;
    if (typeof maxSide !== 'number' || !Number.isSafeInteger(maxSide)) throw new TypeError(`${where}: maxSide must be an integer, got ${describe(maxSide)}`);
    if (maxSide < 32 || maxSide > MAX_OCR_SIDE_LIMIT) throw new RangeError(`${where}: maxSide must be from 32 to ${MAX_OCR_SIDE_LIMIT}, got ${maxSide}`);
    const img = await toRGBA(image, where, maxSide);
    const res = await call((api) => check(api.ocrRead(this.#id, img.data, img.width, img.height), where));
    const lines = JSON.parse(res.lines);
    const sx = img.sourceWidth / img.width;
    const sy = img.sourceHeight / img.height;
    if (sx !== 1 || sy !== 1) {
      for (const l of lines) l.box = l.box.map(([x, y]) => [x * sx, y * sy]);
    }
    const timings = {
      detect: res.detect, classify: res.classify, recognize: res.recognize,
      total: res.detect + res.classify + res.recognize, boxes: res.boxes,
    };
    return { lines, timings };
  }

  /**
   * dispose frees the reader's models in the wasm module once the calls
   * already queued have run. Further reads reject. Disposing twice is a
   * no-op.
   */
  async dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    await call((api) => { check(api.ocrDispose(this.#id), 'reader.dispose'); });
  }
}

/**
 * ocrLoad reads PaddleOCR's models and dictionary and resolves to an
 * OCRReader. det, rec and keys are required, cls optional (null or absent:
 * no direction classifier); each is a URL string, URL, ArrayBuffer, typed
 * array or Blob (in Node also a file path). The models may be ONNX or .wnn
 * files. onProgress(loaded, total) follows the downloads together (total
 * undefined while any size is unknown). The thresholds default to
 * PaddleOCR's (limitSideLen 960, thresh 0.3, boxThresh 0.6, unclipRatio 1.5,
 * clsThresh 0.9, dropScore 0.5); wasmURL and simd are init's.
 */
async function ocrLoad(options) {
  const where = 'wasmnn.ocr.load';
  if (!isPlainObject(options)) {
    throw new TypeError(`${where}: pass an object {det, cls, rec, keys} naming the models and the dictionary, got ${describe(options)}`);
  }
  const opts = checkOptions(options, ['det', 'cls', 'rec', 'keys', 'onProgress', 'wasmURL', 'simd', 'threads', 'limitType',
    ...Object.keys(OCR_NUMBERS)], where);
  for (const k of ['det', 'rec', 'keys']) {
    if (opts[k] === undefined || opts[k] === null) throw new TypeError(`${where}: ${k} is required (a URL, path, ArrayBuffer, Uint8Array or Blob)`);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw new TypeError(`${where}: onProgress must be a function, got ${describe(opts.onProgress)}`);
  }
  if (opts.limitType !== undefined && opts.limitType !== 'max' && opts.limitType !== 'min') {
    throw new RangeError(`${where}: limitType must be 'max' or 'min', got ${describe(opts.limitType)}`);
  }
  const engine = {};
  if (opts.limitType !== undefined) engine.limitType = opts.limitType;
  for (const [k, [lo, hi, integer]] of Object.entries(OCR_NUMBERS)) {
    const v = opts[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) {
      throw new TypeError(`${where}: ${k} must be ${integer ? 'an integer' : 'a number'}, got ${describe(v)}`);
    }
    if (v < lo || v > hi || (k === 'thresh' && v === 1) || (k === 'unclipRatio' && v === 0)) {
      throw new RangeError(`${where}: ${k} must be in ${k === 'unclipRatio' ? '(' : '['}${lo}, ${hi}${k === 'thresh' ? ')' : ']'}, got ${v}`);
    }
    engine[k] = v;
  }
  const initOpts = {};
  if (opts.wasmURL !== undefined) initOpts.wasmURL = opts.wasmURL;
  if (opts.simd !== undefined) initOpts.simd = opts.simd;
  if (opts.threads !== undefined) initOpts.threads = opts.threads;
  const started = init(initOpts);
  started.catch(() => {}); // awaited below
  // Progress over the four files together.
  const files = OCR_FILES.filter(([k]) => opts[k] !== undefined && opts[k] !== null);
  const loaded = files.map(() => 0);
  const totals = files.map(() => undefined);
  const report = opts.onProgress && (() => {
    const sum = (a) => a.reduce((x, y) => x + y, 0);
    opts.onProgress(sum(loaded), totals.every((t) => t !== undefined) ? sum(totals) : undefined);
  });
  const bytes = await Promise.all(files.map(([k, what], i) => {
    const progress = report && ((n, total) => { loaded[i] = n; totals[i] = total; report(); });
    const src = opts[k];
    const named = typeof src === 'string' || src instanceof URL ? `${where} (${k}: ${String(src)})` : `${where} (${k})`;
    return modelBytes(src, progress, named, what);
  }));
  await started;
  const by = Object.fromEntries(files.map(([k], i) => [k, bytes[i]]));
  return call((api) => {
    const res = check(api.ocrLoad(by.det, by.cls || null, by.rec, by.keys, JSON.stringify(engine)), where);
    return new OCRReader(READER_TOKEN, res.id, Boolean(by.cls));
  });
}

/** ocr is the OCR namespace: wasmnn.ocr.load({det, cls, rec, keys}) resolves to an OCRReader. */
const ocr = Object.freeze({ load: ocrLoad });

// ---------------------------------------------------------------- train

const TRAINED_TOKEN = Symbol('wasmnn.TrainedModel');

// trainedState holds, per TrainedModel, what training left: the .wnn
// bytes, the held-out evaluation and the history (Model instances are
// frozen, so this lives beside them).
const trainedState = new WeakMap();

// TRAIN_NUMBERS are train's numeric options (runtime/train.Options) as
// [min, max, integer, min exclusive]; the engine checks them again.
const TRAIN_NUMBERS = {
  epochs: [1, Number.MAX_SAFE_INTEGER, true, false],
  batch: [1, Number.MAX_SAFE_INTEGER, true, false],
  lr: [0, 10, false, true],
  weightDecay: [0, 1, false, false],
  shift: [0, 8, true, false],
  seed: [0, Number.MAX_SAFE_INTEGER, true, false],
  holdout: [0, Number.MAX_SAFE_INTEGER, true, false],
  sliceMs: [0, 60000, false, false],
};

// DEFAULT_SLICE_MS is how long one call into the engine trains before
// train reports progress and yields to the event loop.
const DEFAULT_SLICE_MS = 50;

// MAX_SLICE_STEPS bounds the steps of one slice (sliceMs bounds its time).
const MAX_SLICE_STEPS = 1 << 20;

// nextTask resolves on a later macrotask, so that a page (or a worker's
// message handler) runs between slices of training; unlike setTimeout it
// is not clamped to 4 ms.
function nextTask() {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') {
      setImmediate(resolve);
    } else if (typeof MessageChannel === 'function') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { ch.port1.close(); resolve(); };
      ch.port2.postMessage(null);
    } else {
      setTimeout(resolve, 0);
    }
  });
}

// trainImages turns train's images option into the engine's form: the
// bytes of float32 tensors (a Float32Array, or an array of them, one per
// example), or RGBA pixels back to back with their sizes (an array of
// images, as classify takes them). n is the number of examples when JS can
// tell it (null for one Float32Array: the engine knows the example size).
async function trainImages(images, where) {
  if (images instanceof Float32Array) return { bytes: u8view(images), rgba: null, n: null };
  if (!Array.isArray(images)) {
    throw new TypeError(`${where}: images must be a Float32Array (the examples' input tensors back to back), an array of ` +
      `Float32Arrays or an array of images, got ${describe(images)}`);
  }
  if (images.length === 0) throw new RangeError(`${where}: images is empty`);
  const tensors = images.map((x) => x instanceof Float32Array);
  if (tensors.includes(true) && tensors.includes(false)) {
    throw new TypeError(`${where}: images[${tensors.indexOf(true)}] is a Float32Array but images[${tensors.indexOf(false)}] is not: ` +
      'give tensors or images, not both');
  }
  if (tensors[0]) {
    const size = images[0].length;
    const out = new Float32Array(size * images.length);
    images.forEach((x, i) => {
      if (x.length !== size) throw new RangeError(`${where}: images[${i}] has ${x.length} values, images[0] ${size}`);
      out.set(x, i * size);
    });
    return { bytes: u8view(out), rgba: null, n: images.length };
  }
  const pics = [];
  for (let i = 0; i < images.length; i++) pics.push(await toRGBA(images[i], `${where}: images[${i}]`));
  const out = new Uint8Array(pics.reduce((s, p) => s + p.data.byteLength, 0));
  let off = 0;
  for (const p of pics) {
    out.set(p.data, off);
    off += p.data.byteLength;
  }
  return { bytes: out, rgba: pics.map((p) => [p.width, p.height]), n: pics.length };
}

// trainLabels checks the labels (whole numbers from 0, below the class
// count when JS knows it) and returns them as int32 bytes.
function trainLabels(labels, n, classes, where) {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number' || typeof labels === 'string') {
    throw new TypeError(`${where}: labels must be an array (or typed array) of class indices, got ${describe(labels)}`);
  }
  if (n !== null && labels.length !== n) {
    throw new RangeError(`${where}: ${n} images but ${labels.length} labels`);
  }
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (typeof y !== 'number' || !Number.isInteger(y)) throw new TypeError(`${where}: labels[${i}] must be a whole number, got ${describe(y)}`);
    if (y < 0 || y > 0x7fffffff) throw new RangeError(`${where}: labels[${i}] is ${y}, not a class index (0 or more)`);
    if (classes && y >= classes) throw new RangeError(`${where}: labels[${i}] is ${y}, outside the ${classes} classes [0, ${classes})`);
    out[i] = y;
  }
  return u8view(out);
}

/**
 * TrainedModel is what wasmnn.train resolves to: a Model (run, classify,
 * summary, dispose) holding the trained weights, with save() to get them as
 * a .wnn file and what training measured.
 */
class TrainedModel extends Model {
  constructor(token, id, info, result) {
    if (token !== TRAINED_TOKEN) throw new TypeError('wasmnn.TrainedModel cannot be constructed directly: use await wasmnn.train(model, options)');
    super(MODEL_TOKEN, id, info);
    trainedState.set(this, result);
  }

  /**
   * evaluation is the held-out result: {correct, total, accuracy,
   * confusion, labels}, confusion[i][j] counting the held-out examples of
   * class i read as j; null when nothing was held out.
   */
  get evaluation() { return trainedState.get(this).evaluation; }
  /** accuracy is the held-out accuracy (evaluation.accuracy), or null. */
  get accuracy() { const e = trainedState.get(this).evaluation; return e ? e.accuracy : null; }
  /** confusion is the held-out confusion matrix (evaluation.confusion), or null. */
  get confusion() { const e = trainedState.get(this).evaluation; return e ? e.confusion : null; }
  /** history lists the completed epochs' mean training loss and accuracy: [{epoch, loss, accuracy}]. */
  get history() { return trainedState.get(this).history; }
  /** stopped tells whether training was stopped early (the signal aborted). */
  get stopped() { return trainedState.get(this).stopped; }
  /** steps is the number of steps taken, and training.steps of the whole run. */
  get steps() { return trainedState.get(this).steps; }
  /**
   * training describes the run: {examples, train, heldOut, classes, labels,
   * head, steps, batches, optimizer, schedule}.
   */
  get training() { return trainedState.get(this).training; }

  /**
   * save resolves to the trained model as the bytes of a .wnn file (a new
   * copy each time), its metadata saying how it was trained: load() reads
   * it back, `wasmnn classify` and the other tools take it.
   */
  async save() {
    if (this.disposed) throw new Error('model.save: the model has been disposed');
    return trainedState.get(this).bytes.slice();
  }
}

/**
 * train trains a classifier, or fine-tunes one, inside the wasm module and
 * resolves to a TrainedModel. model is what load() takes (a .wnn or ONNX
 * file to fine-tune, as a URL, path, ArrayBuffer, typed array or Blob) or
 * the name of a zoo architecture (a string without '/', '\\', '.' or ':',
 * such as 'lenet5'), built with fresh weights from the seed.
 *
 * options: images (a Float32Array of the examples' input tensors back to
 * back, an array of Float32Arrays, or an array of images as classify takes
 * them, preprocessed as classify does), labels (one class index per
 * example), epochs (20), batch (32), optimizer ('adam' or 'sgd'), lr (peak,
 * 2e-3; warm-up over the first epoch, then cosine decay), weightDecay
 * (1e-4), shift (random shifts of up to 2 pixels), seed (1), holdout (every
 * 5th example of each class held out for the evaluation; 0: none), classes
 * (a new classifier head: a class count, or the class names), freeze
 * (names of layers not to train), invert (for images, as classify's),
 * onProgress({epoch, epochs, batch, batches, step, steps, loss, accuracy,
 * lr, history}), signal (an AbortSignal: training stops at the next step
 * and train resolves to the model as trained so far, stopped true),
 * sliceMs (how long the engine trains between progress reports, default
 * 50), and init's wasmURL, simd and threads. The defaults are those of
 * `wasmnn train`, and the same data, model, options and seed give the same
 * weights bit for bit as it does, in every host. Bad data rejects before
 * training starts, naming the example.
 */
async function train(model, options) {
  const where = 'wasmnn.train';
  if (!isPlainObject(options)) {
    throw new TypeError(`${where}: pass the options {images, labels, ...}, got ${describe(options)}`);
  }
  const opts = checkOptions(options, ['images', 'labels', 'optimizer', 'classes', 'freeze', 'invert', 'onProgress',
    'signal', 'wasmURL', 'simd', 'threads', ...Object.keys(TRAIN_NUMBERS)], where);
  for (const k of ['images', 'labels']) {
    if (opts[k] === undefined || opts[k] === null) throw new TypeError(`${where}: ${k} is required`);
  }
  const engine = {};
  for (const [k, [lo, hi, integer, open]] of Object.entries(TRAIN_NUMBERS)) {
    const v = opts[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) {
      throw new TypeError(`${where}: ${k} must be ${integer ? 'a whole number' : 'a number'}, got ${describe(v)}`);
    }
    if ((open ? v <= lo : v < lo) || v > hi || (k === 'holdout' && v === 1)) {
      throw new RangeError(`${where}: ${k} must be ${k === 'holdout' ? '0 (none) or at least 2' : `in ${open ? '(' : '['}${lo}, ${hi}]`}, got ${v}`);
    }
    if (k !== 'sliceMs') engine[k] = v;
  }
  if (opts.optimizer !== undefined) {
    if (opts.optimizer !== 'adam' && opts.optimizer !== 'sgd') throw new RangeError(`${where}: optimizer must be 'adam' or 'sgd', got ${describe(opts.optimizer)}`);
    engine.optimizer = opts.optimizer;
  }
  let classes = 0;
  if (opts.classes !== undefined) {
    if (Array.isArray(opts.classes)) {
      opts.classes.forEach((c, i) => {
        if (typeof c !== 'string' || c === '') throw new TypeError(`${where}: classes[${i}] must be a non-empty string, got ${describe(c)}`);
        if (opts.classes.indexOf(c) !== i) throw new RangeError(`${where}: classes ${opts.classes.indexOf(c)} and ${i} are both named ${JSON.stringify(c)}`);
      });
      classes = opts.classes.length;
      engine.classNames = opts.classes.slice();
    } else if (typeof opts.classes === 'number' && Number.isSafeInteger(opts.classes)) {
      classes = opts.classes;
    } else {
      throw new TypeError(`${where}: classes must be a class count or an array of class names, got ${describe(opts.classes)}`);
    }
    if (classes < 2) throw new RangeError(`${where}: a new head needs at least 2 classes, got ${classes}`);
    engine.classes = classes;
  }
  if (opts.freeze !== undefined) {
    if (!Array.isArray(opts.freeze) || opts.freeze.some((f) => typeof f !== 'string' || f === '')) {
      throw new TypeError(`${where}: freeze must be an array of layer names, got ${describe(opts.freeze)}`);
    }
    engine.freeze = opts.freeze.slice();
  }
  if (opts.invert !== undefined) {
    if (opts.invert !== 'auto' && typeof opts.invert !== 'boolean') throw new TypeError(`${where}: invert must be 'auto', true or false, got ${describe(opts.invert)}`);
    engine.invert = opts.invert === 'auto' ? 'auto' : opts.invert ? 'yes' : 'no';
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw new TypeError(`${where}: onProgress must be a function, got ${describe(opts.onProgress)}`);
  }
  const signal = opts.signal;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw new TypeError(`${where}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  const arch = typeof model === 'string' && model !== '' && !/[/\\.:]/.test(model) ? model : null;
  const initOpts = {};
  for (const k of ['wasmURL', 'simd', 'threads']) if (opts[k] !== undefined) initOpts[k] = opts[k];
  const started = init(initOpts);
  started.catch(() => {}); // awaited below
  const src = arch !== null ? arch : await modelBytes(model, undefined, where);
  const imgs = await trainImages(opts.images, where);
  const labels = trainLabels(opts.labels, imgs.n, classes, where);
  if (imgs.rgba) engine.rgba = imgs.rgba;
  await started;
  const json = JSON.stringify(engine);
  const start = await call((api) => check(api.trainStart(src, imgs.bytes, labels, json), where));
  const id = start.id;
  const training = deepFreeze(JSON.parse(start.info));
  const sliceMs = opts.sliceMs === undefined ? DEFAULT_SLICE_MS : opts.sliceMs;
  let result;
  try {
    let p = { step: 0, steps: training.steps, done: training.steps === 0, stats: '[]' };
    let stopped = false;
    while (!p.done) {
      if (signal && signal.aborted) {
        stopped = true;
        break;
      }
      p = await call((api) => check(api.trainStep(id, MAX_SLICE_STEPS, sliceMs), where));
      if (opts.onProgress) {
        opts.onProgress({ epoch: p.epoch, epochs: p.epochs, batch: p.batch, batches: p.batches, step: p.step, steps: p.steps,
          loss: p.loss, accuracy: p.accuracy, lr: p.lr, history: historyOf(p.stats) });
      }
      if (!p.done) await nextTask();
    }
    result = await call((api) => {
      const ev = JSON.parse(check(api.trainEvaluate(id), where).result);
      const saved = check(api.trainSave(id), where).model;
      return { evaluation: ev && deepFreeze(ev), bytes: new Uint8Array(saved), history: deepFreeze(historyOf(p.stats)),
        stopped, steps: p.step, training };
    });
  } finally {
    await call((api) => api.trainDispose(id)).catch(() => {});
  }
  return call((api) => {
    const res = check(api.load(result.bytes, '{}'), where);
    return new TrainedModel(TRAINED_TOKEN, res.id, JSON.parse(res.info), result);
  });
}

// historyOf turns trainStep's stats into [{epoch, loss, accuracy}].
function historyOf(stats) {
  return JSON.parse(stats).map((s, i) => ({ epoch: i + 1, loss: s.loss, accuracy: s.accuracy }));
}

globalThis.wasmnn = Object.freeze({ load, init, backendInfo, train, Tensor, Model, TrainedModel, OCRReader, ocr, version: VERSION });
})();
