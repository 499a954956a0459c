// tfjs-graph.mjs: rebuilds an ONNX graph (as parsed by onnx-lite.mjs) in
// TensorFlow.js, with the same weights, for the benchmark's "tfjs-wasm"
// runtime. Every case of the suite, single layers and whole models, goes
// through this one translator, so tfjs computes exactly the graph that
// wasmnn and ONNX Runtime Web run.
//
// Layout: TensorFlow.js's wasm backend implements convolutions and pooling
// channels-last only (NHWC; NWC for 1D, NDHWC for 3D), so activations are
// kept channels-last. The input is given to tfjs already channels-last (the
// conversion is done once, before timing) and the output is converted back
// to channels-first only to compare it with the other runtimes (after
// timing). Weights are transposed once at build time (OIHW -> HWIO, depthwise
// -> HW C 1, Gemm B -> [K, N]).
//
// What an inference converter would do is done here too: BatchNormalization
// after a Conv is folded into the Conv's weights and bias, and a Relu that
// follows a Conv or Gemm is fused into it (tf.fused.conv2d,
// tf.fused.depthwiseConv2d, tf.fused.matMul). A 1D Conv runs as a 2D Conv
// of height 1 (what tf.conv1d does). A 3D Conv runs as tf.conv3d plus a bias
// add (tfjs has no fused 3D conv, and conv3d takes only 'same' or 'valid'
// padding). MaxPool's ceil_mode is expressed as extra end padding (max pooling
// ignores padded cells).

// perm4 etc. map channels-first to channels-last.
const TO_CL = { 3: [0, 2, 1], 4: [0, 2, 3, 1], 5: [0, 2, 3, 4, 1] };
const TO_CF = { 3: [0, 2, 1], 4: [0, 3, 1, 2], 5: [0, 4, 1, 2, 3] };

function product(a) { return a.reduce((x, y) => x * y, 1); }

