// Start-up: load works without an explicit init (init is memoised), failed
// wasm loads say which URL was tried, what came back (an HTML page, another
// kind of file) and what to do, and can be retried; wasmURL cannot change
// once started, and models load over HTTP with progress.
//
// This file must start its own process's wasm instance, so every test in it
// runs in order and the first ones run before anything is initialised.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { WASM, buildFixture, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let modelPath;
let modelBytes;
let wasmBytes;
let server;
let base;
const hits = [];

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  modelPath = await buildFixture(tmp.dir, 'lenet5');
  modelBytes = await readFile(modelPath);
  wasmBytes = await readFile(WASM);
  const routes = {
    '/wasmnn.wasm': ['application/wasm', wasmBytes],
    '/octet/wasmnn.wasm': ['application/octet-stream', wasmBytes], // wrong type: falls back to compiling the bytes
    '/page.wasm': ['text/html', Buffer.from('<!doctype html><p>not found</p>')], // what a SPA fallback serves
    '/octet/page.wasm': ['application/octet-stream', Buffer.from('\n  <!DOCTYPE html>\n<html><p>index</p>')],
    '/zip.wasm': ['application/octet-stream', Buffer.from('PK\x03\x04\x14\x00\x00\x00 a zip file')],
    '/typed/page.wasm': ['application/wasm', Buffer.from('<!doctype html>')], // streamed: the engine's error
    '/empty.wasm': ['application/wasm', Buffer.alloc(0)],
    '/node_modules/.vite/deps/dist/wasmnn.wasm': ['text/html', Buffer.from('<!doctype html><script type="module" src="/@vite/client"></script>')],
    '/lenet5.wnn': ['application/octet-stream', modelBytes],
  };
  server = createServer((req, res) => {
    hits.push(req.url);
    const r = routes[req.url];
    if (!r) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': r[0], 'Content-Length': r[1].length });
    // send in chunks so progress is reported more than once
    const chunk = 64 << 10;
    for (let off = 0; off < r[1].length; off += chunk) res.write(r[1].subarray(off, off + chunk));
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  if (tmp) await tmp.cleanup();
});

