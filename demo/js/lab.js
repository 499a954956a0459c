// lab.js drives the Model lab: build a zoo architecture with random weights
// inside the wasm module (__wasmnn.buildZoo) or open a .wnn or ONNX file (the
// module converts ONNX with the importer of `wasmnn convert`), show its
// layer table, time forward passes (with a per-layer profile) and compare
// conv algorithms by replanning the same weights (__wasmnn.reopen).
import { createEngine } from './client.js';
import * as ui from './ui.js';

ui.catchStrays();
const engine = createEngine();
const progress = new ui.Progress(ui.$('#progress'));
const params = new URLSearchParams(location.search);

const ZOO = [
  { name: 'lenet5', label: 'LeNet-5', sizes: [32], size: 32 },
  { name: 'alexnet', label: 'AlexNet', sizes: [64, 96, 128, 160, 224], size: 128, note: 'AlexNet at 224 has 61 M parameters (244 MB of weights).' },
  { name: 'vgg16', label: 'VGG-16', sizes: [32, 64, 96, 128, 160, 224], size: 64, note: 'VGG-16 at 224 has 138 M parameters (553 MB) and 15.5 G multiply-adds: it needs over 1 GB of memory and many seconds per run.' },
  { name: 'googlenet', label: 'GoogLeNet', sizes: [64, 96, 128, 160, 224], size: 224 },
  { name: 'resnet18', label: 'ResNet-18', sizes: [32, 64, 96, 128, 160, 224], size: 224 },
  { name: 'resnet34', label: 'ResNet-34', sizes: [32, 64, 96, 128, 160, 224], size: 224 },
  { name: 'resnet50', label: 'ResNet-50', sizes: [32, 64, 96, 128, 160, 224], size: 224 },
];

const OP_COLORS = { Conv: '#2f6fdf', Dense: '#8a4fd6', Gemm: '#8a4fd6', MaxPool: '#1f9a6b', AveragePool: '#1f9a6b', GlobalAveragePool: '#1f9a6b', Add: '#e08a2c', Concat: '#c9a227' };
const opColor = (op) => OP_COLORS[op] || '#98a1b3';

const state = {
  info: null,
  base: null, // the model as built or loaded: {id, ...}
  current: null, // the model as planned with the chosen algorithm
  source: '', // 'zoo' | 'file'
  label: '',
  lastRun: null,
};

// ---------------------------------------------------------------- controls

const archSel = ui.$('#arch');
const sizeSel = ui.$('#size');
for (const z of ZOO) archSel.append(ui.el('option', { value: z.name, text: z.label }));

function fillSizes(z, want) {
  sizeSel.replaceChildren(...z.sizes.map((s) => ui.el('option', { value: s, text: `${s}×${s}${s === z.sizes[z.sizes.length - 1] && z.name !== 'lenet5' ? ' (published)' : ''}` })));
  sizeSel.value = String(want && z.sizes.includes(want) ? want : z.size);
  ui.$('#arch-note').textContent = z.note || '';
}

archSel.addEventListener('change', () => fillSizes(ZOO.find((z) => z.name === archSel.value)));

function busy(on) {
  for (const id of ['#build', '#run', '#compare', '#file', '#algo', '#arch', '#size']) ui.$(id).disabled = on || ((id === '#run' || id === '#compare') && !state.current);
}

// ---------------------------------------------------------------- models

async function disposeAll() {
  const ids = new Set([state.base?.id, state.current?.id].filter((x) => x !== undefined));
  state.base = null;
  state.current = null;
  for (const id of ids) await engine.call('dispose', { id }).catch(() => {});
}

async function build() {
  const z = ZOO.find((x) => x.name === archSel.value);
  const size = Number(sizeSel.value);
  const seed = Math.max(0, Math.floor(Number(ui.$('#seed').value) || 0));
  busy(true);
  try {
    await disposeAll();
    progress.show(`Building ${z.label} at ${size}×${size} with random weights (seed ${seed})…`);
    const m = await engine.call('buildZoo', { name: z.name, size, seed, algo: ui.$('#algo').value });
    state.base = m;
    state.current = m;
    state.source = 'zoo';
    state.label = `${z.label} · ${size}×${size}`;
    showModel(`built in ${ui.fmtMs(m.buildMs)}`);
    ui.clearErrors();
  } catch (err) {
    ui.showError(`Could not build ${z.label}:`, err);
  } finally {
    progress.hide();
    busy(false);
  }
}

