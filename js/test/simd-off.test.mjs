// init({simd: false}) forces the pure-Go kernels; results are the same bits.
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

test('simd: false runs the pure-Go kernels with the same results', async () => {
  await wasmnn.init({ simd: false });
  const info = wasmnn.backendInfo();
  assert.equal(info.simd, false);
  assert.match(info.simdReason, /disabled/);
  const model = await wasmnn.load(path, { algo: 'im2col' });
  const dims = [...model.inputs[0].dims];
  const data = randomFloats(dims.reduce((a, b) => a * b, 1), 12);
  const got = await model.run({ [model.inputNames[0]]: new wasmnn.Tensor('float32', data, dims) });
  const want = await cliRun(path, { [model.inputNames[0]]: { dims, data } }, tmp.dir, ['--algo', 'im2col']);
  for (const name of model.outputNames) {
    const w = await want.read(name);
    assert.equal(firstBitDifference(got[name].data, w.data), -1, `output ${name} differs from the CLI`);
  }
  await model.dispose();
});