describe('before the wasm module starts', { concurrency: 1 }, () => {
  test('backendInfo says not initialised', () => {
    const info = wasmnn.backendInfo();
    assert.deepEqual(info, { initialized: false, simd: false, simdReason: '', threads: 1, threadsReason: '', wasmBytes: 0, memoryBytes: 0, models: 0, readers: 0, version: wasmnn.version });
  });

  // The advice for a wasmURL (the package's own files are found beside
  // wasmnn.js; the bundler tests, test/bundlers, cover the advice for those).
  const check = /Check the wasmURL given to init\(\)\/load\(\): it must be where wasmnn\.wasm is served, with wasmnn-simd\.wasm and wasm_exec\.js \(all three are in the package's dist\/ folder\) beside it\. Serve them over HTTP \(pages opened from file:\/\/ cannot fetch them\), \.wasm as application\/wasm/;
  const failures = [
    { name: 'a missing file', url: () => `${tmp.dir}/missing.wasm`, msg: [/could not read the wasm module .*missing\.wasm: ENOENT/, /Check the wasmURL given to init\(\)\/load\(\): wasmnn-simd\.wasm and wasm_exec\.js go beside wasmnn\.wasm/] },
    { name: 'HTTP 404', url: () => `${base}/nowhere/wasmnn.wasm`, msg: [/^wasmnn: could not load the wasm module from http:.*\/nowhere\/wasmnn\.wasm: HTTP 404 Not Found\. /, check] },
    { name: 'an HTML page served as wasm', url: () => `${base}/page.wasm`, msg: [/\/page\.wasm: the server sent an HTML page \(Content-Type text\/html\), not the wasm file: what a dev server or a single-page app's fallback answers for a file it does not have\. /, check] },
    { name: 'an HTML page served as application/octet-stream', url: () => `${base}/octet/page.wasm`, msg: [/\/octet\/page\.wasm: the server sent an HTML page \(Content-Type application\/octet-stream\), not the wasm file/, check] },
    { name: 'another kind of file', url: () => `${base}/zip.wasm`, msg: [/\/zip\.wasm: it is not a wasm module \(Content-Type application\/octet-stream; it begins with the bytes 50 4b 03 04 14 00 00 00\)/, check] },
    { name: 'HTML served as application/wasm', url: () => `${base}/typed/page.wasm`, msg: [/\/typed\/page\.wasm: not a usable wasm module \(Content-Type application\/wasm\): /, check] },
    { name: 'an empty response', url: () => `${base}/empty.wasm`, msg: [/\/empty\.wasm: not a usable wasm module \(Content-Type application\/wasm\)/] },
    { name: 'a file moved by Vite\'s pre-bundling', url: () => `${base}/node_modules/.vite/deps/dist/wasmnn.wasm`, msg: [/the server sent an HTML page/, /Vite's dependency pre-bundling moved wasmnn\.js away from its files: add optimizeDeps: \{ exclude: \['wasmnn'\] \} to vite\.config\.js/] },
    { name: 'nothing listening', url: () => 'http://127.0.0.1:9/wasmnn.wasm', msg: [/could not load the wasm module from http:\/\/127\.0\.0\.1:9\/wasmnn\.wasm: the request failed \(.*: the server is unreachable, or a Content-Security-Policy connect-src does not allow it\)/, check] },
    { name: 'a model file as wasm', url: () => modelPath, msg: [/lenet5\.wnn is not a usable wasm module: it is not a wasm module \(it begins with the bytes /] },
  ];
  for (const f of failures) {
    test(`init rejects ${f.name} with advice, and can be retried`, async () => {
      await assert.rejects(wasmnn.init({ wasmURL: f.url() }), (e) => {
        assert.equal(e.constructor, Error);
        for (const m of f.msg) assert.match(e.message, m);
        return true;
      });
      assert.equal(wasmnn.backendInfo().initialized, false);
    });
  }

  test('init rejects bad options before doing anything', async () => {
    await assert.rejects(wasmnn.init({ wasmUrl: 'x' }), { name: 'TypeError', message: /unknown option "wasmUrl" \(known: wasmURL, simd, threads\)/ });
    await assert.rejects(wasmnn.init({ wasmURL: 5 }), { name: 'TypeError', message: /wasmURL must be a non-empty string or URL, got number 5/ });
    assert.equal(wasmnn.backendInfo().initialized, false);
  });

  test('load without init starts the module once, over HTTP, with progress', async () => {
    const progress = [];
    const opts = { wasmURL: `${base}/wasmnn.wasm`, onProgress: (loaded, total) => progress.push([loaded, total]) };
    const [m1, m2] = await Promise.all([wasmnn.load(`${base}/lenet5.wnn`, opts), wasmnn.load(modelBytes, { wasmURL: `${base}/wasmnn.wasm` })]);
    assert.equal(hits.filter((h) => h === '/wasmnn.wasm').length, 1, 'the wasm module was fetched once');
    const info = wasmnn.backendInfo();
    assert.equal(info.initialized, true);
    assert.equal(info.wasmBytes, wasmBytes.length);
    assert.ok(info.memoryBytes > 0);
    assert.equal(info.models, 2);
    assert.ok(progress.length >= 2, `progress reported ${progress.length} times`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0], 'loaded never decreases');
    assert.ok(progress.every(([, total]) => total === modelBytes.length), 'total is the Content-Length');
    assert.deepEqual(progress.at(-1), [modelBytes.length, modelBytes.length]);
    const x = new wasmnn.Tensor('float32', randomFloats(1024, 5), [1, 1, 32, 32]);
    const [a, b] = await Promise.all([m1.run({ input: x }), m2.run({ input: x })]);
    assert.equal(firstBitDifference(a.fc3.data, b.fc3.data), -1, 'the model fetched over HTTP equals the one from bytes');
    await Promise.all([m1.dispose(), m2.dispose()]);
  });
});

describe('after the wasm module started', { concurrency: 1 }, () => {
  test('init again resolves, with or without the same wasmURL', async () => {
    await wasmnn.init();
    await wasmnn.init({ wasmURL: `${base}/wasmnn.wasm` });
    await wasmnn.init({ wasmURL: new URL(`${base}/wasmnn.wasm`) });
  });

  test('changing wasmURL rejects', async () => {
    await assert.rejects(wasmnn.init({ wasmURL: WASM }), (e) => {
      assert.equal(e.constructor, Error);
      assert.match(e.message, /already started from http:\/\/127\.0\.0\.1:\d+\/wasmnn\.wasm; wasmURL cannot change to file:\/\/.*dist\/wasmnn\.wasm/);
      return true;
    });
    await assert.rejects(wasmnn.load(modelBytes, { wasmURL: `${base}/octet/wasmnn.wasm` }), /wasmURL cannot change/);
    assert.equal(wasmnn.backendInfo().models, 0, 'nothing was loaded');
  });

  test('load by path, file: URL, URL object, ArrayBuffer, Uint8Array view, Blob and typed array all agree', async () => {
    const x = new wasmnn.Tensor('float32', randomFloats(1024, 6), [1, 1, 32, 32]);
    const padded = new Uint8Array(modelBytes.length + 16);
    padded.set(modelBytes, 8);
    const ab = modelBytes.buffer.slice(modelBytes.byteOffset, modelBytes.byteOffset + modelBytes.length);
    const sources = {
      path: modelPath,
      fileURL: new URL(`file://${modelPath}`).href,
      URL: new URL(`${base}/lenet5.wnn`),
      ArrayBuffer: ab,
      view: padded.subarray(8, 8 + modelBytes.length),
      Blob: new Blob([modelBytes]),
      DataView: new DataView(ab),
    };
    let want;
    for (const [name, src] of Object.entries(sources)) {
      const m = await wasmnn.load(src);
      const out = (await m.run({ input: x })).fc3.data;
      if (want) assert.equal(firstBitDifference(out, want), -1, name);
      want = want || out;
      assert.equal(m.meta.name, 'lenet5', name);
      await m.dispose();
    }
  });

  test('a model fetch failure says what failed', async () => {
    await assert.rejects(wasmnn.load(`${base}/missing.wnn`), { message: /cannot fetch the model http:.*\/missing\.wnn: HTTP 404 Not Found/ });
  });

  test('model metadata', async () => {
    const m = await wasmnn.load(modelBytes);
    assert.deepEqual([...m.inputNames], ['input']);
    assert.deepEqual([...m.outputNames], ['fc3']);
    const plain = (v) => ({ ...v, dims: [...v.dims], sampleDims: [...v.sampleDims] });
    assert.deepEqual(m.inputs.map(plain), [{ name: 'input', dims: [1, 1, 32, 32], sampleDims: [1, 1, 32, 32] }]);
    assert.deepEqual(m.outputs.map(plain), [{ name: 'fc3', dims: [1, 10], sampleDims: [1, 10] }]);
    assert.deepEqual([...m.labels], ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(m.meta.name, 'lenet5');
    assert.match(m.meta.description, /LeNet-5/);
    assert.equal(m.meta.preprocess.width, 32);
    assert.equal(m.meta.preprocess.channels, 1);
    assert.ok(Object.isFrozen(m.meta) && Object.isFrozen(m.inputs[0].dims));
    const s = m.summary();
    assert.equal(s.name, 'lenet5');
    assert.deepEqual(s.layers.map((l) => l.name).slice(0, 2), ['conv1', 'pool1']);
    assert.ok(s.total_params > 60000 && s.total_flops > 0);
    assert.equal(m.summary(), s, 'the summary is cached');
    const x = new wasmnn.Tensor('float32', randomFloats(1024, 7), [1, 1, 32, 32]);
    const p = await m.runProfiled({ input: x });
    const r = await m.run({ input: x });
    assert.equal(firstBitDifference(p.outputs.fc3.data, r.fc3.data), -1, 'runProfiled gives run\'s outputs');
    assert.deepEqual(p.layers, s.layers.map((l) => l.name));
    assert.equal(p.times.length, s.layers.length);
    assert.ok(p.times.every((t) => typeof t === 'number' && t >= 0));
    await m.dispose();
  });
});
