// The app's module worker (index.js starts it the way js/README.md says): it
// imports wasmnn like any module and answers {model, input} (URLs) with
// infer's result.
import * as wasmnn from 'wasmnn';
import { infer } from './infer.js';

self.onmessage = async (e) => {
  self.postMessage(await infer(wasmnn, e.data.model, e.data.input));
};
