/**
 * @cajal/train — training Cajal programs linked with learned networks on TensorFlow.js:
 * data (MNIST, JSON lines, CSV, .npy), extern networks built from their declared
 * architecture, the training loop, atomic weight saving, and metric history (JSON/CSV/SVG).
 */

// Running a train block.
export { TrainingError, defaultWeightsDirectory, divergedMessage, keptMessage, evaluateSet, evaluationSteps, runTraining } from './trainer.js';
export { findTraining, locationOf, prepareTraining } from './prepare-training.js';
export { programOnExamples } from './batches.js';
export { batchLoss, clipByGlobalNorm, lossOf, qualitySum, softmaxCrossEntropyAndCorrect } from './losses.js';
export type { BatchLoss } from './losses.js';
export type { FinalMetrics, RunTrainingOptions, TrainEvent, TrainOptions, TrainOverrides, TrainResult } from './trainer.js';
export type { PreparedTraining } from './prepare-training.js';
// Adam in one WebAssembly SIMD pass per variable, bit-identical to tf.train.adam (what runTraining uses).
export { FusedAdam } from './adam.js';
// mlp and linear networks as one op with a hand-written backward pass (what extern networks use).
export { denseLayersOf, denseStack, useFusedDenseOnWasm } from './dense.js';
export type { DenseActivation, DenseLayer } from './dense.js';
// conv2d and its gradients on tfjs-WASM: our direct SIMD kernels where they take the shape, else XNNPACK-backed (what runTraining registers on WASM).
export { directConvPasses, ensureConv2dGradientsOnWasm, useDirectConvOnWasm } from './wasm-conv.js';
export { CORRELATION_FILTER_GRADIENT_KERNEL, CORRELATION_KERNEL, useWasmCorrelationKernels, wasmCorrelationAvailable } from './wasm-correlation.js';

// Data: loading, checking against the fields' types, and the seeded draws every engine must repeat.
export { DataError, encodeJsonValue, loadData, mnistDigits } from './data.js';
// Full MNIST from the original IDX files: where it is looked for, and the reader.
export { findMnist, MNIST_ENVIRONMENT_VARIABLE, MNIST_FILES, mnistSearchPath, parseIdx } from './data.js';
export type { IdxArray, MnistDigits } from './data.js';
export type { DataRequest, ExampleSet, FieldColumn, FieldRequest, LoadedData, SplitOptions } from './data.js';
export { deriveSeed, permutation, seededRandom } from './random.js';

// Extern networks from their architectures, and the weights format they are saved in.
export { buildExternNetwork, buildModel, externNetwork, perImageCorrelation } from './networks.js';
export type { ExternNetwork } from './networks.js';
export { MANIFEST, loadLayersModel, linkNetworks, loadLinkedNetworks, loadNetworks, readManifest, saveLayersModel, saveNetworks } from './weights.js';
export { WeightsFileError, confinedPath } from './weights.js';
export type { LoadedNetwork, ManifestExtern, WeightsManifest } from './weights.js';
// A weights folder as the tool's own: its record of what it wrote, its lock, its writability.
export { FOLDER_RECORD, LOCK, OWN_FILES, WeightsFolderError, openWeightsFolder } from './weights-folder.js';
export type { WeightsFolderLease } from './weights-folder.js';

// The learned neuron of an extern over discrete inputs (its matrix, for `cajal inspect`).
export { learnedMatrix } from './learned.js';

// Metric history and its charts.
export { chartGrid, historyCsv, historySvg, lineChart, sideBySide, writeHistory } from './history.js';
export type { ChartOptions, EpochMetrics, Evaluation, Series } from './history.js';

// The PyTorch engine: finding a Python with torch, and training a block there.
export { MIN_TORCH, PYTHON_CANDIDATES, TorchUnavailableError, findTorchPython } from './torch-discovery.js';
export type { TorchPython } from './torch-discovery.js';
export { runTorchTraining, torchTrainerScript, writeTorchPlan } from './torch-engine.js';
export type { TorchEngineOptions, TorchPlanOptions } from './torch-engine.js';
