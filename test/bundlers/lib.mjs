// lib.mjs: shared setup of the bundler tests (test/bundlers/*.test.mjs, run
// with `make test-bundlers`).
//
// Each test file packs js/ with `npm pack` (its prepack check included),
// installs the tarball as node_modules/wasmnn of a copy of app/ (a page that
// runs LeNet-5 on its thread and in a module worker), builds it with a
// bundler from the root package's devDependencies, serves the output with
// serve() below and opens it in Debian's Chromium (test/browser/lib.mjs
// launches it). The outputs must equal `wasmnn run` on the same input bit for
// bit.
//
// Environment: WASMNN_BIN and CHROMIUM as for test/browser/lib.mjs;
// WASMNN_PACKAGE a tarball to test instead of packing js/.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BIN, LENET, ROOT, browser, readNpy, writeNpy } from '../browser/lib.mjs';

export { browser };

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** bundler is the path of a bundler's command installed by the root package (npm ci). */
export function bundler(name) {
  const bin = path.join(ROOT, 'node_modules', '.bin', name);
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`npm ci\` in ${ROOT}`);
  return bin;
}

/**
 * exec runs cmd with args in cwd and resolves to its stdout; a failure
 * rejects with the command and everything it printed.
 */
export async function exec(cmd, args, cwd) {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 64 << 20, timeout: 180000, env: { ...process.env, NO_COLOR: '1' } });
    return stdout;
  } catch (e) {
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

/**
 * setup makes a temporary directory with the packed package and the
 * fixtures: lenet5.wnn, input.bin (raw float32, what the app feeds the
 * model) and want, the CLI's output on that input.
 */
export async function setup() {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`make build\` (or set WASMNN_BIN)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-bundlers-'));
  let tarball = process.env.WASMNN_PACKAGE;
  if (!tarball) {
    const out = await exec('npm', ['pack', '--json', '--pack-destination', dir], path.join(ROOT, 'js'));
    tarball = path.join(dir, JSON.parse(out)[0].filename);
  }
  const fixtures = path.join(dir, 'fixtures');
  fs.mkdirSync(fixtures);
  fs.copyFileSync(LENET, path.join(fixtures, 'lenet5.wnn'));
  const x = input();
  fs.writeFileSync(path.join(fixtures, 'input.bin'), Buffer.from(x.buffer));
  writeNpy(path.join(dir, 'input.npy'), x, [1, 1, 32, 32]);
  await exec(BIN, ['run', LENET, '--input', `input=${path.join(dir, 'input.npy')}`, '--out', path.join(dir, 'cli')], dir);
  const want = readNpy(path.join(dir, 'cli', 'fc3.npy'));
  assert.deepEqual(want.shape, [1, 10], 'the CLI wrote LeNet-5\'s fc3');
  return {
    dir,
    tarball,
    fixtures,
    want: want.data,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

// input is the model input the tests use: 1024 values in [-1, 1) from a
// fixed linear congruential sequence.
function input() {
  const x = new Float32Array(1024);
  let s = 19;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/**
 * app copies app/ into base/name and installs the tarball there as
 * node_modules/wasmnn (as npm would: the files the package lists); the
 * fixtures go to public/, which Vite serves and copies, and which copyPublic
 * copies into another bundler's output. Resolves to the app's directory.
 */
export async function app(env, name) {
  const dir = path.join(env.dir, name);
  fs.cpSync(path.join(HERE, 'app'), dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `wasmnn-${name}-test`, private: true }, null, 2) + '\n');
  fs.cpSync(env.fixtures, path.join(dir, 'public'), { recursive: true });
  const pkg = path.join(dir, 'node_modules', 'wasmnn');
  fs.mkdirSync(pkg, { recursive: true });
  await exec('tar', ['-xzf', env.tarball, '-C', pkg, '--strip-components=1'], dir);
  return dir;
}

/** copyPublic copies the app's public/ files into out (a build's output). */
export function copyPublic(appDir, out) {
  fs.cpSync(path.join(appDir, 'public'), out, { recursive: true });
}

/** page writes an index.html into out that loads script (type: 'module' or 'classic'). */
export function page(out, script, type) {
  const tag = type === 'module' ? `<script type="module" src="${script}"></script>` : `<script src="${script}" defer></script>`;
  fs.writeFileSync(path.join(out, 'index.html'),
    `<!doctype html>\n<html>\n<head><meta charset="utf-8"><title>wasmnn test</title></head>\n<body>\n<pre id="out">running</pre>\n${tag}\n</body>\n</html>\n`);
}

/** sizes lists the files of a build's output with their sizes in bytes, by name. */
export function sizes(out) {
  const list = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else list[path.relative(out, p)] = fs.statSync(p).size;
    }
  };
  walk(out);
  return list;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/**
 * serve serves the directory root over HTTP on a free port of 127.0.0.1;
 * resolves to {url, requests (each {path, status, type}), stop()}.
 * options: headers (sent with every response, say a Content-Security-Policy),
 * fallback (answer a missing file with index.html, as a single-page app's
 * server or a dev server does). /favicon.ico is answered 204.
 */
export function serve(root, { headers = {}, fallback = false } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const send = (status, type, body) => {
      requests.push({ path: urlPath, status, type });
      res.writeHead(status, { ...headers, ...(type ? { 'Content-Type': type } : {}) }).end(body);
    };
    if (urlPath === '/favicon.ico') return send(204, '', '');
    let file = path.join(root, urlPath);
    if (file !== root && !file.startsWith(root + path.sep)) return send(403, 'text/plain', 'outside the root');
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      if (fallback) file = path.join(root, 'index.html');
      else return send(404, 'text/plain', 'not found');
    }
    send(200, TYPES[path.extname(file)] || 'application/octet-stream', fs.readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}/`,
      requests,
      stop: () => new Promise((r) => server.close(r)),
    }));
  });
}

