// load() takes ONNX files: the engine converts them with the importer of
// `wasmnn convert` (a zoo model exported by the CLI gives the .wnn's outputs
// bit for bit, and the CLI's own run of the .onnx); the conversion report is
// in summary().conversion; a real ONNX model with symbolic dims (PaddleOCR's
// direction classifier, from npm) runs at several shapes bit for bit with
// the CLI; the file-size limit applies before the import.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { REPO, buildFixture, cli, cliRun, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
const paths = {};

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  for (const name of ['lenet5', 'r18']) {
    paths[name] = await buildFixture(tmp.dir, name);
    paths[`${name}.onnx`] = join(tmp.dir, `${name}.onnx`);
    await cli('export', paths[name], '-o', paths[`${name}.onnx`]);
  }
});

after(() => tmp && tmp.cleanup());

const tensorFor = (dims, seed) => new wasmnn.Tensor(randomFloats(dims.reduce((a, b) => a * b, 1), seed), dims);

function sameBits(got, want, what) {
  assert.deepEqual([...got.dims], [...want.dims], `${what} dims`);
  const i = firstBitDifference(got.data, want.data);
  assert.equal(i, -1, `${what}[${i}]: ${got.data[i]} != ${want.data[i]} (rebuild with \`make build wasm\` if the Go code changed)`);
}

describe('an exported zoo model, loaded as ONNX', () => {
  for (const name of ['lenet5', 'r18']) {
    test(`${name}: the .onnx gives the .wnn's outputs and the CLI's, bit for bit`, async () => {
      const wnn = await wasmnn.load(paths[name]);
      const onnx = await wasmnn.load(await readFile(paths[`${name}.onnx`])); // bytes, not a path
      try {
        assert.deepEqual(onnx.inputs, wnn.inputs);
        assert.deepEqual(onnx.outputNames, wnn.outputNames);
        assert.deepEqual(onnx.labels, wnn.labels);
        const { name: input, dims } = wnn.inputs[0];
        const x = tensorFor([...dims], 7);
        const a = await wnn.run({ [input]: x });
        const b = await onnx.run({ [input]: x });
        const c = await cliRun(paths[`${name}.onnx`], { [input]: { dims: [...dims], data: x.data } }, tmp.dir);
        for (const out of wnn.outputNames) {
          sameBits(b[out], a[out], `${out}: .onnx vs .wnn`);
          sameBits(b[out], await c.read(out), `${out}: JS vs CLI on the .onnx`);
        }
      } finally {
        await wnn.dispose();
        await onnx.dispose();
      }
    });
  }

  test('summary().conversion is the report of `wasmnn convert --json`', async () => {
    const m = await wasmnn.load(paths['r18.onnx']);
    try {
      const conv = m.summary().conversion;
      const want = JSON.parse(await cli('convert', paths['r18.onnx'], '-o', join(tmp.dir, 'r18-converted.wnn'), '--json'));
      assert.deepEqual(conv, want);
      assert.equal(conv.opset, 17);
      assert.ok(conv.onnx_nodes > conv.nodes, `${conv.onnx_nodes} ONNX nodes -> ${conv.nodes}`);
      assert.ok(conv.fused.some((f) => /folded into/.test(f)), `BatchNormalizations folded: ${conv.fused.slice(0, 3)}`);
      assert.ok(Object.isFrozen(conv.fused));
    } finally {
      await m.dispose();
    }
    const wnn = await wasmnn.load(paths.r18);
    assert.equal(wnn.summary().conversion, undefined, 'a .wnn file has no conversion report');
    await wnn.dispose();
  });

  test('a path ending in .onnx and a Blob load too', async () => {
    const a = await wasmnn.load(paths['lenet5.onnx']);
    const b = await wasmnn.load(new Blob([await readFile(paths['lenet5.onnx'])]));
    assert.deepEqual(a.inputs, b.inputs);
    await a.dispose();
    await b.dispose();
  });

  test('the model-size limit applies before the import; the engine stays usable', async () => {
    await assert.rejects(wasmnn.load(paths['lenet5.onnx'], { limits: { maxModelBytes: 1000 } }),
      (e) => e instanceof Error && /limit exceeded: the model file has \d+ bytes, the limit is 1000/.test(e.message));
    await assert.rejects(wasmnn.load(paths['lenet5.onnx'], { limits: { maxTensorElements: 100 } }),
      (e) => /limit exceeded: weight "[^"]+" \[.*\] has \d+ elements, the limit is 100/.test(e.message));
    const m = await wasmnn.load(paths['lenet5.onnx']);
    assert.equal((await m.run({ input: tensorFor([1, 1, 32, 32], 1) })).fc3.dims.length, 2);
    await m.dispose();
  });

  test('an ONNX file the importer cannot convert rejects with the importer\'s message', async () => {
    const bytes = new Uint8Array(await readFile(paths['lenet5.onnx']));
    await assert.rejects(wasmnn.load(bytes.subarray(0, bytes.length >> 1)), (e) => {
      assert.match(e.message, /^wasmnn\.load: ONNX import: malformed ONNX model/);
      return true;
    });
  });
});

const CLS = join(REPO, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

describe('a PaddleOCR model (symbolic dims)', { skip: !existsSync(CLS) && `${CLS} is missing (npm ci in the repository root installs it)` }, () => {
  test('its symbolic dims stay symbolic; runs at several shapes equal the CLI bit for bit', async () => {
    const m = await wasmnn.load(CLS);
    try {
      const conv = m.summary().conversion;
      assert.equal(conv.opset, 9);
      assert.equal(conv.symbolic.length, 3, `symbolic: ${conv.symbolic}`);
      assert.deepEqual(m.inputs[0].dims.map((d) => typeof d), ['string', 'number', 'string', 'string']);
      for (const [k, dims] of [[1, 3, 48, 192], [2, 3, 48, 160]].entries()) {
        const x = tensorFor(dims, 20 + k);
        const got = await m.run({ x });
        const want = await cliRun(CLS, { x: { dims, data: x.data } }, tmp.dir);
        for (const out of m.outputNames) sameBits(got[out], await want.read(out), `${out} at ${dims}`);
        assert.deepEqual([...got[m.outputNames[0]].dims], [dims[0], 2]);
      }
    } finally {
      await m.dispose();
    }
  });
});
