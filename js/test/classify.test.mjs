// classify on an RGBA object: sorted top-K probabilities that match the
// native CLI's `classify --json` on the same pixels as a PNG.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, cli, digitImage, encodePNG, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let modelPath;
let model;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  modelPath = await buildFixture(tmp.dir, 'lenet5');
  model = await wasmnn.load(modelPath);
});

after(async () => {
  if (model) await model.dispose();
  if (tmp) await tmp.cleanup();
});

const images = [
  { name: 'ring 28x28', img: () => digitImage('ring', 28, 28) },
  { name: 'bar 40x30', img: () => digitImage('bar', 40, 30) },
  { name: 'ring 97x64 as Uint8Array', img: () => { const i = digitImage('ring', 97, 64); return { ...i, data: new Uint8Array(i.data.buffer) }; } },
];

for (const c of images) {
  test(`${c.name}: top 3 sorted, all 10 sum to 1`, async () => {
    const img = c.img();
    const top = await model.classify(img, { topK: 3 });
    assert.equal(top.length, 3);
    for (let i = 1; i < top.length; i++) assert.ok(top[i - 1].probability >= top[i].probability, 'sorted, most probable first');
    for (const p of top) {
      assert.equal(p.label, model.labels[p.index]);
      assert.ok(p.probability > 0 && p.probability < 1);
    }
    const all = await model.classify(img, { topK: 100 });
    assert.equal(all.length, 10, 'topK is capped at the number of classes');
    assert.deepEqual(new Set(all.map((p) => p.index)).size, 10);
    const sum = all.reduce((s, p) => s + p.probability, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `probabilities sum to ${sum}`);
    assert.deepEqual(all.slice(0, 3), top);
    assert.equal((await model.classify(img)).length, 3, 'the default topK is 3');
  });

  test(`${c.name}: equals the CLI on the same pixels`, async () => {
    const img = c.img();
    const png = join(tmp.dir, 'img.png');
    await writeFile(png, await encodePNG({ ...img, data: new Uint8Array(img.data.buffer) }));
    const want = JSON.parse(await cli('classify', modelPath, png, '--top', '10', '--json'));
    const got = await model.classify(img, { topK: 10 });
    assert.deepEqual(got, want);
  });
}

test('different images give different results', async () => {
  const a = await model.classify(digitImage('ring', 28, 28), { topK: 10 });
  const b = await model.classify(digitImage('bar', 28, 28), { topK: 10 });
  assert.notDeepEqual(a, b);
});
