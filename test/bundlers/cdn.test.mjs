// From a CDN, without a bundler: the packed package served under
// /npm/wasmnn@VERSION/ by another origin (with Access-Control-Allow-Origin,
// as CDNs send it), loaded by a page as the classic script wasmnn.global.js
// or as the ES module wasmnn.js; each finds the wasm beside it and gives the
// CLI's output bit for bit. A wasmURL that a single-page app's server
// answers with its index.html says so.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { browser, exec, sameOutput, serve, setup, visit } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

let env;
let b;
let cdn;
let site;
let base;
let pageDir;

before(async () => {
  env = await setup();
  b = await browser();
  const pkg = path.join(env.dir, 'cdn', 'npm', 'wasmnn@0.1.0');
  fs.mkdirSync(pkg, { recursive: true });
  await exec('tar', ['-xzf', env.tarball, '-C', pkg, '--strip-components=1'], env.dir);
  cdn = await serve(path.join(env.dir, 'cdn'), { headers: { 'Access-Control-Allow-Origin': '*' } });
  base = `${cdn.url}npm/wasmnn@0.1.0/`;
  pageDir = path.join(env.dir, 'site');
  fs.cpSync(env.fixtures, pageDir, { recursive: true });
  fs.copyFileSync(path.join(HERE, 'app', 'src', 'infer.js'), path.join(pageDir, 'infer.js'));
  fs.copyFileSync(path.join(HERE, 'cdn', 'run.js'), path.join(pageDir, 'run.js'));
  const html = (name, extra) => fs.writeFileSync(path.join(pageDir, name),
    `<!doctype html>\n<html>\n<head><meta charset="utf-8"><title>wasmnn from a CDN</title></head>\n<body>\n<pre id="out">running</pre>\n${extra}<script type="module" src="run.js"></script>\n</body>\n</html>\n`);
  html('classic.html', `<script src="${base}wasmnn.global.js"></script>\n`);
  html('index.html', '');
  site = await serve(pageDir, { fallback: true });
});

after(async () => {
  if (b) await b.close();
  if (site) await site.stop();
  if (cdn) await cdn.stop();
  if (env) env.cleanup();
});

test('<script src=".../wasmnn.global.js"> from another origin finds the wasm beside it', async () => {
  const { result, errors } = await visit(b.ctx, `${site.url}classic.html`);
  sameOutput(result.page, env.want, 'classic script');
  assert.deepEqual(errors, []);
  const got = cdn.requests.map((r) => `${r.status} ${r.path}`);
  for (const f of ['wasmnn.global.js', 'dist/wasmnn.wasm', 'dist/wasmnn-simd.wasm', 'dist/wasm_exec.js']) {
    assert.ok(got.includes(`200 /npm/wasmnn@0.1.0/${f}`), `${f} came from the CDN: ${got.join(', ')}`);
  }
});

test('import from .../wasmnn.js on another origin finds the wasm beside it', async () => {
  const { result, errors } = await visit(b.ctx, `${site.url}?pkg=${encodeURIComponent(base)}`);
  sameOutput(result.page, env.want, 'ES module');
  assert.deepEqual(errors, []);
});

test('a wasmURL answered with the site\'s index.html says it got an HTML page', async () => {
  const { result } = await visit(b.ctx, `${site.url}classic.html?wasmURL=${encodeURIComponent('/static/wasmnn.wasm')}`);
  assert.match(result.page.error || '', new RegExp('^wasmnn: could not load the wasm module from http://127\\.0\\.0\\.1:\\d+/static/wasmnn\\.wasm: ' +
    'the server sent an HTML page \\(Content-Type text/html\\), not the wasm file: what a dev server or a single-page app\'s fallback answers'));
  assert.match(result.page.error, /Check the wasmURL given to init\(\)\/load\(\): it must be where wasmnn\.wasm is served/);
});
