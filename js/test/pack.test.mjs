// `npm pack` refuses to pack without the engine files or with a stale
// generated file (the prepack script, check-pack.mjs) and packs them when
// they are there; the packed package works in Node by import and by
// require, and TypeScript finds its declarations for both.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { GENERATED, assetPaths } from '../build-global.mjs';
import { JS_DIR, buildFixture, cliRun, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const run = promisify(execFile);
const GENERATED_FILES = GENERATED.map((g) => g.file);
const SOURCES = ['package.json', 'wasmnn.js', 'wasmnn.d.ts', 'README.md', 'check-pack.mjs', 'build-global.mjs', ...GENERATED_FILES];

let tmp;
let dist; // the files wasmnn.js loads: dist/wasmnn.wasm, ...

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  dist = assetPaths(await readFile(join(JS_DIR, 'wasmnn.js'), 'utf8'));
});

after(() => tmp && tmp.cleanup());

// pkg copies the package's sources (and the dist files listed) into a new directory.
async function pkg(name, files) {
  const dir = join(tmp.dir, name);
  await mkdir(join(dir, 'dist'), { recursive: true });
  for (const f of [...SOURCES, ...files]) await copyFile(join(JS_DIR, f), join(dir, f));
  return dir;
}

async function pack(dir, args = ['--dry-run']) {
  try {
    const { stdout } = await run('npm', ['pack', ...args, '--json', '--ignore-scripts=false'], { cwd: dir });
    return { ok: true, files: JSON.parse(stdout)[0].files.map((f) => f.path), name: JSON.parse(stdout)[0].filename };
  } catch (e) {
    return { ok: false, stderr: e.stderr };
  }
}

test('wasmnn.js loads the wasm modules and wasm_exec.js from dist/', () => {
  for (const f of ['dist/wasmnn.wasm', 'dist/wasmnn-simd.wasm', 'dist/wasm_exec.js']) assert.ok(dist.includes(f), `${f} in ${dist.join(', ')}`);
});

test('without the wasm files, npm pack stops and says how to build them', async () => {
  const res = await pack(await pkg('bare', dist.filter((f) => !f.startsWith('dist/'))));
  assert.equal(res.ok, false);
  assert.match(res.stderr, /wasmnn: not packing, the package would not work:/);
  for (const f of dist.filter((f) => f.startsWith('dist/'))) assert.match(res.stderr, new RegExp(`${f.replaceAll('.', '\\.')} is missing`));
  assert.match(res.stderr, /make wasm/);
});

test('a file that is not a wasm module, a stale generated file or a file "files" leaves out stops it too', async () => {
  const dir = await pkg('broken', dist);
  await writeFile(join(dir, 'dist', 'wasmnn.wasm'), '<!doctype html>');
  await writeFile(join(dir, 'wasmnn.global.js'), '// old\n');
  await writeFile(join(dir, 'wasmnn.cjs'), (await readFile(join(dir, 'wasmnn.cjs'), 'utf8')) + '// edited\n');
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  manifest.files = manifest.files.filter((f) => f !== 'dist/wasmnn-simd.wasm' && f !== 'wasmnn.d.cts');
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  const res = await pack(dir);
  assert.equal(res.ok, false);
  assert.match(res.stderr, /dist\/wasmnn\.wasm is not a WebAssembly module/);
  assert.match(res.stderr, /wasmnn\.global\.js is out of date with wasmnn\.js \(npm run build writes it\)/);
  assert.match(res.stderr, /wasmnn\.cjs is out of date with wasmnn\.js/);
  assert.match(res.stderr, /package\.json "files" does not list dist\/wasmnn-simd\.wasm \(wasmnn\.js loads it\)/);
  assert.match(res.stderr, /package\.json "files" does not list wasmnn\.d\.cts \(generated from wasmnn\.d\.ts\)/);
});

test('with them, it packs the engine files and the generated ones', async () => {
  const res = await pack(await pkg('full', dist));
  assert.equal(res.ok, true, res.stderr);
  for (const f of [...dist, ...GENERATED_FILES, 'wasmnn.js', 'wasmnn.d.ts', 'README.md', 'package.json']) {
    assert.ok(res.files.includes(f), `${f} is packed (files: ${res.files.join(', ')})`);
  }
  assert.ok(!res.files.includes('check-pack.mjs'), 'the build scripts are not packed');
});

test('the packed package runs a model in Node by import and by require, as the CLI does, and has types for both', async () => {
  const res = await pack(JS_DIR, ['--pack-destination', tmp.dir]);
  assert.equal(res.ok, true, res.stderr);
  const app = join(tmp.dir, 'app');
  await mkdir(join(app, 'node_modules', 'wasmnn'), { recursive: true });
  await run('tar', ['-xzf', join(tmp.dir, res.name), '-C', join(app, 'node_modules', 'wasmnn'), '--strip-components=1']);
  const model = await buildFixture(tmp.dir, 'lenet5');
  const x = randomFloats(1024, 19);
  await writeFile(join(app, 'x.bin'), Buffer.from(x.buffer));
  const body = `const m = await w.load(${JSON.stringify(model)});
const x = new Float32Array(fs.readFileSync('x.bin').buffer.slice(0));
const out = await m.run({ input: new w.Tensor('float32', x, [1, 1, 32, 32]) });
process.stdout.write(JSON.stringify({ out: Array.from(out.fc3.data), info: w.backendInfo() }));`;
  await writeFile(join(app, 'esm.mjs'), `import * as w from 'wasmnn';\nimport fs from 'node:fs';\n${body}\n`);
  await writeFile(join(app, 'cjs.cjs'), `const w = require('wasmnn');\nconst fs = require('node:fs');\n(async () => {\n${body}\n})();\n`);
  const want = (await cliRun(model, { input: { dims: [1, 1, 32, 32], data: x } }, tmp.dir)).read('fc3');
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    const { stdout } = await run(process.execPath, [script], { cwd: app });
    const got = JSON.parse(stdout);
    assert.equal(firstBitDifference(Float32Array.from(got.out), (await want).data), -1, `${script} gives the CLI's output`);
    assert.equal(got.info.simd, true, `${script}: ${got.info.simdReason}`);
  }
  // TypeScript (node16 resolution) reads wasmnn.d.ts for import and wasmnn.d.cts for require.
  const use = "const t: wasmnn.Tensor = new wasmnn.Tensor('float32', new Float32Array(4), [1, 4]);\n" +
    'const v: string = wasmnn.version;\nexport const p: Promise<wasmnn.Model> = wasmnn.load(new Uint8Array(0));\nvoid t; void v;\n';
  await writeFile(join(app, 'use.mts'), `import * as wasmnn from 'wasmnn';\n${use}`);
  await writeFile(join(app, 'use.cts'), `import wasmnn = require('wasmnn');\n${use}`);
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true, traceResolution: true },
    files: ['use.mts', 'use.cts'],
  }));
  const tsc = join(JS_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
  const trace = await run(process.execPath, [tsc, '-p', app], { cwd: app, maxBuffer: 64 << 20 }).then((r) => r.stdout, (e) => {
    throw new Error(`tsc failed: ${e.stdout.split('\n').filter((l) => /error TS/.test(l)).join('\n') || e.message}`);
  });
  assert.match(trace, /Module name 'wasmnn' was successfully resolved to '[^']*\/node_modules\/wasmnn\/wasmnn\.d\.ts'/);
  assert.match(trace, /Module name 'wasmnn' was successfully resolved to '[^']*\/node_modules\/wasmnn\/wasmnn\.d\.cts'/);
});
