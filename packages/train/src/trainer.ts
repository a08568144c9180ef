/**
 * The training loop: a `train` block's data, model, target and settings → trained extern
 * networks, with seeded shuffling, a held-out test split, metrics per epoch, cancellation
 * (the last completed epoch's weights are kept) and atomic saving after every epoch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
    ast, dim, externsUsed, shape, isDiscrete, trainingSettings, type CajalServices, type CajalType, type EvaluationSegment, type LossName, type TrainingSettings
} from '@cajal/language';
import { irChildren, type IrNode } from '@cajal/ir';
import { CompileError, OutputWriteError, ProgramCompiler, encodeNpy, writeFileAtomic, type CompileWarning, type Program } from '@cajal/compiler';
import { initBackend, releaseProgram, runProgram, type BackendPreference } from '@cajal/runtime';
import { loadData, type DataRequest, type ExampleSet, type LoadedData } from './data.js';
import { writeHistory, type EpochMetrics, type Evaluation } from './history.js';
import { buildExternNetwork, type ExternNetwork } from './networks.js';
import { deriveSeed, permutation, seededRandom } from './random.js';
import { linkNetworks, saveNetworks } from './weights.js';
import { openWeightsFolder, type WeightsFolderLease } from './weights-folder.js';
import { ensureConv2dGradientsOnWasm } from './wasm-conv.js';
import { FusedAdam } from './adam.js';

export interface TrainOverrides {
    readonly epochs?: number;
    readonly examples?: number;
    readonly test?: number;
    readonly seed?: number;
    readonly batch?: number;
    readonly lr?: number;
    /** At most this many training (and test) examples: a quick run. */
    readonly limit?: number;
}

export interface TrainOptions extends TrainOverrides {
    /** Where weights and history go; default `<file>.weights/<train name>` beside the source file. `null`: save nothing. */
    readonly weightsDirectory?: string | null;
    readonly backend?: BackendPreference;
    /** Aborting stops after the current batch; the last completed epoch's weights stay saved. */
    readonly signal?: AbortSignal;
    readonly onEvent?: (event: TrainEvent) => void;
    /** Evaluate the test set every this many epochs (and after the last); default 1. */
    readonly testEvery?: number;
    /**
     * At every test evaluation of an `evaluate` schedule, the test set's predictions are
     * written to DIR/step-N.npy (float32 [test examples, dim]), as the torch engine's option of
     * that name: for measures the engine does not compute (per-example PSNR, medians, images).
     */
    readonly predictionsDirectory?: string;
}

export type TrainEvent =
    /** weights: the directory each completed epoch is saved to (null: not saved). */
    | { event: 'start'; train: string; epochs: number; examples: number; test: number; batches: number; backend: string; parameters: number; data: string; weights: string | null }
    | { event: 'batch'; epoch: number; batch: number; batches: number; loss: number }
    | ({ event: 'epoch' } & EpochMetrics)
    /** A test-set evaluation of the block's `evaluate every …` schedule. */
    | ({ event: 'evaluation' } & Evaluation)
    | { event: 'done'; train: string; epochs: number; seconds: number; weights: string | null; final: FinalMetrics }
    | { event: 'cancelled'; train: string; epochs: number; weights: string | null };

export interface FinalMetrics {
    readonly loss: number | null;
    readonly accuracy: number | null;
    readonly psnr: number | null;
    readonly testLoss: number | null;
    readonly testAccuracy: number | null;
    readonly testPsnr: number | null;
}

export interface TrainResult {
    readonly train: string;
    /** Completed epochs. */
    readonly epochs: number;
    readonly examples: number;
    readonly seconds: number;
    readonly final: FinalMetrics;
    /** The weights directory (holding weights of the last completed epoch), or null when nothing was saved. */
    readonly weights: string | null;
    readonly history: EpochMetrics[];
    /** The evaluations of an `evaluate every …` schedule (empty without one). */
    readonly evaluations: Evaluation[];
    readonly cancelled: boolean;
    readonly backend: string;
}

