// esbuild does not rewrite new URL(..., import.meta.url), so a bundle needs
// one flag and one copy, as js/README.md says: --format=esm (else the bundle
// has no module URL) and the package's dist/ copied beside the bundle. Each
// missing step gives an error that says what to do; with both, the page and
// a worker (a second entry point) give the CLI's output bit for bit.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { app, browser, bundler, copyPublic, exec, page, sameOutput, serve, setup, sizes, visit } from './lib.mjs';

let env;
let b;
let dir;

before(async () => {
  env = await setup();
  b = await browser();
  dir = await app(env, 'esbuild');
});

after(async () => {
  if (b) await b.close();
  if (env) env.cleanup();
});

// build bundles the app's page and worker into dir/name with extra flags.
async function build(name, flags, type) {
  const out = path.join(dir, name);
  await exec(bundler('esbuild'), ['src/index.js', 'src/worker.js', '--bundle', `--outdir=${name}`, ...flags], dir);
  copyPublic(dir, out);
  page(out, 'index.js', type);
  return out;
}

async function open(out, query = '') {
  const srv = await serve(out);
  try {
    return { ...(await visit(b.ctx, srv.url + query)), requests: srv.requests };
  } finally {
    await srv.stop();
  }
}

test('without --format=esm the bundle has no module URL, and the error says so', async () => {
  const { result } = await open(await build('iife', [], 'classic'), '?noworker');
  assert.match(result.page.error || '', /^wasmnn: cannot tell where wasmnn\.wasm is: this copy of wasmnn\.js was bundled without its module URL \(as esbuild's --format=iife does\); bundle it as an ES module \(esbuild --format=esm\) or pass \{wasmURL\}/);
});

test('with --format=esm but no dist/ beside the bundle, the error names the URL tried and the folder to copy', async () => {
  const { result, requests } = await open(await build('nocopy', ['--format=esm'], 'module'), '?noworker');
  const msg = result.page.error || '';
  assert.match(msg, /^wasmnn: could not load the wasm module from http:\/\/127\.0\.0\.1:\d+\/dist\/wasmnn\.wasm: HTTP 404 Not Found\./);
  assert.match(msg, /copy node_modules\/wasmnn\/dist\/ to a dist\/ folder next to the bundle/);
  assert.match(msg, /pass \{wasmURL: '…\/wasmnn\.wasm'\}/);
  assert.ok(requests.some((r) => r.path === '/dist/wasmnn.wasm' && r.status === 404));
});

test('with --format=esm and dist/ copied, the page and the worker give the CLI\'s output', async () => {
  const out = await build('esm', ['--format=esm'], 'module');
  fs.cpSync(path.join(dir, 'node_modules/wasmnn/dist'), path.join(out, 'dist'), { recursive: true });
  console.log(`esbuild --bundle --format=esm: ${JSON.stringify(sizes(out))}`);
  const { result, errors } = await open(out);
  sameOutput(result.page, env.want, 'page');
  sameOutput(result.worker, env.want, 'worker');
  assert.deepEqual(errors, []);
});
