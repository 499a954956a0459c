// The bundler tests' app: runs LeNet-5 with the wasmnn package on the page's
// thread and in a module worker started the documented way, and leaves what
// happened in window.__result ({page, worker}: each {output, info} or
// {error}). ?noworker skips the worker. webpack's default entry.
import * as wasmnn from 'wasmnn';
import { infer } from './infer.js';

// The fixtures sit at the site's root, beside the page.
const fixture = (name) => new URL(name, document.baseURI).href;

function inWorker() {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => {
      resolve(e.data);
      worker.terminate();
    };
    worker.onerror = (e) => {
      resolve({ error: `the worker failed: ${e.message || 'no message (it did not load?)'}` });
      worker.terminate();
    };
    worker.postMessage({ model: fixture('lenet5.wnn'), input: fixture('input.bin') });
  });
}

(async () => {
  const result = { page: await infer(wasmnn, fixture('lenet5.wnn'), fixture('input.bin')) };
  if (!new URLSearchParams(location.search).has('noworker')) result.worker = await inWorker();
  window.__result = result;
  document.getElementById('out').textContent = JSON.stringify(result);
})();