/** A train block made ready: data loaded, networks built, targets computed. */
export interface PreparedTraining {
    readonly name: string;
    /** The train block (for locations in messages). */
    readonly training: ast.Training;
    readonly settings: TrainingSettings & { loss: LossName };
    readonly data: LoadedData;
    readonly networks: Map<string, ExternNetwork>;
    readonly modelType: CajalType;
    readonly discrete: boolean;
    readonly fields: ReadonlyArray<ast.Binder>;
    /** The compiled model and target (@cajal/compiler programs over the data fields, in `fields` order). */
    readonly modelProgram: Program;
    readonly targetProgram: Program;
    /** What the compiled model or target computes differently from the interpreter (ProgramCompiler.warnings). */
    readonly warnings: readonly CompileWarning[];
    /** The model's prediction [batch, dim] for a batch of field tensors: the compiled model run with the networks. */
    predict(fields: ReadonlyMap<ast.Binder, tf.Tensor>, batch: number): tf.Tensor;
    readonly trainTargets: tf.Tensor;
    readonly testTargets: tf.Tensor;
    dispose(): void;
}

export class TrainingError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'TrainingError';
    }
}

/** The default weights directory of a train block: `<file without .cajal>.weights/<name>`. */
export function defaultWeightsDirectory(sourceFile: string, train: string): string {
    const base = sourceFile.replace(/\.cajal$/, '');
    return path.join(`${base}.weights`, train);
}

/** Which examples of a set a batch holds: a range [start, end) or a list of example indices. */
type Rows = { readonly start: number; readonly end: number } | Int32Array;

/**
 * The rows of a set's fields as batch tensors [rows, ...shape], copied from the set's arrays:
 * no tensor of the whole set exists, and building a training batch records nothing on the
 * gradient tape (a tf.gather there made tfjs keep a copy of the whole set's tensor every step).
 */
function fieldTensors(set: ExampleSet, fields: readonly ast.Binder[], rows: Rows): Map<ast.Binder, tf.Tensor> {
    const result = new Map<ast.Binder, tf.Tensor>();
    for (const field of fields) {
        const column = set.fields.get(field.name)!;
        const fieldShape = shape(column.type);
        result.set(field, rowsTensor(column.data, fieldShape.reduce((a, b) => a * b, 1), fieldShape, rows));
    }
    return result;
}

/** Rows of a row-major array of `width` numbers per row, as a tensor [rows, ...rowShape]. */
function rowsTensor(data: Float32Array, width: number, rowShape: readonly number[], rows: Rows): tf.Tensor {
    if (!(rows instanceof Int32Array)) return tf.tensor(data.subarray(rows.start * width, rows.end * width), [rows.end - rows.start, ...rowShape]);
    const batch = new Float32Array(rows.length * width);
    for (let r = 0; r < rows.length; r++) batch.set(data.subarray(rows[r] * width, (rows[r] + 1) * width), r * width);
    return tf.tensor(batch, [rows.length, ...rowShape]);
}

/** A program's result as [batch, dim] (a result that does not depend on the batch is broadcast). */
function runOnBatch(program: Program, inputs: tf.Tensor[], networks: ReturnType<typeof linkNetworks>, batch: number): tf.Tensor {
    const out = runProgram(program, inputs, networks);
    return out.shape[0] === batch ? out.reshape([batch, -1]) : tf.broadcastTo(out.reshape([out.shape[0], -1]), [batch, out.size / out.shape[0]]);
}

/** The ids of the program inputs its body reads (a target often reads the labels only). */
function inputsRead(program: Program): Set<number> {
    const inputs = new Set(program.inputs.map(input => input.id));
    const read = new Set<number>();
    const visit = (node: IrNode): void => {
        if (node.op === 'var' && inputs.has(node.var.id)) read.add(node.var.id);
        irChildren(node).forEach(visit);
    };
    visit(program.body);
    return read;
}

/** The hot entry of each `width`-wide row, or undefined unless every row is exactly one-hot (one 1, the rest 0). */
function hotEntries(data: Float32Array, rows: number, width: number): Int32Array | undefined {
    const hot = new Int32Array(rows);
    for (let row = 0; row < rows; row++) {
        let found = -1;
        for (let j = 0, offset = row * width; j < width; j++) {
            const x = data[offset + j];
            if (x === 0) continue;
            if (x !== 1 || found >= 0) return undefined;
            found = j;
        }
        if (found < 0) return undefined;
        hot[row] = found;
    }
    return hot;
}

