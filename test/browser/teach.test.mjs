// Browser tests of the Teach it page: five new symbols drawn with mouse
// strokes teach the shipped LeNet-5 in the page's worker, which then reads
// new drawings of them (at least 95% right) and exports a .wnn the CLI
// reads; the page's training gives the weights of `wasmnn train` bit for
// bit; the page fits a 390-pixel phone. Screenshots go to test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setup, watch, shot, writeNpy, ARTIFACTS, BIN, LENET, ROOT } from './lib.mjs';
import { randomFloats } from '../../js/testlib/helpers.mjs';
import { assertSameModel } from '../../js/testlib/wnn.mjs';

let env;
let tmp;
before(async () => {
  env = await setup();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-teach-'));
});
after(async () => {
  if (env) await env.teardown();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function openTeach({ width } = {}) {
  const page = await env.ctx.newPage();
  if (width) await page.setViewportSize({ width, height: 844 });
  const errors = watch(page);
  await page.goto(`${env.url}teach.html`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), '1', 'teach.html did not start');
  return { page, errors };
}

// rng is mulberry32: deterministic drawings.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The five symbols, as strokes in a unit frame centred on 0 (x right, y
// down, about ±1).
const SYMBOLS = {
  check: () => [[[-0.8, 0], [-0.25, 0.7], [0.85, -0.8]]],
  circle: () => [Array.from({ length: 25 }, (_, i) => [0.9 * Math.cos((2 * Math.PI * i) / 24), 0.9 * Math.sin((2 * Math.PI * i) / 24)])],
  cross: () => [[[-0.8, -0.8], [0.8, 0.8]], [[0.8, -0.8], [-0.8, 0.8]]],
  zigzag: () => [[[-0.8, -0.8], [0.8, -0.8], [-0.8, 0.8], [0.8, 0.8]]],
  arrow: () => [[[0, 0.9], [0, -0.9]], [[-0.6, -0.3], [0, -0.9], [0.6, -0.3]]],
};
const NAMES = Object.keys(SYMBOLS);

// drawing returns a symbol's strokes in pad coordinates (0 to 1), placed,
// sized, rotated and wobbled at random as a hand would.
function drawing(name, r) {
  const j = () => 0.05 * (2 * r() - 1);
  const scale = 0.22 + 0.14 * r();
  const aspect = 0.8 + 0.4 * r();
  const rot = (2 * r() - 1) * 0.3;
  const cx = 0.5 + 0.12 * (2 * r() - 1);
  const cy = 0.5 + 0.12 * (2 * r() - 1);
  const [s, c] = [Math.sin(rot), Math.cos(rot)];
  return SYMBOLS[name]().map((line) => line.map(([x, y]) => {
    const u = (x + j()) * scale * aspect;
    const v = (y + j()) * scale;
    return [cx + u * c - v * s, cy + u * s + v * c];
  }));
}

async function draw(page, pad, strokes) {
  await page.locator(pad).scrollIntoViewIfNeeded();
  const box = await page.locator(pad).boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const st of strokes) {
    await page.mouse.move(...at(st[0]));
    await page.mouse.down();
    for (let i = 1; i < st.length; i++) await page.mouse.move(...at(st[i]), { steps: st.length > 6 ? 1 : 5 });
    await page.mouse.up();
  }
}

// readTry draws on the Try pad and returns the page's reading.
async function readTry(page, strokes) {
  await page.click('#try-clear');
  await draw(page, '#try-pad', strokes);
  await page.waitForFunction(() => {
    const b = document.querySelector('#bars');
    return b.dataset.state === 'idle' && b.dataset.pred !== '';
  }, null, { timeout: 30000 });
  return page.getAttribute('#bars', 'data-pred');
}

const TRAIN_PER_SYMBOL = 10;
const TEST_PER_SYMBOL = 6;

