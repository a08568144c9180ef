/**
 * The PyTorch engine (`cajal train --engine torch`). This side keeps the train block's
 * meaning: `prepareTraining` loads and splits the data, computes the targets and builds the
 * seeded networks exactly as for tfjs; here the same shuffles are drawn, and everything is
 * handed to python/cajal_torch.py as .npy files, a tfjs-format weights directory (the initial
 * weights, so both engines start from the same numbers) and a JSON plan naming the model's
 * generated PyTorch module (`generateTorchModule`). The Python process trains and saves the
 * weights; its JSON event lines come back through `onEvent` unchanged, and the history files
 * are written here from them, by the same `writeHistory` as on tfjs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ast } from '@cajal/language';
import { encodeNpy, generateTorchModule, torchArchitecture, writeFileAtomic, type TorchArchitecture } from '@cajal/compiler';
import { writeHistory, type EpochMetrics, type Evaluation } from './history.js';
import { deriveSeed, permutation, seededRandom } from './random.js';
import { locationOf, type PreparedTraining } from './prepare-training.js';
import { TrainingError, evaluationSteps, finalMetrics, rejectOverrides, weightsDirectoryOf, type RunTrainingOptions, type TrainEvent, type TrainResult } from './trainer.js';
import { saveNetworks, type WeightsManifest } from './weights.js';
import { openWeightsFolder } from './weights-folder.js';
import { findTorchPython, lastLine } from './torch-discovery.js';

/** The trainer script: beside out/ in the package, or beside a bundle that copied it (dist/python/). */
export function torchTrainerScript(): string {
    const candidates = [new URL('../python/cajal_torch.py', import.meta.url), new URL('./python/cajal_torch.py', import.meta.url)].map(url => fileURLToPath(url));
    const found = candidates.find(file => fs.existsSync(file));
    if (!found) throw new TrainingError(`the PyTorch trainer script is missing (looked for ${candidates.join(', ')}).`);
    return found;
}

export interface TorchEngineOptions {
    /** Default: findTorchPython's choice. */
    readonly python?: string;
    /** cpu (default) or cuda. */
    readonly device?: 'cpu' | 'cuda';
    /** Data-parallel processes (default 1). */
    readonly nproc?: number;
    /** Environment of the Python process (default process.env). */
    readonly env?: NodeJS.ProcessEnv;
    /**
     * Tests: every process writes its final weights to DIR/rankN (to check that data-parallel
     * processes agree).
     */
    readonly ranksDirectory?: string;
    /**
     * At every test evaluation of an `evaluate` schedule, the test set's predictions are
     * written to DIR/step-N.npy (float32 [test examples, dim]): for measures the engine does
     * not compute (per-example PSNR, medians, images).
     */
    readonly predictionsDirectory?: string;
}

/** Trains a prepared block on PyTorch; the same events, result, weights and history as runTraining. */
export async function runTorchTraining(prepared: PreparedTraining, options: RunTrainingOptions & { sourceFile?: string; torch?: TorchEngineOptions } = {}): Promise<TrainResult> {
    rejectOverrides(options, 'runTorchTraining');
    const torch = options.torch ?? {};
    const python = torch.python ?? findTorchPython({ env: torch.env }).python;
    const device = torch.device ?? 'cpu';
    const nproc = Math.max(1, torch.nproc ?? 1);
    const { data, name } = prepared;
    const emit = options.onEvent ?? (() => undefined);
    const weightsDirectory = weightsDirectoryOf(options, name);
    // Before anything runs: the folder is writable, this run's alone, and the tool's (weights-folder.ts).
    const lease = weightsDirectory ? openWeightsFolder(weightsDirectory) : undefined;
    let work: string | undefined;
    try {
        work = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-torch-'));
        const planFile = await writeTorchPlan(prepared, work, { weightsDirectory, sourceFile: options.sourceFile, device, nproc, testEvery: options.testEvery, ranksDirectory: torch.ranksDirectory, predictionsDirectory: torch.predictionsDirectory });
        const report = new EngineReport(name, weightsDirectory, prepared.settings.evaluate !== undefined, emit, `torch-${device}`);
        const { history, evaluations } = report;
        const exit = options.signal?.aborted ? undefined
            : await runPython(python, [torchTrainerScript(), planFile], torch.env ?? process.env, line => report.read(line), options.signal);
        const { finished, engineError, backend } = report;
        if (!exit || (!finished && !engineError && options.signal?.aborted && exit.signal === 'SIGTERM')) {
            // Cancelled before Python could take the signal (aborted before the start, or while
            // the interpreter was still importing torch, before its handlers were installed):
            // as on tfjs, a cancellation, not an error. The trainer reports an epoch only after
            // saving it, so the folder holds the last epoch reported (none: it is as it was).
            const epochs = history.length;
            const weights = epochs > 0 ? weightsDirectory : null;
            const cancelled = { event: 'cancelled' as const, train: name, epochs, weights };
            emit(cancelled);
            const last = history[history.length - 1];
            return {
                train: name, epochs, examples: data.train.size, seconds: last?.seconds ?? 0,
                final: finalMetrics(last), weights, history, evaluations, cancelled: true, backend
            };
        }
        if (engineError) {
            if (process.env.CAJAL_DEBUG && engineError.traceback) process.stderr.write(engineError.traceback);
            // Divergence and a failed write say what was kept, in the tfjs engine's words.
            if (engineError.kind === 'diverged' || engineError.kind === 'write') throw new TrainingError(engineError.message);
            const where = engineError.kind === 'data' ? prepared.training.options.find(ast.isDataOption) ?? prepared.training : prepared.training;
            throw new TrainingError(`the PyTorch engine failed${locationOf(where)}: ${engineError.message}`);
        }
        if (report.historyError !== undefined) throw report.historyError;
        if (!finished) {
            throw new TrainingError(`the PyTorch engine (${python}) stopped ${exit.signal ? `by signal ${exit.signal}` : `with exit code ${exit.code}`} before finishing${exit.stderr.trim() ? `: ${lastLine(exit.stderr)}` : ''}.`);
        }
        const last = history[history.length - 1];
        return {
            train: name, epochs: history.length, examples: data.train.size,
            seconds: finished.event === 'done' ? finished.seconds : (last?.seconds ?? 0),
            final: finalMetrics(last), weights: finished.weights, history, evaluations, cancelled: finished.event === 'cancelled', backend
        };
    } finally {
        if (work) fs.rmSync(work, { recursive: true, force: true });
        lease?.release();
    }
}

