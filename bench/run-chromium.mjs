#!/usr/bin/env node
// run-chromium.mjs: the browser side of `make bench`. It serves the
// repository root with `wasmnn serve`, opens bench/chromium.html in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core, a fresh
// profile per runtime) and measures every case of the suite there, one
// thread, on:
//
//   chromium-simd        wasmnn.wasm through the JS API, SIMD kernels on
//   chromium-tfjs-wasm   TensorFlow.js, wasm backend, SIMD, no threads
//   chromium-ort-web     ONNX Runtime Web, wasm backend, numThreads 1 (SIMD)
//
// and with two threads (issue 17; the pages are cross-origin isolated, as
// wasmnn serve sends COOP and COEP): chromium-simd-2t (wasmnn, threads: 2)
// and chromium-ort-web-2t (numThreads 2).
//
// (and "chromium": wasmnn with {simd: false}, when asked for). The suite
// directory must lie inside the repository (bench/run.sh writes bench/suite).
// Results are written like run-node.mjs's.
//
// usage: node bench/run-chromium.mjs --suite DIR --out FILE
//          [--runtimes chromium-simd,chromium-tfjs-wasm,chromium-ort-web]
//          [--reps 7] [--warmup 2] [--model-reps 3] [--model-warmup 1] [--max-seconds 20] [--filter S1,S2]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { crossCheck, formatResult } from './runtimes.mjs';
import { parseOptions } from './args.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const require = createRequire(import.meta.url);
const BIN = process.env.WASMNN_BIN || path.join(root, 'bin', 'wasmnn');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function parseArgs(argv) {
  const o = parseOptions(argv, {
    suite: '', out: '', runtimes: 'chromium-simd,chromium-tfjs-wasm,chromium-ort-web', reps: 7, warmup: 2,
    modelReps: 3, modelWarmup: 1, maxSeconds: 20, filter: '',
  });
  if (!o.suite || !o.out) throw new Error('usage: run-chromium.mjs --suite DIR --out FILE [options]');
  return o;
}

// serve starts `wasmnn serve` on a free port over the repository root.
function serve(dir) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { p.kill(); reject(new Error(`wasmnn serve printed no URL: ${out}`)); }, 20000);
    p.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/at (http:\/\/[^\s]+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => new Promise((r) => { if (p.exitCode !== null) r(); else { p.once('exit', r); p.kill('SIGINT'); } }) });
      }
    });
    p.stderr.on('data', (b) => { out += b; });
    p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`wasmnn serve exited (${code}): ${out}`)); });
  });
}

async function launch() {
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmnn-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { ctx, close: async () => { await ctx.close(); fs.rmSync(profile, { recursive: true, force: true }); } };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const suite = path.resolve(o.suite);
  const rel = path.relative(root, suite);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`the suite ${suite} must lie inside ${root}`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium, or set CHROMIUM)`);
  const index = JSON.parse(fs.readFileSync(path.join(suite, 'index.json'), 'utf8'));
  const subs = o.filter.split(',').filter(Boolean);
  const cases = subs.length ? index.filter((e) => subs.some((s) => e.name.includes(s))) : index;
  const srv = await serve(root);
  const info = {};
  const results = [];
  const suiteURL = '/' + rel.split(path.sep).join('/') + '/';
  const opts = { reps: o.reps, warmup: o.warmup, modelReps: o.modelReps, modelWarmup: o.modelWarmup, maxSeconds: o.maxSeconds };
  // One browser per runtime, all open at once; each case is measured on
  // every runtime in turn, so that a case's figures are taken close together
  // in time (the machine is shared: its load changes over minutes).
  const pages = [];
  try {
    for (const name of o.runtimes.split(',').filter(Boolean)) {
      const b = await launch();
      const p = { name, b, failed: '' };
      pages.push(p);
      try {
        p.page = await b.ctx.newPage();
        p.page.on('pageerror', (e) => console.log(`${name}: page error: ${e.message}`));
        p.page.on('console', (m) => { if (m.type() === 'error') console.log(`${name}: console: ${m.text()}`); });
        p.page.on('crash', () => { p.failed = 'the page crashed'; });
        await p.page.goto(srv.url + 'bench/chromium.html');
        await p.page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
        info[name] = await p.page.evaluate((n) => window.benchStart(n), name);
        info[name].chromium = b.ctx.browser() ? b.ctx.browser().version() : '';
      } catch (err) {
        p.failed = err.message.split('\n')[0];
        info[name] = { ...(info[name] || {}), error: p.failed };
        console.log(`${name}: ${p.failed}`);
      }
    }
    for (const e of cases) {
      for (const p of pages) {
        let r;
        if (p.failed) {
          r = { case: e.name, runtime: p.name, median_ms: 0, gflops: 0, error: p.failed };
        } else {
          try {
            r = await p.page.evaluate(([entry, url, op]) => window.benchCase(entry, url, op), [e, suiteURL, opts]);
          } catch (err) {
            r = { case: e.name, runtime: p.name, median_ms: 0, gflops: 0, error: String(err.message).split('\n')[0] };
            if (/Target (page|closed)|crash/i.test(r.error)) p.failed = r.error;
          }
        }
        console.log(formatResult(r));
        results.push(r);
      }
    }
  } finally {
    for (const p of pages) await p.b.close().catch(() => {});
    await srv.stop();
  }
  crossCheck(results, ['chromium-ort-web'], console.log);
  const clean = results.map(({ check, ...r }) => r);
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify(clean, null, 2) + '\n');
  fs.writeFileSync(o.out.replace(/\.json$/, '') + '.info.json', JSON.stringify({ runtimes: info }, null, 2) + '\n');
}

await main();
