// DOM-only uses of the API (compiled by tsconfig.json, which has the DOM library).
import { load } from 'wasmnn';

export async function useDOM(img: HTMLImageElement, canvas: HTMLCanvasElement, data: ImageData, blob: Blob) {
  const m = await load(new URL('models/lenet5.wnn', location.href));
  await m.classify(img);
  await m.classify(canvas, { topK: 1 });
  await m.classify(data);
  await m.classify(new OffscreenCanvas(8, 8));
  await load(blob);
  // @ts-expect-error not an image
  await m.classify(document.body);
}