/**
 * A program (a train block's target) on every example of a set, [size, outputDim]. When every
 * input it reads holds basis vectors (labels: Bool, Nat[k], their pairs), an example's value
 * depends only on which basis vectors, so the program runs once per distinct combination seen
 * and the rows are gathered from those (AND-even: at most 100 rows for 35,000 examples);
 * otherwise it runs on every example, in chunks of 256 rows sliced from the columns. Both give
 * the same numbers (each row is the same computation); `evaluated` says how many rows ran.
 * `mode` forces a way (tests compare them).
 */
export function programOnExamples(program: Program, set: ExampleSet, fields: readonly ast.Binder[], networks: ReturnType<typeof linkNetworks>, outputDim: number, mode: 'auto' | 'every example' = 'auto'): { values: tf.Tensor; evaluated: number } {
    const shapeOfField = fields.map(field => shape(set.fields.get(field.name)!.type));
    const widthOf = (i: number) => shapeOfField[i].reduce((a, b) => a * b, 1);
    const run = (tensors: tf.Tensor[], batch: number) => runOnBatch(program, tensors, networks, batch);
    if (set.size === 0) return { values: tf.zeros([0, outputDim]), evaluated: 0 };
    const read = inputsRead(program);
    const readFields = fields.flatMap((_, i) => read.has(program.inputs[i].id) ? [i] : []);
    const hot = mode === 'auto' && program.externs.length === 0
        ? readFields.map(i => hotEntries(set.fields.get(fields[i].name)!.data, set.size, widthOf(i)))
        : undefined;
    if (hot && hot.every(h => h !== undefined)) {
        // Examples by their combination of basis vectors (the key), the first example of each kept.
        const combination = new Map<string, number>();
        const representatives: number[] = [];
        const rowOf = new Int32Array(set.size);
        for (let example = 0; example < set.size; example++) {
            const key = hot.map(h => h![example]).join(',');
            let row = combination.get(key);
            if (row === undefined) {
                row = representatives.length;
                combination.set(key, row);
                representatives.push(example);
            }
            rowOf[example] = row;
        }
        const values = tf.tidy(() => {
            const count = representatives.length;
            // The inputs it does not read get zeros (they never reach the result).
            const tensors = fields.map((field, i) => {
                if (!read.has(program.inputs[i].id)) return tf.zeros([count, ...shapeOfField[i]]);
                const column = set.fields.get(field.name)!.data;
                const width = widthOf(i);
                const rows = new Float32Array(count * width);
                representatives.forEach((example, r) => rows.set(column.subarray(example * width, (example + 1) * width), r * width));
                return tf.tensor(rows, [count, ...shapeOfField[i]]);
            });
            return tf.gather(run(tensors, count), tf.tensor1d(rowOf, 'int32'));
        });
        return { values, evaluated: representatives.length };
    }
    const chunks: tf.Tensor[] = [];
    const chunk = 256;
    for (let start = 0; start < set.size; start += chunk) {
        const end = Math.min(set.size, start + chunk);
        // The chunk's rows only, straight from the columns (uploading a whole column per chunk
        // made this quadratic in the set's size).
        chunks.push(tf.tidy(() => run(fields.map((field, i) => {
            const width = widthOf(i);
            return tf.tensor(set.fields.get(field.name)!.data.subarray(start * width, end * width), [end - start, ...shapeOfField[i]]);
        }), end - start)));
    }
    const values = tf.concat(chunks, 0);
    tf.dispose(chunks);
    return { values, evaluated: set.size };
}

