// Browser tests of the Model lab: ResNet-18 built with random weights in
// the page, its layer table, a timed forward pass with the per-layer chart,
// switching the conv algorithm, and a clear message for a bad model file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setup, watch, shot, ARTIFACTS, LENET } from './lib.mjs';

let env;
before(async () => { env = await setup(); });
after(async () => { if (env) await env.teardown(); });

const SIZE = Number(process.env.WASMNN_RESNET_SIZE || 224);

test(`ResNet-18 at ${SIZE}x${SIZE} runs in the page with a per-layer chart`, async (t) => {
  const page = await env.ctx.newPage();
  const errors = watch(page);
  await page.goto(`${env.url}lab.html?arch=resnet18&size=${SIZE}`);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });
  await page.selectOption('#runs', '3');
  await page.click('#build');
  await page.waitForSelector('#layers tbody tr', { timeout: 120000 });
  assert.equal(await page.textContent('#random-tag'), 'random weights');
  const rows = await page.$$eval('#layers tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  // 20 convolutions (17 3x3/7x7 plus 3 downsampling 1x1), fused with BN and ReLU.
  assert.equal(rows.filter((r) => r[2].startsWith('Conv')).length, 20);
  assert.equal(await page.textContent('#layers tfoot td:nth-child(5)'), '11,689,512');

  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.runMs, null, { timeout: 600000 });
  const ms = Number(await page.getAttribute('body', 'data-run-ms'));
  const bars = Number(await page.getAttribute('#chart', 'data-bars'));
  assert.equal(bars, rows.length, 'one chart bar per layer');
  assert.ok(await page.isVisible('#chart'), 'the chart is visible');
  const times = await page.$$eval('#layers tbody tr td:last-child', (tds) => tds.map((td) => td.textContent));
  assert.ok(times.every((x) => /ms|s$/.test(x)), `every layer has a time: ${times}`);
  const gflops = await page.textContent('#stat-gflops .v');
  t.diagnostic(`ResNet-18 ${SIZE}x${SIZE} in Chromium: ${ms} ms per run (median of 3), ${gflops} GFLOP/s`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'resnet18-browser.json'), JSON.stringify({ size: SIZE, medianMs: ms, gflops: Number(gflops), date: new Date().toISOString() }, null, 2) + '\n');
  await shot(page, 'lab-resnet18.png');

  // Replanned with im2col everywhere: no layer keeps winograd.
  await page.selectOption('#algo', 'im2col');
  await page.waitForFunction(() => [...document.querySelectorAll('#layers tbody td:nth-child(7)')].every((td) => td.textContent === '' || td.textContent === 'im2col'), null, { timeout: 120000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a model file opens and runs; a file that is not a model gives a clear message', async () => {
  const page = await env.ctx.newPage();
  const errors = watch(page);
  await page.goto(`${env.url}lab.html`);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });
  await page.setInputFiles('#file', LENET);
  await page.waitForFunction(() => document.querySelector('#model-title').textContent === 'lenet5.wnn', null, { timeout: 30000 });
  assert.match(await page.textContent('#model-tags'), /trained weights/);
  assert.equal(await page.$$eval('#layers tbody tr', (trs) => trs.length), 8);
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.runMs, null, { timeout: 60000 });
  assert.equal(await page.getAttribute('#chart', 'data-bars'), '8');
  await page.setInputFiles('#file', { name: 'notes.wnn', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a model') });
  await page.waitForSelector('.msg-error', { timeout: 30000 });
  assert.match(await page.textContent(".msg-error"), /Could not open notes\.wnn as a model \(lenet5\.wnn is still open\): .*this is a text file, not a \.wnn or ONNX model/);
  await shot(page, 'lab-bad-file.png');
  assert.deepEqual(errors, []);
  await page.close();
});
