// png.mjs: a small PNG decoder for the tests (the wasm module leaves image
// decoders out: in Node, images reach it as RGBA pixels). It reads what Go's
// image/png writes for the test images: 8-bit grey, grey+alpha, RGB or RGBA,
// not interlaced.
import { inflateSync } from 'node:zlib';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** decodePNG returns {data: Uint8ClampedArray (RGBA), width, height}. */
export function decodePNG(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (SIGNATURE.some((v, i) => b[i] !== v)) throw new Error('decodePNG: not a PNG file');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat = [];
  for (let off = 8; off + 8 <= b.length;) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(...b.subarray(off + 4, off + 8));
    const data = b.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(off + 8);
      height = dv.getUint32(off + 12);
      const [depth, color, , , interlace] = data.subarray(8, 13);
      channels = CHANNELS[color];
      if (depth !== 8 || !channels || interlace !== 0) {
        throw new Error(`decodePNG: unsupported PNG (bit depth ${depth}, colour type ${color}, interlace ${interlace})`);
      }
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = px.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const up = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let v = line[i];
      switch (filter) {
        case 0: break;
        case 1: v += a; break;
        case 2: v += up; break;
        case 3: v += (a + up) >> 1; break;
        case 4: {
          const p = a + up - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
          break;
        }
        default: throw new Error(`decodePNG: bad filter ${filter} on row ${y}`);
      }
      out[i] = v;
    }
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const g = channels <= 2;
    rgba[4 * i] = px[j];
    rgba[4 * i + 1] = g ? px[j] : px[j + 1];
    rgba[4 * i + 2] = g ? px[j] : px[j + 2];
    rgba[4 * i + 3] = channels === 2 ? px[j + 1] : channels === 4 ? px[j + 3] : 255;
  }
  return { data: rgba, width, height };
}
