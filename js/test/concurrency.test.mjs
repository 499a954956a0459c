// Calls are queued: Promise.all over many runs equals running them one by
// one, also with two models at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as wasmnn from '../wasmnn.js';
import { buildFixture, firstBitDifference, randomFloats, requireBuilt, tempDir } from '../testlib/helpers.mjs';

let tmp;
let lenet;
let r18;

before(async () => {
  requireBuilt();
  tmp = await tempDir();
  [lenet, r18] = await Promise.all([
    buildFixture(tmp.dir, 'lenet5').then((p) => wasmnn.load(p)),
    buildFixture(tmp.dir, 'r18').then((p) => wasmnn.load(p)),
  ]);
});

after(async () => {
  await Promise.all([lenet && lenet.dispose(), r18 && r18.dispose()]);
  if (tmp) await tmp.cleanup();
});

const tensor = (model, seed) => {
  const dims = [...model.inputs[0].dims];
  return new wasmnn.Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), seed), dims);
};

function assertSame(got, want, what) {
  assert.deepEqual(Object.keys(got), Object.keys(want));
  for (const name of Object.keys(want)) {
    const i = firstBitDifference(got[name].data, want[name].data);
    assert.equal(i, -1, `${what}: output ${name}[${i}] differs`);
  }
}

test('Promise.all over 20 runs equals sequential runs', async () => {
  const xs = Array.from({ length: 20 }, (_, i) => tensor(lenet, 100 + i));
  const seq = [];
  for (const x of xs) seq.push(await lenet.run({ input: x }));
  const par = await Promise.all(xs.map((x) => lenet.run({ input: x })));
  par.forEach((out, i) => assertSame(out, seq[i], `run ${i}`));
  assert.equal(firstBitDifference(seq[0].fc3.data, seq[1].fc3.data) >= 0, true, 'different inputs give different outputs');
  const outs = new Set(par.map((o) => o.fc3.data.buffer));
  assert.equal(outs.size, 20, 'every run returns its own buffers');
});

test('two models at once, interleaved', async () => {
  const lx = Array.from({ length: 6 }, (_, i) => tensor(lenet, 200 + i));
  const rx = Array.from({ length: 3 }, (_, i) => tensor(r18, 300 + i));
  const lseq = [];
  for (const x of lx) lseq.push(await lenet.run({ input: x }));
  const rseq = [];
  for (const x of rx) rseq.push(await r18.run({ input: x }));
  const jobs = [];
  for (let i = 0; i < 6; i++) {
    jobs.push(lenet.run({ input: lx[i] }).then((o) => ['l', i, o]));
    if (i % 2 === 0) jobs.push(r18.run({ input: rx[i / 2] }).then((o) => ['r', i / 2, o]));
  }
  jobs.push(lenet.runProfiled({ input: lx[0] }).then((o) => ['p', 0, o.outputs]));
  for (const [kind, i, out] of await Promise.all(jobs)) {
    if (kind === 'r') assertSame(out, rseq[i], `resnet18 run ${i}`);
    else assertSame(out, lseq[i], `lenet5 run ${i}`);
  }
});

test('loads and runs started together', async () => {
  const x = tensor(lenet, 400);
  const want = await lenet.run({ input: x });
  const bytes = await import('node:fs/promises').then((fs) => fs.readFile(`${tmp.dir}/lenet5.wnn`));
  const [a, b] = await Promise.all([wasmnn.load(bytes), wasmnn.load(bytes)]);
  const [oa, ob, oc] = await Promise.all([a.run({ input: x }), b.run({ input: x }), lenet.run({ input: x })]);
  assertSame(oa, want, 'model a');
  assertSame(ob, want, 'model b');
  assertSame(oc, want, 'the first model');
  await Promise.all([a.dispose(), b.dispose()]);
});
