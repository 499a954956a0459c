// Browser tests of the Digits page: digits drawn with mouse strokes are
// read correctly, 50 held-out MNIST digits get bit for bit the logits that
// `wasmnn run` computes natively, and a missing model gives a clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setup, watch, shot, writeNpy, readNpy, BIN, LENET } from './lib.mjs';

let env;
before(async () => { env = await setup(); });
after(async () => { if (env) await env.teardown(); });

async function openDigits(query = '') {
  const page = await env.ctx.newPage();
  const errors = watch(page);
  await page.goto(`${env.url}index.html${query}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  return { page, errors };
}

// Stroke paths in pad coordinates from 0 to 1.
function ellipse(cx, cy, rx, ry, n = 48) {
  return Array.from({ length: n + 1 }, (_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });
}

const DRAWINGS = [
  { want: 1, strokes: [[[0.54, 0.14], [0.5, 0.5], [0.46, 0.86]]] },
  { want: 0, strokes: [ellipse(0.5, 0.5, 0.2, 0.32)] },
  { want: 7, strokes: [[[0.26, 0.18], [0.72, 0.18], [0.6, 0.42], [0.44, 0.86]]] },
];

async function draw(page, strokes) {
  const box = await page.locator('#pad').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const s of strokes) {
    const [x0, y0] = at(s[0]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let i = 1; i < s.length; i++) {
      const [x, y] = at(s[i]);
      await page.mouse.move(x, y, { steps: 8 });
    }
    await page.mouse.up();
  }
}

async function prediction(page) {
  await page.waitForFunction(() => {
    const b = document.querySelector('#bars');
    return b.dataset.state === 'idle' && b.dataset.pred !== '';
  }, null, { timeout: 30000 });
  return Number(await page.getAttribute('#bars', 'data-pred'));
}

test('digits drawn with the mouse are read correctly', async () => {
  assert.ok(fs.existsSync(LENET), `${LENET} is missing: the trained LeNet-5 ships with the demo`);
  const { page, errors } = await openDigits();
  await page.waitForSelector('#samples .sample');
  for (const d of DRAWINGS) {
    await page.click('#clear');
    await draw(page, d.strokes);
    const got = await prediction(page);
    await shot(page, `digits-drawn-${d.want}.png`);
    assert.equal(got, d.want, `the drawn ${d.want} was read as ${got}`);
  }
  // Undo removes the last stroke: after undoing the 7's only stroke the pad is empty.
  await page.click('#undo');
  await page.waitForFunction(() => document.querySelector('#bars').dataset.pred === '');
  await draw(page, DRAWINGS[2].strokes);
  assert.equal(await prediction(page), 7);
  await page.waitForFunction(() => /read correctly/.test(document.querySelector('#heldout-score').textContent), null, { timeout: 60000 });
  await shot(page, 'digits.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('50 held-out digits: the page gives the native logits bit for bit', async () => {
  const { page, errors } = await openDigits();
  const res = await page.evaluate(async () => {
    const all = await window.wasmnnDemo.heldout();
    const picked = all.filter((_, i) => i % 4 === 0); // 5 per class
    const preds = await window.wasmnnDemo.predictDigits(picked.map((d) => d.digit));
    return { picked: picked.map((d) => ({ label: d.label, index: d.index })), preds, info: window.wasmnnDemo.modelInfo() };
  });
  assert.equal(res.preds.length, 50);
  const { inputs, outputs } = res.info;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-heldout-'));
  let correct = 0;
  try {
    for (const [i, p] of res.preds.entries()) {
      const file = path.join(dir, `in${i}.npy`);
      writeNpy(file, p.input, inputs[0].dims);
      const out = path.join(dir, `out${i}`);
      execFileSync(BIN, ['run', LENET, '--input', `${inputs[0].name}=${file}`, '--out', out], { stdio: 'pipe' });
      const native = readNpy(path.join(out, `${outputs[0].name}.npy`));
      const page32 = Float32Array.from(p.logits);
      const digit = `digit ${res.picked[i].label} (#${res.picked[i].index})`;
      assert.equal(native.data.length, page32.length, `${digit}: output sizes`);
      const nb = new Uint32Array(native.data.buffer, native.data.byteOffset, native.data.length);
      const pb = new Uint32Array(page32.buffer);
      assert.deepEqual(Array.from(pb), Array.from(nb), `${digit}: browser logits ${page32} differ from native ${native.data}`);
      const nativeArgmax = native.data.indexOf(Math.max(...native.data));
      assert.equal(p.pred, nativeArgmax, `${digit}: prediction`);
      if (p.pred === res.picked[i].label) correct++;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // The shipped model reads 98.7% of the 2000 held-out digits.
  assert.ok(correct >= 45, `only ${correct} of 50 held-out digits read correctly`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a missing model gives a clear message, not a blank page', async () => {
  const page = await env.ctx.newPage();
  const errors = watch(page, [/Failed to load resource.*404/]);
  await page.goto(`${env.url}index.html?model=models/missing.wnn`);
  await page.waitForFunction(() => document.body.dataset.ready === 'error', null, { timeout: 60000 });
  const msg = await page.textContent('.msg-error');
  assert.match(msg, /Could not load the model/);
  assert.match(msg, /404/);
  await shot(page, 'digits-missing-model.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page works without the worker (?worker=0)', async () => {
  const { page, errors } = await openDigits('?worker=0');
  assert.match(await page.textContent('#backend'), /main thread/);
  await draw(page, DRAWINGS[0].strokes);
  assert.equal(await prediction(page), 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the SIMD fallback (?simd=0) gives the same logits bit for bit', async () => {
  const logits = async (query) => {
    const { page, errors } = await openDigits(query);
    const res = await page.evaluate(async () => {
      const all = await window.wasmnnDemo.heldout();
      const preds = await window.wasmnnDemo.predictDigits(all.filter((_, i) => i % 20 === 0).map((d) => d.digit));
      return preds.map((p) => Array.from(new Uint32Array(Float32Array.from(p.logits).buffer)));
    });
    await page.waitForFunction(() => /SIMD: (on|off)/.test(document.querySelector('#backend').textContent));
    const badge = await page.textContent('#backend');
    assert.deepEqual(errors, []);
    await page.close();
    return { res, badge };
  };
  const on = await logits('');
  const off = await logits('?simd=0');
  assert.match(on.badge, /SIMD: on/, 'Chromium has WebAssembly SIMD: the kernels should be on by default');
  assert.match(off.badge, /SIMD: off/);
  assert.equal(on.res.length, 10);
  assert.deepEqual(off.res, on.res);
});
