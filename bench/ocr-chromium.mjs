#!/usr/bin/env node
// ocr-chromium.mjs: the OCR pipeline bench in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core): one page runs wasmnn.ocr and
// @gutenye/ocr-common's pipeline on ONNX Runtime Web side by side
// (bench/ocr-pipelines.mjs, bench/ocr-page.mjs), one thread, SIMD, on the
// same pages, interleaved runs; prints the medians per stage and the ratio
// as a Markdown table and writes the readings as JSON. The repository root
// is served by `wasmnn serve` (bin/wasmnn, or WASMNN_BIN); the images are
// those of bench/ocr-node.mjs.
//
// usage: node bench/ocr-chromium.mjs [--reps 7] [--warmup 2] [--out bench/results-ocr-chromium.json]
//          [--images a.png,b.png]

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browser, serve } from '../test/browser/lib.mjs';
import { DEFAULT_IMAGES } from './ocr-pipelines.mjs';
import { parseOptions } from './args.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = parseOptions(argv, { reps: 7, warmup: 2, out: '', images: DEFAULT_IMAGES.join(',') });
  return o;
}

// The page: ocr-common's bare imports resolved by an import map, OpenCV.js
// and js-clipper (UMD and CommonJS scripts) loaded first and handed to it as
// modules; tiny-invariant reads process.env.NODE_ENV.
const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasmnn OCR bench</title><link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify({
  imports: {
    'tiny-invariant': '/node_modules/tiny-invariant/dist/esm/tiny-invariant.js',
    'onnxruntime-common': '/node_modules/onnxruntime-common/dist/esm/index.js',
    '@techstark/opencv-js': '/bench/ocr-shim/opencv.mjs',
    'js-clipper': '/bench/ocr-shim/clipper.mjs',
  },
})}</script>
<script>globalThis.process = { env: { NODE_ENV: 'production' } }; var module = { exports: {} };</script>
<script src="/node_modules/js-clipper/clipper.js"></script>
<script>globalThis.ClipperLib = module.exports; module = undefined;</script>
<script src="/node_modules/@techstark/opencv-js/dist/opencv.js"></script>
<script type="module" src="/bench/ocr-page.mjs"></script>
</head><body><p>wasmnn OCR benchmark page: driven by bench/ocr-chromium.mjs.</p></body></html>`;
const SHIMS = { 'opencv.mjs': 'export default globalThis.cv;\n', 'clipper.mjs': 'export default globalThis.ClipperLib;\n' };

const o = parseArgs(process.argv.slice(2));
const images = o.images.split(',').filter(Boolean).map((f) => {
  const rel = path.relative(root, path.resolve(root, f));
  if (rel.startsWith('..')) throw new Error(`${f} must lie inside ${root}`);
  return '/' + rel.split(path.sep).join('/');
});
const srv = await serve(root);
const b = await browser();
let out;
try {
  const page = await b.ctx.newPage();
  page.on('console', (m) => console.error(`page: ${m.text()}`));
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.route('**/bench/ocr.html', (r) => r.fulfill({ contentType: 'text/html', body: HTML }));
  await page.route('**/bench/ocr-shim/*', (r) => {
    const body = SHIMS[new URL(r.request().url()).pathname.split('/').at(-1)];
    return body ? r.fulfill({ contentType: 'text/javascript', body }) : r.fulfill({ status: 404, body: 'no such shim' });
  });
  await page.goto(srv.url + 'bench/ocr.html');
  await page.waitForFunction(() => typeof window.ocrReady === 'object', null, { timeout: 60000 });
  await page.evaluate(() => window.ocrReady);
  out = await page.evaluate((a) => window.ocrBench(a), { images, reps: o.reps, warmup: o.warmup });
} finally {
  await b.close();
  await srv.stop();
}
console.log(out.table);
for (const r of out.results) {
  console.log(`\n${r.image}: wasmnn read ${JSON.stringify(r.texts.wasmnn)}\n${r.image}: ort-web read ${JSON.stringify(r.texts['ort-web'])}`);
}
if (o.out) fs.writeFileSync(o.out, JSON.stringify({ ...out, reps: o.reps, warmup: o.warmup }, null, 2) + '\n');
