// A file that is neither a .wnn nor an ONNX model rejects with a message that
// says what it looks like (runtime/sniff, inside the engine), not a decoder's
// complaint about its first byte; the engine keeps working after each.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, encodePNG, digitImage, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let lenet;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  lenet = await buildFixture(tmp.dir, 'lenet5');
});

after(() => tmp && tmp.cleanup());

const text = (s) => new TextEncoder().encode(s);

// zipWith returns a zip archive (stored entries) holding the named files.
function zipWith(...names) {
  const parts = [];
  for (const n of names) {
    const name = text(n);
    const h = new Uint8Array(30 + name.length);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(26, name.length, true);
    h.set(name, 30);
    parts.push(h);
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

const cases = [
  { name: 'a text file', bytes: () => text('hello, this is not a model\nsecond line\n'),
    msg: /bad model file: this is a text file, not a \.wnn or ONNX model \(it begins "hello, this is not a model …"\)$/ },
  { name: 'a dev server 404 page', bytes: () => text('<!DOCTYPE html>\n<html lang="en"><head><title>Error</title></head><body><pre>Cannot GET /models/lenet5.wnn</pre></body></html>\n'),
    msg: /this is an HTML page, not a \.wnn or ONNX model \(it begins "<!DOCTYPE html> …"\): a web server answered with a page .*check the model's URL/ },
  { name: 'a TensorFlow.js model.json', bytes: () => text(JSON.stringify({ format: 'layers-model', generatedBy: 'keras v2.15', convertedBy: 'TensorFlow.js Converter v4.0', modelTopology: { class_name: 'Sequential' }, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }] })),
    msg: /this looks like a TensorFlow\.js model\.json, not a \.wnn or ONNX model: convert it to ONNX \(python -m tf2onnx\.convert --tfjs model\.json --output model\.onnx\)/ },
  { name: 'a JSON file', bytes: () => text('{"labels": ["cat", "dog"]}'), msg: /this is a JSON file, not a \.wnn or ONNX model \(it begins "\{\\"labels\\": \[\\"cat\\", \\"dog\\"\]\}"\)/ },
  { name: 'a Git LFS pointer', bytes: () => text('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 248623\n'), msg: /Git LFS pointer.*git lfs pull/ },
  { name: 'a PNG image', bytes: async () => encodePNG(digitImage('ring', 8, 8)), msg: /this is a PNG image, not a \.wnn or ONNX model: to classify an image, load a model and pass the image to classify/ },
  { name: 'a JPEG image', bytes: () => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0]), msg: /this is a JPEG image/ },
  { name: 'a zip archive', bytes: () => zipWith('model/', 'model/lenet5.wnn'), msg: /this is a zip archive, not a \.wnn or ONNX model: unzip it/ },
  { name: 'a PyTorch checkpoint', bytes: () => zipWith('archive/data.pkl', 'archive/data/0'), msg: /this looks like a PyTorch checkpoint.*torch\.onnx\.export/ },
  { name: 'a gzipped .wnn', bytes: async () => gzipSync(await (await import('node:fs/promises')).readFile(lenet)), msg: /gzip-compressed data.*decompress it first/ },
  { name: 'zlib data', bytes: () => deflateSync(text('x'.repeat(100))), msg: /neither a \.wnn nor an ONNX model \(it begins with the bytes 78 9c /i },
  { name: 'the wasm module', bytes: () => new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), msg: /WebAssembly module.*wasmURL/ },
  { name: 'an empty file', bytes: () => new Uint8Array(0), msg: /the file is empty/ },
];

for (const c of cases) {
  test(`${c.name}: the message says what it is`, async () => {
    const bytes = await c.bytes();
    await assert.rejects(wasmnn.load(bytes), (e) => {
      assert.ok(e instanceof Error && !(e instanceof TypeError), `${e.constructor.name}: ${e.message}`);
      assert.match(e.message, c.msg);
      assert.doesNotMatch(e.message, /top-level value/);
      return true;
    });
  });
}

test('a file path is named in the message', async () => {
  const p = join(tmp.dir, 'lenet5.wnn.html');
  await writeFile(p, '<!doctype html><title>404</title>');
  await assert.rejects(wasmnn.load(p), (e) => {
    assert.ok(e.message.startsWith(`wasmnn.load (${p}): bad model file: this is an HTML page`), e.message);
    return true;
  });
});

test('a damaged .wnn keeps the .wnn decoder\'s message', async () => {
  const { readFile } = await import('node:fs/promises');
  const b = new Uint8Array(await readFile(lenet));
  await assert.rejects(wasmnn.load(b.subarray(0, 200)), (e) => /bad model file/.test(e.message) && !/not a \.wnn or ONNX/.test(e.message));
});

test('the engine loads and runs a model after all of these', async () => {
  const m = await wasmnn.load(lenet);
  const out = await m.run({ input: new wasmnn.Tensor(new Float32Array(1024), [1, 1, 32, 32]) });
  assert.deepEqual([...out.fc3.dims], [1, 10]);
  await m.dispose();
});
