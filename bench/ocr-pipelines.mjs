// ocr-pipelines.mjs: the two whole-page OCR pipelines that bench/ocr-node.mjs
// (Node) and bench/ocr-chromium.mjs (headless Chromium) measure side by side
// in one process, one thread each, on the same RGBA images:
//
//   wasmnn   wasmnn.ocr (runtime/ocr in the wasm module, SIMD kernels on):
//            detect, classify, recognise and all the pre- and
//            post-processing in Go
//   ort-web  @gutenye/ocr-common's pipeline (what @gutenye/ocr-node and
//            @gutenye/ocr-browser run, imported as it is) on ONNX Runtime Web
//            (wasm backend, SIMD, numThreads 1), with PaddleOCR's direction
//            classifier stage added between its two stages (ocr-common has
//            none): the same three models on the same crops
//
//   const p = await wasmnnPipeline(wasmnn, files, now)          // files: {det, cls, rec, keys}
//   const p = await ortPipeline({ort, models, ImageRaw, FileUtils, files, now})
//   const r = await p.read(rgba)   // {texts, detect, classify, recognize, total (ms), model?: {det, cls, rec} (ms)}
//   const res = await measurePipelines([p1, p2], images, {warmup, reps, now})
//   markdownTable(res)
//
// Every reading covers the same work: RGBA pixels in, the lines' text out
// (wasmnn's total is the wall time of reader.readTimed, so it includes the
// copy into the wasm memory and the collection after the read). ort-web's
// model times are the time spent in session.run, the rest of its stages is
// ocr-common's JavaScript (resizing, contours, crops, tensors, decoding).

/**
 * DEFAULT_IMAGES are the pages both OCR benches read, from the repository
 * root: the rendered page of runtime/ocr's tests and the photographed page
 * of its real-photo test.
 */
export const DEFAULT_IMAGES = ['js/test/fixtures/ocr-page.png', 'runtime/ocr/testdata/photo-page.png'];

/** PaddleOCR's direction classifier input and threshold (runtime/ocr's clsWidth, ClsThresh). */
const CLS_H = 48;
const CLS_W = 192;
const CLS_BATCH = 6;
const CLS_THRESH = 0.9;

