// The convolution algorithm names: wasmnn.d.ts's ConvAlgo, the names load()
// accepts and the engine's own list (its error for an unknown name) agree;
// an unknown name is a RangeError before the engine is called, 'winograd'
// (the alias for the best variant per layer) works as the CLI's --algo does.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { JS_DIR, buildFixture, cliRun, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let path;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  path = await buildFixture(tmp.dir, 'r18');
});

after(() => tmp && tmp.cleanup());

async function declared() {
  const dts = await readFile(join(JS_DIR, 'wasmnn.d.ts'), 'utf8');
  const m = dts.match(/export type ConvAlgo = ([^;]+);/);
  assert.ok(m, 'wasmnn.d.ts declares ConvAlgo');
  return [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]);
}

test('the .d.ts union is the engine\'s list plus the alias winograd', async () => {
  await wasmnn.init();
  const api = globalThis.__wasmnn;
  const bytes = new Uint8Array(await readFile(path));
  const res = api.load(bytes, JSON.stringify({ algo: 'no-such-algo' }));
  assert.equal(typeof res.error, 'string');
  const list = res.error.match(/known: \[([^\]]*)\]/);
  assert.ok(list, `the engine lists the known algorithms: ${res.error}`);
  const engine = list[1].split(/\s+/).filter(Boolean);
  assert.match(res.error, /and winograd for the best Winograd variant/);
  assert.deepEqual([...(await declared())].sort(), [...engine, 'winograd'].sort());
});

test('every declared name loads; others are RangeErrors before the engine', async () => {
  const bytes = new Uint8Array(await readFile(path));
  for (const algo of await declared()) {
    // An algorithm that does not apply to a layer is the engine's Error, not a RangeError.
    await wasmnn.load(bytes, { algo }).then((m) => m.dispose(), (e) => assert.ok(!(e instanceof RangeError), `${algo}: ${e.message}`));
  }
  for (const algo of ['winograd3', 'Im2col', 'gemm', '']) {
    await assert.rejects(wasmnn.load(bytes, { algo }), (e) => e instanceof RangeError && /unknown convolution algorithm/.test(e.message));
    await assert.rejects(wasmnn.load(bytes, { layerAlgos: { conv1: algo } }), (e) => e instanceof RangeError && /layerAlgos\.conv1: unknown convolution algorithm/.test(e.message));
  }
});

test("algo 'winograd' gives the CLI's --algo winograd, bit for bit", async () => {
  const m = await wasmnn.load(path, { algo: 'winograd' });
  try {
    const algos = new Set(m.summary().layers.map((l) => l.algo).filter(Boolean));
    assert.ok(algos.has('winograd4') || algos.has('winograd2'), `layers ran: ${[...algos]}`);
    assert.ok(!algos.has('winograd'), 'the summary names the variant, not the alias');
    const { name, dims } = m.inputs[0];
    const data = randomFloats(dims.reduce((a, b) => a * b, 1), 9);
    const got = await m.run({ [name]: new wasmnn.Tensor(data, [...dims]) });
    const want = await cliRun(path, { [name]: { dims: [...dims], data } }, tmp.dir, ['--algo', 'winograd']);
    for (const out of m.outputNames) {
      const w = await want.read(out);
      assert.equal(firstBitDifference(got[out].data, w.data), -1, out);
    }
  } finally {
    await m.dispose();
  }
});