/** Loads data, builds networks and computes targets for a train block (which must have no errors). */
export async function prepareTraining(training: ast.Training, services: CajalServices, options: TrainOptions = {}): Promise<PreparedTraining> {
    // Before any tensor exists, so models are built on the backend that will train them.
    const choice = await initBackend(options.backend ?? 'auto');
    if (choice.backend === 'wasm') ensureConv2dGradientsOnWasm();
    const typeOf = (node: ast.Term | ast.Binder | ast.Definition) => services.typing.TypeChecker.typeOf(node);
    const dataOption = training.options.find(ast.isDataOption);
    const model = training.options.find(ast.isModelOption)?.term;
    const target = training.options.find(ast.isTargetOption)?.term;
    if (!dataOption || !model || !target) throw new TrainingError(`train ${training.name} needs data, model and target.`);
    const base = trainingSettings(training);
    const modelType = typeOf(model);
    const discrete = isDiscrete(modelType);
    const settings = {
        ...base,
        loss: base.loss ?? (discrete ? 'cross_entropy' : 'l2'),
        ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.batch !== undefined ? { batch: options.batch } : {}),
        ...(options.lr !== undefined ? { lr: options.lr } : {}),
        ...(options.examples !== undefined ? { examples: options.examples } : {}),
        ...(options.test !== undefined ? { test: options.test } : {})
    } as TrainingSettings & { loss: LossName };

    const fields = dataOption.groups.flatMap(group => group.fields);
    const document = training.$document ?? (training.$container as ast.Module).$document;
    const baseDirectory = document ? path.dirname(document.uri.fsPath) : process.cwd();
    const request: DataRequest = {
        source: dataOption.source, file: dataOption.file, baseDirectory,
        groups: dataOption.groups.map(group => group.fields.map(field => ({ name: field.name, type: typeOf(field) })))
    };
    const limit = options.limit;
    let examples = settings.examples;
    let test = settings.test;
    if (limit !== undefined) {
        examples = Math.min(examples ?? limit, limit);
        test = Math.min(test ?? limit, limit);
    }
    const data = loadData(request, { examples, test, seed: settings.seed, pairs: settings.pairs });
    settings.examples = data.train.size;
    settings.test = data.test.size;

    // The model and target run as the compiler's programs, exactly what `cajal run` and
    // generated modules compute; the data fields are the programs' inputs.
    const compiler = new ProgramCompiler(services);
    const compile = (term: ast.Term, what: string): Program => {
        try {
            return compiler.compileTerm(term, fields, `${training.name}.${what}`);
        } catch (error) {
            if (error instanceof CompileError) throw new TrainingError(`the ${what} cannot be compiled${locationOf(error.node ?? term)}: ${error.message}`);
            throw error;
        }
    };
    const modelProgram = compile(model, 'model');
    const targetProgram = compile(target, 'target');

    const externs = [...new Set([...externsUsed(model), ...externsUsed(target)])];
    const networks = new Map<string, ExternNetwork>();
    for (const extern of externs) networks.set(extern.name, buildExternNetwork(extern, deriveSeed(settings.seed, 'init')));
    const linked = linkNetworks(networks.values());
    const run = (program: Program, tensors: ReadonlyMap<ast.Binder, tf.Tensor>, batch: number): tf.Tensor =>
        runOnBatch(program, fields.map(field => tensors.get(field)!), linked, batch);

    const computeTargets = (set: ExampleSet): tf.Tensor => programOnExamples(targetProgram, set, fields, linked, dim(modelType)).values;
    const trainTargets = computeTargets(data.train);
    const testTargets = computeTargets(data.test);

    return {
        name: training.name, training, settings, data, networks, modelType, discrete, fields, modelProgram, targetProgram,
        warnings: compiler.warnings,
        predict: (tensors, batch) => run(modelProgram, tensors, batch),
        trainTargets, testTargets,
        dispose: () => {
            tf.dispose([trainTargets, testTargets]);
            releaseProgram(modelProgram);
            releaseProgram(targetProgram);
            for (const network of networks.values()) network.model.dispose();
        }
    };
}