/**
 * The engine's events as they arrive on its stdout (one JSON object a line; anything else is a
 * library printing): passed on to the caller, the history rewritten after each epoch.
 */
class EngineReport {
    readonly history: EpochMetrics[] = [];
    readonly evaluations: Evaluation[] = [];
    finished: Extract<TrainEvent, { event: 'done' | 'cancelled' }> | undefined;
    engineError: { kind: string; message: string; traceback?: string } | undefined;
    /** A failed history write, reported when the engine has stopped. */
    historyError: unknown;

    constructor(
        private readonly name: string, private readonly weightsDirectory: string | null, private readonly scheduled: boolean,
        private readonly emit: (event: TrainEvent) => void, public backend: string
    ) {}

    read(line: string): void {
        let event: Record<string, unknown>;
        try {
            event = JSON.parse(line) as Record<string, unknown>;
        } catch {
            return; // not an event (a library printing to stdout)
        }
        if (event.event === 'engine-error') {
            this.engineError = event as unknown as EngineReport['engineError'];
            return;
        }
        if (event.event === 'start') this.backend = String(event.backend);
        if (event.event === 'evaluation') {
            const { event: _, ...evaluation } = event;
            this.evaluations.push(evaluation as unknown as Evaluation);
        }
        if (event.event === 'epoch') {
            const { event: _, ...metrics } = event;
            this.history.push(metrics as unknown as EpochMetrics);
            try {
                if (this.weightsDirectory && this.historyError === undefined) {
                    writeHistory(this.weightsDirectory, this.name, this.history, this.scheduled ? this.evaluations : undefined);
                }
            } catch (error) {
                this.historyError = error;
            }
        }
        if (event.event === 'done' || event.event === 'cancelled') this.finished = event as unknown as EngineReport['finished'];
        this.emit(event as unknown as TrainEvent);
    }
}

export interface TorchPlanOptions {
    readonly weightsDirectory: string | null;
    readonly sourceFile?: string;
    readonly device: 'cpu' | 'cuda';
    readonly nproc: number;
    readonly testEvery?: number;
    readonly ranksDirectory?: string;
    readonly predictionsDirectory?: string;
}

/**
 * Writes everything the trainer needs into `work` (plan.json, the model module, .npy data,
 * shuffles, initial weights) and returns the plan's path: `python3 cajal_torch.py PLAN` or
 * `torchrun … cajal_torch.py PLAN` trains from it (paths in it are absolute).
 */
