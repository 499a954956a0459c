// build-global.mjs writes wasmnn.global.js, the classic-script build that sets
// globalThis.wasmnn, from the ES module wasmnn.js. Run it with
// `node build-global.mjs` (or `npm run build`) in js/.
//
// The transformation is textual and checked: wasmnn.js must use
// import.meta.url exactly once and end with one `export { ... };` list, and
// have no other static import or export.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = new URL('.', import.meta.url);

// The script URL of a classic script is document.currentScript, read while
// the script first runs; in a worker it is the worker's location.
const SCRIPT_URL_EXPR = "(typeof document !== 'undefined' && document.currentScript && document.currentScript.src) || " +
  "(typeof location !== 'undefined' && location.href) || ''";

/** toGlobal turns the source of wasmnn.js into the source of wasmnn.global.js. */
export function toGlobal(src) {
  const meta = src.split('import.meta.url').length - 1;
  if (meta !== 1) throw new Error(`wasmnn.js must use import.meta.url exactly once, found ${meta}`);
  const exportRe = /^export\s*\{([^}]*)\};?[ \t]*$/m;
  const m = src.match(exportRe);
  if (!m) throw new Error('wasmnn.js must end with one `export { ... };` list');
  let body = src.replace('import.meta.url', SCRIPT_URL_EXPR);
  const members = m[1].split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [local, as] = s.split(/\s+as\s+/);
    return as ? `${as}: ${local}` : local;
  });
  body = body.replace(exportRe, `globalThis.wasmnn = Object.freeze({ ${members.join(', ')} });`);
  const stray = body.match(/^\s*(import|export)\s[^(]/m);
  if (stray) throw new Error(`wasmnn.js has a static ${stray[1]} that a classic script cannot hold: ${stray[0].trim()}`);
  // The body is not indented: that would change multi-line template literals.
  return '// Generated from wasmnn.js by build-global.mjs (npm run build); do not edit.\n' +
    '// A classic script: <script src="wasmnn.global.js"></script> sets globalThis.wasmnn.\n' +
    '(() => {\n\'use strict\';\n\n' + body.replace(/\s*$/, '\n') + '})();\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const src = await readFile(new URL('wasmnn.js', here), 'utf8');
  const out = toGlobal(src);
  await writeFile(new URL('wasmnn.global.js', here), out);
  console.log(`wrote ${fileURLToPath(new URL('wasmnn.global.js', here))} (${out.length} bytes)`);
}