// openFile loads a .wnn or ONNX file. The model already open stays until
// the new one has loaded, and stays if it does not.
async function openFile(file) {
  busy(true);
  try {
    progress.show(`Reading ${file.name}…`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    progress.show(`Loading ${file.name} (${ui.fmtBytes(bytes.length)})…`);
    const m = await engine.call('rawLoad', { source: bytes, algo: ui.$('#algo').value }, { transfer: [bytes.buffer] });
    await disposeAll();
    state.base = m;
    state.current = m;
    state.source = 'file';
    state.label = file.name;
    showModel(`${ui.fmtBytes(file.size)} file`);
    ui.clearErrors();
  } catch (err) {
    const kept = state.current ? ` (${state.label} is still open)` : '';
    ui.showError(`Could not open ${file.name} as a model${kept}:`, err);
  } finally {
    progress.hide();
    busy(false);
  }
}

async function changeAlgo() {
  if (!state.base) return;
  busy(true);
  try {
    const algo = ui.$('#algo').value;
    const m = await engine.call('reopen', { id: state.base.id, algo });
    if (state.current && state.current.id !== state.base.id) await engine.call('dispose', { id: state.current.id });
    state.current = m;
    state.lastRun = null;
    renderTable();
    ui.$('#chart-box').hidden = true;
    renderStats();
    ui.clearErrors();
  } catch (err) {
    ui.showError('Could not switch the algorithm:', err);
  } finally {
    busy(false);
  }
}

function showModel(how) {
  const m = state.current;
  const weights = (m.meta.extra || {}).weights;
  ui.$('#model-title').textContent = state.label;
  const tags = [];
  if (weights === 'random') tags.push(ui.el('span', { class: 'tag tag-warn', id: 'random-tag', text: 'random weights' }));
  else if (weights === 'trained') tags.push(ui.el('span', { class: 'tag tag-good', text: 'trained weights' }));
  if (state.source === 'file') tags.push(ui.el('span', { class: 'tag', text: 'your file' }));
  const conv = m.summary.conversion;
  if (conv) tags.push(ui.el('span', { class: 'tag', id: 'onnx-tag', text: 'converted from ONNX' }));
  ui.$('#model-tags').replaceChildren(...tags);
  ui.$('#model-desc').textContent = `${m.meta.description || m.meta.name || ''} (${how})`;
  renderConversion(conv);
  state.lastRun = null;
  ui.$('#chart-box').hidden = true;
  ui.$('#compare-box').hidden = true;
  renderStats();
  renderTable();
  document.body.dataset.model = m.meta.name || state.label;
}

// renderConversion lists what the ONNX importer did (the report of
// `wasmnn convert`), or hides the box for a .wnn model.
function renderConversion(conv) {
  const box = ui.$('#conversion');
  box.hidden = !conv;
  if (!conv) return;
  const p = conv.producer ? `, ${conv.producer}` : '';
  ui.$('#conversion-summary').textContent = `Converted from ONNX (opset ${conv.opset}${p}): ${conv.onnx_nodes} nodes → ${conv.nodes} wasmnn nodes, ${conv.weights} weight tensors`;
  const items = [['constant-folded', conv.folded], ['removed', conv.removed], ['fused', conv.fused], ['symbolic dimensions', conv.symbolic]]
    .filter(([, list]) => list && list.length)
    .map(([what, list]) => ui.el('li', {}, ui.el('strong', { text: `${what} (${list.length}): ` }), list.slice(0, 40).join(', ') + (list.length > 40 ? `, and ${list.length - 40} more` : '')));
  ui.$('#conversion-list').replaceChildren(...items);
}

function stat(v, k, id) {
  return ui.el('div', { class: 'stat', id }, ui.el('div', { class: 'v', text: v }), ui.el('div', { class: 'k', text: k }));
}

function renderStats() {
  const m = state.current;
  const s = m.summary;
  const items = [
    stat(ui.fmtCount(s.total_params), 'parameters'),
    stat(`${ui.fmtCount(s.total_flops)}`, 'FLOPs per run'),
    stat(ui.fmtBytes(s.weight_bytes || 0), 'weights (float32)'),
    stat(String(s.layers.length), 'layers (after fusion)'),
    stat(m.inputs.map((i) => ui.fmtShape(i.dims)).join(', '), 'input'),
  ];
  const r = state.lastRun;
  if (r) {
    items.unshift(
      stat(ui.fmtMs(r.median), `time per run (median of ${r.times.length})`, 'stat-time'),
      stat(`${(s.total_flops / (r.median * 1e6)).toFixed(2)}`, 'GFLOP/s', 'stat-gflops'),
    );
  }
  ui.$('#stats').replaceChildren(...items);
}

function renderTable() {
  const m = state.current;
  const s = m.summary;
  const times = state.lastRun?.layerTimes;
  const tmax = times ? Math.max(...times, 1e-9) : 0;
  const tsum = times ? times.reduce((a, b) => a + b, 0) : 0;
  const rows = s.layers.map((l, i) => {
    const t = times ? times[i] : undefined;
    return ui.el('tr', {},
      ui.el('td', { text: String(i + 1) }),
      ui.el('td', { class: 'name', title: `${l.name}${l.fused ? ` (fused: ${l.fused.join(', ')})` : ''}`, text: l.name }),
      ui.el('td', { class: 'op' }, ui.el('i', { style: `display:inline-block;width:8px;height:8px;border-radius:2px;margin-right:5px;background:${opColor(l.op)}` }), l.op, l.fused && l.fused.length ? ui.el('span', { class: 'muted', text: ` +${l.fused.length}`, title: `fused: ${l.fused.join(', ')}` }) : null),
      ui.el('td', { text: ui.fmtShape(l.output_shape.length > 1 && l.output_shape[0] === 1 ? l.output_shape.slice(1) : l.output_shape) }),
      ui.el('td', { text: l.params ? ui.fmtInt(l.params) : '' }),
      ui.el('td', { text: l.flops ? ui.fmtCount(l.flops) : '' }),
      ui.el('td', { class: 'op', text: l.algo || '' }),
      ui.el('td', {}, t === undefined ? '' : ui.el('span', { class: 'tbar', style: `width:${Math.round((28 * t) / tmax)}px` }), t === undefined ? '' : ui.fmtMs(t)));
  });
  ui.$('#layers tbody').replaceChildren(...rows);
  ui.$('#layers tfoot').replaceChildren(ui.el('tr', {},
    ui.el('td', {}), ui.el('td', { class: 'name', text: 'total' }), ui.el('td', {}), ui.el('td', {}),
    ui.el('td', { text: ui.fmtInt(s.total_params) }), ui.el('td', { text: ui.fmtCount(s.total_flops) }), ui.el('td', {}),
    ui.el('td', { text: times ? ui.fmtMs(tsum) : '' })));
}

// ---------------------------------------------------------------- running

// randomInputs fills every input with fixed pseudo-random values in [-1, 1).
function randomInputs(m) {
  let x = 12345;
  return m.inputs.map((i) => {
    const n = i.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      data[k] = (x / 2 ** 31) - 1;
    }
    return { name: i.name, data };
  });
}

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function run() {
  const m = state.current;
  const runs = Number(ui.$('#runs').value);
  busy(true);
  try {
    progress.show(`Running ${state.label}: ${runs} run${runs > 1 ? 's' : ''} and a profiled one…`);
    // One warm-up run first: the first run pays for memory growth.
    const res = await engine.call('rawRun', { id: m.id, inputs: randomInputs(m), runs: runs + 1, profiled: true });
    const times = res.times.slice(1);
    state.lastRun = { times, median: median(times), layerTimes: res.layerTimes, firstMs: res.times[0] };
    renderStats();
    renderTable();
    drawChart();
    document.body.dataset.runMs = state.lastRun.median.toFixed(1);
    ui.clearErrors();
  } catch (err) {
    ui.showError('The forward pass failed:', err);
  } finally {
    progress.hide();
    busy(false);
  }
}

