// teach.js drives the Teach it page: the user draws examples of two to ten
// symbols of their own, the shipped LeNet-5 is fine-tuned on them in the
// worker with wasmnn.train (a new classifier head, the convolutions kept
// as trained on MNIST unless unticked), with a live chart of the training
// loss and accuracy, and then reads what the user draws on the second pad.
//
// Drawings take the path of the Digits page: digitprep.prepareDrawing (the
// ink cropped, scaled into a 20x20 box, centred by mass in 28x28), then
// modelInput (the model's input tensor, as its preprocessing metadata
// says), for training and for reading alike. window.wasmnnTeach exposes
// the training path to the browser tests.
import { createEngine } from './client.js';
import * as ui from './ui.js';
import { prepareDrawing, tooLittleInk, modelInput, softmax, argmax, drawDigit } from './digitprep.js';
import { Pad } from './teach-pad.js';

const params = new URLSearchParams(location.search);
const MODEL_URL = new URL(params.get('model') || 'models/lenet5.wnn', location.href).href;
const MAX_CLASSES = 10;
const MIN_EXAMPLES = 3; // per symbol, to teach
const HOLDOUT = 5; // every 5th drawing of each symbol is held out when each has at least 5
const SLICE_MS = 20; // the engine trains this long between chart updates

ui.catchStrays();
const engine = createEngine();
const progress = new ui.Progress(ui.$('#progress'));
const status = { base: null, model: null, training: false };

// ---------------------------------------------------------------- symbols

const classes = [];
let active = 0;

function nextName() {
  for (let c = 65; c < 91; c++) {
    const n = String.fromCharCode(c);
    if (!classes.some((k) => k.name === n)) return n;
  }
  return `symbol ${classes.length + 1}`;
}

function addClass(name = nextName()) {
  if (classes.length >= MAX_CLASSES) return;
  classes.push({ name, examples: [] });
  active = classes.length - 1;
  renderClasses();
}

function removeClass(i) {
  if (classes.length <= 2) return;
  classes.splice(i, 1);
  active = Math.min(active, classes.length - 1);
  renderClasses();
}

function renderClasses() {
  const box = ui.$('#classes');
  box.replaceChildren(...classes.map((k, i) => {
    const name = ui.el('input', { type: 'text', value: k.name, 'aria-label': `Name of symbol ${i + 1}`, maxlength: '24' });
    name.addEventListener('input', () => { k.name = name.value; active = i; updateControls(); markActive(); });
    name.addEventListener('focus', () => { active = i; updateControls(); markActive(); });
    const pick = ui.el('button', { class: 'pick', title: `Add drawings to this symbol`, text: String(i + 1) });
    pick.addEventListener('click', () => { active = i; updateControls(); markActive(); });
    const remove = ui.el('button', { class: 'remove', title: 'Remove this symbol', text: '×' });
    remove.disabled = classes.length <= 2;
    remove.addEventListener('click', () => removeClass(i));
    const thumbs = ui.el('div', { class: 'thumbs' }, ...k.examples.map((d, j) => {
      const c = ui.el('canvas', { title: 'Remove this drawing' });
      drawDigit(c, d);
      c.addEventListener('click', () => { k.examples.splice(j, 1); renderClasses(); });
      return c;
    }));
    const count = ui.el('span', { class: 'count', text: `${k.examples.length} drawing${k.examples.length === 1 ? '' : 's'}` });
    const row = ui.el('div', { class: `cls${i === active ? ' active' : ''}`, 'data-index': String(i), 'data-count': String(k.examples.length) },
      pick, name, ui.el('div', { class: 'row', style: 'gap:8px;flex-wrap:nowrap' }, count, remove), thumbs);
    return row;
  }));
  ui.$('#add-class').disabled = classes.length >= MAX_CLASSES || status.training;
  updateControls();
}

function markActive() {
  document.querySelectorAll('#classes .cls').forEach((row, i) => row.classList.toggle('active', i === active));
}

// names returns the symbols' names, trimmed, or throws saying what is wrong.
function names() {
  const out = classes.map((k) => k.name.trim());
  out.forEach((n, i) => {
    if (!n) throw new Error(`symbol ${i + 1} has no name`);
    if (out.indexOf(n) !== i) throw new Error(`two symbols are named "${n}"`);
  });
  return out;
}

function updateControls() {
  const k = classes[active];
  ui.$('#add-name').textContent = k ? (k.name.trim() || `symbol ${active + 1}`) : '…';
  ui.$('#add').disabled = !status.base || !k || drawPad.empty || status.training;
  const few = classes.filter((c) => c.examples.length < MIN_EXAMPLES).map((c) => c.name.trim() || '(unnamed)');
  let problem = few.length ? `Draw at least ${MIN_EXAMPLES} examples of each symbol (still short: ${few.join(', ')}).` : '';
  try { names(); } catch (e) { problem = `Fix the names: ${e.message}.`; }
  ui.$('#train').disabled = Boolean(problem) || !status.base || status.training;
  ui.$('#train-hint').textContent = status.training ? 'Teaching…' : problem || (status.model ? 'Draw below to try it, or teach it again.' : 'Ready to teach.');
}

