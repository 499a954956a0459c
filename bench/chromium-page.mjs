// chromium-page.mjs: the page side of bench/run-chromium.mjs. The page is
// served from the repository root by `wasmnn serve`, so the libraries load
// from /js/ and /node_modules/ and the suite from its directory. The driver
// calls window.benchStart(runtime) once, then window.benchCase(entry, opts)
// per case; one runtime per page (and per browser).

import { benchCase, makeRuntime } from './runtimes.mjs';

const RUNTIMES = {
  'chromium-simd': { kind: 'wasmnn', opts: { simd: true } },
  chromium: { kind: 'wasmnn', opts: { simd: false } },
  'chromium-tfjs-wasm': { kind: 'tfjs', opts: { wasmPaths: '/node_modules/@tensorflow/tfjs-backend-wasm/dist/' } },
  'chromium-ort-web': { kind: 'ort', opts: { wasmPaths: '/node_modules/onnxruntime-web/dist/' } },
  // Two threads (issue 17): the page is cross-origin isolated (wasmnn serve).
  'chromium-simd-2t': { kind: 'wasmnn', opts: { simd: true, threads: 2 } },
  'chromium-ort-web-2t': { kind: 'ort', opts: { wasmPaths: '/node_modules/onnxruntime-web/dist/', threads: 2 } },
};

function script(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}

async function libs(kind) {
  switch (kind) {
    case 'wasmnn': return { wasmnn: await import('/js/wasmnn.js') };
    case 'tfjs':
      // The UMD bundles: tf-core sets globalThis.tf, the wasm backend tf.wasm.
      await script('/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js');
      await script('/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js');
      return { tf: globalThis.tf, tfwasm: globalThis.tf.wasm };
    case 'ort': return { ort: await import('/node_modules/onnxruntime-web/dist/ort.bundle.min.mjs') };
    default: throw new Error(kind);
  }
}

let current = null;

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

window.benchStart = async (name) => {
  const spec = RUNTIMES[name];
  if (!spec) throw new Error(`unknown runtime ${name}`);
  const rt = await makeRuntime(spec.kind, await libs(spec.kind), { ...spec.opts });
  current = { name, rt };
  return { ...rt.info, userAgent: navigator.userAgent, crossOriginIsolated: globalThis.crossOriginIsolated };
};

window.benchCase = async (entry, suiteURL, o) => {
  const files = {
    wnn: () => fetchBytes(suiteURL + entry.file),
    onnx: () => fetchBytes(suiteURL + entry.file.replace(/\.wnn$/, '.onnx')),
  };
  return benchCase(current.rt, current.name, entry, files, o, () => performance.now());
};

window.benchReady = true;
