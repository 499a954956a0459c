// Helpers for the tests in js/test (kept out of test/, whose every .mjs file
// `node --test test/` would run as a test file).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const JS_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO = dirname(JS_DIR.replace(/[\\/]$/, ''));
export const CLI = join(REPO, 'bin', 'wasmnn');
export const WASM = join(JS_DIR, 'dist', 'wasmnn.wasm');
export const WASM_EXEC = join(JS_DIR, 'dist', 'wasm_exec.js');

/**
 * requireBuilt throws unless the CLI and the wasm module have been built, so
 * that tests fail (rather than skip) on a tree where they were not.
 */
export function requireBuilt() {
  for (const f of [CLI, WASM, WASM_EXEC]) {
    if (!existsSync(f)) {
      throw new Error(`${f} is missing: run \`make build wasm\` in the repository root (${REPO}) before the JS tests`);
    }
  }
}

const run = promisify(execFile);

/** cli runs bin/wasmnn with args and resolves to its stdout. */
export async function cli(...args) {
  try {
    const { stdout } = await run(CLI, args, { maxBuffer: 64 << 20 });
    return stdout;
  } catch (e) {
    throw new Error(`wasmnn ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** tempDir makes a temporary directory; the returned function removes it. */
export async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'wasmnn-js-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Fixture models: the CLI arguments that build them. */
export const FIXTURES = {
  lenet5: ['build', 'lenet5', '--seed', '3'],
  r18: ['build', 'resnet18', '--input-size', '64'],
};

/** buildFixture writes fixture name into dir with the CLI and returns its path. */
export async function buildFixture(dir, name) {
  const path = join(dir, `${name}.wnn`);
  await cli(...FIXTURES[name], '-o', path);
  return path;
}

/**
 * randomFloats returns n deterministic pseudo-random floats in [-2, 2)
 * (mulberry32 seeded with seed).
 */
export function randomFloats(n, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 2;
  }
  return out;
}

/** firstBitDifference returns the first index where two Float32Arrays differ bitwise, or -1. */
export function firstBitDifference(a, b) {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

// ---------------------------------------------------------------- .npy

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * encodeNpy returns the bytes of a version 1.0 .npy file holding data
 * ('<f4', C order) with shape dims, its header padded so the data start at a
 * multiple of 64 bytes, as numpy writes it.
 */
export function encodeNpy(dims, data) {
  if (!(data instanceof Float32Array)) throw new TypeError('encodeNpy: data must be a Float32Array');
  const n = dims.reduce((x, y) => x * y, 1);
  if (n !== data.length) throw new RangeError(`encodeNpy: dims [${dims}] need ${n} values, got ${data.length}`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  header += ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + header.length + 4 * n);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < n; i++) dv.setFloat32(4 * i, data[i], true);
  return out;
}

/** decodeNpy reads a little-endian float32 C-order .npy file (versions 1-3). */
export function decodeNpy(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < 10 || MAGIC.some((m, i) => b[i] !== m)) throw new Error('decodeNpy: not a .npy file');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const major = b[6];
  let hlen;
  let start;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    hlen = dv.getUint32(8, true);
    start = 12;
  } else {
    throw new Error(`decodeNpy: unsupported version ${major}`);
  }
  if (start + hlen > b.length) throw new Error('decodeNpy: truncated header');
  const header = new TextDecoder().decode(b.subarray(start, start + hlen));
  const descr = header.match(/'descr'\s*:\s*'([^']*)'/);
  if (!descr || descr[1] !== '<f4') throw new Error(`decodeNpy: want dtype '<f4', header ${header.trim()}`);
  if (!/'fortran_order'\s*:\s*False/.test(header)) throw new Error('decodeNpy: want C order');
  const shape = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
  if (!shape) throw new Error(`decodeNpy: no shape in ${header.trim()}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = dims.reduce((x, y) => x * y, 1);
  const off = start + hlen;
  if (b.length - off !== 4 * n) throw new Error(`decodeNpy: shape (${dims}) needs ${4 * n} data bytes, file has ${b.length - off}`);
  const data = new Float32Array(n);
  const ddv = new DataView(b.buffer, b.byteOffset + off, 4 * n);
  for (let i = 0; i < n; i++) data[i] = ddv.getFloat32(4 * i, true);
  return { dims, data };
}

export async function writeNpy(path, dims, data) {
  await writeFile(path, encodeNpy(dims, data));
}

export async function readNpy(path) {
  return decodeNpy(await readFile(path));
}

/**
 * cliRun runs `wasmnn run model --input name=x.npy ... --out dir` on inputs
 * ({name: {dims, data}}) and resolves to its outputs {name: {dims, data}}.
 */
export async function cliRun(model, inputs, dir, extra = []) {
  const args = ['run', model];
  for (const [name, { dims, data }] of Object.entries(inputs)) {
    const p = join(dir, `in-${name}.npy`);
    await writeNpy(p, dims, data);
    args.push('--input', `${name}=${p}`);
  }
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  await cli(...args, '--out', out, ...extra);
  return { dir: out, read: (name) => readNpy(join(out, `${name}.npy`)) };
}

// ---------------------------------------------------------------- PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** encodePNG returns an 8-bit RGBA PNG of {data, width, height} (deflate from node:zlib). */
export async function encodePNG({ data, width, height }) {
  const { deflateSync } = await import('node:zlib');
  const raw = new Uint8Array(height * (1 + 4 * width));
  for (let y = 0; y < height; y++) {
    raw.set(data.subarray(4 * width * y, 4 * width * (y + 1)), y * (1 + 4 * width) + 1); // filter byte 0
  }
  const chunk = (type, body) => {
    const out = new Uint8Array(12 + body.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(body, 8);
    dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter method, no interlace
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * digitImage draws a dark, anti-aliased ring (a "0") or bar (a "1") on light
 * paper: {data: Uint8ClampedArray RGBA, width, height}, opaque.
 */
export function digitImage(kind, width, height) {
  const data = new Uint8ClampedArray(4 * width * height);
  const cx = width / 2;
  const cy = height / 2;
  const r = Math.min(width, height) * 0.3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const d = kind === 'ring' ? Math.abs(Math.hypot(dx / 0.7, dy) - r) : Math.abs(dx);
      const ink = Math.max(0, Math.min(1, (r * 0.25 - d) / 1.5 + 0.5)) * (Math.abs(dy) < r * 1.2 ? 1 : 0);
      const v = Math.round(250 - 230 * ink);
      data.set([v, v, v, 255], 4 * (y * width + x));
    }
  }
  return { data, width, height };
}