// ---------------------------------------------------------------- drawing examples

const drawPad = new Pad(ui.$('#pad'), { hint: ui.$('#pad-hint'), onChange: () => updateControls() });

function addDrawing() {
  if (ui.$('#add').disabled) return;
  const prep = prepareDrawing(drawPad.pixels());
  const pad = ui.$('#pad');
  if (!prep || tooLittleInk(prep, pad.width, pad.height)) {
    ui.showMessage('warn', 'Too little ink:', 'draw the symbol larger, then add it.');
    return;
  }
  classes[active].examples.push(prep.digit);
  drawPad.clear();
  ui.clearErrors();
  renderClasses();
}

ui.$('#undo').addEventListener('click', () => drawPad.undo());
ui.$('#clear').addEventListener('click', () => drawPad.clear());
ui.$('#add').addEventListener('click', addDrawing);
ui.$('#add-class').addEventListener('click', () => addClass());
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement) return;
  if ((e.ctrlKey || e.metaKey) && e.key === 'z') { e.preventDefault(); drawPad.undo(); }
  if (e.key === 'Escape') drawPad.clear();
  if (e.key === 'Enter') addDrawing();
});

// ---------------------------------------------------------------- the chart

const chart = { points: [], steps: 1, heldOut: null };

function drawChart() {
  const canvas = ui.$('#chart');
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, w, h);
  const left = 44;
  const right = 44;
  const top = 10;
  const bottom = 26;
  const pw = Math.max(10, w - left - right);
  const ph = Math.max(10, h - top - bottom);
  const maxLoss = Math.max(0.5, ...chart.points.map((p) => p.loss));
  const x = (step) => left + (pw * step) / chart.steps;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#687086';
  ctx.strokeStyle = '#e6e9ef';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + (ph * i) / 4;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + pw, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText((maxLoss * (1 - i / 4)).toFixed(2), left - 6, y + 4);
    ctx.textAlign = 'left';
    ctx.fillText(`${100 - 25 * i}%`, left + pw + 6, y + 4);
  }
  ctx.textAlign = 'center';
  ctx.fillText(chart.points.length ? `step (of ${chart.steps})` : 'training steps', left + pw / 2, h - 6);
  const line = (color, value) => {
    if (!chart.points.length) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    chart.points.forEach((p, i) => {
      const y = top + ph * (1 - value(p));
      if (i === 0) ctx.moveTo(x(p.step), y);
      else ctx.lineTo(x(p.step), y);
    });
    ctx.stroke();
  };
  line('#c0392b', (p) => p.loss / maxLoss);
  line('#2f6fdf', (p) => p.accuracy);
  if (chart.heldOut !== null) {
    const y = top + ph * (1 - chart.heldOut);
    ctx.strokeStyle = '#1f8a4c';
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + pw, y);
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

window.addEventListener('resize', drawChart);

// ---------------------------------------------------------------- training

// inputsOf turns 28x28 drawings into the model's input tensors, back to back.
function inputsOf(digits) {
  const { preprocess, dims } = status.base;
  const size = dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(digits.length * size);
  digits.forEach((d, i) => out.set(modelInput(d, preprocess, dims), i * size));
  return out;
}

// trainOn trains the shipped model on tensors with the page's engine and
// returns the trained model's handle and what training reported.
async function trainOn(images, labels, options, onProgress) {
  return engine.call('train', { source: MODEL_URL, images, labels, options }, { onProgress, transfer: [images.buffer] });
}

