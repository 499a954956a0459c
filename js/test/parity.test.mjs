// The JS API's outputs equal the native CLI's bit for bit (same .wnn, same
// input, same algorithms): LeNet-5 and ResNet-18 reduced to 64x64 inputs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, cliRun, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
const paths = {};

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  paths.lenet5 = await buildFixture(tmp.dir, 'lenet5');
  paths.r18 = await buildFixture(tmp.dir, 'r18');
});

after(() => tmp && tmp.cleanup());

// compare runs model (loaded with opts) in JS and with the CLI (extra args)
// on a seeded random input and checks every output bit for bit.
async function compare(fixture, seed, opts = {}, extra = []) {
  const model = await wasmnn.load(paths[fixture], opts);
  try {
    const inputs = {};
    const feeds = {};
    for (const { name, dims } of model.inputs) {
      const data = randomFloats(dims.reduce((a, b) => a * b, 1), seed);
      inputs[name] = { dims: [...dims], data };
      feeds[name] = new wasmnn.Tensor('float32', data, [...dims]);
    }
    const t0 = performance.now();
    const got = await model.run(feeds);
    const ms = performance.now() - t0;
    const want = await cliRun(paths[fixture], inputs, tmp.dir, extra);
    assert.deepEqual(Object.keys(got), [...model.outputNames]);
    for (const name of model.outputNames) {
      const w = await want.read(name);
      const g = got[name];
      assert.deepEqual([...g.dims], w.dims, `output ${name} dims`);
      assert.ok(g.data.every(Number.isFinite), `output ${name} is finite`);
      assert.ok(g.data.some((v) => v !== 0), `output ${name} is not all zeros`);
      const i = firstBitDifference(g.data, w.data);
      assert.equal(i, -1, `output ${name}[${i}]: JS ${g.data[i]} != CLI ${w.data[i]} ` +
        '(if the Go code changed, rebuild both with `make build wasm`: bin/wasmnn and js/dist/wasmnn.wasm must come from the same source)');
    }
    return ms;
  } finally {
    await model.dispose();
  }
}

describe('bit-identical to the native CLI', () => {
  const cases = [
    { name: 'lenet5 (auto algorithms)', fixture: 'lenet5', seed: 1 },
    { name: 'lenet5, second input', fixture: 'lenet5', seed: 2 },
    { name: 'lenet5 with algo direct', fixture: 'lenet5', seed: 3, opts: { algo: 'direct' }, extra: ['--algo', 'direct'] },
    { name: 'lenet5 with algo im2col', fixture: 'lenet5', seed: 4, opts: { algo: 'im2col' }, extra: ['--algo', 'im2col'] },
    { name: 'lenet5 with layerAlgos', fixture: 'lenet5', seed: 5, opts: { layerAlgos: { conv1: 'im2col', conv2: 'direct' } }, extra: ['--algo', 'conv1=im2col,conv2=direct'] },
    { name: 'resnet18 at 64x64', fixture: 'r18', seed: 6 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const ms = await compare(c.fixture, c.seed, c.opts, c.extra);
      assert.ok(ms > 0);
    });
  }
});
