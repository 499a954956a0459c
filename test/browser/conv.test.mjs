// Browser tests of the Convolution explorer: feature maps of the chosen
// kernel and settings, with the output size the convolution arithmetic
// gives, LeNet-5's layer-by-layer view, and a clear note for settings that
// give no feature map.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setup, serve, watch, shot } from './lib.mjs';

let env;
before(async () => { env = await setup(); });
after(async () => { if (env) await env.teardown(); });

// canvasSizes returns [width, height] of the feature-map canvases.
function canvasSizes(page) {
  return page.$$eval('#maps figure canvas', (cs) => cs.map((c) => [c.width, c.height]));
}

test('feature maps follow the settings and LeNet-5 shows every layer', async () => {
  const page = await env.ctx.newPage();
  const errors = watch(page);
  await page.goto(`${env.url}conv.html`);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });
  await page.waitForSelector('#maps[data-ready]');
  // The 128x128 house, 3x3 kernel, padding 1, stride 1, then 2x2 max pooling.
  assert.deepEqual(await canvasSizes(page), [[128, 128], [128, 128], [64, 64]]);
  // LeNet-5: input plus every node but Flatten.
  await page.waitForSelector('#layers[data-ready]');
  const layers = await page.$$eval('#layers .layer', (ls) => ls.map((l) => l.dataset.layer));
  for (const name of ['input', 'conv1', 'pool1', 'conv2', 'pool2', 'fc1', 'fc2', 'fc3']) assert.ok(layers.includes(name), `no ${name} in ${layers}`);
  assert.equal(await page.$$eval('[data-layer="conv1"] canvas', (cs) => cs.length), 6);
  assert.equal(await page.$$eval('[data-layer="conv2"] canvas', (cs) => cs.length), 16);
  assert.match(await page.textContent('#lenet-status'), /held-out MNIST 3: LeNet-5 reads 3/);
  await shot(page, 'conv.png');

  // 5x5 Gaussian, stride 2, dilation 2, no padding, average pooling 3 stride 3:
  // out = floor((128 + 0 - 2*(5-1) - 1)/2) + 1 = 60, pooled floor((60-3)/3)+1 = 20.
  await page.selectOption('#preset', 'gauss5');
  await page.fill('#stride', '2');
  await page.dispatchEvent('#stride', 'change');
  await page.fill('#pad-size', '0');
  await page.dispatchEvent('#pad-size', 'change');
  await page.fill('#dilation', '2');
  await page.dispatchEvent('#dilation', 'change');
  await page.selectOption('#pool', 'avg');
  await page.fill('#pool-size', '3');
  await page.dispatchEvent('#pool-size', 'change');
  await page.fill('#pool-stride', '3');
  await page.dispatchEvent('#pool-stride', 'change');
  await page.waitForFunction(() => document.querySelectorAll('#maps figure canvas')[1]?.width === 60, null, { timeout: 20000 });
  assert.deepEqual(await canvasSizes(page), [[128, 128], [60, 60], [20, 20]]);
  assert.match(await page.textContent('#formula'), /→ 60×60/);

  // An MNIST digit with a pooling window wider than the feature map: a
  // note, not a crash. 28 + 0 - 4*(5-1) - 1 = 11, /4 + 1 = 3 wide; window 8.
  await page.click('[data-tab="mnist"]');
  for (const [id, v] of [['#stride', '4'], ['#dilation', '4'], ['#pool-size', '8']]) {
    await page.fill(id, v);
    await page.dispatchEvent(id, 'change');
  }
  await page.waitForSelector('#maps .msg-warn', { timeout: 20000 });
  assert.match(await page.textContent('#maps .msg-warn'), /do not give a feature map/);
  await shot(page, 'conv-bad-settings.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the pages start the demo module; the package wasmnn.wasm has no demo methods', async () => {
  // A bare page of the site that starts lib/dist/wasmnn.wasm, as a user of the
  // npm package would (the demo pages start lib/dist/wasmnn-demo.wasm).
  fs.writeFileSync(path.join(env.dir, 'shipped.html'), '<!doctype html><link rel="icon" href="data:,"><title>shipped</title>');
  const page = await env.ctx.newPage();
  const errors = watch(page);
  await page.goto(`${env.url}shipped.html`);
  const methods = await page.evaluate(async () => {
    const wasmnn = await import('./lib/wasmnn.js');
    await wasmnn.init();
    return Object.keys(globalThis.__wasmnn).sort();
  });
  assert.deepEqual(methods, ['classify', 'dispose', 'load', 'memory', 'ocrDispose', 'ocrLoad', 'ocrRead', 'run', 'runProfiled', 'summary',
    'trainDispose', 'trainEvaluate', 'trainSave', 'trainStart', 'trainStep']);
  await page.close();
  const conv = await env.ctx.newPage();
  errors.push(...watch(conv));
  await conv.goto(`${env.url}conv.html?worker=0`);
  await conv.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  assert.equal(await conv.evaluate(() => document.body.dataset.ready), '1',
    `conv.html did not start: ${await conv.textContent('body')}`);
  const demo = await conv.evaluate(() => ['buildZoo', 'reopen', 'layerOutputs', 'conv2d', 'convAlgos']
    .filter((m) => typeof globalThis.__wasmnn[m] !== 'function'));
  assert.deepEqual(demo, [], 'methods the demo module lacks');
  assert.deepEqual(errors, []);
  await conv.close();
});

test('without lib/ (wasm not built) every page says what is missing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-nolib-'));
  fs.cpSync(env.dir, dir, { recursive: true, filter: (src) => path.relative(env.dir, src) !== 'lib' });
  const srv = await serve(dir);
  try {
    for (const pg of ['index.html', 'conv.html', 'lab.html', 'lab.html?worker=0']) {
      const page = await env.ctx.newPage();
      const errors = watch(page, [/Failed to load resource.*404/]);
      await page.goto(`${srv.url}${pg}`);
      await page.waitForSelector('.msg-error', { timeout: 30000 });
      assert.match(await page.textContent('.msg-error'), /lib\//, `${pg}: the message names lib/`);
      if (pg === 'conv.html') await shot(page, 'conv-no-lib.png');
      assert.deepEqual(errors, [], pg);
      await page.close();
    }
  } finally {
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
