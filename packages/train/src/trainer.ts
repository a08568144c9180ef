/**
 * The training loop: a `train` block's data, model, target and settings → trained extern
 * networks, with seeded shuffling, a held-out test split, metrics per epoch, cancellation
 * (the last completed epoch's weights are kept) and atomic saving after every epoch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { EvaluationSegment, TrainingSettings } from '@cajal/language';
import { OutputWriteError, encodeNpy, writeFileAtomic } from '@cajal/compiler';
import { initBackend, type BackendPreference } from '@cajal/runtime';
import { FusedAdam } from './adam.js';
import { fieldTensors, rowsTensor } from './batches.js';
import { writeHistory, type EpochMetrics, type Evaluation } from './history.js';
import { batchLoss, clipByGlobalNorm, lossOf, qualitySum, type BatchLoss } from './losses.js';
import type { ExternNetwork } from './networks.js';
import type { PreparedTraining } from './prepare-training.js';
import { deriveSeed, permutation, seededRandom } from './random.js';
import type { ExampleSet } from './data.js';
import { saveNetworks } from './weights.js';
import { openWeightsFolder, type WeightsFolderLease } from './weights-folder.js';

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

/**
 * How a prepared training runs (runTraining, runTorchTraining). The block's settings and their
 * overrides (epochs, examples, …) are fixed by prepareTraining, which sizes the data and the
 * plan from them; they are not options here, so a run cannot silently ignore one.
 */
