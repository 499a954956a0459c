// Browser tests of the demo's rough edges (issue 14), each with screenshots
// in test-artifacts/: the Model lab opens an ONNX file (converted in the
// module) and shows the conversion notes; a failed open keeps the model
// already open, and error banners replace each other and clear on the next
// success; a page opened from file:// says how to serve it; every page fits
// a 390-pixel-wide phone screen; a near-empty drawing asks for a digit; the
// explorer's number fields keep to their limits; a picture of a digit is
// read in either polarity (invert 'auto').
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setup, watch, shot, ARTIFACTS, BIN, LENET, ROOT } from './lib.mjs';
import { encodePNG } from '../../js/testlib/helpers.mjs';

let env;
let tmp;
let onnxFile;
before(async () => {
  env = await setup();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-papercuts-'));
  onnxFile = path.join(tmp, 'lenet5.onnx');
  execFileSync(BIN, ['export', LENET, '-o', onnxFile], { stdio: 'pipe' });
});
after(async () => {
  if (env) await env.teardown();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function open(pg, { width } = {}) {
  const page = await env.ctx.newPage();
  if (width) await page.setViewportSize({ width, height: 844 });
  const errors = watch(page);
  await page.goto(`${env.url}${pg}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), '1', `${pg} did not start`);
  return { page, errors };
}

const errorCount = (page) => page.$$eval('#messages .msg-error', (b) => b.length);

test('lab: an .onnx file opens with its conversion notes; a failed open keeps it; errors replace each other and clear', async () => {
  const { page, errors } = await open('lab.html');
  await page.setInputFiles('#file', onnxFile);
  await page.waitForFunction(() => document.querySelector('#model-title').textContent === 'lenet5.onnx', null, { timeout: 30000 });
  assert.equal(await page.textContent('#onnx-tag'), 'converted from ONNX');
  assert.match(await page.textContent('#conversion-summary'), /^Converted from ONNX \(opset 17, wasmnn 1\): 12 nodes → 8 wasmnn nodes, 10 weight tensors$/);
  await page.click('#conversion summary');
  assert.match(await page.textContent('#conversion-list'), /fused \(4\): relu1 fused into conv1/);
  assert.equal(await page.$$eval('#layers tbody tr', (trs) => trs.length), 8);
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.runMs, null, { timeout: 60000 });
  await shot(page, 'lab-onnx.png');

  // A text file, then an HTML page: one banner at a time, naming what each is;
  // the ONNX model stays open and runs.
  await page.setInputFiles('#file', { name: 'notes.wnn', mimeType: 'text/plain', buffer: Buffer.from('these are my notes\nabout models\n') });
  await page.waitForSelector('.msg-error', { timeout: 30000 });
  assert.match(await page.textContent('.msg-error'), /Could not open notes\.wnn as a model \(lenet5\.onnx is still open\): .*this is a text file, not a \.wnn or ONNX model \(it begins "these are my notes …"\)/);
  await page.setInputFiles('#file', { name: 'model.onnx', mimeType: 'text/html', buffer: Buffer.from('<!DOCTYPE html><html><body>404: This page could not be found</body></html>') });
  await page.waitForFunction(() => /model\.onnx/.test(document.querySelector('.msg-error')?.textContent || ''), null, { timeout: 30000 });
  assert.equal(await errorCount(page), 1, 'error banners do not stack');
  assert.match(await page.textContent('.msg-error'), /this is an HTML page, not a \.wnn or ONNX model .*check the model's URL/);
  assert.equal(await page.textContent('#model-title'), 'lenet5.onnx', 'the model already open stays');
  assert.equal(await page.$$eval('#layers tbody tr', (trs) => trs.length), 8);
  assert.equal(await page.isEnabled('#run'), true);
  await page.evaluate(() => { delete document.body.dataset.runMs; });
  await shot(page, 'lab-failed-open-keeps-model.png');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.runMs, null, { timeout: 60000 });
  assert.equal(await errorCount(page), 0, 'a successful run clears the stale error');

  // A failure again, then a successful open clears it.
  await page.setInputFiles('#file', { name: 'model.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] })) });
  await page.waitForSelector('.msg-error', { timeout: 30000 });
  assert.match(await page.textContent('.msg-error'), /TensorFlow\.js model\.json.*tf2onnx/);
  await page.setInputFiles('#file', LENET);
  await page.waitForFunction(() => document.querySelector('#model-title').textContent === 'lenet5.wnn', null, { timeout: 30000 });
  assert.equal(await errorCount(page), 0, 'a successful open clears the stale error');
  assert.equal(await page.isHidden('#conversion'), true, 'a .wnn file has no conversion notes');
  await shot(page, 'lab-error-cleared.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a page opened from file:// says how to serve it', async () => {
  for (const pg of ['index.html', 'conv.html', 'lab.html']) {
    const page = await env.ctx.newPage();
    await page.goto(`file://${path.join(env.dir, pg)}`);
    await page.waitForSelector('#served-hint', { timeout: 20000 });
    const text = await page.textContent('#served-hint');
    assert.match(text, /opened from a file.*file:\/\/.*make demo.*http:\/\/127\.0\.0\.1:8080\//s, `${pg}: ${text}`);
    assert.ok(text.includes(`http://127.0.0.1:8080/${pg}`), `${pg}: names the page's served URL`);
    assert.equal(await page.textContent('#backend'), 'not served');
    if (pg === 'index.html') await shot(page, 'file-protocol.png');
    await page.close();
  }
});

// fits checks that nothing makes the page scroll sideways at 390 pixels.
async function fits(page, what) {
  const { sw, wide } = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > w + 0.5 && !e.closest('.table-wrap') && e.getClientRects().length)
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} right ${Math.round(e.getBoundingClientRect().right)}`);
    return { sw: document.documentElement.scrollWidth, wide };
  });
  assert.ok(sw <= 390, `${what}: scrollWidth ${sw} > 390; too wide: ${wide.join('; ')}`);
}

test('every page fits a 390-pixel-wide phone screen', async () => {
  {
    const { page, errors } = await open('index.html', { width: 390 });
    await page.waitForSelector('#samples .sample');
    await fits(page, 'digits');
    await shot(page, 'phone-digits.png');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-digits-top.png') }); // the first screen, full size
    assert.deepEqual(errors, []);
    await page.close();
  }
  {
    const { page, errors } = await open('conv.html', { width: 390 });
    await page.waitForSelector('#layers[data-ready]', { timeout: 60000 });
    await fits(page, 'explorer');
    await shot(page, 'phone-conv.png');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-conv-top.png') }); // the first screen, full size
    assert.deepEqual(errors, []);
    await page.close();
  }
  {
    const { page, errors } = await open('lab.html?arch=lenet5', { width: 390 });
    await fits(page, 'lab (empty)');
    await page.click('#build');
    await page.waitForSelector('#layers tbody tr', { timeout: 60000 });
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.runMs, null, { timeout: 60000 });
    await page.setInputFiles('#file', { name: 'broken-model-file-with-a-long-name.wnn', mimeType: 'text/plain', buffer: Buffer.from('not a model') });
    await page.waitForSelector('.msg-error', { timeout: 30000 });
    await fits(page, 'lab (built, run, an error shown)');
    await shot(page, 'phone-lab.png');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-lab-top.png') }); // the first screen, full size
    assert.deepEqual(errors, []);
    await page.close();
  }
});

async function drawStroke(page, pts) {
  const box = await page.locator('#pad').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(pts[0]));
  await page.mouse.down();
  for (const p of pts.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
  await page.mouse.up();
}

test('a near-empty drawing asks for a digit instead of naming one', async () => {
  const { page, errors } = await open('index.html');
  for (const pts of [[[0.5, 0.5]], [[0.4, 0.5], [0.44, 0.52]]]) { // a dot; a short tick
    await page.click('#clear');
    await drawStroke(page, pts);
    await page.waitForFunction(() => document.querySelector('#bars').dataset.pred === 'too-small' && document.querySelector('#bars').dataset.state === 'idle', null, { timeout: 20000 });
    assert.equal(await page.textContent('#top-digit'), '–');
    assert.match(await page.textContent('#top-text'), /draw a digit/);
    assert.equal(await page.$$eval('#bars .bar.top', (b) => b.length), 0, 'no class is highlighted');
  }
  await shot(page, 'digits-near-empty.png');
  // A real stroke is read.
  await drawStroke(page, [[0.54, 0.14], [0.5, 0.5], [0.46, 0.86]]);
  await page.waitForFunction(() => document.querySelector('#bars').dataset.pred === '1', null, { timeout: 20000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test("the explorer's stride, padding and dilation fields keep to their limits", async () => {
  const { page, errors } = await open('conv.html');
  await page.waitForSelector('#maps[data-ready]');
  const set = async (id, v) => {
    await page.fill(id, v);
    await page.dispatchEvent(id, 'change');
  };
  await set('#stride', '9');
  assert.equal(await page.inputValue('#stride'), '4');
  assert.match(await page.textContent('#limits-note'), /Stride is a whole number from 1 to 4: 9 became 4\./);
  await page.waitForFunction(() => / → 32×32/.test(document.querySelector('#formula').textContent), null, { timeout: 20000 });
  await shot(page, 'conv-limits.png');
  await set('#pad-size', '-3');
  assert.equal(await page.inputValue('#pad-size'), '0');
  assert.match(await page.textContent('#limits-note'), /Padding is a whole number from 0 to 8: -3 became 0\./);
  await set('#pad-size', '2.6');
  assert.equal(await page.inputValue('#pad-size'), '3');
  await set('#pad-size', '');
  assert.equal(await page.inputValue('#pad-size'), '3', 'an empty field goes back to its last value');
  assert.match(await page.textContent('#limits-note'), /Padding must be a whole number from 0 to 8; it stays 3\./);
  await set('#dilation', '100');
  assert.equal(await page.inputValue('#dilation'), '4');
  await set('#stride', '2');
  assert.equal(await page.textContent('#limits-note'), '', 'a value within the limits clears the note');
  // 128 + 2*3 - 4*(3-1) - 1 = 125, /2 + 1 = 63.
  await page.waitForFunction(() => / → 63×63/.test(document.querySelector('#formula').textContent), null, { timeout: 20000 });
  assert.deepEqual(errors, []);
  await page.close();
});

// mnistPNG returns a held-out MNIST digit as a PNG: light on dark as MNIST
// stores it, or dark on light (paper).
async function mnistPNG(d, paper) {
  const px = Buffer.from(d.pixels, 'base64');
  const data = new Uint8Array(4 * 28 * 28);
  for (let i = 0; i < 28 * 28; i++) {
    const v = paper ? 255 - px[i] : px[i];
    data.set([v, v, v, 255], 4 * i);
  }
  return Buffer.from(await encodePNG({ data, width: 28, height: 28 }));
}

test('a picture of a digit is read in either polarity (classify with invert auto)', async () => {
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'demo', 'data', 'mnist-heldout.json'), 'utf8'));
  const d = json.digits.find((x) => x.label === 7);
  const { page, errors } = await open('index.html');
  // Not an image first: an error, cleared by the next success.
  await page.setInputFiles('#upload', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
  await page.waitForSelector('.msg-error', { timeout: 20000 });
  assert.match(await page.textContent('.msg-error'), /Could not read notes\.png: .*not an image this browser can decode/);
  for (const [paper, name] of [[false, 'mnist-7.png'], [true, 'paper-7.png']]) {
    await page.setInputFiles('#upload', { name, mimeType: 'image/png', buffer: await mnistPNG(d, paper) });
    await page.waitForFunction((n) => document.querySelector('#upload-result').textContent.startsWith(`${n}:`), name, { timeout: 20000 });
    assert.equal(await page.getAttribute('#upload-result', 'data-inverted'), String(paper));
    assert.match(await page.textContent('#upload-result'), paper ? /dark on light, so inverted/ : /already light on dark .* not inverted/);
    assert.equal(await page.getAttribute('#bars', 'data-pred'), '7', `${name} is read as 7`);
    assert.equal(await errorCount(page), 0, 'the stale error is gone');
    await shot(page, `digits-upload-${paper ? 'paper' : 'mnist'}.png`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