const SESSION_OPTIONS = {
  executionProviders: ['wasm'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
};

/**
 * wasmnnPipeline loads wasmnn.ocr (SIMD kernels required) and returns the
 * pipeline. files are what wasmnn.ocr.load takes.
 */
export async function wasmnnPipeline(wasmnn, files, now, initOpts = {}) {
  await wasmnn.init({ simd: true, ...initOpts });
  const bi = wasmnn.backendInfo();
  if (!bi.simd) throw new Error(`wasmnn: SIMD kernels not in use: ${bi.simdReason}`);
  const reader = await wasmnn.ocr.load({ det: files.det, cls: files.cls, rec: files.rec, keys: files.keys });
  return {
    name: 'wasmnn',
    info: { runtime: 'wasmnn', version: wasmnn.version, simd: bi.simd, threads: bi.threads },
    async read(img) {
      const t0 = now();
      const { lines, timings } = await reader.readTimed(img);
      const total = now() - t0;
      return {
        texts: lines.map((l) => l.text), detect: timings.detect, classify: timings.classify,
        recognize: timings.recognize, total,
      };
    },
    dispose: () => reader.dispose(),
  };
}

/**
 * ortPipeline builds @gutenye/ocr-common's Detection and Recognition on
 * ONNX Runtime Web. models is ocr-common's build/models/index.js and
 * registerBackend its backend registration; ImageRaw opens the RGBA objects
 * read() is given (ImageRaw.open(rgba)) and resizes as ocr-common expects
 * (sharp's fit "contain"); FileUtils reads the dictionary. files.det,
 * files.rec and files.keys are what ocr-common passes to
 * InferenceSession.create and FileUtils.read (paths in Node, URLs in the
 * browser); files.cls is the classifier's bytes or path.
 */
export async function ortPipeline({ ort, models, registerBackend, splitIntoLineImages, ImageRaw, FileUtils, files, now }) {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const model = { det: 0, cls: 0, rec: 0 };
  // Sessions whose run() adds its time to model[stage].
  const timed = (s, stage) => ({
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(feeds, opts) {
      const t0 = now();
      try {
        return await s.run(feeds, opts);
      } finally {
        model[stage] += now() - t0;
      }
    },
    release: () => s.release(),
  });
  const InferenceSession = {
    async create(src, opts) {
      const s = await ort.InferenceSession.create(src, { ...opts, ...SESSION_OPTIONS });
      return timed(s, src === files.det ? 'det' : 'rec');
    },
  };
  registerBackend({
    FileUtils, ImageRaw, InferenceSession, splitIntoLineImages,
    defaultModels: { detectionPath: files.det, recognitionPath: files.rec, dictionaryPath: files.keys },
  });
  const detection = await models.Detection.create({});
  const recognition = await models.Recognition.create({});
  const cls = timed(await ort.InferenceSession.create(files.cls, SESSION_OPTIONS), 'cls');

  // classify is PaddleOCR's direction classifier over ocr-common's line
  // images, in batches of 6: each crop resized (bilinear) to height 48 and
  // at most 192 wide, normalised to (x/255-0.5)/0.5 in BGR order, zero
  // padded to 192; a crop the classifier reads as "180" with a score above
  // 0.9 is turned half a turn.
  async function classify(lineImages) {
    const plane = 3 * CLS_H * CLS_W;
    for (let s = 0; s < lineImages.length; s += CLS_BATCH) {
      const batch = lineImages.slice(s, s + CLS_BATCH);
      const x = new Float32Array(batch.length * plane);
      batch.forEach((l, i) => clsInput(l.image, x.subarray(i * plane, (i + 1) * plane)));
      const y = await cls.run({ [cls.inputNames[0]]: new ort.Tensor('float32', x, [batch.length, 3, CLS_H, CLS_W]) });
      const p = y[cls.outputNames[0]].data;
      batch.forEach((l, i) => {
        if (p[2 * i + 1] > p[2 * i] && p[2 * i + 1] > CLS_THRESH) l.image = new ImageRaw(rotate180(l.image));
      });
    }
  }

  return {
    name: 'ort-web',
    info: { runtime: 'onnxruntime-web', version: ort.env.versions ? ort.env.versions.web : '', numThreads: ort.env.wasm.numThreads, simd: true },
    async read(img) {
      model.det = model.cls = model.rec = 0;
      const t0 = now();
      const lineImages = await detection.run(img);
      const t1 = now();
      await classify(lineImages);
      const t2 = now();
      const lines = await recognition.run(lineImages);
      const t3 = now();
      return {
        texts: lines.map((l) => l.text), detect: t1 - t0, classify: t2 - t1, recognize: t3 - t2, total: t3 - t0,
        model: { ...model },
      };
    },
  };
}

// clsInput writes the classifier's input for one RGBA image into dst
// ([3 48 192], BGR planes).
function clsInput(img, dst) {
  const { data, width, height } = img;
  const rw = Math.max(1, Math.min(CLS_W, Math.ceil((CLS_H * width) / height)));
  const sx = width / rw;
  const sy = height / CLS_H;
  const hw = CLS_H * CLS_W;
  for (let y = 0; y < CLS_H; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let x = 0; x < rw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (xx, yy) => data[4 * (yy * width + xx) + c];
        const v = (1 - wy) * ((1 - wx) * at(x0, y0) + wx * at(x1, y0)) + wy * ((1 - wx) * at(x0, y1) + wx * at(x1, y1));
        dst[(2 - c) * hw + y * CLS_W + x] = (v / 255 - 0.5) / 0.5;
      }
    }
  }
}

// rotate180 returns the RGBA image turned half a turn.
function rotate180({ data, width, height }) {
  const out = new Uint8Array(data.length);
  const n = width * height;
  for (let i = 0; i < n; i++) out.set(data.subarray(4 * i, 4 * i + 4), 4 * (n - 1 - i));
  return { data: out, width, height };
}