async function teach() {
  let labelNames;
  try {
    labelNames = names();
  } catch (e) {
    ui.showError('Cannot teach yet:', e);
    return;
  }
  const digits = [];
  const labels = [];
  classes.forEach((k, c) => k.examples.forEach((d) => { digits.push(d); labels.push(c); }));
  const fewest = Math.min(...classes.map((k) => k.examples.length));
  const holdout = fewest >= HOLDOUT ? HOLDOUT : 0;
  const epochs = Math.max(1, Math.min(1000, Math.round(Number(ui.$('#epochs').value) || 40)));
  const options = { classes: labelNames, epochs, batch: 16, lr: 2e-3, shift: 2, seed: 1, holdout, sliceMs: SLICE_MS,
    freeze: ui.$('#freeze').checked ? ['conv1', 'conv2'] : [] };
  status.training = true;
  const card = ui.$('#train-card');
  card.dataset.state = 'training';
  ui.$('#stop').disabled = false;
  ui.$('#export').disabled = true;
  ui.$('#result').replaceChildren();
  ui.$('#heldout-legend').hidden = true;
  chart.points = [];
  chart.heldOut = null;
  chart.steps = 1;
  drawChart();
  renderClasses();
  const t0 = performance.now();
  try {
    if (status.model) {
      await engine.call('dispose', { handle: status.model.handle });
      status.model = null;
    }
    const res = await trainOn(inputsOf(digits), labels, options, (p) => {
      chart.steps = p.steps;
      chart.points.push({ step: p.step, loss: p.loss, accuracy: p.accuracy });
      drawChart();
      ui.$('#train-status').textContent = `epoch ${p.epoch}/${p.epochs} · step ${p.step}/${p.steps} · loss ${p.loss.toFixed(3)} · ` +
        `accuracy ${(100 * p.accuracy).toFixed(0)}%`;
    });
    const s = (performance.now() - t0) / 1000;
    status.model = { handle: res.handle, labels: res.meta.labels, names: labelNames };
    showResult(res, s, digits.length);
    card.dataset.state = res.stopped ? 'stopped' : 'done';
    tryPad.enabled = true;
    ui.$('#try-hint').textContent = 'draw one of your symbols';
    ui.$('#export').disabled = false;
    buildBars(labelNames);
    ui.clearErrors();
    schedule();
  } catch (err) {
    card.dataset.state = 'error';
    ui.showError('Training failed:', err);
    ui.$('#train-status').textContent = '';
  } finally {
    status.training = false;
    ui.$('#stop').disabled = true;
    renderClasses();
  }
}

function showResult(res, seconds, n) {
  const ev = res.evaluation;
  const what = res.stopped ? `Stopped after ${res.steps} of ${res.training.steps} steps` : `Trained: ${res.steps} steps`;
  const speed = `${n} drawings, ${seconds.toFixed(1)} s`;
  const out = ui.$('#result');
  if (!ev) {
    ui.$('#train-status').textContent = `${what} (${speed}). Every symbol needs ${HOLDOUT} drawings to hold some out for a test.`;
    out.replaceChildren();
    drawChart();
    return;
  }
  chart.heldOut = ev.accuracy;
  ui.$('#heldout-legend').hidden = false;
  drawChart();
  ui.$('#train-status').textContent = `${what} (${speed}). Held out: ${ev.correct} of ${ev.total} read correctly ` +
    `(${(100 * ev.accuracy).toFixed(0)}%).`;
  out.dataset.accuracy = String(ev.accuracy);
  const head = ui.el('tr', {}, ui.el('th', { text: 'drawn \\ read' }), ...ev.labels.map((l) => ui.el('th', { text: l })));
  const rows = ev.confusion.map((row, i) => ui.el('tr', {}, ui.el('th', { text: ev.labels[i] }),
    ...row.map((v, j) => ui.el('td', { class: v === 0 ? '' : i === j ? 'hit' : 'miss', text: String(v) }))));
  out.replaceChildren(ui.el('p', { class: 'small muted', style: 'margin:12px 0 0',
    text: `The held-out drawings (every ${HOLDOUT}th of each symbol, not trained on), by what you drew and what it read:` }),
  ui.el('table', { class: 'confusion' }, head, ...rows));
}

ui.$('#train').addEventListener('click', teach);
ui.$('#stop').addEventListener('click', () => engine.call('trainStop').catch((e) => ui.showError('Could not stop:', e)));

// ---------------------------------------------------------------- trying it

const barsEl = ui.$('#bars');
let bars = [];

function buildBars(labelNames) {
  bars = labelNames.map((name, i) => {
    const fill = ui.el('div', { class: 'fill' });
    const pct = ui.el('span', { class: 'pct', text: '' });
    const row = ui.el('div', { class: 'bar', 'data-index': String(i) }, ui.el('span', { class: 'lab', text: name, title: name }),
      ui.el('div', { class: 'track' }, fill), pct);
    return { row, fill, pct };
  });
  barsEl.replaceChildren(...bars.map((b) => b.row));
  showProbs(null);
}

function showProbs(probs, hint = 'Draw one of your symbols.') {
  const top = probs ? argmax(probs) : -1;
  bars.forEach((b, i) => {
    const p = probs ? probs[i] : 0;
    b.fill.style.width = `${(100 * p).toFixed(1)}%`;
    b.pct.textContent = probs ? `${(100 * p).toFixed(1)}%` : '';
    b.row.classList.toggle('top', i === top);
  });
  ui.$('#top-label').textContent = probs ? status.model.names[top] : '–';
  ui.$('#top-text').textContent = probs ? `${(100 * probs[top]).toFixed(1)}% sure` : hint;
  barsEl.dataset.pred = probs ? status.model.names[top] : '';
}

