// lib.mjs: shared setup of the browser tests (test/browser/*.test.mjs, run
// with `node --test test/browser/`).
//
// Each test file assembles the demo site in a temporary directory (demo/
// plus lib/: the wasm module, the demo module the pages start, Go's
// wasm_exec.js and the JS package), serves
// it with `wasmnn serve` on a free port, and drives Debian's Chromium with
// playwright-core (never a downloaded browser).
//
// Environment:
//   WASMNN_BIN   the CLI (default bin/wasmnn; `make build` writes it)
//   WASMNN_WASM  the wasm module (default js/dist/wasmnn.wasm; `make wasm`)
//   WASMNN_DEMO_WASM the demo module the pages start (default
//                demo/lib/dist/wasmnn-demo.wasm; `make demo-wasm`)
//   CHROMIUM     the browser (default /usr/bin/chromium)
//   WASMNN_LENET a LeNet-5 .wnn to serve as models/lenet5.wnn instead of
//                demo/models/lenet5.wnn (for development)
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const BIN = process.env.WASMNN_BIN || path.join(ROOT, 'bin', 'wasmnn');
export const WASM = process.env.WASMNN_WASM || path.join(ROOT, 'js', 'dist', 'wasmnn.wasm');
export const DEMO_WASM = process.env.WASMNN_DEMO_WASM || path.join(ROOT, 'demo', 'lib', 'dist', 'wasmnn-demo.wasm');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const LENET = path.join(ROOT, 'demo', 'models', 'lenet5.wnn');

const require = createRequire(import.meta.url);

function need(file, how) {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${how}`);
}

function wasmExec() {
  const beside = path.join(path.dirname(WASM), 'wasm_exec.js');
  if (fs.existsSync(beside)) return beside;
  const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
  return path.join(goroot, 'lib', 'wasm', 'wasm_exec.js');
}

// site copies demo/ (without any lib/ left by make demo) and lib/ into a
// temporary directory and returns its path.
export function site() {
  need(WASM, 'run `make wasm` (or set WASMNN_WASM)');
  need(DEMO_WASM, 'run `make demo-wasm` (or set WASMNN_DEMO_WASM)');
  need(BIN, 'run `make build` (or set WASMNN_BIN)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-demo-'));
  fs.cpSync(path.join(ROOT, 'demo'), dir, { recursive: true, filter: (src) => path.relative(path.join(ROOT, 'demo'), src) !== 'lib' });
  // lib/ mirrors the js/ package, as `make demo-files` lays it out.
  const lib = path.join(dir, 'lib');
  fs.mkdirSync(path.join(lib, 'dist'), { recursive: true });
  // Everything next to the wasm module (js/dist: the module, wasm_exec.js and
  // any helper modules the loader fetches from there).
  const distDir = path.dirname(WASM);
  for (const f of fs.readdirSync(distDir)) {
    if (fs.statSync(path.join(distDir, f)).isFile()) fs.copyFileSync(path.join(distDir, f), path.join(lib, 'dist', f));
  }
  fs.copyFileSync(WASM, path.join(lib, 'dist', 'wasmnn.wasm'));
  fs.copyFileSync(DEMO_WASM, path.join(lib, 'dist', 'wasmnn-demo.wasm'));
  if (!fs.existsSync(path.join(lib, 'dist', 'wasm_exec.js'))) fs.copyFileSync(wasmExec(), path.join(lib, 'dist', 'wasm_exec.js'));
  for (const f of ['wasmnn.js', 'wasmnn.global.js', 'wasmnn-thread.js']) fs.copyFileSync(path.join(ROOT, 'js', f), path.join(lib, f));
  if (process.env.WASMNN_LENET) {
    fs.mkdirSync(path.join(dir, 'models'), { recursive: true });
    fs.copyFileSync(process.env.WASMNN_LENET, path.join(dir, 'models', 'lenet5.wnn'));
  }
  return dir;
}

// serve starts `wasmnn serve` on a free port; resolves to {url, stop()}.
export function serve(dir) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { p.kill(); reject(new Error(`wasmnn serve printed no URL in 20 s: ${out}${err}`)); }, 20000);
    p.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/at (http:\/\/[^\s]+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          stop: () => new Promise((r) => { if (p.exitCode !== null) r(); else { p.once('exit', r); p.kill('SIGINT'); } }),
        });
      }
    });
    p.stderr.on('data', (b) => { err += b; });
    p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`wasmnn serve exited (${code}): ${out}${err}`)); });
  });
}

// browser launches Chromium headless with a fresh profile.
export async function browser() {
  need(CHROMIUM, 'install it: apt-get install -y chromium (or set CHROMIUM)');
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// watch records console errors and uncaught page errors of a page; the
// tests require none (allow: regexps of expected ones).
export function watch(page, allow = []) {
  const errors = [];
  const ok = (text) => allow.some((re) => re.test(text));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !ok(msg.text())) errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (e) => { if (!ok(e.message)) errors.push(`page error: ${e.message}`); });
  page.on('crash', () => errors.push('the page crashed'));
  return errors;
}

export function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

// setup builds the site, starts the server and the browser; returns what
// the tests use and a teardown.
export async function setup() {
  const dir = site();
  const srv = await serve(dir);
  const b = await browser();
  return {
    dir,
    url: srv.url,
    ctx: b.ctx,
    async teardown() {
      await b.close();
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// writeNpy writes a float32 C-order .npy file.
export function writeNpy(file, data, shape) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(Float32Array.from(data).buffer);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

// readNpy reads a little-endian float32 .npy file: {shape, data}.
export function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const off = major === 1 ? 10 : 12;
  const header = b.toString('latin1', off, off + hlen);
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${file}: not little-endian float32: ${header}`);
  const shape = (header.match(/'shape':\s*\(([^)]*)\)/)[1].match(/\d+/g) || []).map(Number);
  const start = off + hlen;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
  return { shape, data };
}