function drawChart() {
  const m = state.current;
  const layers = m.summary.layers;
  const times = state.lastRun.layerTimes;
  const box = ui.$('#chart-box');
  box.hidden = false;
  const canvas = ui.$('#chart');
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth;
  const H = canvas.clientHeight;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, W, H);
  const left = 52, right = 8, top = 10, bottom = 26;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const tmax = Math.max(...times, 1e-6);
  // y axis: 4 gridlines at round values
  const step = niceStep(tmax / 4);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#687086';
  ctx.strokeStyle = '#e6e9ef';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let v = 0; v <= tmax + 1e-9; v += step) {
    const y = top + ph - (ph * v) / tmax;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(W - right, y);
    ctx.stroke();
    ctx.fillText(`${+v.toFixed(3)} ms`, left - 6, y);
  }
  const bw = pw / layers.length;
  const bars = [];
  layers.forEach((l, i) => {
    const h = (ph * times[i]) / tmax;
    const x = left + i * bw;
    ctx.fillStyle = opColor(l.op);
    ctx.fillRect(x + Math.min(1, bw * 0.15), top + ph - h, Math.max(1, bw - Math.min(2, bw * 0.3)), h);
    bars.push({ x, w: bw, l, t: times[i] });
  });
  ctx.fillStyle = '#687086';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const every = Math.ceil(layers.length / 12);
  for (let i = 0; i < layers.length; i += every) ctx.fillText(String(i + 1), left + (i + 0.5) * bw, top + ph + 6);
  canvas.dataset.bars = String(layers.length);
  canvas.onmousemove = (e) => {
    const r = canvas.getBoundingClientRect();
    const b = bars.find((q) => e.clientX - r.left >= q.x && e.clientX - r.left < q.x + q.w);
    ui.$('#chart-tip').textContent = b ? `#${bars.indexOf(b) + 1} ${b.l.name} (${b.l.op}${b.l.algo ? `, ${b.l.algo}` : ''}): ${ui.fmtMs(b.t)}, ${ui.fmtCount(b.l.flops)}FLOPs` : '';
  };
  const ops = [...new Set(layers.map((l) => l.op))];
  const share = (op) => layers.reduce((a, l, i) => a + (l.op === op ? times[i] : 0), 0);
  const total = times.reduce((a, b) => a + b, 0);
  ui.$('#legend').replaceChildren(...ops.map((op) => ui.el('span', {}, ui.el('i', { style: `background:${opColor(op)}` }),
    `${op} ${(100 * share(op) / total).toFixed(0)}%`)));
  ui.$('#chart-tip').textContent = `Profiled run: ${ui.fmtMs(total)} over ${layers.length} layers (first run ${ui.fmtMs(state.lastRun.firstMs)}). Hover a bar for its layer.`;
}