/** ` at FILE:LINE:COLUMN` of a node (1-based), or '' when it has no text position. */
export function locationOf(node: { readonly $cstNode?: { readonly range: { readonly start: { readonly line: number; readonly character: number } } }; readonly $container?: unknown }): string {
    const start = node.$cstNode?.range.start;
    if (!start) return '';
    let root: { $container?: unknown; $document?: { uri: { fsPath: string } } } = node;
    while (root.$container) root = root.$container as typeof root;
    const file = root.$document ? path.basename(root.$document.uri.fsPath) : undefined;
    return ` at ${file ? `${file}:` : 'line '}${start.line + 1}:${start.character + 1}`;
}

/** The mean loss of a batch [batch, dim] (python/cajal_torch.py's loss_of computes the same). */
export function lossOf(loss: LossName, prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
    switch (loss) {
        case 'cross_entropy': return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(tf.clipByValue(prediction, 1e-7, 1))), 1))) as tf.Scalar;
        // On logits, as torch.nn.CrossEntropyLoss: logSoftmax subtracts the row's log-sum-exp (stable for large logits).
        case 'softmax_cross_entropy': return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(prediction, 1)), 1))) as tf.Scalar;
        case 'l1': return tf.mean(tf.abs(tf.sub(prediction, target)));
        case 'l2': return tf.mean(tf.square(tf.sub(prediction, target)));
    }
}

/** Per-example correct predictions (discrete) or PSNR in dB (Real), summed over the batch. */
function qualitySum(discrete: boolean, prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
    if (discrete) return tf.sum(tf.cast(tf.equal(tf.argMax(prediction, 1), tf.argMax(target, 1)), 'float32'));
    const mse = tf.maximum(tf.mean(tf.square(tf.sub(prediction, target)), 1), 1e-10);
    return tf.sum(tf.mul(-10 / Math.LN10, tf.log(mse))) as tf.Scalar;
}

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_ does (factor maxNorm / (norm + 1e-6), only when below 1).
 * Returns new tensors; the caller disposes the inputs.
 */
export function clipByGlobalNorm(gradients: tf.NamedTensorMap, maxNorm: number): { gradients: tf.NamedTensorMap; norm: number } {
    const names = Object.keys(gradients);
    const norm = tf.tidy(() => names.length === 0 ? 0 : tf.sqrt(tf.addN(names.map(name => tf.sum(tf.square(gradients[name]))))).dataSync()[0]);
    const factor = Math.min(1, maxNorm / (norm + 1e-6));
    const clipped: tf.NamedTensorMap = {};
    for (const name of names) clipped[name] = factor < 1 ? tf.mul(gradients[name], factor) : tf.clone(gradients[name]);
    return { gradients: clipped, norm };
}

/** An optimiser's step over the trained variables, and its release. */
interface StepOptimizer {
    apply(gradients: tf.NamedTensorMap): void;
    dispose(): void;
}

function optimizerFor(settings: TrainingSettings, variables: readonly tf.Variable[]): StepOptimizer {
    if (settings.optimizer === 'adam' && FusedAdam.available()) {
        const adam = new FusedAdam(settings.lr);
        return { apply: gradients => adam.applyGradients(variables, gradients), dispose: () => adam.dispose() };
    }
    const optimizer: tf.Optimizer = settings.optimizer === 'adam' ? tf.train.adam(settings.lr) : settings.optimizer === 'sgd' ? tf.train.sgd(settings.lr) : tf.train.rmsprop(settings.lr);
    return { apply: gradients => optimizer.applyGradients(gradients), dispose: () => optimizer.dispose() };
}

/** Loss and quality of the model on a whole example set, without gradients; with `predictions`, each batch's predictions are appended to it. */
export function evaluateSet(prepared: PreparedTraining, set: ExampleSet, targets: tf.Tensor, batchSize = 256, predictions?: Float32Array[]): { loss: number; quality: number } | null {
    if (set.size === 0) return null;
    let lossSum = 0, qualitySumTotal = 0;
    for (let start = 0; start < set.size; start += batchSize) {
        const end = Math.min(set.size, start + batchSize);
        const [loss, quality] = tf.tidy(() => {
            const prediction = prepared.predict(fieldTensors(set, prepared.fields, { start, end }), end - start);
            predictions?.push(prediction.dataSync() as Float32Array);
            // A gather, not a slice: tfjs-wasm's slice copies the whole input first.
            const target = tf.gather(targets, tf.range(start, end, 1, 'int32'));
            return [lossOf(prepared.settings.loss, prediction, target).dataSync()[0], qualitySum(prepared.discrete, prediction, target).dataSync()[0]];
        });
        lossSum += loss * (end - start);
        qualitySumTotal += quality;
    }
    return { loss: lossSum / set.size, quality: qualitySumTotal / set.size };
}

