// With the default init the SIMD kernels (dist/wasmnn-simd.wasm) are in use
// (Node 20's V8 has WebAssembly SIMD), and results stay bit-identical to the
// native CLI: the kernels add products in the pure-Go order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, cliRun, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let path;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  path = await buildFixture(tmp.dir, 'r18');
});

after(() => tmp && tmp.cleanup());

test('the SIMD kernels are in use and ResNet-18 matches the CLI bit for bit', async () => {
  const model = await wasmnn.load(path, { algo: 'winograd4' });
  const info = wasmnn.backendInfo();
  assert.equal(info.simd, true, `SIMD is off: ${info.simdReason}`);
  assert.equal(info.simdReason, '');
  const dims = [...model.inputs[0].dims];
  const data = randomFloats(dims.reduce((a, b) => a * b, 1), 11);
  const got = await model.run({ [model.inputNames[0]]: new wasmnn.Tensor('float32', data, dims) });
  const want = await cliRun(path, { [model.inputNames[0]]: { dims, data } }, tmp.dir, ['--algo', 'winograd4']);
  for (const name of model.outputNames) {
    const w = await want.read(name);
    assert.equal(firstBitDifference(got[name].data, w.data), -1, `output ${name} differs from the CLI`);
  }
  await model.dispose();
});
