// digits.js drives the Digits page: a drawing pad whose digit LeNet-5 reads
// as it is drawn, and a gallery of held-out MNIST digits.
//
// Drawings and held-out digits take the same path: a 28x28 digit (ink 1 on
// 0), made into the model's input tensor by digitprep.modelInput, then
// model.run in the worker. window.wasmnnDemo exposes that path to the
// browser tests.
import { createEngine } from './client.js';
import * as ui from './ui.js';
import { prepareDrawing, tooLittleInk, modelInput, softmax, argmax, decodeHeldout, drawDigit } from './digitprep.js';

const params = new URLSearchParams(location.search);
const MODEL_URL = params.get('model') || 'models/lenet5.wnn';
const LINE_WIDTH = 20; // on the 280x280 pad: about 2 pixels of the 20x20 box, like MNIST's pen

ui.catchStrays();
const engine = createEngine();
const progress = new ui.Progress(ui.$('#progress'));
const pad = ui.$('#pad');
const ctx = pad.getContext('2d', { willReadFrequently: true });
const barsEl = ui.$('#bars');
const status = { model: null, heldout: null };

// ---------------------------------------------------------------- bars

const bars = [];
for (let d = 0; d < 10; d++) {
  const fill = ui.el('div', { class: 'fill' });
  const pct = ui.el('span', { class: 'pct', text: '' });
  const row = ui.el('div', { class: 'bar', 'data-digit': d }, ui.el('span', { class: 'lab', text: String(d) }),
    ui.el('div', { class: 'track' }, fill), pct);
  barsEl.append(row);
  bars.push({ row, fill, pct });
}

// showProbs shows the class probabilities, or none (an empty pad, too
// little ink: hint says what to do).
function showProbs(probs, hint = 'Draw a digit to see what LeNet-5 thinks it is.') {
  const top = probs ? argmax(probs) : -1;
  bars.forEach((b, d) => {
    const p = probs ? probs[d] : 0;
    b.fill.style.width = `${(100 * p).toFixed(1)}%`;
    b.pct.textContent = probs ? `${(100 * p).toFixed(1)}%` : '';
    b.row.classList.toggle('top', d === top);
  });
  ui.$('#top-digit').textContent = probs ? String(top) : '–';
  ui.$('#top-text').textContent = probs
    ? `${(100 * probs[top]).toFixed(1)}% sure${probs[top] < 0.6 ? ': not very sure, try a clearer stroke' : ''}`
    : hint;
  barsEl.dataset.pred = probs ? String(top) : '';
}

// ---------------------------------------------------------------- model

function inputName() {
  return status.model.inputs[0].name;
}

// predictDigits runs the model on 28x28 digits; returns, per digit, the
// input tensor data, the logits, probabilities and the predicted class.
async function predictDigits(digits) {
  const m = status.model;
  if (!m) throw new Error('the model is not loaded');
  const dims = m.inputs[0].dims;
  const out = [];
  for (const digit of digits) {
    const input = modelInput(digit, m.meta.preprocess || {}, dims);
    const res = await engine.call('run', { handle: m.handle, inputs: [{ name: inputName(), data: input.slice(), dims }] });
    const logits = res.outputs[0].data;
    const probs = softmax(logits);
    out.push({ input, logits, probs, pred: argmax(probs), ms: res.ms });
  }
  return out;
}

async function loadModel() {
  progress.show('Starting WebAssembly…');
  const info = await engine.call('init');
  ui.backendBadge(ui.$('#backend'), info, engine.mode);
  progress.show('Loading LeNet-5…');
  const m = await engine.call('loadModel', { source: new URL(MODEL_URL, location.href).href },
    { onProgress: (l, t) => progress.update(l, t, 'Loading LeNet-5:') });
  progress.hide();
  const pp = m.meta.preprocess;
  const dims = m.inputs[0].dims;
  if (!pp || dims.length !== 4 || dims[1] !== 1 || m.outputs[0].dims[m.outputs[0].dims.length - 1] !== 10) {
    throw new Error(`${MODEL_URL} is not a 10-class one-channel image classifier (input ${JSON.stringify(dims)})`);
  }
  status.model = m;
  const weights = (m.meta.extra || {}).weights;
  const desc = `${m.meta.name || 'model'}: ${ui.fmtInt(m.summary.total_params)} parameters, ` +
    `${ui.fmtCount(m.summary.total_flops)}FLOPs per digit, input ${ui.fmtShape(dims)}.`;
  ui.$('#model-info').textContent = desc + (m.meta.description ? ` ${m.meta.description}` : '');
  if (weights === 'random') {
    ui.showMessage('warn', 'This LeNet-5 has random weights:', 'its predictions are meaningless. Train it to get a real one (demo/models/lenet5.wnn).');
  }
}