/**
 * The optimiser steps after which a schedule evaluates the test set, in order: step 0, the
 * multiples of each segment's `every` counted from the segment's start (the previous
 * segment's `until`, or 0) up to its `until`, and the last step. Both engines evaluate at
 * exactly these steps (the torch trainer gets this list in its plan).
 */
export function evaluationSteps(schedule: readonly EvaluationSegment[], totalSteps: number): number[] {
    const steps = new Set<number>([0, totalSteps]);
    let start = 0;
    for (const segment of schedule) {
        const end = Math.min(segment.until ?? totalSteps, totalSteps);
        for (let step = start + segment.every; step <= end; step += segment.every) steps.add(step);
        if (segment.until === undefined || segment.until >= totalSteps) break;
        start = segment.until;
    }
    return [...steps].sort((a, b) => a - b);
}

/** The test metrics of an evaluation, as the epoch's test fields name them. */
function testMetrics(prepared: PreparedTraining, evaluated: { loss: number; quality: number } | null): Evaluation['test'] {
    return {
        loss: evaluated?.loss ?? null,
        accuracy: evaluated && prepared.discrete ? evaluated.quality : null,
        psnr: evaluated && !prepared.discrete ? evaluated.quality : null
    };
}

const yieldToEventLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/** The first network (by extern name) with a NaN or ±Infinity among its weights, if any. */
function nonFiniteNetwork(networks: Iterable<ExternNetwork>): string | undefined {
    for (const network of networks) {
        const finite = tf.tidy(() => network.model.weights.every(w => tf.all(tf.isFinite(w.read())).dataSync()[0] === 1));
        if (!finite) return network.name;
    }
    return undefined;
}

/**
 * Why a run stops when it diverges, and what it keeps: the same words from both engines
 * (the PyTorch engine's cajal_torch.py writes them too).
 */
export function divergedMessage(what: string, saved: { directory: string | null; epoch: number }): string {
    return `${what}; training stopped, ${keptMessage(saved)} (try a smaller lr).`;
}

/** What a run that stops early leaves: `DIR keeps the weights of epoch N`, or that nothing was saved. */
export function keptMessage(saved: { directory: string | null; epoch: number }): string {
    return !saved.directory ? 'nothing was saved'
        : saved.epoch > 0 ? `${saved.directory} keeps the weights of epoch ${saved.epoch}` : `nothing was saved (${saved.directory} is unchanged)`;
}

