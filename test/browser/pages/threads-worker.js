// Module worker of threads.html: runs runModels there, where wasmnn's
// calling thread may sleep in Atomics.wait.
import { runModels } from './threads-run.js';

self.onmessage = async (e) => {
  try {
    self.postMessage({ result: await runModels(e.data) });
  } catch (err) {
    self.postMessage({ error: String((err && err.message) || err) });
  }
};
