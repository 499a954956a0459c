// Browser test of the Read text page: PaddleOCR's models load in the worker
// with progress, a rendered page of text (runtime/ocr's test image, uploaded
// through the file input) reads to the lines `wasmnn ocr --json` prints (text,
// scores and boxes: the same Go code, the same bits), an upside-down line
// reads right way up, the camera degrades to a message in a browser without
// one, and the page fits a 390-pixel phone. Screenshots go to test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setup, watch, shot, ROOT, BIN } from './lib.mjs';

const ASSETS = path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
const FILES = ['ch_PP-OCRv4_det_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', 'ch_PP-OCRv4_rec_infer.onnx', 'ppocr_keys_v1.txt'];
const PAGE = path.join(ROOT, 'js', 'test', 'fixtures', 'ocr-page.png');
const UPSIDE = path.join(ROOT, 'js', 'test', 'fixtures', 'ocr-upside.png');
const missing = !fs.existsSync(path.join(ASSETS, FILES[2])) && `${ASSETS} is missing: run npm ci`;

// cliLines is what `wasmnn ocr IMAGE --json` prints.
function cliLines(image) {
  return JSON.parse(execFileSync(BIN, ['ocr', image, '--json', '--models', ASSETS], { encoding: 'utf8' }));
}

let env;
before(async () => {
  if (missing) return;
  env = await setup();
  // The site as `make demo` lays it out: models/ocr/ from node_modules.
  const dir = path.join(env.dir, 'models', 'ocr');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of FILES) if (!fs.existsSync(path.join(dir, f))) fs.copyFileSync(path.join(ASSETS, f), path.join(dir, f));
});
after(async () => { if (env) await env.teardown(); });

async function open(viewport) {
  const page = await env.ctx.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors = watch(page);
  const labels = [];
  await page.exposeFunction('__progress', (t) => labels.push(t));
  await page.addInitScript(() => {
    new MutationObserver(() => {
      const l = document.querySelector('.progress-label');
      if (l && l.textContent) window.__progress(l.textContent);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(`${env.url}read.html`);
  await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.failed === '1', null, { timeout: 180000 });
  assert.equal(await page.getAttribute('body', 'data-failed'), null, await page.textContent('#messages'));
  return { page, errors, labels };
}

async function upload(page, file) {
  const before = await page.getAttribute('body', 'data-read-ms');
  await page.setInputFiles('#file', file);
  await page.waitForFunction((b) => document.body.dataset.readMs && document.body.dataset.readMs !== b && !document.body.dataset.reading,
    before, { timeout: 120000 });
  return page.evaluate(() => window.wasmnnDemo.lastResult);
}

test('a page of text reads to the CLI\'s lines, boxes drawn, time per stage', { skip: missing }, async (t) => {
  const { page, errors, labels } = await open();
  assert.ok(labels.some((l) => /Loading the OCR models: .* of 15\.\d MB/.test(l)), `progress over the models: ${labels.join(' | ')}`);
  const want = cliLines(PAGE);
  const { lines, timings } = await upload(page, PAGE);
  assert.deepStrictEqual(lines, want, 'the same lines, scores and boxes as wasmnn ocr --json');
  assert.equal(await page.inputValue('#text'), want.map((l) => l.text).join('\n'));
  assert.equal(await page.getAttribute('#lines', 'data-count'), String(want.length));
  for (const id of ['t-detect', 't-classify', 't-recognize', 't-total']) {
    assert.match(await page.textContent(`#${id}`), /^\d+(\.\d+)? m?s$/, id);
  }
  t.diagnostic(`Chromium: detect ${timings.detect} ms, classify ${timings.classify} ms, recognise ${timings.recognize} ms`);
  // The boxes are drawn: the canvas has the overlay's blue where the picture has none.
  const blue = await page.evaluate(() => {
    const c = document.querySelector('#canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 120) n++;
    return n;
  });
  assert.ok(blue > 500, `box outlines drawn (${blue} blue pixels)`);
  assert.equal(await page.isEnabled('#copy'), true);
  await shot(page, 'read-desktop.png');

  const upside = await upload(page, UPSIDE);
  assert.deepStrictEqual(upside.lines, cliLines(UPSIDE));
  assert.deepEqual(upside.lines.map((l) => l.text), ['Upside down line']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the camera button degrades to a message where there is no camera', { skip: missing }, async () => {
  const { page, errors } = await open();
  if (await page.isEnabled('#camera')) {
    await page.click('#camera');
    await page.waitForSelector('#messages .msg-warn', { timeout: 20000 });
    assert.match(await page.textContent('#messages'), /The camera is not available: .*Choose or paste a picture instead/);
  } else {
    assert.match(await page.getAttribute('#camera', 'title'), /camera/i);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page fits a 390-pixel phone', { skip: missing }, async () => {
  const { page, errors } = await open({ width: 390, height: 844 });
  await upload(page, PAGE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
  const canvasWidth = await page.evaluate(() => document.querySelector('#canvas').getBoundingClientRect().width);
  assert.ok(canvasWidth <= 366, `the picture is ${canvasWidth} px wide`);
  await shot(page, 'read-390.png');
  assert.deepEqual(errors, []);
  await page.close();
});
