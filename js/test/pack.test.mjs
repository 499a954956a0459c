// `npm pack` refuses to pack without the engine files (the prepack script,
// check-pack.mjs) and packs them when they are there.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { JS_DIR, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const run = promisify(execFile);
const SOURCES = ['package.json', 'wasmnn.js', 'wasmnn.global.js', 'wasmnn.d.ts', 'README.md', 'check-pack.mjs', 'build-global.mjs'];
const DIST = ['dist/wasmnn.wasm', 'dist/wasmnn-simd.wasm', 'dist/wasm_exec.js'];

let tmp;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
});

after(() => tmp && tmp.cleanup());

// pkg copies the package's sources (and the dist files listed) into a new directory.
async function pkg(name, dist) {
  const dir = join(tmp.dir, name);
  await mkdir(join(dir, 'dist'), { recursive: true });
  for (const f of [...SOURCES, ...dist]) await copyFile(join(JS_DIR, f), join(dir, f));
  return dir;
}

async function pack(dir) {
  try {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts=false'], { cwd: dir });
    return { ok: true, files: JSON.parse(stdout)[0].files.map((f) => f.path) };
  } catch (e) {
    return { ok: false, stderr: e.stderr };
  }
}

test('without the wasm files, npm pack stops and says how to build them', async () => {
  const res = await pack(await pkg('bare', []));
  assert.equal(res.ok, false);
  assert.match(res.stderr, /wasmnn: not packing, the package would not work:/);
  for (const f of DIST) assert.match(res.stderr, new RegExp(`${f.replace('.', '\\.')} is missing`));
  assert.match(res.stderr, /make wasm/);
});

test('a file that is not a wasm module, or a stale wasmnn.global.js, stops it too', async () => {
  const dir = await pkg('broken', DIST);
  await writeFile(join(dir, 'dist', 'wasmnn.wasm'), '<!doctype html>');
  await writeFile(join(dir, 'wasmnn.global.js'), '// old\n');
  const res = await pack(dir);
  assert.equal(res.ok, false);
  assert.match(res.stderr, /dist\/wasmnn\.wasm is not a WebAssembly module/);
  assert.match(res.stderr, /wasmnn\.global\.js is out of date with wasmnn\.js \(npm run build writes it\)/);
});

test('with them, it packs the engine files', async () => {
  const res = await pack(await pkg('full', DIST));
  assert.equal(res.ok, true, res.stderr);
  for (const f of [...DIST, 'wasmnn.js', 'wasmnn.global.js', 'wasmnn.d.ts', 'README.md', 'package.json']) {
    assert.ok(res.files.includes(f), `${f} is packed (files: ${res.files.join(', ')})`);
  }
  assert.ok(!res.files.includes('check-pack.mjs'), 'the build scripts are not packed');
});
