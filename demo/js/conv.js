// conv.js drives the Convolution explorer: one convolution (and pooling)
// of a chosen image with a chosen kernel, computed by the wasm module
// (__wasmnn.conv2d, the same kernels models run), and the output of every
// LeNet-5 layer for the current digit (__wasmnn.layerOutputs).
import { createEngine } from './client.js';
import * as ui from './ui.js';
import { prepareDrawing, modelInput, decodeHeldout, softmax, argmax, resample, inkOf } from './digitprep.js';

const params = new URLSearchParams(location.search);
const MODEL_URL = params.get('model') || 'models/lenet5.wnn';
const MAX_SIDE = 128;

ui.catchStrays();
const engine = createEngine();
const progress = new ui.Progress(ui.$('#progress'));

const SAMPLES = [
  { file: 'samples/house.png', name: 'House' },
  { file: 'samples/shapes.png', name: 'Shapes' },
  { file: 'samples/checker.png', name: 'Checkerboard' },
  { file: 'samples/rings.png', name: 'Rings' },
];

const PRESETS = {
  'edge': { name: 'Edges (Laplacian)', k: [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]] },
  'sobel-x': { name: 'Vertical edges (Sobel x)', k: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] },
  'sobel-y': { name: 'Horizontal edges (Sobel y)', k: [[-1, -2, -1], [0, 0, 0], [1, 2, 1]] },
  'blur': { name: 'Blur (box 3×3)', k: [[1, 1, 1], [1, 1, 1], [1, 1, 1]].map((r) => r.map((v) => v / 9)) },
  'gauss5': { name: 'Blur (Gaussian 5×5)', k: gaussian5() },
  'sharpen': { name: 'Sharpen', k: [[0, -1, 0], [-1, 5, -1], [0, -1, 0]] },
  'emboss': { name: 'Emboss', k: [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]] },
  'identity': { name: 'Identity', k: [[0, 0, 0], [0, 1, 0], [0, 0, 0]] },
  'custom3': { name: 'Custom 3×3', k: [[0, 0, 0], [0, 1, 0], [0, 0, 0]] },
  'custom5': { name: 'Custom 5×5', k: Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => (i === 2 && j === 2 ? 1 : 0))) },
};

function gaussian5() {
  const g = [1, 4, 6, 4, 1];
  return g.map((a) => g.map((b) => (a * b) / 256));
}

const state = {
  image: null, // {data: Float32Array, width, height, label}
  digit: null, // 28x28 digit (ink 1) for the LeNet view
  digitLabel: '',
  kernel: PRESETS.edge.k.map((r) => r.slice()),
  lenet: null, // raw model description
  heldout: null,
  heldoutIndex: 0,
};

// ---------------------------------------------------------------- image sources

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load the image ${src}`));
    img.src = src;
  });
}

// grayOf draws an image scaled to at most MAX_SIDE and returns its
// brightness (0 black .. 1 white).
function grayOf(img) {
  const w0 = img.naturalWidth || img.width;
  const h0 = img.naturalHeight || img.height;
  if (!w0 || !h0) throw new Error('the image has no pixels');
  const s = Math.min(1, MAX_SIDE / Math.max(w0, h0));
  const w = Math.max(1, Math.round(w0 * s));
  const h = Math.max(1, Math.round(h0 * s));
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const cx = c.getContext('2d', { willReadFrequently: true });
  cx.fillStyle = '#fff';
  cx.fillRect(0, 0, w, h);
  cx.drawImage(img, 0, 0, w, h);
  const ink = inkOf(cx.getImageData(0, 0, w, h));
  return { data: ink.map((v) => 1 - v), width: w, height: h };
}

async function useSample(s) {
  const img = await loadImage(s.file);
  state.image = { ...grayOf(img), label: s.name };
  for (const b of document.querySelectorAll('#sample-list button')) b.setAttribute('aria-pressed', String(b.dataset.file === s.file));
  await update();
}

function useDigit(digit, label) {
  state.digit = digit;
  state.digitLabel = label;
  state.image = { data: Float32Array.from(digit), width: 28, height: 28, label };
}

async function nextHeldout() {
  if (!state.heldout) state.heldout = decodeHeldout(await ui.fetchJSON('data/mnist-heldout.json'));
  const d = state.heldout[state.heldoutIndex % state.heldout.length];
  state.heldoutIndex += 37; // walk through the classes
  useDigit(d.digit, `held-out MNIST ${d.label}`);
  ui.$('#mnist-label').textContent = `label ${d.label} (mnist ${d.label}.json #${d.index})`;
}

// ---------------------------------------------------------------- tabs

