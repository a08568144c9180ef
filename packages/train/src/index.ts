/**
 * @cajal/train — training Cajal programs linked with learned networks on TensorFlow.js:
 * data (MNIST, JSON lines, CSV, .npy), extern networks built from their declared
 * architecture, the training loop, atomic weight saving, and metric history (JSON/CSV/SVG).
 */
export { DataError, encodeJsonValue, loadData, mnistDigits, parseNpy } from './data.js';
export type { DataRequest, ExampleSet, FieldColumn, FieldRequest, LoadedData, NpyArray, SplitOptions } from './data.js';
export { historyCsv, historySvg, lineChart, sideBySide, writeHistory } from './history.js';
export type { ChartOptions, EpochMetrics, Series } from './history.js';
export { buildExternNetwork, buildModel, externNetwork } from './networks.js';
export type { ExternNetwork } from './networks.js';
export { deriveSeed, permutation, seededRandom } from './random.js';
export { TrainingError, defaultWeightsDirectory, evaluateSet, findTraining, locationOf, prepareTraining, runTraining } from './trainer.js';
export type { FinalMetrics, PreparedTraining, TrainEvent, TrainOptions, TrainOverrides, TrainResult } from './trainer.js';
export { MANIFEST, loadLayersModel, linkNetworks, loadLinkedNetworks, loadNetworks, readManifest, saveLayersModel, saveNetworks } from './weights.js';
export type { LoadedNetwork, ManifestExtern, WeightsManifest } from './weights.js';
export { MIN_TORCH, PYTHON_CANDIDATES, TorchUnavailableError, findTorchPython, runTorchTraining, torchTrainerScript, writeTorchPlan } from './torch-engine.js';
export type { TorchEngineOptions, TorchPlanOptions, TorchPython } from './torch-engine.js';
