// Runs @gutenye/ocr-node (PaddleOCR's models on onnxruntime-node: the OCR
// oracle of runtime/ocr's tests) on image files and prints one JSON line per
// image: {"file", "width", "height", "lines": [{"text", "score", "box"}]}.
// Boxes are [[x, y] x 4] in the pixels of the oracle's detector input (the
// image letterboxed to multiples of 32); for images whose sides are
// multiples of 32 (the tests make such images) that is the image itself.
//
//   node test/ocr/run_oracle.mjs a.png b.png ...
import sharp from 'sharp'
import Ocr from '@gutenye/ocr-node'

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: node test/ocr/run_oracle.mjs IMAGE...')
  process.exit(2)
}
const ocr = await Ocr.create()
for (const file of files) {
  const meta = await sharp(file).metadata()
  const lines = await ocr.detect(file)
  console.log(
    JSON.stringify({
      file,
      width: meta.width,
      height: meta.height,
      lines: lines.map((l) => ({ text: l.text, score: l.mean, box: l.box })),
    }),
  )
}
