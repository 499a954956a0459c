// classify on an RGBA object: sorted top-K probabilities that match the
// native CLI's `classify --json` on the same pixels as a PNG.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { REPO, buildFixture, cli, digitImage, encodePNG, requireBuilt, tempDir } from '../testlib/helpers.mjs';

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

// ---------------------------------------------------------------- invert

// negative returns the image with every RGB value v as 255 - v.
function negative({ data, width, height }) {
  const out = Uint8ClampedArray.from(data);
  for (let i = 0; i < out.length; i += 4) for (let c = 0; c < 3; c++) out[i + c] = 255 - out[i + c];
  return { data: out, width, height };
}

test('invert: auto inverts ink on paper and leaves a bright signal on dark; true and false override', async () => {
  const paper = digitImage('ring', 40, 40); // dark ink on light paper
  const dark = negative(paper); // light ink on black, as MNIST stores digits
  assert.equal(model.meta.preprocess.invert, true);
  const auto = await model.classify(paper, { topK: 10 });
  assert.ok(auto.every((p) => p.inverted === true), 'ink on paper is inverted');
  assert.deepEqual(await model.classify(paper, { topK: 10, invert: true }), auto);
  assert.deepEqual(await model.classify(paper, { topK: 10, invert: 'auto' }), auto);
  const autoDark = await model.classify(dark, { topK: 10 });
  assert.ok(autoDark.every((p) => p.inverted === false), 'a bright signal on dark is left alone');
  // The two polarities give the model the same tensor, so the same answer.
  assert.deepEqual(autoDark.map(({ inverted, ...p }) => p), auto.map(({ inverted, ...p }) => p));
  const forced = await model.classify(dark, { topK: 10, invert: true });
  assert.ok(forced.every((p) => p.inverted === true));
  assert.notDeepEqual(forced.map((p) => p.probability), autoDark.map((p) => p.probability));
  const off = await model.classify(paper, { topK: 10, invert: false });
  assert.ok(off.every((p) => p.inverted === false));
});

for (const [mode, flag] of [['auto', 'auto'], [true, 'yes'], [false, 'no']]) {
  test(`invert ${mode} equals the CLI's --invert ${flag}, on both polarities`, async () => {
    for (const [k, img] of [digitImage('bar', 30, 30), negative(digitImage('ring', 30, 30))].entries()) {
      const png = join(tmp.dir, `inv-${flag}-${k}.png`);
      await writeFile(png, await encodePNG({ ...img, data: new Uint8Array(img.data.buffer) }));
      const want = JSON.parse(await cli('classify', modelPath, png, '--top', '10', '--json', '--invert', flag));
      assert.deepEqual(await model.classify(img, { topK: 10, invert: mode }), want);
    }
  });
}

test('invert must be auto or a boolean (TypeError before the engine)', async () => {
  for (const v of ['yes', 1, null, 'AUTO']) {
    await assert.rejects(model.classify(digitImage('ring', 8, 8), { invert: v }),
      (e) => e instanceof TypeError && /invert must be 'auto', true or false/.test(e.message));
  }
});

test('the trained LeNet-5 reads held-out MNIST digits in either polarity with invert auto', async () => {
  const { readFile } = await import('node:fs/promises');
  const trained = await wasmnn.load(join(REPO, 'demo', 'models', 'lenet5.wnn'));
  try {
    const json = JSON.parse(await readFile(join(REPO, 'demo', 'data', 'mnist-heldout.json'), 'utf8'));
    const digits = json.digits.filter((_, i) => i % 10 === 0); // 20 digits, 2 per class
    let right = { dark: 0, paper: 0 };
    for (const d of digits) {
      const px = Buffer.from(d.pixels, 'base64');
      const dark = new Uint8ClampedArray(4 * 28 * 28);
      for (let i = 0; i < 28 * 28; i++) dark.set([px[i], px[i], px[i], 255], 4 * i);
      const img = { data: dark, width: 28, height: 28 };
      const [a] = await trained.classify(img, { topK: 1 });
      const [b] = await trained.classify(negative(img), { topK: 1 });
      assert.equal(a.inverted, false, `digit ${d.label} #${d.index}, light on dark, is not inverted`);
      assert.equal(b.inverted, true, `digit ${d.label} #${d.index}, on paper, is inverted`);
      right.dark += a.index === d.label;
      right.paper += b.index === d.label;
    }
    assert.ok(right.dark >= 18 && right.paper >= 18, `right: ${JSON.stringify(right)} of ${digits.length}`);
  } finally {
    await trained.dispose();
  }
});