// ---------------------------------------------------------------- pad

const strokes = [];
let current = null;

function clearPad() {
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function strokeStyle() {
  ctx.strokeStyle = '#000';
  ctx.fillStyle = '#000';
  ctx.lineWidth = LINE_WIDTH;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
}

function drawStroke(s) {
  strokeStyle();
  if (s.length === 1) {
    ctx.beginPath();
    ctx.arc(s[0][0], s[0][1], LINE_WIDTH / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(s[0][0], s[0][1]);
  for (let i = 1; i < s.length; i++) ctx.lineTo(s[i][0], s[i][1]);
  ctx.stroke();
}

function redraw() {
  clearPad();
  for (const s of strokes) drawStroke(s);
  ui.$('#pad-hint').hidden = strokes.length > 0;
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
}

pad.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  current = [padPoint(e)];
  strokes.push(current);
  ui.$('#pad-hint').hidden = true;
  drawStroke(current);
  schedule();
});

pad.addEventListener('pointermove', (e) => {
  if (!current) return;
  const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
  const pts = (events.length ? events : [e]).map(padPoint);
  const last = current[current.length - 1];
  strokeStyle();
  ctx.beginPath();
  ctx.moveTo(last[0], last[1]);
  for (const p of pts) {
    ctx.lineTo(p[0], p[1]);
    current.push(p);
  }
  ctx.stroke();
  schedule();
});

function endStroke() {
  if (!current) return;
  current = null;
  schedule();
}
pad.addEventListener('pointerup', endStroke);
pad.addEventListener('pointercancel', endStroke);

function undo() {
  strokes.pop();
  redraw();
  schedule();
}

function clear() {
  strokes.length = 0;
  redraw();
  schedule();
}

ui.$('#undo').addEventListener('click', undo);
ui.$('#clear').addEventListener('click', clear);
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === 'z') { e.preventDefault(); undo(); }
  if (e.key === 'Escape') clear();
});

// ---------------------------------------------------------------- live prediction

let busy = false;
let dirty = false;
let frame = 0;

function schedule() {
  dirty = true;
  barsEl.dataset.state = 'busy';
  if (!frame) frame = requestAnimationFrame(() => { frame = 0; predictPad(); });
}

async function predictPad() {
  if (busy || !status.model) return;
  busy = true;
  try {
    while (dirty) {
      dirty = false;
      const prep = prepareDrawing(ctx.getImageData(0, 0, pad.width, pad.height));
      const seen = ui.$('#seen');
      if (!prep || tooLittleInk(prep, pad.width, pad.height)) {
        seen.getContext('2d').clearRect(0, 0, seen.width, seen.height);
        showProbs(null, prep ? 'Too little ink to read: draw a digit, larger.' : undefined);
        barsEl.dataset.pred = prep ? 'too-small' : '';
        ui.$('#run-time').textContent = '';
        continue;
      }
      drawDigit(seen, prep.digit);
      const [r] = await predictDigits([prep.digit]);
      if (!dirty) {
        showProbs(r.probs);
        ui.$('#run-time').textContent = `inference ${ui.fmtMs(r.ms)}`;
        ui.$('#upload-result').textContent = '';
        ui.clearErrors();
      }
    }
  } catch (err) {
    ui.showError('Prediction failed:', err);
  } finally {
    busy = false;
    if (dirty) schedule();
    else barsEl.dataset.state = 'idle';
  }
}

// ---------------------------------------------------------------- a picture of a digit

