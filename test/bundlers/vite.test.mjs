// Vite with zero configuration: `vite build` copies wasmnn's wasm files and
// wasm_exec.js into the build (the package names them with literal
// new URL(..., import.meta.url)), the page and a module worker give the
// CLI's output bit for bit, also under a strict Content-Security-Policy, and
// so does the dev server (`vite`, dependency pre-bundling on).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  NO_WASM_CSP, STRICT_CSP, app, browser, bundler, devServer, exec, fetched, freePort, sameOutput, serve, setup, sizes, visit,
} from './lib.mjs';

let env;
let b;
let dir;
let out;

before(async () => {
  env = await setup();
  b = await browser();
  dir = await app(env, 'vite');
  await exec(bundler('vite'), ['build'], dir);
  out = path.join(dir, 'dist');
});

after(async () => {
  if (b) await b.close();
  if (env) env.cleanup();
});

test('vite build emits the wasm files, wasm_exec.js and the worker', () => {
  const files = Object.keys(sizes(out));
  for (const re of [/^assets\/wasmnn-[\w-]+\.wasm$/, /^assets\/wasmnn-simd-[\w-]+\.wasm$/, /^assets\/wasm_exec-[\w-]+\.js$/, /^assets\/worker-[\w-]+\.js$/]) {
    assert.ok(files.some((f) => re.test(f)), `the build has a file like ${re} (files: ${files.join(', ')})`);
  }
  const wasm = files.find((f) => /^assets\/wasmnn-[\w-]+\.wasm$/.test(f) && !f.includes('simd'));
  assert.deepEqual(fs.readFileSync(path.join(out, wasm)), fs.readFileSync(path.join(dir, 'node_modules/wasmnn/dist/wasmnn.wasm')),
    'the emitted wasm is the package\'s');
  console.log(`vite build: ${JSON.stringify(sizes(out))}`);
});

test('the built app runs LeNet-5 on the page and in a worker as the CLI does', async () => {
  const srv = await serve(out);
  try {
    const { result, errors } = await visit(b.ctx, srv.url);
    sameOutput(result.page, env.want, 'page');
    sameOutput(result.worker, env.want, 'worker');
    assert.deepEqual(errors, []);
    const loaded = fetched(srv);
    assert.ok(loaded.every((r) => r.startsWith('200 /assets/')), `everything came from the build: ${loaded.join(', ')}`);
    assert.ok(srv.requests.filter((r) => r.path.endsWith('.wasm')).every((r) => r.type === 'application/wasm'));
  } finally {
    await srv.stop();
  }
});

test('under a Content-Security-Policy with only \'wasm-unsafe-eval\' it works; without it the error says what to add', async () => {
  const strict = await serve(out, { headers: { 'Content-Security-Policy': STRICT_CSP } });
  try {
    const { result, errors, violations } = await visit(b.ctx, strict.url);
    sameOutput(result.page, env.want, 'page');
    sameOutput(result.worker, env.want, 'worker');
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
  } finally {
    await strict.stop();
  }
  // The same build without 'wasm-unsafe-eval': the policy is in force.
  const none = await serve(out, { headers: { 'Content-Security-Policy': NO_WASM_CSP } });
  try {
    const { result } = await visit(b.ctx, `${none.url}?noworker`);
    assert.match(result.page.error || '', /^wasmnn: the Content-Security-Policy does not allow compiling the wasm module from http:\/\/127\.0\.0\.1:\d+\/assets\/wasmnn-[\w-]+\.wasm: add 'wasm-unsafe-eval' to its script-src/);
  } finally {
    await none.stop();
  }
});

test('the dev server (vite, no configuration) runs it too', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const dev = await devServer(bundler('vite'), ['--host', '127.0.0.1', '--port', String(port), '--strictPort'], dir, url);
  try {
    const { result, errors } = await visit(b.ctx, url);
    sameOutput(result.page, env.want, 'page');
    sameOutput(result.worker, env.want, 'worker');
    assert.deepEqual(errors, []);
  } finally {
    await dev.stop();
  }
});
