// digitprep.js turns a drawing into a digit the way MNIST's digits were
// made, and a digit into LeNet-5's input tensor.
//
// MNIST (LeCun et al.): each digit was size-normalised to fit a 20x20 box,
// keeping its aspect ratio (anti-aliasing gives grey levels), then placed in
// a 28x28 image so that its centre of mass sits at the centre. Digits are
// light ink (1) on black (0).
//
// The input tensor follows the model's preprocess metadata exactly as the
// trainer (runtime/train, placement.fill) builds it from a digit: the 28x28
// content is centred on the Width x Height canvas (background 0) and each
// value v becomes float32((v·255·Scale − Mean)/Std) computed in float64, so
// a held-out digit gives bit for bit the tensor the model was tested on.

export const SIDE = 28;
export const BOX = 20;
const INK_THRESHOLD = 0.02;

// resample1 resizes one axis by area averaging: output pixel i covers
// source [i·f, (i+1)·f) with f = n/m, each source pixel weighted by the
// covered fraction (for growing axes this is nearest-neighbour-like).
function resampleAxis(n, m) {
  const f = n / m;
  const taps = [];
  for (let i = 0; i < m; i++) {
    const a = i * f;
    const b = (i + 1) * f;
    const list = [];
    for (let s = Math.floor(a); s < Math.min(n, Math.ceil(b)); s++) {
      const w = Math.min(b, s + 1) - Math.max(a, s);
      if (w > 0) list.push([s, w / f]);
    }
    taps.push(list);
  }
  return taps;
}

// resample resizes a w x h float image to dw x dh.
export function resample(src, w, h, dw, dh) {
  const tx = resampleAxis(w, dw);
  const ty = resampleAxis(h, dh);
  const tmp = new Float64Array(dw * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < dw; x++) {
      let s = 0;
      for (const [sx, wt] of tx[x]) s += src[y * w + sx] * wt;
      tmp[y * dw + x] = s;
    }
  }
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      let s = 0;
      for (const [sy, wt] of ty[y]) s += tmp[sy * dw + x] * wt;
      out[y * dw + x] = Math.min(1, Math.max(0, s));
    }
  }
  return out;
}

// inkOf returns the ink (1 − luma/255, over white paper) of RGBA pixels.
export function inkOf({ data, width, height }) {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const a = data[4 * i + 3] / 255;
    const luma = 0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2];
    ink[i] = a * (1 - luma / 255);
  }
  return ink;
}

// prepareDrawing turns RGBA pixels of dark ink on light paper into a 28x28
// MNIST-style digit (Float32Array, ink 1 on 0), or null if there is no ink.
// It also returns the ink's bounding box in the source.
export function prepareDrawing(image) {
  const { width, height } = image;
  const ink = inkOf(image);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(ink.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + bw), y * bw);
  // Scale the longer side to BOX pixels, keeping the aspect ratio.
  const scale = BOX / Math.max(bw, bh);
  const dw = Math.max(1, Math.round(bw * scale));
  const dh = Math.max(1, Math.round(bh * scale));
  const small = resample(crop, bw, bh, dw, dh);
  // Centre of mass of the small image (pixel centres at i + 0.5).
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const v = small[y * dw + x];
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const cx = m > 0 ? mx / m : dw / 2;
  const cy = m > 0 ? my / m : dh / 2;
  // Place it so the centre of mass lands on the image centre, staying inside.
  const ox = Math.min(SIDE - dw, Math.max(0, Math.round(SIDE / 2 - cx)));
  const oy = Math.min(SIDE - dh, Math.max(0, Math.round(SIDE / 2 - cy)));
  const digit = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < dh; y++) digit.set(small.subarray(y * dw, (y + 1) * dw), (oy + y) * SIDE + ox);
  return { digit, box: { x: x0, y: y0, width: bw, height: bh } };
}

// MIN_EXTENT is the smallest ink a drawing must span, as a fraction of the
// pad's side: less (a dot, a tick) is too little to read as a digit, and
// the network, scaling it up to a 20x20 box, would still name one.
export const MIN_EXTENT = 0.15;

// tooLittleInk tells whether a prepared drawing (prepareDrawing's result) of
// a width x height pad spans less than MIN_EXTENT of it in both directions.
export function tooLittleInk(prep, width, height) {
  return Math.max(prep.box.width / width, prep.box.height / height) < MIN_EXTENT;
}

// camelKeys maps content_width, ContentWidth and contentWidth alike to
// contentWidth.
export function camelKeys(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    const c = k.replace(/_([a-z])/g, (_, x) => x.toUpperCase());
    out[c.charAt(0).toLowerCase() + c.slice(1)] = v;
  }
  return out;
}

// modelInput builds the input tensor data for a digit (content-sized, ink 1
// on 0) from a model's preprocess metadata (camelCase or snake_case keys)
// and input dims [1, 1, H, W].
export function modelInput(digit, preprocess, dims) {
  const pp = camelKeys(preprocess || {});
  const w = pp.width || dims[3];
  const h = pp.height || dims[2];
  const cw = pp.contentWidth || w;
  const ch = pp.contentHeight || h;
  if (dims.length !== 4 || dims[2] !== h || dims[3] !== w) {
    throw new Error(`the model's input ${JSON.stringify(dims)} does not match its preprocessing (${w}x${h})`);
  }
  if (digit.length !== cw * ch) {
    throw new Error(`a ${Math.sqrt(digit.length)}-pixel digit does not fit the model's ${cw}x${ch} content area`);
  }
  const scale = pp.scale;
  const factor = scale ? 255 * Math.fround(scale) : 1;
  const mean = pp.mean && pp.mean.length ? Math.fround(pp.mean[0]) : 0;
  const std = pp.std && pp.std.length ? Math.fround(pp.std[0]) : 1;
  const out = new Float32Array(w * h).fill(Math.fround((0 - mean) / std));
  const ox = Math.floor((w - cw) / 2);
  const oy = Math.floor((h - ch) / 2);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const v = Math.fround(digit[y * cw + x]);
      out[(oy + y) * w + ox + x] = Math.fround((v * factor - mean) / std);
    }
  }
  return out;
}

// softmax returns probabilities (float64) of logits.
export function softmax(logits) {
  let m = -Infinity;
  for (const v of logits) m = Math.max(m, v);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function argmax(a) {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

// decodeHeldout turns data/mnist-heldout.json into [{label, index, digit}].
export function decodeHeldout(json) {
  const table = Array.from({ length: 256 }, (_, k) => Math.round((k * 1000) / 255) / 1000);
  return json.digits.map((d) => {
    const bin = atob(d.pixels);
    const digit = new Float32Array(bin.length);
    for (let i = 0; i < bin.length; i++) digit[i] = table[bin.charCodeAt(i)];
    return { label: d.label, index: d.index, digit };
  });
}

// drawDigit paints a 28x28 digit (ink 1) on a canvas as dark ink on white.
export function drawDigit(canvas, digit, side = SIDE) {
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.round(255 * (1 - digit[i]));
    img.data[4 * i] = v;
    img.data[4 * i + 1] = v;
    img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