const tryPad = new Pad(ui.$('#try-pad'), { hint: ui.$('#try-hint'), onChange: () => schedule() });
tryPad.enabled = false;
ui.$('#try-undo').addEventListener('click', () => tryPad.undo());
ui.$('#try-clear').addEventListener('click', () => tryPad.clear());

let busy = false;
let dirty = false;

function schedule() {
  if (!status.model) return;
  dirty = true;
  barsEl.dataset.state = 'busy';
  if (!busy) requestAnimationFrame(readPad);
}

// read runs the trained model on 28x28 drawings: per drawing the
// probabilities and the predicted class.
async function read(digits) {
  const { dims } = status.base;
  const out = [];
  for (const d of digits) {
    const res = await engine.call('run', { handle: status.model.handle, inputs: [{ name: status.base.input, data: modelInput(d, status.base.preprocess, dims), dims }] });
    const probs = softmax(res.outputs[0].data);
    out.push({ probs, pred: argmax(probs), ms: res.ms });
  }
  return out;
}

async function readPad() {
  if (busy || !status.model) return;
  busy = true;
  try {
    while (dirty) {
      dirty = false;
      const prep = prepareDrawing(tryPad.pixels());
      const pad = ui.$('#try-pad');
      const seen = ui.$('#seen');
      if (!prep || tooLittleInk(prep, pad.width, pad.height)) {
        seen.getContext('2d').clearRect(0, 0, seen.width, seen.height);
        showProbs(null, prep ? 'Too little ink to read: draw larger.' : undefined);
        ui.$('#run-time').textContent = '';
        continue;
      }
      drawDigit(seen, prep.digit);
      const [r] = await read([prep.digit]);
      if (!dirty) {
        showProbs(r.probs);
        ui.$('#run-time').textContent = `inference ${ui.fmtMs(r.ms)}`;
      }
    }
  } catch (err) {
    ui.showError('Reading failed:', err);
  } finally {
    busy = false;
    if (dirty) schedule();
    else barsEl.dataset.state = 'idle';
  }
}

// ---------------------------------------------------------------- export

ui.$('#export').addEventListener('click', async () => {
  if (!status.model) return;
  try {
    const { bytes } = await engine.call('save', { handle: status.model.handle });
    const a = ui.el('a', { href: URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' })),
      download: `teach-${status.model.names.join('-').replace(/[^\w-]+/g, '_').slice(0, 60)}.wnn` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    ui.$('#export-note').textContent = `${ui.fmtBytes(bytes.byteLength)}: wasmnn.load() and \`wasmnn classify\` read it.`;
  } catch (err) {
    ui.showError('Could not export the model:', err);
  }
});

// ---------------------------------------------------------------- start

async function start() {
  progress.show('Starting WebAssembly…');
  const info = await engine.call('init');
  ui.backendBadge(ui.$('#backend'), info, engine.mode);
  progress.show('Loading LeNet-5…');
  const m = await engine.call('loadModel', { source: MODEL_URL }, { onProgress: (l, t) => progress.update(l, t, 'Loading LeNet-5:') });
  progress.hide();
  const dims = m.inputs[0].dims;
  if (!m.meta.preprocess || dims.length !== 4 || dims[1] !== 1) {
    throw new Error(`${MODEL_URL} is not a one-channel image classifier (input ${JSON.stringify(dims)})`);
  }
  status.base = { preprocess: m.meta.preprocess, dims, input: m.inputs[0].name };
  await engine.call('dispose', { handle: m.handle });
}

addClass('A');
addClass('B');
active = 0;
renderClasses();
drawChart();
const ready = start().then(() => {
  document.body.dataset.ready = '1';
  updateControls();
}, (err) => {
  progress.hide();
  document.body.dataset.ready = 'error';
  ui.showError(`Could not load the model (${MODEL_URL}):`, err);
  for (const b of ['#add', '#train', '#add-class']) ui.$(b).disabled = true;
});

// For the browser tests: the page's training path on given tensors, and
// its state.
const b64 = (u8) => {
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
};
window.wasmnnTeach = {
  ready,
  // train trains the page's model on float32 tensors (base64) with
  // wasmnn.train's options and returns the .wnn bytes (base64).
  async train(images64, labels, options) {
    const bin = atob(images64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    const res = await trainOn(new Float32Array(u8.buffer), labels, options, () => {});
    const { bytes } = await engine.call('save', { handle: res.handle });
    await engine.call('dispose', { handle: res.handle });
    return { model: b64(bytes), steps: res.steps, evaluation: res.evaluation };
  },
  read: async (digits) => (await read(digits.map((d) => Float32Array.from(d)))).map((r) => r.pred),
  state: () => ({ classes: classes.map((k) => ({ name: k.name, count: k.examples.length })), trained: Boolean(status.model) }),
};
