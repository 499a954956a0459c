// build-global.mjs writes the files generated from the ES module wasmnn.js
// and its declarations (GENERATED below): wasmnn.global.js, the classic
// script that sets globalThis.wasmnn; wasmnn.cjs, the CommonJS module that
// require('wasmnn') loads in Node; wasmnn.d.cts, wasmnn.d.ts for TypeScript's
// require resolution. Run it with `node build-global.mjs` (or `npm run
// build`) in js/; check-pack.mjs and the tests check that they are current.
//
// The transformation is textual and checked: wasmnn.js must end with one
// `export { ... };` list, have no other static import or export, and use
// import.meta only as the base of literal asset URLs (assetPaths below),
// which each form gives its own base: the script's URL, the file's path.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = new URL('.', import.meta.url);

// BASE is the identifier the generated forms put in place of import.meta.url.
const BASE = '__wasmnnModuleURL';

// The script URL of a classic script is document.currentScript, read while
// the script first runs; in a worker it is the worker's location.
const SCRIPT_URL_EXPR = "(typeof document !== 'undefined' && document.currentScript && document.currentScript.src) || " +
  "(typeof location !== 'undefined' && location.href) || ''";

// ASSET_URL matches a literal asset URL, the one form of new URL that
// bundlers rewrite: a quoted relative path against import.meta.url.
const ASSET_URL = /new URL\(\s*(['"])(\.\/[^'"`$\\\s]+)\1\s*,\s*import\.meta\.url\s*\)/g;

/**
 * assetPaths lists the files wasmnn.js (source src) references with literal
 * asset URLs, as package paths ('dist/wasmnn.wasm'); it throws if import.meta
 * appears anywhere else, comments included.
 */
export function assetPaths(src) {
  const all = src.split('import.meta').length - 1;
  const paths = [...src.matchAll(ASSET_URL)].map((m) => m[2].replace(/^\.\//, ''));
  if (all !== paths.length) {
    const lines = src.split('\n').map((l, i) => [i + 1, l])
      .filter(([, l]) => l.includes('import.meta') && l.replace(ASSET_URL, '').includes('import.meta'));
    throw new Error('wasmnn.js may use import.meta only as the base of literal asset URLs, ' +
      `new URL('./path', import.meta.url); found ${all - paths.length} other use(s): ` +
      lines.map(([n, l]) => `line ${n}: ${l.trim()}`).join('; '));
  }
  return paths;
}

// split checks src and returns its body, import.meta.url replaced by BASE and
// the export list taken out, and the exported members as `name` or `as: local`.
function split(src) {
  assetPaths(src);
  if (src.includes(BASE)) throw new Error(`wasmnn.js must not use the name ${BASE}`);
  const exportRe = /^export\s*\{([^}]*)\};?[ \t]*$/m;
  const m = src.match(exportRe);
  if (!m) throw new Error('wasmnn.js must end with one `export { ... };` list');
  const body = src.replaceAll('import.meta.url', BASE).replace(exportRe, '');
  const stray = body.match(/^\s*(import|export)\s[^(]/m);
  if (stray) throw new Error(`wasmnn.js has a static ${stray[1]} that a classic script cannot hold: ${stray[0].trim()}`);
  const members = m[1].split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [local, as] = s.split(/\s+as\s+/);
    return as ? `${as}: ${local}` : local;
  });
  // The body is not indented: that would change multi-line template literals.
  return { body: body.replace(/\s*$/, '\n'), members: members.join(', ') };
}

const HEADER = '// Generated from wasmnn.js by build-global.mjs (npm run build); do not edit.\n';

/** toGlobal turns the source of wasmnn.js into the source of wasmnn.global.js. */
export function toGlobal(src) {
  const { body, members } = split(src);
  return HEADER +
    '// A classic script: <script src="wasmnn.global.js"></script> sets globalThis.wasmnn.\n' +
    `(() => {\n'use strict';\n\nconst ${BASE} = ${SCRIPT_URL_EXPR};\n\n` +
    body + `\nglobalThis.wasmnn = Object.freeze({ ${members} });\n})();\n`;
}

/** toCommonJS turns the source of wasmnn.js into the source of wasmnn.cjs. */
export function toCommonJS(src) {
  const { body, members } = split(src);
  return HEADER +
    "// CommonJS: what require('wasmnn') loads in Node (import and bundlers load wasmnn.js).\n" +
    `'use strict';\n\nconst ${BASE} = require('node:url').pathToFileURL(__filename).href;\n\n` +
    body + `\nmodule.exports = Object.freeze({ ${members} });\n`;
}

/** toCTS turns wasmnn.d.ts into wasmnn.d.cts: the same declarations, for wasmnn.cjs. */
export function toCTS(dts) {
  return '// Generated from wasmnn.d.ts by build-global.mjs (npm run build); do not edit.\n' +
    '// The declarations of wasmnn.cjs (require), the same as those of wasmnn.js.\n' + dts;
}

/** GENERATED lists the generated files: each is make(the text of from). */
export const GENERATED = [
  { file: 'wasmnn.global.js', from: 'wasmnn.js', make: toGlobal },
  { file: 'wasmnn.cjs', from: 'wasmnn.js', make: toCommonJS },
  { file: 'wasmnn.d.cts', from: 'wasmnn.d.ts', make: toCTS },
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const { file, from, make } of GENERATED) {
    const out = make(await readFile(new URL(from, here), 'utf8'));
    await writeFile(new URL(file, here), out);
    console.log(`wrote ${fileURLToPath(new URL(file, here))} (${out.length} bytes)`);
  }
}
