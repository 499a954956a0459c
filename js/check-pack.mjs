// check-pack.mjs is the package's prepack script: `npm pack` and `npm
// publish` stop with a clear message, instead of shipping a package that
// cannot start, when the engine files are missing or stale:
//
//   - dist/wasmnn.wasm and dist/wasmnn-simd.wasm must be WebAssembly
//     modules and dist/wasm_exec.js must define Go (make wasm writes them);
//   - wasmnn.global.js must be what build-global.mjs makes of wasmnn.js.
//
// Run it by hand with `node check-pack.mjs` in js/ (exit status 1 on a
// problem).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { toGlobal } from './build-global.mjs';

const here = new URL('.', import.meta.url);

/** problems lists what stops the package in dir (a file: URL) from being packed. */
export async function problems(dir = here) {
  const out = [];
  const read = async (name) => {
    try {
      return await readFile(new URL(name, dir));
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
      return null;
    }
  };
  for (const name of ['dist/wasmnn.wasm', 'dist/wasmnn-simd.wasm']) {
    const b = await read(name);
    if (b === null) out.push(`${name} is missing`);
    else if (b.length < 8 || b.readUInt32LE(0) !== 0x6d736100) out.push(`${name} is not a WebAssembly module (${b.length} bytes)`);
  }
  const exec = await read('dist/wasm_exec.js');
  if (exec === null) out.push('dist/wasm_exec.js is missing');
  else if (!exec.toString('utf8').includes('globalThis.Go')) out.push("dist/wasm_exec.js is not Go's wasm_exec.js");
  const src = await read('wasmnn.js');
  const global = await read('wasmnn.global.js');
  if (src !== null && (global === null || global.toString('utf8') !== toGlobal(src.toString('utf8')))) {
    out.push(`wasmnn.global.js is ${global === null ? 'missing' : 'out of date with wasmnn.js'} (npm run build writes it)`);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const list = await problems();
  if (list.length > 0) {
    console.error('wasmnn: not packing, the package would not work:\n' + list.map((p) => `  - ${p}\n`).join('') +
      'Build the engine with `make wasm` in the repository root (it writes js/dist/ and wasmnn.global.js), then pack again.');
    process.exit(1);
  }
}