/** Trains a prepared block; saves weights after every completed epoch. */
export async function runTraining(prepared: PreparedTraining, options: TrainOptions & { sourceFile?: string } = {}): Promise<TrainResult> {
    const backend = await initBackend(options.backend ?? 'auto');
    const { settings, data, name } = prepared;
    const emit = options.onEvent ?? (() => undefined);
    const weightsDirectory = options.weightsDirectory === null ? null
        : options.weightsDirectory ?? (options.sourceFile ? defaultWeightsDirectory(options.sourceFile, name) : null);
    const variables = [...prepared.networks.values()].filter(n => n.resolved.learnable).flatMap(n => n.model.trainableWeights.map(w => w.read() as tf.Variable));
    const parameters = [...prepared.networks.values()].reduce((total, n) => total + n.resolved.parameters, 0);
    const optimizer = optimizerFor(settings, variables);
    const batchSize = Math.max(1, Math.min(settings.batch, data.train.size));
    const batches = Math.ceil(data.train.size / batchSize);
    const testEvery = Math.max(1, options.testEvery ?? 1);
    const shuffle = seededRandom(deriveSeed(settings.seed, 'shuffle'));
    // The targets as one array, so each batch's are copied rows like its inputs.
    const trainTargets = prepared.trainTargets.dataSync() as Float32Array;
    const targetShape = prepared.trainTargets.shape.slice(1);
    const targetWidth = targetShape.reduce((a, b) => a * b, 1);
    const started = performance.now();
    const history: EpochMetrics[] = [];
    const evaluations: Evaluation[] = [];
    const schedule = settings.evaluate ? new Set(evaluationSteps(settings.evaluate, settings.epochs * batches)) : undefined;
    let step = 0;
    let examplesSeen = 0;
    const evaluate = (): Evaluation => {
        const predictions: Float32Array[] | undefined = options.predictionsDirectory ? [] : undefined;
        const evaluation: Evaluation = { step, examples: examplesSeen, test: testMetrics(prepared, evaluateSet(prepared, data.test, prepared.testTargets, 256, predictions)) };
        if (predictions && options.predictionsDirectory) writeTestPredictions(options.predictionsDirectory, step, predictions, data.test.size);
        evaluations.push(evaluation);
        emit({ event: 'evaluation', ...evaluation });
        return evaluation;
    };
    let saved: string | null = null;
    let savedEpoch = 0;
    let cancelled = false;
    // Before any training: a folder that cannot be written, is another run's or holds the
    // user's files is refused now, not after the first epoch.
    let lease: WeightsFolderLease | undefined;
    try {
        lease = weightsDirectory ? openWeightsFolder(weightsDirectory) : undefined;
    } catch (error) {
        optimizer.dispose();
        throw error;
    }
    emit({ event: 'start', train: name, epochs: settings.epochs, examples: data.train.size, test: data.test.size, batches, backend: backend.backend, parameters, data: data.describe, weights: weightsDirectory });

    try {
        if (schedule?.has(0)) evaluate();
        for (let epoch = 1; epoch <= settings.epochs && !cancelled; epoch++) {
            let lastEvaluation: Evaluation | undefined;
            const order = permutation(data.train.size, shuffle);
            let lossSum = 0, qualityTotal = 0;
            for (let b = 0; b < batches; b++) {
                if (options.signal?.aborted) { cancelled = true; break; }
                const slice = order.subarray(b * batchSize, Math.min(data.train.size, (b + 1) * batchSize));
                // The batch is made outside the gradient tape: the inputs and targets are constants.
                const inputs = fieldTensors(data.train, prepared.fields, slice);
                const target = rowsTensor(trainTargets, targetWidth, targetShape, slice);
                let quality: tf.Scalar | undefined;
                const { value: loss, grads } = tf.variableGrads(() => {
                    const prediction = prepared.predict(inputs, slice.length);
                    quality = tf.keep(qualitySum(prepared.discrete, prediction, target));
                    return lossOf(settings.loss, prediction, target);
                }, variables);
                if (settings.clipNorm !== undefined) {
                    const clipped = clipByGlobalNorm(grads, settings.clipNorm).gradients;
                    optimizer.apply(clipped);
                    tf.dispose(clipped);
                } else {
                    optimizer.apply(grads);
                }
                tf.dispose(grads);
                const lossValue = loss.dataSync()[0];
                lossSum += lossValue * slice.length;
                qualityTotal += quality!.dataSync()[0];
                tf.dispose([loss, quality!, target, ...inputs.values()]);
                if (!Number.isFinite(lossValue)) {
                    throw new TrainingError(divergedMessage(`the loss became ${lossValue} in epoch ${epoch}, batch ${b + 1}`, { directory: weightsDirectory, epoch: savedEpoch }));
                }
                emit({ event: 'batch', epoch, batch: b + 1, batches, loss: lossValue });
                step++;
                examplesSeen += slice.length;
                if (schedule?.has(step)) lastEvaluation = evaluate();
                await yieldToEventLoop();
            }
            if (cancelled) break;
            // Never save what cannot be loaded back: a step that overflowed leaves NaN weights
            // even while the (clipped) loss looks finite.
            const diverged = nonFiniteNetwork(prepared.networks.values());
            if (diverged) {
                throw new TrainingError(divergedMessage(`the weights of extern '${diverged}' became NaN or infinite in epoch ${epoch}`, { directory: weightsDirectory, epoch: savedEpoch }));
            }
            const n = data.train.size;
            // With a schedule the epoch's test metrics are its last step's evaluation, if it had one.
            const evaluated = schedule
                ? (lastEvaluation?.step === step ? { loss: lastEvaluation.test.loss!, quality: (prepared.discrete ? lastEvaluation.test.accuracy : lastEvaluation.test.psnr)! } : null)
                : epoch % testEvery === 0 || epoch === settings.epochs ? evaluateSet(prepared, data.test, prepared.testTargets) : null;
            const metrics: EpochMetrics = {
                epoch, examplesSeen: epoch * n, seconds: (performance.now() - started) / 1000,
                loss: lossSum / n,
                accuracy: prepared.discrete ? qualityTotal / n : null,
                psnr: prepared.discrete ? null : qualityTotal / n,
                testLoss: evaluated?.loss ?? null,
                testAccuracy: evaluated && prepared.discrete ? evaluated.quality : null,
                testPsnr: evaluated && !prepared.discrete ? evaluated.quality : null
            };
            history.push(metrics);
            if (weightsDirectory) {
                try {
                    await saveNetworks(weightsDirectory, prepared.networks.values(), { train: name, source: options.sourceFile, epoch });
                    saved = weightsDirectory;
                    savedEpoch = epoch;
                    writeHistory(weightsDirectory, name, history, schedule ? evaluations : undefined);
                } catch (error) {
                    // A full disk mid-run: say what the folder still holds (the failed save left nothing).
                    if (error instanceof OutputWriteError) throw new TrainingError(`${error.message}; ${keptMessage({ directory: weightsDirectory, epoch: savedEpoch })}.`);
                    throw error;
                }
            }
            emit({ event: 'epoch', ...metrics });
            if (options.signal?.aborted) cancelled = epoch < settings.epochs;
        }
    } finally {
        lease?.release();
        optimizer.dispose();
    }
    const last = history[history.length - 1];
    const final: FinalMetrics = {
        loss: last?.loss ?? null, accuracy: last?.accuracy ?? null, psnr: last?.psnr ?? null,
        testLoss: last?.testLoss ?? null, testAccuracy: last?.testAccuracy ?? null, testPsnr: last?.testPsnr ?? null
    };
    const seconds = (performance.now() - started) / 1000;
    if (cancelled) emit({ event: 'cancelled', train: name, epochs: history.length, weights: saved });
    else emit({ event: 'done', train: name, epochs: history.length, seconds, weights: saved, final });
    return { train: name, epochs: history.length, examples: data.train.size, seconds, final, weights: saved, history, evaluations, cancelled, backend: backend.backend };
}

