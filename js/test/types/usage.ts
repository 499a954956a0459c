// Compiled (not run) by `npm run typecheck` against wasmnn.d.ts, once with the
// DOM library (tsconfig.json) and once without (tsconfig.nodom.json). Lines
// marked @ts-expect-error must fail to type-check.
import * as wasmnn from 'wasmnn';
import { Tensor, Model, load, init, backendInfo, version, ocr, OCRReader, train, TrainedModel } from 'wasmnn';
import type { Outputs, Prediction, ModelSummary, BackendInfo, ProfiledRun, ConvAlgo, ConversionReport, OCRLine, OCRTimings, TrainProgress, Evaluation } from 'wasmnn';

export async function use(bytes: Uint8Array, ab: ArrayBuffer): Promise<number> {
  await init({ wasmURL: 'dist/wasmnn.wasm' });
  const m: Model = await load('models/lenet5.wnn', {
    wasmURL: 'dist/wasmnn.wasm',
    onProgress: (loaded: number, total: number | undefined) => void (loaded + (total ?? 0)),
    algo: 'im2col',
    layerAlgos: { conv1: 'direct' },
  });
  await wasmnn.load(bytes);
  await wasmnn.load(ab);
  const names: readonly string[] = m.inputNames;
  const dims: readonly (number | string)[] = m.inputs[0].dims;
  const sample: readonly number[] = m.inputs[0].sampleDims;
  // @ts-expect-error dims may name symbolic axes
  const numeric: readonly number[] = m.inputs[0].dims;
  const x = new Tensor('float32', new Float32Array(1024), [1, 1, 32, 32]);
  const y = new wasmnn.Tensor('float32', [1, 2, 3]);
  const z = new Tensor(new Float32Array(6), [2, 3]); // ONNX Runtime's two-argument form
  const z1 = new Tensor([1, 2, 3]);
  // @ts-expect-error the two-argument form infers float32 from a Float32Array or numbers only
  new Tensor(new Int32Array(2), [2]);
  const algo: ConvAlgo = 'winograd';
  await load('m.onnx', { algo, layerAlgos: { conv1: 'winograd4', conv2: 'fft' } });
  // @ts-expect-error algo is one of the known names
  await load('m.onnx', { algo: 'winograd3' });
  // @ts-expect-error layerAlgos values too
  await load('m.onnx', { layerAlgos: { conv1: 'gemm' } });
  const out: Outputs = await m.run({ [names[0]]: x });
  const first: Float32Array = out[m.outputNames[0]].data;
  const prof: ProfiledRun = await m.runProfiled({ input: x });
  const ms: number = prof.times[0];
  const top: Prediction[] = await m.classify({ data: new Uint8ClampedArray(4), width: 1, height: 1 }, { topK: 3 });
  const inverted: boolean = top[0].inverted;
  await m.classify({ data: new Uint8ClampedArray(4), width: 1, height: 1 }, { invert: 'auto' });
  await m.classify({ data: new Uint8ClampedArray(4), width: 1, height: 1 }, { invert: false });
  // @ts-expect-error invert is 'auto' or a boolean
  await m.classify({ data: new Uint8ClampedArray(4), width: 1, height: 1 }, { invert: 'yes' });
  const s: ModelSummary = m.summary();
  const conv: ConversionReport | undefined = s.conversion;
  const symbolic: readonly string[] = conv?.symbolic ?? [];
  const info: BackendInfo = backendInfo();
  const pp = m.meta.preprocess;
  const w: number = pp ? pp.width : 0;
  await m.dispose();
  // @ts-expect-error only float32 tensors
  new Tensor('int8', new Float32Array(1));
  // @ts-expect-error data must be float32
  new Tensor('float32', new Float64Array(1));
  // @ts-expect-error fields are read-only
  x.dims = [1];
  // @ts-expect-error Model is made by load()
  new Model();
  const reader: OCRReader = await ocr.load({ det: 'det.onnx', cls: null, rec: bytes, keys: ab, onProgress: (n, total) => void (n + (total ?? 0)), dropScore: 0.6 });
  const lines: OCRLine[] = await reader.read({ data: new Uint8ClampedArray(4), width: 1, height: 1 }, { maxSide: 1024 });
  const timed: { lines: OCRLine[]; timings: OCRTimings } = await reader.readTimed({ data: new Uint8Array(4), width: 1, height: 1 });
  const corner: number = lines[0].box[2][1] + timed.timings.recognize + info.readers;
  await reader.dispose();
  // @ts-expect-error det is required
  await ocr.load({ rec: bytes, keys: ab });
  // @ts-expect-error OCRReader is made by ocr.load()
  new OCRReader();
  // @ts-expect-error unknown option
  await load(bytes, { wasmUrl: 'x' });
  const t: TrainedModel = await train('models/lenet5.wnn', {
    images: new Float32Array(2 * 1024), labels: [0, 1], epochs: 2, batch: 8, optimizer: 'sgd', lr: 1e-3, seed: 3,
    freeze: ['conv1'], classes: ['star', 'moon'], holdout: 0, sliceMs: 20,
    onProgress: (p: TrainProgress) => void (p.loss + p.accuracy + p.step + p.history.length),
  });
  const tm: Model = t;
  const ev: Evaluation | null = t.evaluation;
  const saved: Uint8Array = await t.save();
  await train('lenet5', { images: [new Float32Array(1024)], labels: new Int32Array(1), classes: 2 });
  await train(bytes, { images: [{ data: new Uint8ClampedArray(4), width: 1, height: 1 }], labels: [0], invert: 'auto' });
  // @ts-expect-error labels are required
  await train('lenet5', { images: new Float32Array(1024) });
  // @ts-expect-error the optimiser is adam or sgd
  await train('lenet5', { images: new Float32Array(1024), labels: [0], optimizer: 'lion' });
  // @ts-expect-error TrainedModel is made by train()
  new TrainedModel();
  return dims.length + sample.length + numeric.length + first.length + ms + top[0].probability + s.total_flops + info.memoryBytes + w + y.size + z.size + z1.size +
    (inverted ? 1 : 0) + symbolic.length + version.length + corner + (ev ? ev.accuracy : 0) + saved.length + tm.inputNames.length + (t.accuracy ?? 0);
}
