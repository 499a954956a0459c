// check-pack.mjs is the package's prepack script: `npm pack` and `npm
// publish` stop with a clear message, instead of shipping a package that
// cannot start, when:
//
//   - a file wasmnn.js loads is missing or wrong: the asset URLs it names
//     (build-global.mjs's assetPaths: dist/wasmnn.wasm and
//     dist/wasmnn-simd.wasm must be WebAssembly modules, dist/wasm_exec.js
//     must define Go; make wasm writes them);
//   - a generated file (wasmnn.global.js, wasmnn.cjs, wasmnn.d.cts) is not
//     what build-global.mjs makes of its source;
//   - package.json's "files" leaves out one of these, or a file its
//     "exports" points to.
//
// Run it by hand with `node check-pack.mjs` in js/ (exit status 1 on a
// problem).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GENERATED, assetPaths } from './build-global.mjs';

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
  const pkg = JSON.parse((await read('package.json')).toString('utf8'));
  const files = new Set(pkg.files || []);
  const listed = (name, why) => {
    if (!files.has(name)) out.push(`package.json "files" does not list ${name} (${why})`);
  };
  const src = await read('wasmnn.js');
  let assets = [];
  if (src === null) out.push('wasmnn.js is missing');
  else {
    try {
      assets = assetPaths(src.toString('utf8'));
    } catch (e) {
      out.push(e.message);
    }
  }
  for (const name of assets) {
    listed(name, 'wasmnn.js loads it');
    const b = await read(name);
    if (b === null) out.push(`${name} is missing`);
    else if (name.endsWith('.wasm') && (b.length < 8 || b.readUInt32LE(0) !== 0x6d736100)) {
      out.push(`${name} is not a WebAssembly module (${b.length} bytes)`);
    } else if (name.endsWith('/wasm_exec.js') && !b.toString('utf8').includes('globalThis.Go')) {
      out.push(`${name} is not Go's wasm_exec.js`);
    }
  }
  for (const { file, from, make } of GENERATED) {
    listed(file, `generated from ${from}`);
    const source = await read(from);
    const have = await read(file);
    if (source !== null && (have === null || have.toString('utf8') !== make(source.toString('utf8')))) {
      out.push(`${file} is ${have === null ? 'missing' : `out of date with ${from}`} (npm run build writes it)`);
    }
  }
  const targets = new Set();
  const walk = (v) => {
    if (typeof v === 'string') targets.add(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  for (const t of [...targets].sort()) {
    if (t.includes('*') || t === 'package.json') continue;
    listed(t, 'package.json "exports" points to it');
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const list = await problems();
  if (list.length > 0) {
    console.error('wasmnn: not packing, the package would not work:\n' + list.map((p) => `  - ${p}\n`).join('') +
      'Build the engine with `make wasm` in the repository root (it writes js/dist/ and the generated files), then pack again.');
    process.exit(1);
  }
}