/** The test predictions of one evaluation, as the torch engine writes them: DIR/step-N.npy, float32 [examples, dim]. */
function writeTestPredictions(directory: string, step: number, batches: readonly Float32Array[], examples: number): void {
    const values = new Float32Array(batches.reduce((total, b) => total + b.length, 0));
    let offset = 0;
    for (const b of batches) { values.set(b, offset); offset += b.length; }
    fs.mkdirSync(directory, { recursive: true });
    writeFileAtomic(path.join(directory, `step-${step}.npy`), encodeNpy(values, [examples, values.length / examples]), { what: 'the test predictions' });
}

/** Finds a train block by name in a module (or the only one when no name is given). */
export function findTraining(module: ast.Module, name?: string): ast.Training {
    const blocks = module.declarations.filter(ast.isTraining);
    if (name !== undefined) {
        const found = blocks.find(block => block.name === name);
        if (!found) throw new TrainingError(`no train block '${name}'${blocks.length > 0 ? `; the file has ${blocks.map(b => b.name).join(', ')}` : '; the file has none'}.`);
        return found;
    }
    if (blocks.length === 0) throw new TrainingError('the file has no train block.');
    if (blocks.length > 1) throw new TrainingError(`the file has ${blocks.length} train blocks (${blocks.map(b => b.name).join(', ')}); choose one with --train NAME.`);
    return blocks[0];
}