function selectTab(name) {
  for (const b of document.querySelectorAll('[data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.dataset.panel !== name;
}

for (const b of document.querySelectorAll('[data-tab]')) {
  b.addEventListener('click', async () => {
    selectTab(b.dataset.tab);
    try {
      if (b.dataset.tab === 'sample') await useSample(SAMPLES.find((s) => s.name === state.image?.label) || SAMPLES[0]);
      if (b.dataset.tab === 'mnist') { await nextHeldout(); await update(); await updateLenet(); }
      if (b.dataset.tab === 'draw') await padChanged();
    } catch (err) {
      ui.showError('Could not use that image:', err);
    }
  });
}

for (const s of SAMPLES) {
  const thumb = ui.el('img', { src: s.file, alt: s.name, width: 48, height: 48, style: 'display:block;margin:0 auto 3px;image-rendering:pixelated' });
  ui.$('#sample-list').append(ui.el('button', { 'data-file': s.file, onclick: () => useSample(s).catch((e) => ui.showError('Could not load the sample:', e)) },
    thumb, s.name));
}

ui.$('#mnist-next').addEventListener('click', async () => {
  try {
    await nextHeldout();
    await update();
    await updateLenet();
  } catch (err) {
    ui.showError('Could not load the held-out digits:', err);
  }
});

ui.$('#upload').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  if (!f) return;
  const url = URL.createObjectURL(f);
  try {
    const img = await loadImage(url);
    state.image = { ...grayOf(img), label: f.name };
    await update();
  } catch (err) {
    ui.showError(`Could not read ${f.name} as an image:`, err);
  } finally {
    URL.revokeObjectURL(url);
  }
});

// ---------------------------------------------------------------- drawing pad

const pad = ui.$('#pad');
const pctx = pad.getContext('2d', { willReadFrequently: true });
let drawing = false;
let last = null;

function padClear() {
  pctx.fillStyle = '#fff';
  pctx.fillRect(0, 0, pad.width, pad.height);
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
}

pad.addEventListener('pointerdown', (e) => {
  pad.setPointerCapture(e.pointerId);
  drawing = true;
  last = padPoint(e);
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = padPoint(e);
  pctx.strokeStyle = '#000';
  pctx.lineWidth = 20;
  pctx.lineCap = 'round';
  pctx.beginPath();
  pctx.moveTo(last[0], last[1]);
  pctx.lineTo(p[0], p[1]);
  pctx.stroke();
  last = p;
});
const padUp = () => {
  if (!drawing) return;
  drawing = false;
  padChanged().catch((e) => ui.showError('Could not use the drawing:', e));
};
pad.addEventListener('pointerup', padUp);
pad.addEventListener('pointercancel', padUp);
ui.$('#pad-clear').addEventListener('click', () => { padClear(); });

async function padChanged() {
  const prep = prepareDrawing(pctx.getImageData(0, 0, pad.width, pad.height));
  if (!prep) return;
  useDigit(prep.digit, 'your drawing');
  await update();
  await updateLenet();
}

// ---------------------------------------------------------------- kernel editor

const presetSel = ui.$('#preset');
for (const [id, p] of Object.entries(PRESETS)) presetSel.append(ui.el('option', { value: id, text: p.name }));

function renderKernel() {
  const n = state.kernel.length;
  const grid = ui.$('#kernel');
  grid.style.gridTemplateColumns = `repeat(${n}, auto)`;
  grid.replaceChildren();
  state.kernel.forEach((row, i) => row.forEach((v, j) => {
    const inp = ui.el('input', { type: 'number', step: '0.1', value: String(+v.toFixed(3)), 'aria-label': `kernel ${i},${j}` });
    inp.addEventListener('input', () => {
      const x = Number(inp.value);
      if (!Number.isFinite(x)) return;
      state.kernel[i][j] = x;
      const custom = n === 3 ? 'custom3' : 'custom5';
      if (presetSel.value !== custom) presetSel.value = custom;
      PRESETS[custom].k = state.kernel.map((r) => r.slice());
      update();
    });
    grid.append(inp);
  }));
}

presetSel.addEventListener('change', () => {
  state.kernel = PRESETS[presetSel.value].k.map((r) => r.slice());
  renderKernel();
  update();
});

const NUMBER_FIELDS = { '#stride': 'Stride', '#pad-size': 'Padding', '#dilation': 'Dilation', '#pool-size': 'The pooling window', '#pool-stride': 'The pooling stride' };

