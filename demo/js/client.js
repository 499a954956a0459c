// client.js gives the pages one way to reach engine.js: through the Web
// Worker (default) or, with ?worker=0 in the page URL, on the page's thread.
//
//   const engine = createEngine();
//   const r = await engine.call('loadModel', {source: 'models/lenet5.wnn'}, {onProgress});

class WorkerEngine {
  constructor() {
    this.mode = 'worker';
    this.pending = new Map();
    this.next = 1;
    this.failure = null;
    // The worker sees the page's query (e.g. ?simd=0) as its own location.search.
    this.worker = new Worker(new URL(`./worker.js${location.search}`, import.meta.url), { type: 'module' });
    this.worker.onmessage = (e) => {
      const { id, progress, result, error } = e.data;
      const p = this.pending.get(id);
      if (!p) return;
      if (progress) {
        if (p.onProgress) p.onProgress(progress[0], progress[1]);
        return;
      }
      this.pending.delete(id);
      if (error !== undefined) p.reject(new Error(error));
      else p.resolve(result);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.fail(new Error(`the inference worker stopped: ${e.message || 'it could not start (is lib/ present? make demo builds it)'}`));
    };
    this.worker.onmessageerror = () => this.fail(new Error('the inference worker sent a message that could not be read'));
  }

  fail(err) {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  call(op, arg, { onProgress, transfer = [] } = {}) {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, op, arg }, transfer);
    });
  }
}

class LocalEngine {
  constructor() {
    this.mode = 'main thread';
    this.engine = null;
  }

  async call(op, arg, { onProgress } = {}) {
    if (!this.engine) {
      try {
        this.engine = await import('./engine.js');
      } catch (e) {
        throw new Error(`could not load the demo's scripts: ${e.message} (is lib/ present? make demo builds it)`);
      }
    }
    const fn = this.engine.ops[op];
    if (!fn) throw new Error(`unknown operation ${op}`);
    return fn(arg || {}, onProgress || (() => {}));
  }
}

// createEngine returns the worker engine unless the page URL has ?worker=0
// or the browser has no module workers.
export function createEngine() {
  const params = new URLSearchParams(location.search);
  if (params.get('worker') === '0' || typeof Worker !== 'function') return new LocalEngine();
  return new WorkerEngine();
}
