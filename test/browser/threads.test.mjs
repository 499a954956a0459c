// Threads in Chromium (issue 17): served by `wasmnn serve` (COOP same-origin,
// COEP require-corp: cross-origin isolated), wasmnn runs its SIMD kernels on
// 1-4 threads, on a page's main thread (the caller spins) and in a module
// worker (it sleeps in Atomics.wait); every output equals the native CLI's
// bit for bit. Served without those headers, the page runs on one thread and
// the console says why and which headers turn threads on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup, watch } from './lib.mjs';
import { cli, cliRun, firstBitDifference, randomFloats } from '../../js/testlib/helpers.mjs';

const PAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');
let env;
let tmp;
const models = [];
const want = {};

before(async () => {
  env = await setup();
  for (const f of fs.readdirSync(PAGES)) fs.copyFileSync(path.join(PAGES, f), path.join(env.dir, f));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-threads-'));
  for (const [name, args, dims] of [['r18', ['resnet18', '--input-size', '64'], [1, 3, 64, 64]], ['lenet5', ['lenet5', '--seed', '3'], [1, 1, 32, 32]]]) {
    const file = path.join(env.dir, `${name}.wnn`);
    await cli('build', ...args, '-o', file);
    const input = randomFloats(dims.reduce((a, b) => a * b, 1), 21);
    const out = await cliRun(file, { input: { dims, data: input } }, tmp);
    want[`${name}.wnn`] = {};
    for (const f of fs.readdirSync(out.dir)) want[`${name}.wnn`][f.replace(/\.npy$/, '')] = await out.read(f.replace(/\.npy$/, ''));
    models.push({ url: `${name}.wnn`, input: Array.from(input), dims });
  }
});

after(async () => {
  if (env) await env.teardown();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function checkOutputs(r, what) {
  for (const [url, outs] of Object.entries(want)) {
    for (const [name, w] of Object.entries(outs)) {
      const got = r.outputs[url][name];
      assert.deepEqual(got.dims, w.dims, `${what}: ${url} ${name} dims`);
      const g = new Float32Array(Uint8Array.from(Buffer.from(got.bits, 'hex')).buffer);
      const i = firstBitDifference(g, w.data);
      assert.equal(i, -1, `${what}: ${url} ${name}[${i}] = ${g[i]}, the CLI gives ${w.data[i]}`);
    }
  }
}

async function open(base) {
  const page = await env.ctx.newPage();
  const errors = watch(page);
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  await page.goto(`${base}threads.html`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  return { page, errors, logs };
}

for (const where of ['worker', 'page']) {
  for (const threads of [1, 2, 3, 4]) {
    test(`${threads} thread(s) in a ${where === 'page' ? "page's main thread" : 'module worker'}: bit-identical to the CLI`, async () => {
      const { page, errors } = await open(env.url);
      const fn = where === 'page' ? 'runModels' : 'runInWorker';
      const r = await page.evaluate(([f, arg]) => window[f](arg), [fn, { threads, models }]);
      assert.equal(r.isolated, true, 'wasmnn serve makes the page cross-origin isolated');
      assert.equal(r.info.threads, threads, `backendInfo().threads (reason: ${r.info.threadsReason})`);
      assert.equal(r.info.simd, true);
      checkOutputs(r, `${threads} threads in a ${where}`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
}

test('a page that is not cross-origin isolated runs on one thread and says which headers turn threads on', async () => {
  // The same files without the COOP/COEP headers.
  const srv = http.createServer((req, res) => {
    const file = path.join(env.dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(env.dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' }[path.extname(file)] || 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type }).end(fs.readFileSync(file));
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const { page, errors, logs } = await open(`http://127.0.0.1:${srv.address().port}/`);
    const r = await page.evaluate((arg) => window.runModels(arg), { models });
    assert.equal(r.isolated, false);
    assert.equal(r.info.threads, 1);
    assert.match(r.info.threadsReason, /not cross-origin isolated.*"Cross-Origin-Opener-Policy: same-origin".*"Cross-Origin-Embedder-Policy: require-corp"/);
    const line = logs.filter((l) => /wasmnn: threads are off/.test(l));
    assert.equal(line.length, 1, `one console line about threads, got: ${logs.join(' | ')}`);
    assert.match(line[0], /Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    checkOutputs(r, 'one thread, not isolated');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    srv.close();
  }
});

