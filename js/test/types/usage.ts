// Compiled (not run) by `npm run typecheck` against wasmnn.d.ts, once with the
// DOM library (tsconfig.json) and once without (tsconfig.nodom.json). Lines
// marked @ts-expect-error must fail to type-check.
import * as wasmnn from 'wasmnn';
import { Tensor, Model, load, init, backendInfo, version } from 'wasmnn';
import type { Outputs, Prediction, ModelSummary, BackendInfo, ProfiledRun } from 'wasmnn';

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
  const out: Outputs = await m.run({ [names[0]]: x });
  const first: Float32Array = out[m.outputNames[0]].data;
  const prof: ProfiledRun = await m.runProfiled({ input: x });
  const ms: number = prof.times[0];
  const top: Prediction[] = await m.classify({ data: new Uint8ClampedArray(4), width: 1, height: 1 }, { topK: 3 });
  const s: ModelSummary = m.summary();
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
  // @ts-expect-error unknown option
  await load(bytes, { wasmUrl: 'x' });
  return dims.length + sample.length + numeric.length + first.length + ms + top[0].probability + s.total_flops + info.memoryBytes + w + y.size + version.length;
}
