// worker.js is the demo's inference worker (a module worker): it runs the
// operations of engine.js for the page, so the page never freezes while a
// model loads or runs. Messages in: {id, op, arg}; out: {id, progress} while
// loading, then {id, result} or {id, error}.
let engine = null;
let loadError = null;
const ready = import('./engine.js').then((m) => { engine = m; }, (e) => { loadError = e; });

self.onmessage = async (e) => {
  const { id, op, arg } = e.data;
  try {
    await ready;
    if (loadError) throw new Error(`the worker could not load its scripts: ${loadError.message} (is lib/ present? make demo builds it)`);
    const fn = engine.ops[op];
    if (!fn) throw new Error(`unknown operation ${op}`);
    const result = await fn(arg || {}, (loaded, total) => self.postMessage({ id, progress: [loaded, total] }));
    self.postMessage({ id, result }, engine.transferables(result));
  } catch (err) {
    self.postMessage({ id, error: String((err && err.message) || err) });
  }
};
