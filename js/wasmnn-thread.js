// wasmnn-thread.js: one kernel thread of wasmnn's thread pool, a module Web
// Worker in browsers and a worker_threads Worker in Node. wasmnn.js starts
// it (see startThreads there); it is not meant to be loaded otherwise.
//
// The thread gets the SIMD kernel module (wasmnn-simd.wasm, its memory import
// made shared), the Go module's shared memory, a small control block (a
// SharedArrayBuffer of Int32 slots) and the slots' numbers (CTL in wasmnn.js). It
// instantiates the kernels on that memory, says it is ready, and from then on
// blocks in a loop: whenever the Go side splits a kernel call into parts, it
// takes parts that nobody has taken yet, runs them and counts them done.
// Results do not depend on which thread runs which part: each part writes
// its own region of the output.

const IS_NODE = typeof process === 'object' && process !== null &&
  typeof process.versions === 'object' && process.versions !== null && typeof process.versions.node === 'string';

async function main() {
  let port;
  if (IS_NODE) {
    const imp = (s) => import(/* webpackIgnore: true */ /* @vite-ignore */ s);
    port = (await imp('node:worker_threads')).parentPort;
  }
  const first = await new Promise((resolve) => {
    if (IS_NODE) port.once('message', resolve);
    else self.addEventListener('message', (e) => resolve(e.data), { once: true });
  });
  const post = (m) => (IS_NODE ? port.postMessage(m) : self.postMessage(m));
  let fns;
  try {
    const inst = new WebAssembly.Instance(first.module, { go: { mem: first.memory } });
    fns = WebAssembly.Module.exports(first.module).filter((e) => e.kind === 'function').map((e) => inst.exports[e.name]);
  } catch (e) {
    post({ error: `the SIMD kernels did not instantiate on a thread: ${e.message}` });
    return;
  }
  post({ ready: true });
  loop(new Int32Array(first.control), first.slots, first.memory, fns, first.spinMs);
  post({ done: true });
  if (IS_NODE) port.close();
  else self.close();
}

// loop serves calls until QUIT is set.
function loop(ctl, slots, memory, fns, spinMs) {
  const { TICKET, DONE, KERNEL, PARTS, ARGS, NARGS, FAILED } = slots;
  let view = null;
  const argv = [];
  for (;;) {
    const t = waitForWork(ctl, slots, spinMs);
    if (t < 0) return;
    const kernel = ctl[KERNEL];
    const parts = ctl[PARTS];
    const args = ctl[ARGS];
    const nargs = ctl[NARGS];
    // Taking the ticket succeeds only if the call is still the one whose
    // arguments were just read: the Go side writes a new call only after
    // every part of the last one is done, and then the ticket differs.
    if (Atomics.compareExchange(ctl, TICKET, t, t - 1) !== t) continue;
    const part = (t & 0xff) - 1;
    try {
      if (!view || view.byteLength !== memory.buffer.byteLength) view = new Uint32Array(memory.buffer); // it grew
      // The arguments through a plain array: faster than spreading a view.
      const at = (args >>> 2) + part * nargs;
      const a = argv[nargs] || (argv[nargs] = new Array(nargs));
      for (let j = 0; j < nargs; j++) a[j] = view[at + j];
      fns[kernel].apply(null, a);
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    if (Atomics.add(ctl, DONE, 1) + 1 === parts) Atomics.notify(ctl, DONE);
  }
}

// waitForWork returns a ticket with parts left to take, or -1 once QUIT is
// set. It spins for spinMs first (a call usually follows the last one within
// microseconds), then sleeps in Atomics.wait.
function waitForWork(ctl, { TICKET, QUIT, SLEEPERS }, spinMs) {
  let until = 0;
  for (let i = 0; ; i++) {
    if (Atomics.load(ctl, QUIT)) return -1;
    const t = Atomics.load(ctl, TICKET);
    if ((t & 0xff) !== 0) return t;
    if ((i & 255) !== 255) continue;
    const now = performance.now();
    if (until === 0) until = now + spinMs;
    if (now < until) continue;
    Atomics.add(ctl, SLEEPERS, 1);
    Atomics.wait(ctl, TICKET, t, 1000);
    Atomics.sub(ctl, SLEEPERS, 1);
    until = 0;
  }
}

main();