/** transposeData permutes a dense row-major array of shape `shape` by `perm`. */
export function transposeData(data, shape, perm) {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) { inStrides[i] = s; s *= shape[i]; }
  const out = new Float32Array(data.length);
  const idx = new Array(rank).fill(0);
  const stride = perm.map((p) => inStrides[p]);
  for (let o = 0; o < out.length; o++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += idx[d] * stride[d];
    out[o] = data[off];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** toChannelsLast converts NC... data to N...C (a no-op below rank 3). */
export function toChannelsLast(data, shape) {
  const perm = TO_CL[shape.length];
  return perm ? transposeData(data, shape, perm) : { data, shape };
}

/** toChannelsFirst converts N...C data back to NC... */
export function toChannelsFirst(data, shape) {
  const perm = TO_CF[shape.length];
  return perm ? transposeData(data, shape, perm) : { data, shape };
}

function unsupported(msg) {
  const e = new Error(`tfjs-graph: ${msg}`);
  e.unsupported = true;
  return e;
}

/**
 * buildTfjsGraph returns {inputs: [{name, shape (channels-last)}],
 * output: {name}, run(feeds: {name: tf.Tensor}) -> tf.Tensor (channels-last),
 * dispose()} for the ONNX graph g. Throws an Error with .unsupported for
 * ops or attributes tfjs cannot express.
 */
export function buildTfjsGraph(tf, g) {
  const consumers = new Map();
  for (const n of g.nodes) {
    for (const i of n.inputs) consumers.set(i, (consumers.get(i) || []).concat([n]));
  }
  for (const o of g.outputs) consumers.set(o.name, (consumers.get(o.name) || []).concat([null]));
  const only = (name) => {
    const c = consumers.get(name) || [];
    return c.length === 1 ? c[0] : null;
  };
  const init = (name) => g.initializers.get(name);
  // clipBounds is a Clip's [min, max]: attributes before opset 11, optional
  // inputs (initializers) after.
  const clipBounds = (n) => {
    const bound = (i, attr, dflt) => {
      if (n.attrs[attr] !== undefined) return n.attrs[attr];
      const name = n.inputs[i];
      return name ? init(name).data[0] : dflt;
    };
    return [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
  };
  const kept = []; // weight tensors, disposed by dispose()
  const keep = (t) => { kept.push(t); return t; };

  // Static shapes (channels-first, as ONNX sees them) for the values, to
  // resolve Flatten and pooling geometry at build time.
  const cfShape = new Map(g.inputs.map((vi) => [vi.name, vi.shape]));
  const steps = [];
  const skip = new Set();

  for (const n of g.nodes) {
    if (skip.has(n)) continue;
    const a = n.attrs;
    const x = n.inputs[0];
    const xs = cfShape.get(x);
    switch (n.opType) {
      case 'Conv': {
        const wT = init(n.inputs[1]);
        if (!wT) throw unsupported('Conv with non-constant weights');
        const k = wT.dims.slice(2);
        const nsp = k.length;
        const M = wT.dims[0];
        const C = xs[1];
        const group = a.group || 1;
        const strides = a.strides || new Array(nsp).fill(1);
        const dil = a.dilations || new Array(nsp).fill(1);
        const pads = a.pads || new Array(2 * nsp).fill(0);
        if (a.auto_pad && a.auto_pad !== 'NOTSET') throw unsupported(`Conv auto_pad ${a.auto_pad}`);
        let w = wT.data;
        let bias = n.inputs[2] ? Float32Array.from(init(n.inputs[2]).data) : new Float32Array(M);
        let out = n.outputs[0];
        // Fold a following BatchNormalization into the weights and bias.
        let next = only(out);
        if (next && next.opType === 'BatchNormalization' && next.inputs.slice(1).every((i) => init(i))) {
          const [sc, b, mean, v] = next.inputs.slice(1).map((i) => init(i).data);
          const eps = next.attrs.epsilon ?? 1e-5;
          w = Float32Array.from(w);
          const per = w.length / M;
          for (let m = 0; m < M; m++) {
            const f = sc[m] / Math.sqrt(v[m] + eps);
            for (let i = 0; i < per; i++) w[m * per + i] *= f;
            bias[m] = (bias[m] - mean[m]) * f + b[m];
          }
          skip.add(next);
          out = next.outputs[0];
          next = only(out);
        }
        let activation = 'linear';
        if (next && next.opType === 'Relu' && nsp <= 2) {
          activation = 'relu';
          skip.add(next);
          out = next.outputs[0];
        } else if (next && next.opType === 'Clip' && nsp <= 2 && String(clipBounds(next)) === '0,6') {
          activation = 'relu6'; // MobileNetV2's ReLU6
          skip.add(next);
          out = next.outputs[0];
        }
        const outSp = xs.slice(2).map((d, i) =>
          Math.floor((d + pads[i] + pads[i + nsp] - (dil[i] * (k[i] - 1) + 1)) / strides[i]) + 1);
        cfShape.set(out, [xs[0], M, ...outSp]);
        const biasT = keep(tf.tensor1d(bias));
        if (nsp === 2 || nsp === 1) {
          // 1D runs as 2D with height 1.
          const kh = nsp === 2 ? k[0] : 1;
          const kw = nsp === 2 ? k[1] : k[0];
          const st = nsp === 2 ? strides : [1, strides[0]];
          const dl = nsp === 2 ? dil : [1, dil[0]];
          const pad = nsp === 2
            ? [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]]
            : [[0, 0], [0, 0], [pads[0], pads[1]], [0, 0]];
          const w4shape = [M, C / group, kh, kw];
          let conv;
          if (group === 1) {
            const f = keep(tf.tensor(transposeData(w, w4shape, [2, 3, 1, 0]).data, [kh, kw, C, M]));
            conv = (t) => tf.fused.conv2d({ x: t, filter: f, strides: st, pad, dilations: dl, bias: biasT, activation });
          } else if (group === C && M === C) {
            const f = keep(tf.tensor(transposeData(w, w4shape, [2, 3, 0, 1]).data, [kh, kw, C, 1]));
            conv = (t) => tf.fused.depthwiseConv2d({ x: t, filter: f, strides: st, pad, dilations: dl, bias: biasT,
              activation });
          } else {
            throw unsupported(`grouped Conv (group ${group}, ${C} -> ${M} channels)`);
          }
          if (nsp === 2) {
            steps.push((v) => v.set(out, conv(v.get(x))));
          } else {
            steps.push((v) => {
              const t = v.get(x);
              const y = conv(tf.reshape(t, [t.shape[0], 1, t.shape[1], t.shape[2]]));
              v.set(out, tf.reshape(y, [y.shape[0], y.shape[2], y.shape[3]]));
            });
          }
        } else if (nsp === 3) {
          if (group !== 1) throw unsupported('grouped 3D Conv');
          if (dil.some((d) => d !== 1)) throw unsupported('dilated 3D Conv');
          let pad;
          if (pads.every((p) => p === 0)) pad = 'valid';
          else if (strides.every((s) => s === 1) && k.every((kk, i) => pads[i] === (kk - 1) / 2 && pads[i + 3] === pads[i])) pad = 'same';
          else throw unsupported(`3D Conv pads [${pads}] (tf.conv3d takes only 'same' or 'valid')`);
          const f = keep(tf.tensor(transposeData(w, wT.dims, [2, 3, 4, 1, 0]).data, [k[0], k[1], k[2], C, M]));
          steps.push((v) => {
            let y = tf.add(tf.conv3d(v.get(x), f, strides, pad), biasT);
            if (activation === 'relu') y = tf.relu(y);
            v.set(out, y);
          });
        } else {
          throw unsupported(`${nsp}D Conv`);
        }
        break;
      }
      case 'BatchNormalization': {
        const [sc, b, mean, v] = n.inputs.slice(1).map((i) => keep(tf.tensor1d(init(i).data)));
        const eps = a.epsilon ?? 1e-5;
        cfShape.set(n.outputs[0], xs);
        steps.push((vals) => vals.set(n.outputs[0], tf.batchNorm(vals.get(x), mean, v, b, sc, eps)));
        break;
      }
      case 'Relu':
        cfShape.set(n.outputs[0], xs);
        steps.push((v) => v.set(n.outputs[0], tf.relu(v.get(x))));
        break;
      case 'Clip': {
        const [lo, hi] = clipBounds(n);
        cfShape.set(n.outputs[0], xs);
        steps.push((v) => v.set(n.outputs[0], tf.clipByValue(v.get(x), lo, hi)));
        break;
      }
      case 'Add':
        cfShape.set(n.outputs[0], xs);
        steps.push((v) => v.set(n.outputs[0], tf.add(v.get(x), v.get(n.inputs[1]))));
        break;
      case 'Identity':
      case 'Dropout':
        cfShape.set(n.outputs[0], xs);
        steps.push((v) => v.set(n.outputs[0], v.get(x)));
        break;
      case 'Concat': {
        const shapes = n.inputs.map((i) => cfShape.get(i));
        const r = xs.length;
        let axis = a.axis < 0 ? a.axis + r : a.axis;
        const outShape = xs.slice();
        outShape[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
        cfShape.set(n.outputs[0], outShape);
        if (r >= 3) axis = TO_CF[r][axis]; // channels-first axis -> channels-last axis
        steps.push((v) => v.set(n.outputs[0], tf.concat(n.inputs.map((i) => v.get(i)), axis)));
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        if (xs.length !== 4) throw unsupported(`${xs.length - 2}D ${n.opType}`);
        const k = a.kernel_shape;
        const st = a.strides || [1, 1];
        const pads = (a.pads || [0, 0, 0, 0]).slice();
        if ((a.dilations || [1, 1]).some((d) => d !== 1)) throw unsupported(`dilated ${n.opType}`);
        const outSp = [0, 1].map((i) => {
          const span = xs[2 + i] + pads[i] + pads[i + 2] - k[i];
          let o = (a.ceil_mode ? Math.ceil(span / st[i]) : Math.floor(span / st[i])) + 1;
          // ONNX: the last window must start inside the input or the begin padding.
          if (a.ceil_mode && (o - 1) * st[i] >= xs[2 + i] + pads[i]) o--;
          // ceil_mode: extra end padding so that floor rounding gives o windows.
          if (a.ceil_mode) pads[i + 2] += Math.max(0, (o - 1) * st[i] + k[i] - (xs[2 + i] + pads[i] + pads[i + 2]));
          return o;
        });
        cfShape.set(n.outputs[0], [xs[0], xs[1], ...outSp]);
        const pad = pads.every((p) => p === 0) ? 'valid' : [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]];
        if (n.opType === 'AveragePool' && pad !== 'valid') {
          throw unsupported('padded AveragePool (tfjs counts padding differently)');
        }
        const op = n.opType === 'MaxPool' ? tf.maxPool : tf.avgPool;
        steps.push((v) => v.set(n.outputs[0], op(v.get(x), k, st, pad)));
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        if (xs.length !== 4) throw unsupported(`${n.opType} on rank ${xs.length}`);
        cfShape.set(n.outputs[0], [xs[0], xs[1], 1, 1]);
        const op = n.opType === 'GlobalAveragePool' ? tf.mean : tf.max;
        steps.push((v) => v.set(n.outputs[0], op(v.get(x), [1, 2], true)));
        break;
      }
      case 'Flatten': {
        const axis = a.axis ?? 1;
        if (axis !== 1) throw unsupported(`Flatten axis ${axis}`);
        const inner = product(xs.slice(1));
        cfShape.set(n.outputs[0], [xs[0], inner]);
        const spatial = product(xs.slice(2));
        // Channels-last data flatten in another order: go back to
        // channels-first first (unless the spatial size is 1).
        const perm = xs.length >= 3 && spatial > 1 ? TO_CF[xs.length] : null;
        steps.push((v) => {
          const t = v.get(x);
          v.set(n.outputs[0], tf.reshape(perm ? tf.transpose(t, perm) : t, [xs[0], inner]));
        });
        break;
      }
      case 'Gemm': {
        const bT = init(n.inputs[1]);
        if (!bT || a.transA || (a.alpha ?? 1) !== 1 || (a.beta ?? 1) !== 1) throw unsupported('general Gemm');
        let B = bT.data;
        let [K, N] = bT.dims;
        if (a.transB) {
          B = transposeData(B, bT.dims, [1, 0]).data;
          [K, N] = [N, K];
        }
        const bMat = keep(tf.tensor2d(B, [K, N]));
        const biasT = n.inputs[2] ? keep(tf.tensor1d(init(n.inputs[2]).data)) : undefined;
        let out = n.outputs[0];
        let activation = 'linear';
        const next = only(out);
        if (next && next.opType === 'Relu') {
          activation = 'relu';
          skip.add(next);
          out = next.outputs[0];
        }
        cfShape.set(out, [xs[0], N]);
        steps.push((v) => v.set(out, tf.fused.matMul({ a: v.get(x), b: bMat, bias: biasT, activation })));
        break;
      }
      case 'Softmax':
        cfShape.set(n.outputs[0], xs);
        steps.push((v) => v.set(n.outputs[0], tf.softmax(v.get(x))));
        break;
      default:
        throw unsupported(`op ${n.opType}`);
    }
  }
  const outName = g.outputs[0].name;
  const outCF = cfShape.get(outName);
  const outPerm = TO_CL[outCF.length];
  return {
    inputs: g.inputs.map((vi) => ({ name: vi.name, shape: TO_CL[vi.shape.length] ? TO_CL[vi.shape.length].map((p) => vi.shape[p]) : vi.shape })),
    output: { name: outName, shape: outPerm ? outPerm.map((p) => outCF[p]) : outCF },
    run(feeds) {
      return tf.tidy(() => {
        const vals = new Map(Object.entries(feeds));
        for (const s of steps) s(vals);
        return vals.get(outName);
      });
    },
    dispose() {
      for (const t of kept) t.dispose();
      kept.length = 0;
    },
  };
}
