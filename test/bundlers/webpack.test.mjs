// webpack 5 with zero configuration (`webpack --mode=production`, the default
// entry src/index.js): it emits wasmnn's wasm files and wasm_exec.js as asset
// modules and bundles the worker; the page and the worker give the CLI's
// output bit for bit, also under a strict Content-Security-Policy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { STRICT_CSP, app, browser, bundler, copyPublic, exec, fetched, page, sameOutput, serve, setup, sizes, visit } from './lib.mjs';

let env;
let b;
let dir;
let out;

before(async () => {
  env = await setup();
  b = await browser();
  dir = await app(env, 'webpack');
  await exec(bundler('webpack'), ['--mode=production'], dir);
  out = path.join(dir, 'dist');
  copyPublic(dir, out);
  page(out, 'main.js', 'classic');
});

after(async () => {
  if (b) await b.close();
  if (env) env.cleanup();
});

test('webpack emits the package\'s wasm files byte for byte', () => {
  const files = sizes(out);
  console.log(`webpack: ${JSON.stringify(files)}`);
  for (const name of ['wasmnn.wasm', 'wasmnn-simd.wasm']) {
    const want = fs.readFileSync(path.join(dir, 'node_modules/wasmnn/dist', name));
    const got = Object.keys(files).filter((f) => f.endsWith('.wasm') && files[f] === want.length);
    assert.equal(got.length, 1, `one emitted .wasm has the size of ${name} (files: ${JSON.stringify(files)})`);
    assert.deepEqual(fs.readFileSync(path.join(out, got[0])), want, `${got[0]} is ${name}`);
  }
});

for (const [name, headers] of [['no policy', {}], ['a Content-Security-Policy with only \'wasm-unsafe-eval\'', { 'Content-Security-Policy': STRICT_CSP }]]) {
  test(`the built app runs LeNet-5 on the page and in a worker as the CLI does (${name})`, async () => {
    const srv = await serve(out, { headers });
    try {
      const { result, errors, violations } = await visit(b.ctx, srv.url);
      sameOutput(result.page, env.want, 'page');
      sameOutput(result.worker, env.want, 'worker');
      assert.deepEqual(errors, []);
      assert.deepEqual(violations, []);
      const loaded = fetched(srv);
      assert.ok(loaded.every((r) => r.startsWith('200 ')), loaded.join(', '));
      assert.ok(loaded.filter((r) => r.endsWith('.wasm')).length >= 4, `the page and the worker each fetched both wasm files: ${loaded.join(', ')}`);
    } finally {
      await srv.stop();
    }
  });
}