// enforce keeps a number field within its own min and max (the HTML
// attributes) as a whole number: a value outside is set to the nearest
// limit, an empty or unreadable one back to its last good value, and a note
// under the fields says what happened. Returns the value.
function enforce(id) {
  const f = ui.$(id);
  const lo = Number(f.min);
  const hi = Number(f.max);
  const raw = f.value.trim();
  const x = Number(raw);
  let v;
  let note = '';
  if (raw === '' || !Number.isFinite(x)) {
    v = Number(f.dataset.good || f.defaultValue);
    note = `${NUMBER_FIELDS[id]} must be a whole number from ${lo} to ${hi}; it stays ${v}.`;
  } else {
    v = Math.min(hi, Math.max(lo, Math.round(x)));
    if (v !== x) note = `${NUMBER_FIELDS[id]} is a whole number from ${lo} to ${hi}: ${raw} became ${v}.`;
  }
  if (f.value !== String(v)) f.value = String(v);
  f.dataset.good = String(v);
  f.setAttribute('aria-invalid', String(note !== ''));
  if (note) ui.$('#limits-note').textContent = note;
  return v;
}

for (const id of Object.keys(NUMBER_FIELDS)) {
  ui.$(id).addEventListener('change', () => {
    ui.$('#limits-note').textContent = '';
    enforce(id);
    update();
  });
}
for (const id of ['#pool', '#relu', '#algo']) {
  ui.$(id).addEventListener('change', () => update());
}

function settings() {
  return {
    stride: enforce('#stride'),
    pad: enforce('#pad-size'),
    dilation: enforce('#dilation'),
    relu: ui.$('#relu').checked,
    pool: ui.$('#pool').value,
    poolSize: enforce('#pool-size'),
    poolStride: enforce('#pool-stride'),
    algo: ui.$('#algo').value,
  };
}

// ---------------------------------------------------------------- feature maps

function mapFigure(data, w, h, caption, opts = {}) {
  const c = ui.el('canvas');
  const [lo, hi] = ui.drawMap(c, data, w, h, opts);
  const scale = Math.max(1, Math.floor(Math.min(256 / w, 256 / h)));
  c.style.width = `${w * scale}px`;
  c.style.height = `${h * scale}px`;
  return ui.el('figure', { class: 'map' }, c,
    ui.el('figcaption', { text: `${caption} · range ${lo.toFixed(2)} … ${hi.toFixed(2)}` }));
}

let updating = null;
let again = false;

async function update() {
  if (updating) { again = true; return updating; }
  updating = (async () => {
    do {
      again = false;
      await compute();
    } while (again);
  })();
  try {
    await updating;
  } finally {
    updating = null;
  }
}

async function compute() {
  const img = state.image;
  if (!img) return;
  const k = state.kernel;
  const kn = k.length;
  const s = settings();
  const eff = s.dilation * (kn - 1) + 1;
  const oh = Math.floor((img.height + 2 * s.pad - eff) / s.stride) + 1;
  const ow = Math.floor((img.width + 2 * s.pad - eff) / s.stride) + 1;
  ui.$('#formula').textContent = `output = ⌊(n + 2·padding − dilation·(k−1) − 1) / stride⌋ + 1:  ` +
    `${img.height}×${img.width} image, ${kn}×${kn} kernel (reach ${eff}) → ${oh > 0 ? oh : 0}×${ow > 0 ? ow : 0}`;
  const maps = ui.$('#maps');
  try {
    const res = await engine.call('conv2d', {
      x: Float32Array.from(img.data),
      xShape: [1, 1, img.height, img.width],
      w: Float32Array.from(k.flat()),
      wShape: [1, 1, kn, kn],
      spec: { stride: s.stride, pad: s.pad, dilation: s.dilation, relu: s.relu, algo: s.algo === 'auto' ? '' : s.algo,
        pool: s.pool === 'none' ? '' : s.pool, poolSize: s.poolSize, poolStride: s.poolStride },
    });
    const [, , ch, cw] = res.dims;
    const figs = [mapFigure(img.data, img.width, img.height, `input: ${img.label}, ${img.height}×${img.width}`)];
    figs.push(mapFigure(res.data, cw, ch, `convolution${s.relu ? ' + ReLU' : ''}: ${ch}×${cw} (${res.algo}, ${ui.fmtMs(res.ms)})`, { diverging: true }));
    if (res.pooled) {
      const [, , ph, pw] = res.pooled.dims;
      figs.push(mapFigure(res.pooled.data, pw, ph, `${s.pool === 'max' ? 'max' : 'average'} pooling ${s.poolSize}×${s.poolSize}, stride ${s.poolStride}: ${ph}×${pw}`, { diverging: true }));
    }
    maps.replaceChildren(...figs);
    maps.dataset.ready = '1';
    ui.clearErrors();
  } catch (err) {
    maps.replaceChildren(mapFigure(img.data, img.width, img.height, `input: ${img.label}`),
      ui.el('div', { class: 'msg msg-warn', text: `These settings do not give a feature map: ${err.message}` }));
  }
}

// ---------------------------------------------------------------- LeNet-5 layers