export async function writeTorchPlan(prepared: PreparedTraining, work: string, options: TorchPlanOptions): Promise<string> {
    fs.mkdirSync(work, { recursive: true });
    const { settings, data, fields } = prepared;
    // The model's module; the networks are built from their declared architectures, then
    // given the initial weights saved below.
    const architectures: Record<string, TorchArchitecture> = {};
    for (const [externName, network] of prepared.networks) architectures[externName] = torchArchitecture(network.resolved);
    const modulePath = path.join(work, 'cajal_model.py');
    const what = `the training plan to ${work}`;
    writeFileAtomic(modulePath, generateTorchModule([prepared.modelProgram], { source: options.sourceFile ? path.basename(options.sourceFile) : undefined, architectures }), { what });

    // The initial weights (tfjs's seeded initialisation) in the weights format; their model.json
    // files are the templates the trainer saves every epoch with.
    const modelExterns = prepared.modelProgram.externs.map(e => e.name);
    const initial = path.join(work, 'initial');
    const manifest: WeightsManifest = await saveNetworks(initial, modelExterns.map(e => prepared.networks.get(e)!), { train: prepared.name, epoch: 0 });
    const externs = Object.fromEntries(Object.entries(manifest.externs).map(([externName, entry]) => {
        const modelJson = JSON.parse(fs.readFileSync(path.join(initial, entry.model), 'utf-8')) as unknown;
        return [externName, { entry, modelJson }];
    }));

    const npy = (file: string, values: ArrayLike<number>, shape: readonly number[]) => {
        writeFileAtomic(path.join(work, file), encodeNpy(values, shape), { what });
        return path.join(work, file);
    };
    const columns = fields.map((field, i) => {
        const train = data.train.fields.get(field.name)!;
        const test = data.test.fields.get(field.name)!;
        const shape = prepared.modelProgram.inputs[i].shape;
        return {
            name: field.name,
            train: npy(`train-${i}.npy`, train.data, [data.train.size, ...shape]),
            test: npy(`test-${i}.npy`, test.data, [data.test.size, ...shape])
        };
    });
    const width = (t: { shape: number[] }) => t.shape.slice(1).reduce((a, b) => a * b, 1);
    const targets = {
        train: npy('train-targets.npy', prepared.trainTargets.dataSync(), [data.train.size, width(prepared.trainTargets)]),
        test: npy('test-targets.npy', prepared.testTargets.dataSync(), [data.test.size, width(prepared.testTargets)])
    };
    // The shuffles of runTraining, drawn from the same seed (indices < 2^24 are exact in float32).
    const shuffle = seededRandom(deriveSeed(settings.seed, 'shuffle'));
    const n = data.train.size;
    const orders = new Float32Array(settings.epochs * n);
    for (let epoch = 0; epoch < settings.epochs; epoch++) orders.set(permutation(n, shuffle), epoch * n);
    const plan = {
        train: prepared.name, source: options.sourceFile, module: modulePath, definition: prepared.modelProgram.name,
        fields: columns, targets, orders: npy('orders.npy', orders, [settings.epochs, n]),
        epochs: settings.epochs, batch: settings.batch, lr: settings.lr, optimizer: settings.optimizer, loss: settings.loss, clipNorm: settings.clipNorm ?? null,
        discrete: prepared.discrete, testEvery: options.testEvery ?? 1,
        // The optimiser steps of an `evaluate every …` schedule (null: test per epoch), computed here once for both engines.
        evaluationSteps: settings.evaluate ? evaluationSteps(settings.evaluate, settings.epochs * Math.ceil(n / Math.max(1, Math.min(settings.batch, n)))) : null,
        initialWeights: initial, externs, weightsDirectory: options.weightsDirectory, ranksDirectory: options.ranksDirectory ?? null,
        predictionsDirectory: options.predictionsDirectory ?? null,
        device: options.device, nproc: options.nproc,
        parameters: [...prepared.networks.values()].reduce((total, network) => total + network.resolved.parameters, 0),
        data: data.describe
    };
    writeFileAtomic(path.join(work, 'plan.json'), JSON.stringify(plan), { what });
    return path.join(work, 'plan.json');
}

interface PythonExit { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/** Runs the trainer, passing stdout lines on; an abort sends SIGTERM (the trainer finishes its batch). */
function runPython(python: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void, signal?: AbortSignal): Promise<PythonExit> {
    return new Promise(resolve => {
        const child = spawn(python, args, { env: { ...env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let buffered = '';
        let stderr = '';
        child.stdout.setEncoding('utf-8');
        child.stderr.setEncoding('utf-8');
        child.stdout.on('data', (chunk: string) => {
            buffered += chunk;
            let newline: number;
            while ((newline = buffered.indexOf('\n')) >= 0) {
                const line = buffered.slice(0, newline);
                buffered = buffered.slice(newline + 1);
                if (line.trim()) onLine(line);
            }
        });
        child.stderr.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-20_000); });
        const abort = () => child.kill('SIGTERM');
        signal?.addEventListener('abort', abort, { once: true });
        child.on('error', error => { stderr += error.message; });
        child.on('close', (code, exitSignal) => {
            signal?.removeEventListener('abort', abort);
            if (buffered.trim()) onLine(buffered);
            resolve({ code, signal: exitSignal, stderr });
        });
    });
}
