// The package's module answers only the methods the JS package uses: the
// demo pages' extras (buildZoo, reopen, layerOutputs, conv2d, convAlgos) are
// in the demo build (wasm/demo.go, -tags demo) and not in dist/wasmnn.wasm.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { requireBuilt } from '../testlib/helpers.mjs';

// The methods of globalThis.__wasmnn in wasm/main.go's list.
const PUBLIC = ['classify', 'dispose', 'load', 'memory', 'ocrDispose', 'ocrLoad', 'ocrRead', 'run', 'runProfiled', 'summary',
  'trainDispose', 'trainEvaluate', 'trainSave', 'trainStart', 'trainStep'];

test('dist/wasmnn.wasm has the public methods and none of the demo build', async () => {
  requireBuilt();
  await wasmnn.init();
  const api = globalThis.__wasmnn;
  assert.ok(api, 'the module set globalThis.__wasmnn');
  assert.deepEqual(Object.keys(api).sort(), PUBLIC);
  for (const m of ['buildZoo', 'reopen', 'layerOutputs', 'conv2d', 'convAlgos']) {
    assert.equal(api[m], undefined, `${m} is demo-only`);
  }
});