// classifyPicture reads a picture with model.classify, which prepares it in
// the engine (runtime/imageprep, as `wasmnn classify` does) and decides
// whether to invert it: a digit on paper (dark on light) is inverted into
// MNIST's light-on-dark, a digit that already is light on dark is not.
async function classifyPicture(file) {
  const m = status.model;
  if (!m) return;
  const out = ui.$('#upload-result');
  out.textContent = `Reading ${file.name}…`;
  try {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch (e) {
      throw new Error(`${file.name} is not an image this browser can decode (${e.message})`);
    }
    const thumb = ui.$('#upload-thumb');
    thumb.width = 56;
    thumb.height = 56;
    thumb.getContext('2d').drawImage(bitmap, 0, 0, 56, 56);
    thumb.hidden = false;
    const preds = await engine.call('classify', { handle: m.handle, image: bitmap, topK: 10, invert: 'auto' }, { transfer: [bitmap] });
    const probs = new Array(10).fill(0);
    for (const p of preds) probs[p.index] = p.probability;
    showProbs(probs);
    const inverted = preds[0].inverted;
    out.dataset.inverted = String(inverted);
    out.textContent = `${file.name}: ${inverted ? 'dark on light, so inverted to MNIST\'s light on dark' : 'already light on dark (as MNIST), so not inverted'}.`;
    ui.$('#run-time').textContent = '';
    ui.clearErrors();
  } catch (err) {
    out.textContent = '';
    ui.showError(`Could not read ${file.name}:`, err);
  }
}

ui.$('#upload').addEventListener('change', (e) => {
  const f = e.target.files[0];
  if (f) classifyPicture(f);
  e.target.value = '';
});

// ---------------------------------------------------------------- held-out digits

async function heldout() {
  if (!status.heldout) status.heldout = ui.fetchJSON('data/mnist-heldout.json').then(decodeHeldout);
  return status.heldout;
}

// showRandom shows 12 random held-out digits; fromUser (the button was
// pressed) lets a success clear a stale error banner.
async function showRandom(fromUser = false) {
  const btn = ui.$('#random');
  btn.disabled = true;
  try {
    const all = await heldout();
    const picks = [];
    const used = new Set();
    while (picks.length < Math.min(12, all.length)) {
      const i = Math.floor(Math.random() * all.length);
      if (!used.has(i)) { used.add(i); picks.push(all[i]); }
    }
    const res = await predictDigits(picks.map((p) => p.digit));
    const box = ui.$('#samples');
    box.replaceChildren(...picks.map((p, i) => {
      const c = ui.el('canvas');
      drawDigit(c, p.digit);
      const ok = res[i].pred === p.label;
      return ui.el('div', { class: `sample ${ok ? 'ok' : 'wrong'}`, title: `mnist ${p.label}.json #${p.index}` }, c,
        ui.el('div', { class: 'verdict', text: `${ok ? '✓' : '✗'} read ${res[i].pred}` }),
        ui.el('div', { class: 'muted', text: `label ${p.label} · ${(100 * res[i].probs[res[i].pred]).toFixed(0)}%` }));
    }));
    box.dataset.count = String(picks.length);
    if (fromUser) ui.clearErrors();
  } catch (err) {
    ui.showError('Could not classify the held-out digits:', err);
  } finally {
    btn.disabled = false;
  }
}

async function score() {
  const all = await heldout();
  const res = await predictDigits(all.map((d) => d.digit));
  const right = res.filter((r, i) => r.pred === all[i].label).length;
  ui.$('#heldout-score').textContent = `${right} of ${all.length} bundled held-out digits read correctly (${(100 * right / all.length).toFixed(1)}%)`;
}

ui.$('#random').addEventListener('click', () => showRandom(true));

// ---------------------------------------------------------------- start

clearPad();
showProbs(null);
const ready = loadModel().then(async () => {
  barsEl.dataset.state = 'idle';
  document.body.dataset.ready = '1';
  await showRandom();
  await score();
}, (err) => {
  progress.hide();
  document.body.dataset.ready = 'error';
  ui.showError(`Could not load the model (${MODEL_URL}):`, err);
  ui.$('#top-text').textContent = 'The model did not load, so nothing can be read. See the message above.';
  for (const b of ['#undo', '#clear', '#random', '#upload']) ui.$(b).disabled = true;
});

// For the browser tests: the page's own prediction path.
window.wasmnnDemo = {
  ready,
  predictDigits: async (digits) => (await predictDigits(digits.map((d) => Float32Array.from(d)))).map((r) => ({
    input: Array.from(r.input), logits: Array.from(r.logits), probs: r.probs, pred: r.pred,
  })),
  heldout: async () => (await heldout()).map((d) => ({ label: d.label, index: d.index, digit: Array.from(d.digit) })),
  modelInfo: () => status.model && { inputs: status.model.inputs, outputs: status.model.outputs, meta: status.model.meta },
};
