// The classic-script and CommonJS builds are up to date and work, sharing
// the ES module's wasm instance; wasmnn.d.ts declares exactly what the
// module exports.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import vm from 'node:vm';
import { GENERATED, assetPaths, toCommonJS, toGlobal } from '../build-global.mjs';
import * as wasmnn from '../wasmnn.js';
import { JS_DIR, buildFixture, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

const src = (name) => readFile(new URL(name, `file://${JS_DIR}/`), 'utf8');

let tmp;
let modelBytes;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  modelBytes = await readFile(await buildFixture(tmp.dir, 'lenet5'));
});

after(() => tmp && tmp.cleanup());

for (const { file, from, make } of GENERATED) {
  test(`${file} is generated from the current ${from} (run \`npm run build\` in js/)`, async () => {
    assert.equal(await src(file), make(await src(from)));
  });
}

test('the builds refuse sources they cannot convert', () => {
  const ok = "const A = new URL('./dist/a.wasm', import.meta.url);\nexport { a, b as c };\n";
  assert.match(toGlobal(ok), /globalThis\.wasmnn = Object\.freeze\(\{ a, c: b \}\);/);
  assert.match(toGlobal(ok), /new URL\('\.\/dist\/a\.wasm', __wasmnnModuleURL\)/);
  assert.match(toCommonJS(ok), /module\.exports = Object\.freeze\(\{ a, c: b \}\);/);
  assert.deepEqual(assetPaths(ok), ['dist/a.wasm']);
  for (const bad of ['const u = import.meta.url;\nexport { a };\n', "const u = new URL(name, import.meta.url);\nexport { a };\n",
    "// the module's URL, import.meta.url\nexport { a };\n", "const u = import.meta.resolve('./x');\nexport { a };\n"]) {
    assert.throws(() => toGlobal(bad), /wasmnn\.js may use import\.meta only as the base of literal asset URLs, new URL\('\.\/path', import\.meta\.url\); found 1 other use\(s\): line 1: /, bad);
  }
  assert.throws(() => toGlobal("const A = new URL('./a', import.meta.url);\n"), /export \{ \.\.\. \}/);
  assert.throws(() => toCommonJS("import x from 'y';\nexport { a };\n"), /static import/);
  assert.throws(() => toGlobal('const __wasmnnModuleURL = 1;\nexport { a };\n'), /must not use the name __wasmnnModuleURL/);
});

test('the CommonJS build exports the same names and shares the wasm instance', async () => {
  await wasmnn.init();
  const c = createRequire(import.meta.url)('../wasmnn.cjs');
  assert.deepEqual(Object.keys(c).sort(), Object.keys(wasmnn).sort());
  assert.ok(Object.isFrozen(c));
  assert.equal(c.backendInfo().initialized, true, 'the instance started by the ES module is shared');
  const m = await c.load(modelBytes);
  const data = randomFloats(1024, 10);
  const a = await m.run({ input: new c.Tensor('float32', data, [1, 1, 32, 32]) });
  const e = await wasmnn.load(modelBytes);
  const b = await e.run({ input: new wasmnn.Tensor('float32', data, [1, 1, 32, 32]) });
  assert.equal(firstBitDifference(a.fc3.data, b.fc3.data), -1);
  await Promise.all([m.dispose(), e.dispose()]);
});

test('the classic script sets globalThis.wasmnn and shares the wasm instance', async () => {
  await wasmnn.init();
  assert.equal(globalThis.wasmnn, undefined);
  vm.runInThisContext(await src('wasmnn.global.js'), { filename: 'wasmnn.global.js' });
  try {
    const g = globalThis.wasmnn;
    assert.deepEqual(Object.keys(g).sort(), Object.keys(wasmnn).sort());
    assert.ok(Object.isFrozen(g));
    assert.equal(g.backendInfo().initialized, true, 'the instance started by the ES module is shared');
    const models = wasmnn.backendInfo().models;
    const [gm, em] = await Promise.all([g.load(modelBytes), wasmnn.load(modelBytes)]);
    assert.equal(wasmnn.backendInfo().models, models + 2);
    const data = randomFloats(1024, 9);
    const a = await gm.run({ input: new g.Tensor('float32', data, [1, 1, 32, 32]) });
    const b = await em.run({ input: new wasmnn.Tensor('float32', data, [1, 1, 32, 32]) });
    const c = await gm.run({ input: new wasmnn.Tensor('float32', data, [1, 1, 32, 32]) }); // a Tensor of the other copy
    assert.equal(firstBitDifference(a.fc3.data, b.fc3.data), -1);
    assert.equal(firstBitDifference(c.fc3.data, b.fc3.data), -1);
    await Promise.all([gm.dispose(), em.dispose()]);
  } finally {
    delete globalThis.wasmnn;
  }
});

// declared returns the names a .d.ts block declares: members like `name(`,
// `readonly name:` or `name:` at the start of a line.
function declared(block) {
  const names = new Set();
  for (const m of block.matchAll(/^\s+(?:readonly\s+|private\s+)?([A-Za-z_$][\w$]*)\??\s*[(:]/gm)) names.add(m[1]);
  return names;
}

function classBlock(dts, name) {
  const m = dts.match(new RegExp(`export (?:declare )?class ${name} \\{([\\s\\S]*?)\\n\\}`));
  assert.ok(m, `wasmnn.d.ts declares class ${name}`);
  return m[1];
}

test('wasmnn.d.ts declares every export, and the members of Tensor and Model', async () => {
  const dts = await src('wasmnn.d.ts');
  const values = new Set([...dts.matchAll(/^export (?:declare )?(?:function|class|const|let) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]));
  assert.deepEqual([...values].sort(), Object.keys(wasmnn).sort());

  const tensor = declared(classBlock(dts, 'Tensor'));
  const t = new wasmnn.Tensor('float32', [1]);
  for (const k of ['type', 'data', 'dims', 'size']) assert.ok(tensor.has(k) && k in t, `Tensor.${k}`);

  const model = declared(classBlock(dts, 'Model'));
  const m = await wasmnn.load(modelBytes);
  const runtime = new Set([...Object.keys(m), ...Object.getOwnPropertyNames(wasmnn.Model.prototype)]);
  runtime.delete('constructor');
  model.delete('constructor');
  assert.deepEqual([...model].sort(), [...runtime].sort());
  await m.dispose();
});
