// wasmnn.train trains inside the wasm module with runtime/train set up as
// `wasmnn train` does: the tests train the same data, model, options and
// seed with the CLI (native Go) and in Node, and compare the two .wnn files'
// graphs and weights byte for byte (their metadata differ: each says how it
// was made). Slicing, early stopping and bad data are tested here too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as wasmnn from '../wasmnn.js';
import { REPO, cli, digitImage, encodeNpy, encodePNG, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';
import { decodePNG } from '../testlib/png.mjs';
import { assertSameModel } from '../testlib/wnn.mjs';

const LENET = join(REPO, 'demo', 'models', 'lenet5.wnn');

// heldOutLine reads the CLI's "held-out accuracy: a/b" line.
function heldOutLine(stdout) {
  const m = /held-out accuracy: (\d+)\/(\d+)/.exec(stdout);
  assert.ok(m, `no held-out accuracy in:\n${stdout}`);
  return [Number(m[1]), Number(m[2])];
}

test('the same weights as wasmnn train on .npy arrays, however the training is sliced', async () => {
  requireBuilt();
  const { dir, cleanup } = await tempDir();
  try {
    const n = 45;
    const x = randomFloats(n * 32 * 32, 7);
    const y = Array.from({ length: n }, (_, i) => (i * 7) % 5);
    const X = join(dir, 'x.npy');
    const Y = join(dir, 'y.npy');
    await writeFile(X, encodeNpy([n, 1, 32, 32], x));
    await writeFile(Y, encodeNpy([n], Float32Array.from(y)));
    for (const c of [
      // Fine-tuning the shipped LeNet-5: a new head, a frozen layer, SGD.
      { model: LENET, args: ['--classes', '5', '--freeze', 'conv1', '--optimizer', 'sgd', '--holdout', '4', '--epochs', '2', '--batch', '8', '--seed', '3'],
        opts: { classes: 5, freeze: ['conv1'], optimizer: 'sgd', holdout: 4, epochs: 2, batch: 8, seed: 3 } },
      // A zoo architecture from its seed, the defaults otherwise (Adam,
      // shifts of 2, every 5th held out), 10 classes.
      { model: 'lenet5', args: ['--epochs', '1', '--seed', '11'], opts: { epochs: 1, seed: 11 } },
    ]) {
      const out = join(dir, 'cli.wnn');
      const stdout = await cli('train', c.model, '--images', X, '--labels', Y, '--quiet', '-o', out, ...c.args);
      const native = new Uint8Array(await readFile(out));
      let reports = 0;
      const sliced = await wasmnn.train(c.model, { images: x, labels: y, ...c.opts, sliceMs: 0.001, onProgress: () => { reports++; } });
      const whole = await wasmnn.train(c.model, { images: Array.from({ length: n }, (_, i) => x.subarray(i * 1024, (i + 1) * 1024)),
        labels: Int32Array.from(y), ...c.opts, sliceMs: 0 });
      const steps = sliced.training.steps;
      assert.equal(reports, steps, 'a slice of 1 µs takes one step');
      assert.equal(sliced.steps, steps);
      assert.equal(whole.steps, steps);
      const [meta, nativeMeta] = assertSameModel(await sliced.save(), native, `${c.model} sliced`);
      assertSameModel(await whole.save(), native, `${c.model} in one slice`);
      assert.deepEqual(await whole.save(), await sliced.save(), 'the slicing shows in the file');
      assert.deepEqual(meta.get('labels'), nativeMeta.get('labels'));
      assert.notEqual(meta.get('description'), nativeMeta.get('description'));
      assert.match(meta.get('description'), /trained by wasmnn\.train on 45 examples/);
      const [correct, total] = heldOutLine(stdout);
      assert.equal(sliced.evaluation.correct, correct);
      assert.equal(sliced.evaluation.total, total);
      assert.equal(sliced.accuracy, correct / total);
      assert.equal(sliced.confusion.flat().reduce((a, b) => a + b, 0), total);
      assert.equal(sliced.history.length, c.opts.epochs);
      await sliced.dispose();
      await whole.dispose();
    }
    // The comparison sees weights that differ: the zoo model as built.
    const init = join(dir, 'init.wnn');
    await cli('build', 'lenet5', '--seed', '11', '-o', init);
    const built = new Uint8Array(await readFile(init));
    const trained = new Uint8Array(await readFile(join(dir, 'cli.wnn')));
    assert.throws(() => assertSameModel(trained, built, 'untrained'), /weight conv1\.bias differs/);
  } finally {
    await cleanup();
  }
});

// shapes draws n rings and n bars of several sizes, dark on light, as
// {data, width, height} RGBA images.
function shapes(n) {
  const out = { bar: [], ring: [] };
  for (let i = 0; i < n; i++) {
    for (const kind of ['bar', 'ring']) out[kind].push(digitImage(kind, 24 + 3 * i, 28 + 2 * ((i * 5) % 7)));
  }
  return out;
}

test('the same weights as wasmnn train --images DIR: images preprocessed in the engine', async () => {
  requireBuilt();
  const { dir, cleanup } = await tempDir();
  try {
    // A folder per class; the CLI reads the classes and files in sorted
    // order, so the images go to train in that order.
    const drawn = shapes(8);
    const images = [];
    const labels = [];
    const names = ['bar', 'ring'];
    for (const [label, kind] of names.entries()) {
      await mkdir(join(dir, 'data', kind), { recursive: true });
      for (const [i, img] of drawn[kind].entries()) {
        const file = join(dir, 'data', kind, `${String(i).padStart(2, '0')}.png`);
        await writeFile(file, await encodePNG(img));
        images.push(decodePNG(await readFile(file)));
        labels.push(label);
      }
    }
    const out = join(dir, 'cli.wnn');
    const stdout = await cli('train', LENET, '--images', join(dir, 'data'), '--classes', '2', '--holdout', '4', '--epochs', '3',
      '--batch', '4', '--seed', '2', '--quiet', '-o', out);
    const t = await wasmnn.train(LENET, { images, labels, classes: names, holdout: 4, epochs: 3, batch: 4, seed: 2 });
    const [meta] = assertSameModel(await t.save(), new Uint8Array(await readFile(out)), 'images');
    assert.deepEqual(meta.get('labels'), names);
    assert.deepEqual(t.labels, names);
    const [correct, total] = heldOutLine(stdout);
    assert.deepEqual([t.evaluation.correct, t.evaluation.total], [correct, total]);
    assert.deepEqual(t.evaluation.labels, names);
    // The trained model classifies as any model does, with its new labels.
    const [top] = await t.classify(digitImage('ring', 30, 30), { topK: 1 });
    assert.ok(names.includes(top.label));
    await t.dispose();
  } finally {
    await cleanup();
  }
});

test('progress, stopping early with an AbortSignal, save, and the trainer freed', async () => {
  requireBuilt();
  const n = 64;
  const x = randomFloats(n * 1024, 3);
  const y = Array.from({ length: n }, (_, i) => i % 2);
  const stop = new AbortController();
  const seen = [];
  const t = await wasmnn.train(LENET, {
    images: x, labels: y, classes: ['even', 'odd'], epochs: 4, batch: 8, holdout: 0, sliceMs: 0.001, signal: stop.signal,
    onProgress: (p) => {
      seen.push(p);
      if (p.step === 10) stop.abort();
    },
  });
  assert.ok(t instanceof wasmnn.TrainedModel && t instanceof wasmnn.Model);
  assert.equal(t.stopped, true);
  assert.equal(t.steps, 10);
  assert.equal(t.training.steps, 32);
  assert.equal(t.evaluation, null);
  assert.equal(t.accuracy, null);
  assert.deepEqual(seen.map((p) => p.step), Array.from({ length: 10 }, (_, i) => i + 1));
  const p9 = seen[8];
  assert.deepEqual([p9.epoch, p9.epochs, p9.batch, p9.batches, p9.steps, p9.history.length], [2, 4, 1, 8, 32, 1]);
  assert.ok(p9.loss > 0 && p9.accuracy >= 0 && p9.accuracy <= 1 && p9.lr > 0);
  assert.equal(t.history.length, 1);
  assert.match(t.meta.description, /10 of 32 steps/);
  assert.equal(t.meta.extra.steps, '10 of 32');
  // save gives a .wnn file load reads back: the same outputs.
  const bytes = await t.save();
  const again = await wasmnn.load(bytes);
  const input = new wasmnn.Tensor('float32', x.subarray(0, 1024), [1, 1, 32, 32]);
  const [a, b] = [await t.run({ input }), await again.run({ input })];
  assert.deepEqual(Array.from(a.fc3.data), Array.from(b.fc3.data));
  assert.deepEqual(again.labels, ['even', 'odd']);
  assert.equal(globalThis.__wasmnn.memory().trainers, 0, 'the trainer was freed');
  await again.dispose();
  await t.dispose();
  await assert.rejects(t.save(), /disposed/);
});

test('bad data is refused before training, naming the example; the module keeps working', async () => {
  requireBuilt();
  const x = randomFloats(6 * 1024, 5);
  const y = [0, 1, 2, 0, 1, 2];
  const img = digitImage('bar', 20, 20);
  for (const [what, opts, err] of [
    ['too few labels', { images: x, labels: y.slice(0, 5) }, /wasmnn\.train: train: bad data: 6 images but 5 labels/],
    ['a partial example', { images: x.subarray(0, 5 * 1024 + 9), labels: y.slice(0, 5) }, /5129 image values are not a whole number of \[1 32 32\] examples/],
    ['images and labels', { images: [img, img, img], labels: [0, 1] }, /RangeError|3 images but 2 labels/],
    ['a label beyond the model', { images: x, labels: [0, 1, 2, 0, 10, 2] }, /example 4 has label 10; the model has 10 classes/],
    ['a label beyond the classes', { images: x, labels: [0, 1, 3, 0, 1, 2], classes: 3 }, /labels\[2\] is 3, outside the 3 classes/],
    ['a negative label', { images: x, labels: [0, 1, 2, -1, 1, 2] }, /labels\[3\] is -1/],
    ['a fractional label', { images: x, labels: [0, 1, 2, 0.5, 1, 2] }, /labels\[3\] must be a whole number/],
    ['an empty class', { images: x, labels: [0, 1, 0, 0, 1, 1], classes: ['a', 'b', 'c'] }, /class 2 \("c"\) has no training examples/],
    ['an empty class of images', { images: [img, img, img], labels: [0, 1, 0], classes: ['a', 'b', 'c'] }, /class 2 \("c"\) has no images/],
    ['a non-finite value', { images: Float32Array.from(x, (v, i) => (i === 2 * 1024 + 5 ? NaN : v)), labels: y }, /example 2 has a non-finite value NaN \(at offset 5/],
    ['mixed images', { images: [x.subarray(0, 1024), img], labels: [0, 1] }, /images\[1\]/],
    ['an unknown layer', { images: x, labels: y, freeze: ['conv7'] }, /cannot freeze "conv7": the model has no such node/],
    ['holdout 1', { images: x, labels: y, holdout: 1 }, /holdout must be 0 \(none\) or at least 2/],
    ['an unknown option', { images: x, labels: y, epoch: 3 }, /unknown option "epoch"/],
    ['a bad lr', { images: x, labels: y, lr: 0 }, /lr must be in \(0, 10\]/],
  ]) {
    await assert.rejects(wasmnn.train(LENET, opts), err, what);
  }
  await assert.rejects(wasmnn.train('lenet6', { images: x, labels: y }), /unknown architecture "lenet6"/);
  await assert.rejects(wasmnn.train(LENET, { images: 'x', labels: y }), TypeError);
  assert.equal(globalThis.__wasmnn.memory().trainers, 0);
  const t = await wasmnn.train(LENET, { images: x, labels: y, epochs: 1, holdout: 0 });
  assert.equal(t.steps, 1);
  await t.dispose();
});
