// The CDN tests' page script (a module; infer.js is the app's). The page
// gets wasmnn from a CDN-style URL: ?pkg=BASE imports BASE + 'wasmnn.js',
// else the page has loaded BASE + 'wasmnn.global.js' with a <script> tag.
// ?wasmURL=U only starts the module from U and reports how that went.
import { infer } from './infer.js';

const q = new URLSearchParams(location.search);
const fixture = (name) => new URL(name, document.baseURI).href;

async function main() {
  const wasmnn = q.has('pkg') ? await import(q.get('pkg') + 'wasmnn.js') : globalThis.wasmnn;
  if (!wasmnn) return { error: 'globalThis.wasmnn is not set: the classic script did not run' };
  if (q.has('wasmURL')) {
    try {
      await wasmnn.init({ wasmURL: q.get('wasmURL') });
      return { started: true };
    } catch (e) {
      return { error: e.message };
    }
  }
  return infer(wasmnn, fixture('lenet5.wnn'), fixture('input.bin'));
}

main().then((page) => {
  window.__result = { page };
  document.getElementById('out').textContent = JSON.stringify(window.__result);
});