function vectorBars(data, labels) {
  let amax = 0;
  for (const v of data) amax = Math.max(amax, Math.abs(v));
  amax = amax || 1;
  const wrap = ui.el('div', { class: 'vector', title: `${data.length} values` });
  data.forEach((v, i) => {
    const hgt = Math.max(1, Math.round((48 * Math.abs(v)) / amax));
    wrap.append(ui.el('div', { style: `height:${hgt}px;background:${v >= 0 ? '#e8833a' : '#4f7fd6'}`, title: `${labels ? labels[i] : i}: ${v.toFixed(3)}` }));
  });
  if (!labels) return wrap;
  const names = ui.el('div', { class: 'vector-labels' }, ...Array.from(data, (_, i) => ui.el('span', { text: labels[i] ?? String(i) })));
  return ui.el('div', {}, wrap, names);
}

async function updateLenet() {
  const m = state.lenet;
  const box = ui.$('#layers');
  if (!m || !state.digit) return;
  try {
    const dims = m.inputs[0].dims;
    const input = modelInput(state.digit, m.meta.preprocess, dims);
    const layers = await engine.call('layerOutputs', { id: m.id, inputs: [{ name: m.inputs[0].name, data: input }] });
    const rows = [];
    const inFig = ui.el('canvas');
    ui.drawMap(inFig, input, dims[3], dims[2]);
    inFig.style.width = `${dims[3] * 3}px`;
    rows.push(ui.el('div', { class: 'layer', 'data-layer': 'input' },
      ui.el('h3', {}, `input`, ui.el('span', { class: 'muted', text: `${ui.fmtShape(dims)}: ${state.digitLabel}, padded to ${dims[3]}×${dims[2]} and normalised` })),
      ui.el('div', { class: 'channels' }, inFig)));
    let logits = null;
    for (const l of layers) {
      if (l.op === 'Flatten' || l.op === 'Reshape') continue;
      const body = ui.el('div', { class: 'channels' });
      if (l.dims.length === 4) {
        const [, c, h, w] = l.dims;
        const scale = h >= 20 ? 2 : h >= 10 ? 4 : 8;
        for (let i = 0; i < c; i++) {
          const cv = ui.el('canvas', { title: `${l.name} channel ${i}` });
          ui.drawMap(cv, l.data, w, h, { offset: i * h * w, diverging: true });
          cv.style.width = `${w * scale}px`;
          cv.style.height = `${h * scale}px`;
          body.append(cv);
        }
      } else {
        body.style.display = 'block';
        body.append(vectorBars(l.data, l.name === layers[layers.length - 1].name ? m.meta.labels : null));
      }
      if (l === layers[layers.length - 1]) logits = l.data;
      rows.push(ui.el('div', { class: 'layer', 'data-layer': l.name },
        ui.el('h3', {}, `${l.name}`, ui.el('span', { class: 'muted', text: `${l.op} → ${ui.fmtShape(l.dims)}` })), body));
    }
    box.replaceChildren(...rows);
    box.dataset.ready = String(layers.length);
    if (logits) {
      const p = softmax(logits);
      const top = argmax(p);
      ui.$('#lenet-status').textContent = `${state.digitLabel}: LeNet-5 reads ${m.meta.labels?.[top] ?? top} (${(100 * p[top]).toFixed(1)}%)` +
        `${(m.meta.extra || {}).weights === 'random' ? ' · random weights' : ''}`;
    }
  } catch (err) {
    ui.showError('Could not run LeNet-5 layer by layer:', err);
  }
}

// ---------------------------------------------------------------- start

async function start() {
  padClear();
  renderKernel();
  progress.show('Starting WebAssembly…');
  const info = await engine.call('init');
  ui.backendBadge(ui.$('#backend'), info, engine.mode);
  const algoSel = ui.$('#algo');
  for (const a of info.algos) algoSel.append(ui.el('option', { value: a, text: a }));
  progress.hide();
  await useSample(SAMPLES[0]);
  try {
    progress.show('Loading LeNet-5…');
    state.lenet = await engine.call('rawLoad', { source: new URL(MODEL_URL, location.href).href },
      { onProgress: (l, t) => progress.update(l, t, 'Loading LeNet-5:') });
    progress.hide();
    state.heldout = decodeHeldout(await ui.fetchJSON('data/mnist-heldout.json'));
    const first = state.heldout.find((d) => d.label === 3) || state.heldout[0];
    state.digit = first.digit;
    state.digitLabel = `held-out MNIST ${first.label}`;
    await updateLenet();
  } catch (err) {
    progress.hide();
    ui.showError(`Could not load LeNet-5 (${MODEL_URL}) for the layer view:`, err);
    ui.$('#layers').replaceChildren(ui.el('p', { class: 'muted', text: 'The layer view needs the LeNet-5 model; the convolution explorer above works without it.' }));
  }
  document.body.dataset.ready = '1';
}

start().catch((err) => {
  progress.hide();
  document.body.dataset.ready = 'error';
  ui.showError('The explorer could not start:', err);
});
