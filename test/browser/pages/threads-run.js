// runModels starts wasmnn with {threads} (omitted: the default), runs each
// model on its input, and returns the outputs as hex bit patterns with
// backendInfo() and whether the context is cross-origin isolated.
import * as wasmnn from './lib/wasmnn.js';

function hex(data) {
  const b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

export async function runModels({ threads, models, repeat = 1 }) {
  await wasmnn.init(threads === undefined ? {} : { threads });
  const outputs = {};
  const ms = {};
  for (const { url, input, dims } of models) {
    const model = await wasmnn.load(url);
    const feeds = { [model.inputNames[0]]: new wasmnn.Tensor('float32', Float32Array.from(input), dims) };
    let out;
    const times = [];
    for (let i = 0; i < repeat; i++) {
      const t = performance.now();
      out = await model.run(feeds);
      times.push(performance.now() - t);
    }
    outputs[url] = {};
    for (const name of model.outputNames) outputs[url][name] = { dims: [...out[name].dims], bits: hex(out[name].data) };
    ms[url] = times;
    await model.dispose();
  }
  return { outputs, ms, info: wasmnn.backendInfo(), isolated: globalThis.crossOriginIsolated === true };
}