/**
 * visit opens url in a new page of the browser context ctx and waits for the
 * app's window.__result; resolves to {result, errors (console errors,
 * uncaught exceptions and failed loads of the page and its workers, a
 * browser's own /favicon.ico aside), violations (what a
 * Content-Security-Policy blocked on the page)}.
 */
export async function visit(ctx, url) {
  const pg = await ctx.newPage();
  const errors = [];
  // Chromium's console error for a failed load names no URL: the responses do.
  const logged = (m) => m.type() === 'error' && !/^Failed to load resource: /.test(m.text());
  pg.on('console', (m) => { if (logged(m)) errors.push(`console.error: ${m.text()}`); });
  pg.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  pg.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  pg.on('worker', (w) => w.on('console', (m) => { if (logged(m)) errors.push(`worker console.error: ${m.text()}`); }));
  await pg.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  try {
    await pg.goto(url);
    const handle = await pg.waitForFunction(() => window.__result, null, { timeout: 60000 });
    return { result: await handle.jsonValue(), errors, violations: await pg.evaluate(() => window.__violations) };
  } finally {
    await pg.close();
  }
}

/**
 * sameOutput asserts that got (the app's {output, info} of one thread) is the
 * CLI's want bit for bit, with the SIMD kernels found (wasmnn-simd.wasm came
 * through the build too).
 */
export function sameOutput(got, want, what) {
  assert.ok(got, `${what}: no result`);
  assert.equal(got.error, undefined, `${what}: ${got.error}`);
  const a = new Uint32Array(Float32Array.from(got.output).buffer);
  const b = new Uint32Array(Float32Array.from(want).buffer);
  assert.equal(a.length, b.length, `${what}: ${a.length} outputs, the CLI gives ${b.length}`);
  const i = a.findIndex((v, k) => v !== b[k]);
  assert.equal(i, -1, `${what}: output ${i} is ${got.output[i]}, the CLI gives ${want[i]}`);
  assert.equal(got.info.simd, true, `${what}: SIMD is off: ${got.info.simdReason}`);
}

/**
 * fetched returns the requests for .wasm and .js files (path and status):
 * what the page loaded besides the fixtures.
 */
export function fetched(srv) {
  return srv.requests.filter((r) => /\.(wasm|js)$/.test(r.path)).map((r) => `${r.status} ${r.path}`);
}

/** STRICT_CSP lets a page run scripts and wasm from its own origin and nothing else: no 'unsafe-eval', no inline script. */
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";

/** NO_WASM_CSP is STRICT_CSP without 'wasm-unsafe-eval'. */
export const NO_WASM_CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'";

/**
 * devServer starts `cmd args` (a dev server that listens on the port given
 * in args) in cwd and resolves, once url answers, to {stop()}.
 */
export function devServer(cmd, args, cwd, url) {
  const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  p.stdout.on('data', (b) => { out += b; });
  p.stderr.on('data', (b) => { out += b; });
  const stop = () => new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) r();
    else {
      p.once('exit', r);
      p.kill('SIGTERM');
    }
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30000;
    const poll = () => {
      if (p.exitCode !== null) return reject(new Error(`${path.basename(cmd)} exited (${p.exitCode}): ${out}`));
      http.get(url, (res) => {
        res.resume();
        resolve({ stop });
      }).on('error', () => {
        if (Date.now() > deadline) stop().then(() => reject(new Error(`${path.basename(cmd)} did not answer at ${url} in 30 s: ${out}`)));
        else setTimeout(poll, 100);
      });
    };
    poll();
  });
}

/** freePort resolves to a TCP port of 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
