// run_ort.mjs runs ONNX models with ONNX Runtime (onnxruntime-node, CPU) for
// wasmnn's oracle tests.
//
//   node test/onnx/run_ort.mjs JOBS.json
//
// JOBS.json is {"jobs": [{"model": "m.onnx", "inputs": {"x": "x.npy"},
// "outDir": "dir"}, ...]}. For each job the script loads the model, reads
// the float32 .npy inputs, runs it and writes every output as
// outDir/<index>.npy (float32, C order; integer and boolean outputs as float32
// numbers), then prints one JSON line per job:
// {"model": ..., "outputs": [{"name", "file", "shape"}]} or
// {"model": ..., "error": "..."}. It exits non-zero only if it cannot run at
// all (bad arguments, onnxruntime-node missing).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('onnxruntime-node is not installed: run `npm ci` in the repository root (' + e.message + ')');
  process.exit(3);
}

function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY') {
    throw new Error(`${path}: not a .npy file`);
  }
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${path}: want little-endian float32 in C order, header ${header}`);
  }
  const m = header.match(/'shape':\s*\(([^)]*)\)/);
  const shape = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const start = hstart + hlen;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(start + 4 * i);
  return { shape, data };
}

function writeNpy(path, shape, data) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const buf = Buffer.alloc(10 + header.length + 4 * data.length);
  buf.writeUInt8(0x93, 0);
  buf.write('NUMPY', 1, 'latin1');
  buf.writeUInt8(1, 6);
  buf.writeUInt8(0, 7);
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, 10, 'latin1');
  const off = 10 + header.length;
  for (let i = 0; i < data.length; i++) buf.writeFloatLE(data[i], off + 4 * i);
  writeFileSync(path, buf);
}

async function runJob(job) {
  const session = await ort.InferenceSession.create(job.model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const feeds = {};
  for (const [name, file] of Object.entries(job.inputs)) {
    const { shape, data } = readNpy(file);
    feeds[name] = new ort.Tensor('float32', data, shape);
  }
  const results = await session.run(feeds);
  mkdirSync(job.outDir, { recursive: true });
  const outputs = [];
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    let data = t.data;
    if (t.type !== 'float32') {
      // Integer and boolean outputs (ArgMax's int64 indices) are written as
      // float32 numbers, exact below 2**24; others are refused.
      if (!['int64', 'int32', 'uint8', 'int8', 'bool'].includes(t.type)) throw new Error(`output ${name} has type ${t.type}`);
      data = Float32Array.from(t.data, (v) => Number(v));
    }
    const file = join(job.outDir, `${i}.npy`);
    writeNpy(file, t.dims, data);
    outputs.push({ name, file, shape: t.dims });
  });
  await session.release();
  return outputs;
}

const args = process.argv.slice(2);
if (args.length !== 1) {
  console.error('usage: node run_ort.mjs JOBS.json');
  process.exit(2);
}
const { jobs } = JSON.parse(readFileSync(args[0], 'utf8'));
for (const job of jobs) {
  try {
    const outputs = await runJob(job);
    console.log(JSON.stringify({ model: job.model, outputs }));
  } catch (e) {
    console.log(JSON.stringify({ model: job.model, error: String(e && e.message ? e.message : e) }));
  }
}
