// DOM-only uses of the API (compiled by tsconfig.json, which has the DOM library).
import { load, ocr, train } from 'wasmnn';

export async function useDOM(img: HTMLImageElement, canvas: HTMLCanvasElement, data: ImageData, blob: Blob) {
  const m = await load(new URL('models/lenet5.wnn', location.href));
  await m.classify(img);
  await m.classify(canvas, { topK: 1 });
  await m.classify(data);
  await m.classify(new OffscreenCanvas(8, 8));
  await load(blob);
  const reader = await ocr.load({ det: blob, rec: new URL('rec.onnx', location.href), keys: 'keys.txt' });
  await reader.read(img);
  await reader.read(await createImageBitmap(canvas), { maxSide: 960 });
  // @ts-expect-error not an image
  await m.classify(document.body);
  const stop = new AbortController();
  const t = await train(blob, { images: [canvas, data, img], labels: [0, 1, 1], classes: 2, signal: stop.signal });
  await t.classify(canvas);
}