/** median of an array of numbers. */
export function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** cer is the character error rate of got against want: edit distance over code points / length of want. */
export function cer(got, want) {
  const a = [...got];
  const b = [...want];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return b.length ? prev[b.length] / b.length : a.length ? 1 : 0;
}

const STAGES = ['detect', 'classify', 'recognize', 'total'];

/**
 * measurePipelines reads each image with every pipeline: warmup untimed
 * rounds, then reps timed rounds, the pipelines taking turns within a round
 * (their order alternating from round to round), so that their figures are
 * taken close together in time on a shared machine. It returns per image
 * {image, width, height, runs: {name: [reading]}, median: {name: {stage: ms}},
 * ratio: {stage: wasmnn / ort-web}, texts: {name: [...]}, cer (wasmnn's text
 * against ort-web's, lines joined by spaces)}.
 */
export async function measurePipelines(pipelines, images, { warmup = 2, reps = 7, log = () => {} }) {
  const out = [];
  for (const im of images) {
    const runs = Object.fromEntries(pipelines.map((p) => [p.name, []]));
    for (let w = 0; w < warmup; w++) for (const p of pipelines) await p.read(im.rgba);
    for (let r = 0; r < reps; r++) {
      const order = r % 2 ? [...pipelines].reverse() : pipelines;
      for (const p of order) {
        const res = await p.read(im.rgba);
        runs[p.name].push(res);
        log(`${im.name} ${p.name.padEnd(8)} run ${r + 1}/${reps}: ${STAGES.map((s) => `${s} ${res[s].toFixed(1)}`).join(', ')} ms`);
      }
    }
    const med = {};
    for (const p of pipelines) {
      med[p.name] = Object.fromEntries(STAGES.map((s) => [s, median(runs[p.name].map((x) => x[s]))]));
      if (runs[p.name][0].model) {
        med[p.name].model = Object.fromEntries(['det', 'cls', 'rec'].map((k) => [k, median(runs[p.name].map((x) => x.model[k]))]));
      }
    }
    const texts = Object.fromEntries(pipelines.map((p) => [p.name, runs[p.name].at(-1).texts]));
    const ratio = med.wasmnn && med['ort-web'] ? Object.fromEntries(STAGES.map((s) => [s, med.wasmnn[s] / med['ort-web'][s]])) : {};
    const join = (t) => (t || []).join(' ').replace(/\s+/g, ' ').trim();
    out.push({
      image: im.name, width: im.rgba.width, height: im.rgba.height, runs, median: med, ratio, texts,
      cer: texts.wasmnn && texts['ort-web'] ? cer(join(texts.wasmnn), join(texts['ort-web'])) : undefined,
    });
  }
  return out;
}

/** markdownTable formats measurePipelines' results, host naming where they were taken ("Node 20.x"). */
export function markdownTable(results, host) {
  const f = (v) => (Number.isFinite(v) ? v.toFixed(1) : '–');
  const lines = [
    `| ${host}: image | runtime | detect ms | classify ms | recognise ms | whole page ms | in the models ms (det / cls / rec) |`,
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of results) {
    for (const [name, m] of Object.entries(r.median)) {
      const inModel = m.model ? `${f(m.model.det)} / ${f(m.model.cls)} / ${f(m.model.rec)}` : '';
      lines.push(`| ${r.image} (${r.width}x${r.height}) | ${name} | ${f(m.detect)} | ${f(m.classify)} | ${f(m.recognize)} | ${f(m.total)} | ${inModel} |`);
    }
    const q = r.ratio;
    if (q.total !== undefined) {
      lines.push(`| ${r.image} | **wasmnn / ort-web** | ${q.detect.toFixed(2)}x | ${q.classify.toFixed(2)}x | ${q.recognize.toFixed(2)}x | **${q.total.toFixed(2)}x** | text CER ${(100 * r.cer).toFixed(1)}% |`);
    }
  }
  return lines.join('\n');
}