export interface RunTrainingOptions {
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

/** prepareTraining's options: the block's overrides and the backend (the run's own options are accepted and unused). */
export interface TrainOptions extends TrainOverrides, RunTrainingOptions {}

const OVERRIDE_NAMES: readonly (keyof TrainOverrides)[] = ['epochs', 'examples', 'test', 'seed', 'batch', 'lr', 'limit'];

/** A run given an override (from JavaScript, which the types do not stop) fails instead of ignoring it. */
export function rejectOverrides(options: object, run: string): void {
    const given = OVERRIDE_NAMES.filter(name => (options as Record<string, unknown>)[name] !== undefined);
    if (given.length > 0) {
        throw new TypeError(`${run}: ${given.map(name => `'${name}'`).join(', ')} ${given.length === 1 ? 'is an option' : 'are options'} of prepareTraining, which sizes the data and the run; pass ${given.length === 1 ? 'it' : 'them'} there.`);
    }
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

/** Where a run saves: the given folder, else the default beside the source file; null (or no source file): nothing. */
export function weightsDirectoryOf(options: { readonly weightsDirectory?: string | null; readonly sourceFile?: string }, train: string): string | null {
    if (options.weightsDirectory === null) return null;
    return options.weightsDirectory ?? (options.sourceFile ? defaultWeightsDirectory(options.sourceFile, train) : null);
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
export async function runTraining(prepared: PreparedTraining, options: RunTrainingOptions & { sourceFile?: string } = {}): Promise<TrainResult> {
    rejectOverrides(options, 'runTraining');
    const backend = await initBackend(options.backend ?? 'auto');
    const { settings, data, name } = prepared;
    const emit = options.onEvent ?? (() => undefined);
    const weightsDirectory = weightsDirectoryOf(options, name);
    const variables = [...prepared.networks.values()].filter(n => n.resolved.learnable).flatMap(n => n.model.trainableWeights.map(w => w.read() as tf.Variable));
    const parameters = [...prepared.networks.values()].reduce((total, n) => total + n.resolved.parameters, 0);
    const batchSize = Math.max(1, Math.min(settings.batch, data.train.size));
    const batches = Math.ceil(data.train.size / batchSize);
    const testEvery = Math.max(1, options.testEvery ?? 1);
    const shuffle = seededRandom(deriveSeed(settings.seed, 'shuffle'));
    const batchTargets = targetRows(prepared.trainTargets);
    const started = performance.now();
    const history: EpochMetrics[] = [];
    const evaluations: Evaluation[] = [];
    const schedule = settings.evaluate ? new Set(evaluationSteps(settings.evaluate, settings.epochs * batches)) : undefined;
    let step = 0;
    let examplesSeen = 0;
    const evaluate = (): Evaluation => {
        const evaluation = evaluateTest(prepared, step, examplesSeen, options.predictionsDirectory);
        evaluations.push(evaluation);
        emit({ event: 'evaluation', ...evaluation });
        return evaluation;
    };
    // Where the last completed epoch's weights are (epoch 0: none yet), for the messages of a failed run.
    const kept = { directory: weightsDirectory, epoch: 0 };
    let cancelled = false;
    // Before any training: a folder that cannot be written, is another run's or holds the
    // user's files is refused now, not after the first epoch.
    const lease: WeightsFolderLease | undefined = weightsDirectory ? openWeightsFolder(weightsDirectory) : undefined;
    const optimizer = optimizerFor(settings, variables);
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
                const { loss: lossValue, quality } = trainBatch(prepared, optimizer, variables, slice, batchTargets);
                lossSum += lossValue * slice.length;
                qualityTotal += quality;
                if (!Number.isFinite(lossValue)) {
                    throw new TrainingError(divergedMessage(`the loss became ${lossValue} in epoch ${epoch}, batch ${b + 1}`, kept));
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
            if (diverged) throw new TrainingError(divergedMessage(`the weights of extern '${diverged}' became NaN or infinite in epoch ${epoch}`, kept));
            // With a schedule the epoch's test metrics are its last step's evaluation, if it had one.
            const evaluated = schedule ? scheduledTestMetrics(prepared, lastEvaluation, step)
                : epoch % testEvery === 0 || epoch === settings.epochs ? evaluateSet(prepared, data.test, prepared.testTargets) : null;
            const metrics = epochMetrics(prepared, epoch, (performance.now() - started) / 1000, { lossSum, qualityTotal }, evaluated);
            history.push(metrics);
            if (weightsDirectory) await saveEpoch(prepared, { directory: weightsDirectory, kept }, epoch, history, schedule ? evaluations : undefined, options.sourceFile);
            emit({ event: 'epoch', ...metrics });
            if (options.signal?.aborted) cancelled = epoch < settings.epochs;
        }
    } finally {
        lease?.release();
        optimizer.dispose();
    }
    const saved = kept.epoch > 0 ? weightsDirectory : null;
    const final = finalMetrics(history[history.length - 1]);
    const seconds = (performance.now() - started) / 1000;
    if (cancelled) emit({ event: 'cancelled', train: name, epochs: history.length, weights: saved });
    else emit({ event: 'done', train: name, epochs: history.length, seconds, weights: saved, final });
    return { train: name, epochs: history.length, examples: data.train.size, seconds, final, weights: saved, history, evaluations, cancelled, backend: backend.backend };
}

/** The rows of a set's targets as a batch tensor; the targets are read once as one array, so each batch's are copied rows like its inputs. */
function targetRows(targets: tf.Tensor): (rows: Int32Array) => tf.Tensor {
    const values = targets.dataSync() as Float32Array;
    const rowShape = targets.shape.slice(1);
    const width = rowShape.reduce((a, b) => a * b, 1);
    return rows => rowsTensor(values, width, rowShape, rows);
}

/**
 * One optimisation step on the training examples `rows`: the batch's mean loss and its summed
 * quality (correct examples or PSNR). The batch is made outside the gradient tape: the inputs
 * and targets are constants.
 */
function trainBatch(
    prepared: PreparedTraining, optimizer: StepOptimizer, variables: tf.Variable[], rows: Int32Array, targetsOf: (rows: Int32Array) => tf.Tensor
): { loss: number; quality: number } {
    const { settings } = prepared;
    const inputs = fieldTensors(prepared.data.train, prepared.fields, rows);
    const target = targetsOf(rows);
    let measured: BatchLoss | undefined;
    const { value: loss, grads } = tf.variableGrads(() => {
        measured = batchLoss(settings.loss, prepared.discrete, prepared.predict(inputs, rows.length), target);
        return measured.loss;
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
    const qualityValue = measured!.quality();
    tf.dispose([loss, target, ...inputs.values()]);
    return { loss: lossValue, quality: qualityValue };
}

/** The test metrics of an epoch with an evaluation schedule: its last step's evaluation, if it had one. */
function scheduledTestMetrics(prepared: PreparedTraining, lastEvaluation: Evaluation | undefined, step: number): { loss: number; quality: number } | null {
    if (lastEvaluation?.step !== step) return null;
    return { loss: lastEvaluation.test.loss!, quality: (prepared.discrete ? lastEvaluation.test.accuracy : lastEvaluation.test.psnr)! };
}

/** An epoch's metrics: the training means over its examples and the test set's, if it was evaluated. */
function epochMetrics(
    prepared: PreparedTraining, epoch: number, seconds: number, train: { lossSum: number; qualityTotal: number },
    evaluated: { loss: number; quality: number } | null
): EpochMetrics {
    const n = prepared.data.train.size;
    return {
        epoch, examplesSeen: epoch * n, seconds,
        loss: train.lossSum / n,
        accuracy: prepared.discrete ? train.qualityTotal / n : null,
        psnr: prepared.discrete ? null : train.qualityTotal / n,
        testLoss: evaluated?.loss ?? null,
        testAccuracy: evaluated && prepared.discrete ? evaluated.quality : null,
        testPsnr: evaluated && !prepared.discrete ? evaluated.quality : null
    };
}

/**
 * Saves a completed epoch's weights and the history so far into the weights folder, and
 * records the epoch in `kept`. A failed write (a full disk mid-run) says what the folder still
 * holds: the failed save left nothing.
 */
async function saveEpoch(
    prepared: PreparedTraining, folder: { directory: string; kept: { epoch: number } }, epoch: number,
    history: readonly EpochMetrics[], evaluations: readonly Evaluation[] | undefined, sourceFile: string | undefined
): Promise<void> {
    const { directory, kept } = folder;
    const reportingKept = async (write: () => unknown): Promise<void> => {
        try {
            await write();
        } catch (error) {
            if (error instanceof OutputWriteError) throw new TrainingError(`${error.message}; ${keptMessage({ directory, epoch: kept.epoch })}.`);
            throw error;
        }
    };
    await reportingKept(() => saveNetworks(directory, prepared.networks.values(), { train: prepared.name, source: sourceFile, epoch }));
    kept.epoch = epoch;
    await reportingKept(() => writeHistory(directory, prepared.name, history, evaluations));
}

/** The run's final metrics: the last completed epoch's (all null when none completed). */
export function finalMetrics(last: EpochMetrics | undefined): FinalMetrics {
    return {
        loss: last?.loss ?? null, accuracy: last?.accuracy ?? null, psnr: last?.psnr ?? null,
        testLoss: last?.testLoss ?? null, testAccuracy: last?.testAccuracy ?? null, testPsnr: last?.testPsnr ?? null
    };
}

/** One scheduled test evaluation; with a predictions folder, the test set's predictions are written there too. */
function evaluateTest(prepared: PreparedTraining, step: number, examples: number, predictionsDirectory: string | undefined): Evaluation {
    const predictions: Float32Array[] | undefined = predictionsDirectory ? [] : undefined;
    const evaluation: Evaluation = { step, examples, test: testMetrics(prepared, evaluateSet(prepared, prepared.data.test, prepared.testTargets, 256, predictions)) };
    if (predictions && predictionsDirectory) writeTestPredictions(predictionsDirectory, step, predictions, prepared.data.test.size);
    return evaluation;
}

/** The test predictions of one evaluation, as the torch engine writes them: DIR/step-N.npy, float32 [examples, dim]. */
function writeTestPredictions(directory: string, step: number, batches: readonly Float32Array[], examples: number): void {
    const values = new Float32Array(batches.reduce((total, b) => total + b.length, 0));
    let offset = 0;
    for (const b of batches) { values.set(b, offset); offset += b.length; }
    fs.mkdirSync(directory, { recursive: true });
    writeFileAtomic(path.join(directory, `step-${step}.npy`), encodeNpy(values, [examples, values.length / examples]), { what: 'the test predictions' });
}
