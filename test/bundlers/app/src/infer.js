// infer loads the model at modelURL with wasmnn, runs it on the input at
// inputURL (raw little-endian float32, [1, 1, 32, 32]) and returns
// {output: the fc3 values, info: backendInfo()} or {error}.
export async function infer(wasmnn, modelURL, inputURL) {
  try {
    const [model, input] = await Promise.all([
      wasmnn.load(modelURL),
      fetch(inputURL).then((r) => r.arrayBuffer()),
    ]);
    const out = await model.run({ input: new wasmnn.Tensor('float32', new Float32Array(input), [1, 1, 32, 32]) });
    const info = wasmnn.backendInfo();
    await model.dispose();
    return { output: Array.from(out.fc3.data), info };
  } catch (e) {
    return { error: e.message };
  }
}
