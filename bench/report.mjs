#!/usr/bin/env node
// report.mjs: the Markdown summary under the bench table: the conv
// algorithm comparison on ResNet-18's 3x3 layers and the targets of issues 4
// and 8, each with the measured figure and whether it is met.
//
// usage: node bench/report.mjs --results bench/results.json [--algo bench/results-algo.json]
//          [--simd-wasm js/dist/wasmnn-simd.wasm]

import fs from 'node:fs';

function args(argv) {
  const o = { results: '', algo: '', 'simd-wasm': '' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = argv[i + 1];
  }
  if (!o.results) throw new Error('usage: report.mjs --results FILE [--algo FILE] [--simd-wasm FILE]');
  return o;
}

const read = (f) => (f && fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : []);
const ok = (r) => r && !r.error && r.median_ms > 0;
const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');
const yes = (b) => (b === undefined ? 'not measured' : b ? '**met**' : '**not met**');

function main() {
  const o = args(process.argv.slice(2));
  const results = read(o.results);
  const algo = read(o.algo);
  const get = (c, rt) => results.find((r) => r.case === c && r.runtime === rt && ok(r));
  const out = [];

  // Algorithm comparison.
  const s1 = [...new Set(algo.map((r) => r.case))].filter((c) => /^resnet18\/3x3_/.test(c));
  const algoRTs = [...new Set(algo.map((r) => r.runtime))];
  const speedups = {};
  if (s1.length) {
    out.push('### Winograd F(4x4,3x3) vs im2col on ResNet-18\'s 3x3 stride-1 layers', '');
    out.push('Forced per run with `--algo` (Go) or `load(..., {algo})` (JS). Median ms (effective GFLOP/s: ' +
      'direct-convolution FLOPs over time).', '');
    out.push('| case | runtime | im2col | winograd2 | winograd4 | winograd4 speedup over im2col |');
    out.push('|---|---|---:|---:|---:|---:|');
    for (const rt of algoRTs) {
      let sumI = 0;
      let sumW = 0;
      let all = true;
      for (const c of s1) {
        const pick = (a) => algo.find((r) => r.case === c && r.runtime === rt && r.algo === a && ok(r));
        const [i, w2, w4] = [pick('im2col'), pick('winograd2'), pick('winograd4')];
        const cell = (r) => (r ? `${fmt(r.median_ms)} (${fmt(r.gflops, 1)})` : '–');
        out.push(`| ${c} | ${rt} | ${cell(i)} | ${cell(w2)} | ${cell(w4)} | ${i && w4 ? fmt(i.median_ms / w4.median_ms) + 'x' : '–'} |`);
        if (i && w4) { sumI += i.median_ms; sumW += w4.median_ms; } else all = false;
      }
      if (all && sumW > 0) {
        speedups[rt] = sumI / sumW;
        out.push(`| all ${s1.length} | ${rt} | ${fmt(sumI)} | | ${fmt(sumW)} | ${fmt(sumI / sumW)}x |`);
      }
    }
    out.push('');
  }

  // Targets.
  const rows = [];
  const model = 'model/resnet18';
  const ratio = (ours, peers) => {
    const a = get(model, ours);
    const best = peers.map((p) => get(model, p)).filter(Boolean).sort((x, y) => x.median_ms - y.median_ms)[0];
    if (!a || !best) return null;
    return { a, best, r: a.median_ms / best.median_ms };
  };
  for (const [where, ours, peers] of [['Node', 'node-simd', ['tfjs-wasm', 'ort-web']],
    ['Chromium', 'chromium-simd', ['chromium-tfjs-wasm', 'chromium-ort-web']]]) {
    const q = ratio(ours, peers);
    rows.push([`8: ResNet-18 batch 1, one thread, in ${where}: wasmnn (SIMD) ≤ 0.75x the fastest of tfjs-wasm and ORT-web`,
      q ? `${fmt(q.a.median_ms, 1)} ms vs ${fmt(q.best.median_ms, 1)} ms (${q.best.runtime}): ${fmt(q.r)}x` : '–',
      yes(q ? q.r <= 0.75 : undefined)]);
  }
  for (const rt of ['node-simd', 'chromium-simd']) {
    const layers = results.filter((r) => r.runtime === rt && /^resnet18\/3x3/.test(r.case) && ok(r));
    if (!layers.length) continue;
    const s1l = layers.filter((r) => /^resnet18\/3x3_/.test(r.case));
    const min1 = Math.min(...s1l.map((r) => r.gflops));
    const per = s1l.map((r) => `${r.case.replace('resnet18/', '')} ${fmt(r.gflops, 1)}`).join(', ');
    // Aggregate: total direct-conv FLOPs over total time.
    const flops = layers.reduce((s, r) => s + r.gflops * r.median_ms, 0);
    const ms = layers.reduce((s, r) => s + r.median_ms, 0);
    rows.push([`8: ResNet-18's 3x3 stride-1 layers ≥ 30 effective GFLOP/s (${rt})`,
      `slowest ${fmt(min1, 1)} GFLOP/s (${per})`, yes(s1l.length ? min1 >= 30 : undefined)]);
    rows.push([`8: all of ResNet-18's 3x3 layers (stride 1 and 2) together ≥ 30 GFLOP/s (${rt})`,
      `${fmt(flops / ms, 1)} GFLOP/s`, yes(flops / ms >= 30)]);
  }
  if (o['simd-wasm'] && fs.existsSync(o['simd-wasm'])) {
    const n = fs.statSync(o['simd-wasm']).size;
    rows.push(['8: wasmnn-simd.wasm < 64 KB', `${n} bytes (${fmt(n / 1024, 1)} KB)`, yes(n < 64 * 1024)]);
  }
  for (const rt of ['node-simd', 'node', 'wazero']) {
    if (speedups[rt] === undefined) continue;
    rows.push([`4: Winograd F(4x4,3x3) ≥ 2x im2col on ResNet-18's 3x3 layers, wasm build (${rt})`,
      `${fmt(speedups[rt])}x (total time over the ${s1.length} stride-1 layers)`, yes(speedups[rt] >= 2)]);
  }
  for (const rt of ['node', 'wazero']) {
    const a = get(model, rt);
    const t = get(model, 'tfjs-wasm-nosimd');
    if (!a) continue;
    rows.push([`4: pure-Go wasm ResNet-18 (${rt}) within 2x of tfjs-wasm without SIMD`,
      t ? `${fmt(a.median_ms, 1)} ms vs ${fmt(t.median_ms, 1)} ms: ${fmt(a.median_ms / t.median_ms)}x` : '–',
      yes(t ? a.median_ms / t.median_ms <= 2 : undefined)]);
  }
  for (const [nat, wasm] of [['native-1t', 'node'], ['native-1t', 'wazero'], ['native-1t', 'node-simd']]) {
    const a = get(model, nat);
    const b = get(model, wasm);
    if (!a || !b) continue;
    rows.push([`4: native Go (${nat}) at least as fast as the wasm build (${wasm}) on ResNet-18`,
      `${fmt(a.median_ms, 1)} ms vs ${fmt(b.median_ms, 1)} ms`, yes(a.median_ms <= b.median_ms)]);
  }
  out.push('### Targets', '', '| issue: target | measured | |', '|---|---|---|');
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
}

main();