function niceStep(x) {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

async function compare() {
  const base = state.base;
  const algos = state.info.algos.filter((a) => a !== 'depthwise' || base.summary.layers.some((l) => l.algo === 'depthwise'));
  const inputs = randomInputs(base);
  const results = [];
  busy(true);
  ui.$('#compare-box').hidden = false;
  const barsBox = ui.$('#compare-bars');
  barsBox.replaceChildren();
  try {
    for (const [i, algo] of algos.entries()) {
      progress.show(`Comparing: ${algo} (${i + 1} of ${algos.length})…`);
      const m = await engine.call('reopen', { id: base.id, algo });
      try {
        const res = await engine.call('rawRun', { id: m.id, inputs, runs: 2 });
        const used = [...new Set(m.summary.layers.filter((l) => l.algo).map((l) => l.algo))].join(', ');
        results.push({ algo, ms: Math.min(...res.times.slice(1)), used });
      } finally {
        await engine.call('dispose', { id: m.id });
      }
      renderCompare(results, base.summary.total_flops);
    }
    barsBox.dataset.ready = '1';
    ui.clearErrors();
  } catch (err) {
    ui.showError('The comparison failed:', err);
  } finally {
    progress.hide();
    busy(false);
  }
}

function renderCompare(results, flops) {
  const worst = Math.max(...results.map((r) => r.ms));
  const best = Math.min(...results.map((r) => r.ms));
  ui.$('#compare-bars').replaceChildren(...results.map((r) => ui.el('div', { class: `bar ${r.ms === best ? 'top' : ''}`, title: `layers ran: ${r.used}` },
    ui.el('span', { class: 'lab', text: r.algo }),
    ui.el('div', { class: 'track' }, ui.el('div', { class: 'fill', style: `width:${(100 * r.ms) / worst}%` })),
    ui.el('span', { class: 'pct', text: `${ui.fmtMs(r.ms)} · ${(flops / (r.ms * 1e6)).toFixed(2)} GFLOP/s` }))));
}

// ---------------------------------------------------------------- start

ui.$('#build').addEventListener('click', build);
ui.$('#run').addEventListener('click', run);
ui.$('#compare').addEventListener('click', compare);
ui.$('#algo').addEventListener('change', changeAlgo);
ui.$('#file').addEventListener('change', (e) => { if (e.target.files[0]) openFile(e.target.files[0]); });

async function start() {
  const z = ZOO.find((x) => x.name === params.get('arch')) || ZOO[4];
  archSel.value = z.name;
  fillSizes(z, Number(params.get('size')));
  busy(true);
  progress.show('Starting WebAssembly…');
  state.info = await engine.call('init');
  ui.backendBadge(ui.$('#backend'), state.info, engine.mode);
  ui.$('#algo').replaceChildren(...state.info.algos.map((a) => ui.el('option', { value: a, text: a === 'auto' ? 'auto (per layer)' : a })));
  progress.hide();
  busy(false);
  document.body.dataset.ready = '1';
  if (params.get('build') === '1') await build();
}

start().catch((err) => {
  progress.hide();
  document.body.dataset.ready = 'error';
  ui.showError('The lab could not start:', err);
});