test('five symbols drawn with the mouse: taught in the worker, new drawings read, the model exported', async () => {
  const { page, errors } = await openTeach();
  for (let i = 2; i < NAMES.length; i++) await page.click('#add-class');
  for (const [i, name] of NAMES.entries()) await page.fill(`.cls[data-index="${i}"] input[type="text"]`, name);
  const r = rng(5);
  for (const [i, name] of NAMES.entries()) {
    await page.click(`.cls[data-index="${i}"] .pick`);
    for (let k = 0; k < TRAIN_PER_SYMBOL; k++) {
      await draw(page, '#pad', drawing(name, r));
      await page.click('#add');
    }
    assert.equal(await page.getAttribute(`.cls[data-index="${i}"]`, 'data-count'), String(TRAIN_PER_SYMBOL), `${name}: drawings added`);
  }
  await draw(page, '#pad', drawing('check', r)); // one on the pad, not added
  await shot(page, 'teach-drawn.png');
  assert.equal(await page.isEnabled('#train'), true);
  await page.click('#train');
  await page.waitForFunction(() => document.querySelector('#train-card').dataset.state !== 'training', null, { timeout: 180000 });
  assert.equal(await page.getAttribute('#train-card', 'data-state'), 'done', await page.textContent('#messages'));
  const status = await page.textContent('#train-status');
  assert.match(status, /Trained: \d+ steps .*Held out: \d+ of 10 read correctly/, status);
  assert.ok(await page.$('.confusion'), 'the confusion matrix is shown');
  await shot(page, 'teach-trained.png');

  // New drawings, never trained on, read on the Try pad.
  const t = rng(77);
  let right = 0;
  const wrong = [];
  for (let k = 0; k < TEST_PER_SYMBOL; k++) {
    for (const name of NAMES) {
      const got = await readTry(page, drawing(name, t));
      if (got === name) right++;
      else wrong.push(`${name} read as ${got}`);
    }
  }
  const total = TEST_PER_SYMBOL * NAMES.length;
  await shot(page, 'teach-read.png');
  assert.ok(right / total >= 0.95, `${right} of ${total} new drawings read right (${wrong.join(', ')})`);

  // The trained model downloads as a .wnn file the CLI reads, with the names.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const file = path.join(tmp, 'teach.wnn');
  await download.saveAs(file);
  const preds = JSON.parse(execFileSync(BIN, ['classify', file, path.join(ROOT, 'cmd', 'wasmnn', 'testdata', 'digits', '1401_7.png'),
    '--json', '--top', '5'], { encoding: 'utf8' }));
  assert.deepEqual(preds.map((p) => p.label).sort(), [...NAMES].sort());
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page trains in its worker to the weights of wasmnn train, bit for bit', async () => {
  const n = 40;
  const x = randomFloats(n * 1024, 9);
  const y = Array.from({ length: n }, (_, i) => i % 4);
  const X = path.join(tmp, 'x.npy');
  const Y = path.join(tmp, 'y.npy');
  writeNpy(X, x, [n, 1, 32, 32]);
  writeNpy(Y, y, [n]);
  const out = path.join(tmp, 'cli.wnn');
  execFileSync(BIN, ['train', LENET, '--images', X, '--labels', Y, '--classes', '4', '--freeze', 'conv1,conv2', '--epochs', '3',
    '--batch', '16', '--holdout', '5', '--seed', '4', '--quiet', '-o', out], { stdio: 'pipe' });
  const { page, errors } = await openTeach();
  const res = await page.evaluate(async ([images, labels]) => window.wasmnnTeach.train(images, labels,
    { classes: 4, freeze: ['conv1', 'conv2'], epochs: 3, batch: 16, holdout: 5, seed: 4, sliceMs: 1 }),
  [Buffer.from(x.buffer).toString('base64'), y]);
  assertSameModel(new Uint8Array(Buffer.from(res.model, 'base64')), new Uint8Array(fs.readFileSync(out)), 'Chromium worker');
  assert.equal(res.steps, 6);
  assert.equal(res.evaluation.total, 8);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page fits a 390-pixel-wide phone screen; a long run stops with Stop', async () => {
  const { page, errors } = await openTeach({ width: 390 });
  const r = rng(3);
  for (const [i, name] of ['circle', 'cross'].entries()) {
    await page.click(`.cls[data-index="${i}"] .pick`);
    for (let k = 0; k < 3; k++) {
      await draw(page, '#pad', drawing(name, r));
      await page.click('#add');
    }
    assert.equal(await page.getAttribute(`.cls[data-index="${i}"]`, 'data-count'), '3');
  }
  // A long run, stopped from the page while the worker trains: the model
  // as trained so far reads.
  await page.fill('#epochs', '1000');
  await page.click('#train');
  await page.waitForFunction(() => /step \d+\/1000/.test(document.querySelector('#train-status').textContent), null, { timeout: 60000 });
  await page.click('#stop');
  await page.waitForFunction(() => document.querySelector('#train-card').dataset.state !== 'training', null, { timeout: 60000 });
  assert.equal(await page.getAttribute('#train-card', 'data-state'), 'stopped');
  const stopped = await page.textContent('#train-status');
  assert.match(stopped, /Stopped after \d+ of 1000 steps .*Every symbol needs 5 drawings to hold some out/, stopped);
  assert.ok(['A', 'B'].includes(await readTry(page, drawing('cross', r))));
  const { sw, wide } = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const over = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5 && e.getClientRects().length)
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} right ${Math.round(e.getBoundingClientRect().right)}`);
    return { sw: document.documentElement.scrollWidth, wide: over };
  });
  assert.ok(sw <= 390, `scrollWidth ${sw} > 390; too wide: ${wide.join('; ')}`);
  await shot(page, 'phone-teach.png');
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-teach-top.png') }); // the first screen, full size
  assert.deepEqual(errors, []);
  await page.close();
});
