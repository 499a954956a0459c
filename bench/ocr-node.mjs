#!/usr/bin/env node
// ocr-node.mjs: the OCR pipeline bench in Node: wasmnn.ocr against
// @gutenye/ocr-common's pipeline on ONNX Runtime Web (bench/ocr-pipelines.mjs),
// both in this one process, one thread, SIMD, on the same test pages (decoded
// once to RGBA), interleaved runs; prints the medians per stage and the
// ratio as a Markdown table and writes the readings as JSON.
//
// usage: node bench/ocr-node.mjs [--reps 7] [--warmup 2] [--out bench/results-ocr-node.json]
//          [--images a.png,b.png] [--wasm path/to/wasmnn.wasm]
//
// The default images are the rendered page of runtime/ocr's tests
// (js/test/fixtures/ocr-page.png) and the photographed page of its
// real-photo test (runtime/ocr/testdata/photo-page.png).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_IMAGES, markdownTable, measurePipelines, ortPipeline, wasmnnPipeline } from './ocr-pipelines.mjs';
import { parseOptions } from './args.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nm = path.join(root, 'node_modules');
const assets = path.join(nm, '@gutenye', 'ocr-models', 'assets');


function parseArgs(argv) {
  const o = parseOptions(argv, { reps: 7, warmup: 2, out: '', images: DEFAULT_IMAGES.join(','), wasm: '' });
  return o;
}

const o = parseArgs(process.argv.slice(2));
const files = {
  det: path.join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
  cls: path.join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  rec: path.join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
  keys: path.join(assets, 'ppocr_keys_v1.txt'),
};
for (const f of Object.values(files)) {
  if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm ci in the repository root`);
}
const imp = (p) => import(pathToFileURL(path.join(nm, p)).href);
const { default: sharp } = await imp('sharp/lib/index.js');
const now = () => performance.now();

// The pages, decoded once (sharp) to the RGBA both pipelines read.
const images = [];
for (const f of o.images.split(',').filter(Boolean)) {
  const file = path.resolve(root, f);
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  images.push({ name: path.basename(file), rgba: { data: new Uint8ClampedArray(data), width: info.width, height: info.height } });
}

const wasmnn = await import(pathToFileURL(path.join(root, 'js', 'wasmnn.js')).href);
const w = await wasmnnPipeline(wasmnn, files, now, o.wasm ? { wasmURL: pathToFileURL(path.resolve(o.wasm)).href } : {});

const ort = await imp('onnxruntime-web/dist/ort.node.min.mjs');
const models = await imp('@gutenye/ocr-common/build/models/index.js');
const { registerBackend } = await imp('@gutenye/ocr-common/build/backend/backend.js');
const { splitIntoLineImages } = await imp('@gutenye/ocr-common/build/backend/splitIntoLineImages.js');
const { ImageRaw: SharpImage } = await imp('@gutenye/ocr-node/build/ImageRaw.js');
const { FileUtils } = await imp('@gutenye/ocr-node/build/FileUtils.js');
// ocr-node's ImageRaw (sharp), opened from RGBA pixels instead of a file.
class ImageRaw extends SharpImage {
  static async open(rgba) {
    return new ImageRaw({ data: Buffer.from(rgba.data), width: rgba.width, height: rgba.height });
  }
}
const r = await ortPipeline({ ort, models, registerBackend, splitIntoLineImages, ImageRaw, FileUtils, files, now });

const results = await measurePipelines([w, r], images, { warmup: o.warmup, reps: o.reps, log: (s) => console.error(s) });
for (const res of results) for (const k of Object.keys(res.runs)) res.runs[k] = res.runs[k].map(({ texts, ...x }) => x);
const host = `Node ${process.version}`;
const table = markdownTable(results, host);
console.log(table);
for (const res of results) {
  console.log(`\n${res.image}: wasmnn read ${JSON.stringify(res.texts.wasmnn)}\n${res.image}: ort-web read ${JSON.stringify(res.texts['ort-web'])}`);
}
if (o.out) {
  fs.writeFileSync(o.out, JSON.stringify({ host, info: { wasmnn: w.info, 'ort-web': r.info }, reps: o.reps, warmup: o.warmup, results, table }, null, 2) + '\n');
}
await w.dispose();
process.exit(0);
