// ui.js holds what every demo page shares: messages, the progress bar,
// number formatting, feature-map drawing and the backend badge.

export const $ = (sel, root = document) => root.querySelector(sel);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// showMessage puts a message box at the top of the page's #messages area.
// kind: 'error' | 'warn' | 'info'. Returns the box (remove() to dismiss).
// Errors do not stack: a new one replaces the one shown (the latest is what
// the user did last), and clearErrors() removes it once something works.
export function showMessage(kind, title, detail) {
  const box = el('div', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('strong', { text: title }), detail ? el('span', { text: ` ${detail}` }) : null,
    el('button', { class: 'msg-close', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: () => box.remove(), text: '×' }));
  const area = $('#messages');
  if (kind === 'error') clearErrors();
  area.append(box);
  return box;
}

export function showError(title, err) {
  const b = document.querySelector('#backend');
  if (b && b.dataset.ready !== '1') b.replaceChildren(el('span', { class: 'pill', text: 'wasm: not running' }));
  return showMessage('error', title, err ? String((err && err.message) || err) : '');
}

// clearErrors removes the error box, if any: call it when an operation
// succeeds, so that a stale error does not stay on the page.
export function clearErrors() {
  for (const box of document.querySelectorAll('#messages .msg-error')) box.remove();
}

// Errors nobody caught still reach the user, not only the console.
export function catchStrays() {
  window.addEventListener('unhandledrejection', (e) => {
    e.preventDefault();
    showError('Something went wrong:', e.reason);
  });
  window.addEventListener('error', (e) => {
    showError('Something went wrong:', e.error || e.message);
  });
}

// Progress drives a <progress> with a label; hide() when done.
export class Progress {
  constructor(wrap) {
    this.wrap = wrap;
    this.bar = $('progress', wrap);
    this.label = $('.progress-label', wrap);
  }

  show(text) {
    this.wrap.hidden = false;
    this.bar.removeAttribute('value');
    this.label.textContent = text;
  }

  update(loaded, total, what = 'Downloading') {
    if (total) {
      this.bar.max = total;
      this.bar.value = loaded;
      this.label.textContent = `${what} ${fmtBytes(loaded)} of ${fmtBytes(total)}`;
    } else {
      this.bar.removeAttribute('value');
      this.label.textContent = `${what} ${fmtBytes(loaded)}`;
    }
  }

  hide() {
    this.wrap.hidden = true;
  }
}

export function fmtBytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} kB`;
  return `${n} B`;
}

export function fmtInt(n) {
  return Number(n).toLocaleString('en-US');
}

export function fmtCount(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function fmtMs(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtShape(dims) {
  return dims.join('×');
}

// drawMap paints a h x w plane of values on a canvas. diverging maps
// negative values to blue and positive to orange around white; otherwise
// the plane is scaled from its min (black) to its max (white). Returns
// [min, max].
export function drawMap(canvas, data, w, h, { offset = 0, diverging = false, invert = false } = {}) {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < w * h; i++) {
    const v = data[offset + i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  const amax = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const span = hi - lo || 1;
  for (let i = 0; i < w * h; i++) {
    const v = data[offset + i];
    let r, g, b;
    if (diverging) {
      const t = Math.min(1, Math.abs(v) / amax);
      if (v >= 0) { r = 255 - 20 * t; g = 255 - 150 * t; b = 255 - 235 * t; } else { r = 255 - 225 * t; g = 255 - 155 * t; b = 255 - 45 * t; }
    } else {
      let t = (v - lo) / span;
      if (invert) t = 1 - t;
      r = g = b = 255 * t;
    }
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return [lo, hi];
}

// backendBadge fills an element with what init() reported.
export function backendBadge(target, info, mode) {
  const b = info.backend || {};
  target.replaceChildren(
    el('span', { class: 'pill', title: 'Where inference runs' }, `runs in: ${mode}`),
    el('span', { class: `pill ${b.simd ? 'pill-ok' : ''}`, title: 'WebAssembly SIMD (128-bit) in use by the kernels' }, `SIMD: ${b.simd ? 'on' : 'off'}`),
    el('span', { class: `pill ${b.threads > 1 ? 'pill-ok' : ''}`, title: `Threads the wasm kernels run on${b.threadsReason ? ` (${b.threadsReason})` : ''}` }, `threads: ${b.threads || 1}`),
    b.wasmBytes ? el('span', { class: 'pill', title: 'Size of the demo module, wasmnn-demo.wasm (the npm package ships the smaller wasmnn.wasm)' }, `wasm ${fmtBytes(b.wasmBytes)}`) : null,
    el('span', { class: 'pill', title: 'wasmnn JS package version' }, `wasmnn ${info.version}`),
  );
  target.dataset.ready = '1';
}

export async function fetchJSON(url) {
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) throw new Error(`cannot fetch ${url}: HTTP ${resp.status}`);
  return resp.json();
}
