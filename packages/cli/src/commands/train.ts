import * as path from 'node:path';
import * as tty from 'node:tty';
import { ast } from '@cajal/language';
import type { BackendPreference } from '@cajal/runtime';
import type { TrainEvent, TrainResult } from '@cajal/train';
import { CliError, UsageError, type Command, type Writer } from '../command.js';
import { integerOption, parseCommandArgs, MAX_TENSOR_OPTION, MAX_TENSOR_USAGE, maxTensorOption } from '../util/args.js';
import { displayPath, loadProgram, reportDiagnostics } from '../util/files.js';
import { diagnosticAtNode, writeDiagnostics } from '../util/diagnostics.js';

const usage = `Usage: cajal train FILE [--train NAME] [--epochs N] [--batch N] [--lr X] [--limit N] [--seed S]
                   [--out DIR] [--backend auto|wasm|cpu] [--json | --events]
                   [--engine tfjs|torch] [--device cpu|cuda] [--nproc N] [--python PATH] [--plan DIR]

Checks FILE, then runs one of its train blocks: loads the data, builds the networks of
the externs the model uses, and trains them by gradient descent on TensorFlow.js (or on
PyTorch with --engine torch: same data, targets, shuffles, initial weights, loss,
optimiser and outputs; see docs/training.md). After
every epoch the weights (tfjs format) and the metric history (history.json, .csv, .svg)
are saved atomically to DIR (default: FILE's name with .weights/NAME). Ctrl-C stops
after the current batch and keeps the last completed epoch's weights.

Options:
${MAX_TENSOR_USAGE}
  --train NAME   the train block to run (needed when the file has several)
  --epochs N     override the block's epochs
  --batch N      override the block's batch size
  --lr X         override the block's learning rate (a positive number, e.g. 0.001 or 1e-3)
  --limit N      use at most N training and N test examples (a quick run)
  --seed S       override the block's seed
  --out DIR      where to save weights and history
  --backend B    auto (default: WASM, else CPU), wasm or cpu (tfjs; with --engine torch
                 it computes the targets)
  --engine E     tfjs (default) or torch
  --device D     torch: cpu (default) or cuda
  --nproc N      torch: N data-parallel processes on this machine (DistributedDataParallel,
                 gloo on CPU, nccl on CUDA); the batch is the global batch
  --python PATH  torch: the Python to run (default: CAJAL_PYTHON, else python3 or
                 /usr/bin/python3, whichever imports torch)
  --plan DIR     torch: only prepare (data, targets, initial weights, the model's module)
                 into DIR and print the torchrun command that trains from it, e.g. on
                 several machines
  --json         print {"train","epochs","examples","seconds","final":{"loss","accuracy"},"weights"} at the end
                 (with an evaluate schedule also "evaluations":[{"step","examples","test"}])
  --events       print one JSON object per line as training goes (start, batch, evaluation, epoch, done/cancelled)`;

function positive(name: string, value: string | undefined): number | undefined {
    const n = integerOption(name, value, usage);
    if (n !== undefined && n < 1) throw new UsageError(`--${name} must be at least 1.`, usage);
    return n;
}

/** A positive finite number such as `0.001` or `1e-3`, with a clear error naming the option. */
function positiveNumber(name: string, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const n = /^\s*$/.test(value) ? NaN : Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects a positive number such as 0.001 or 1e-3, but got '${value}'.`, usage);
    return n;
}

function format(value: number | null, digits = 4): string {
    return value === null ? '–' : value.toFixed(digits);
}

/** Progress on a terminal: one line redrawn in place. */
function progressBar(done: number, total: number, width = 24): string {
    const filled = Math.round((done / Math.max(total, 1)) * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export const trainCommand: Command = {
    name: 'train',
    summary: 'train the learned networks (externs) of a train block',
    usage,
    cancellable: true,
    async run(args, io) {
        // Loaded here, not at the top: @cajal/train loads tfjs, which only this command needs
        // (docs/cli.md, "Start-up").
        const {
            DataError, TorchUnavailableError, TrainingError, WeightsFolderError, openWeightsFolder, defaultWeightsDirectory, findTorchPython, findTraining, prepareTraining, runTorchTraining, runTraining,
            torchTrainerScript, writeTorchPlan
        } = await import('@cajal/train');
        const { positionals, options, backend, epochs, batch, lr, limit, seed, engine, device, nproc } = trainArguments(args);

        // Before any work: a missing Python or torch is one clear line.
        let python: string | undefined;
        if (engine === 'torch' && options.plan === undefined) {
            try {
                python = findTorchPython({ python: options.python }).python;
            } catch (error) {
                if (error instanceof TorchUnavailableError) throw new CliError(`the torch engine cannot start: ${error.message}`);
                throw error;
            }
        }
        const program = await loadProgram(positionals, io, maxTensorOption(options, usage));
        if (reportDiagnostics(program, io, options.json === true)) return 1;
        const document = program.workspace.requested[0];
        const sourceFile = document.uri.fsPath;
        let training: ast.Training;
        try {
            training = findTraining(document.parseResult.value as ast.Module, options.train);
        } catch (error) {
            throw new CliError(`${displayPath(sourceFile, io.cwd)}: ${(error as Error).message}`);
        }
        const weightsDirectory = options.out ? path.resolve(io.cwd, options.out) : defaultWeightsDirectory(sourceFile, training.name);

        const terminal = !options.json && !options.events && tty.isatty(2);
        const log = io.stderr;
        const onEvent = (event: TrainEvent) => {
            if (options.events) {
                io.stdout.write(JSON.stringify(event) + '\n');
                return;
            }
            if (options.json) return;
            describeEvent(event, log, terminal, io.cwd);
        };
        try {
            const prepared = await prepareTraining(training, program.workspace.services, { epochs, batch, lr, limit, seed, backend });
            writeDiagnostics(io.stderr, prepared.warnings.map(w => diagnosticAtNode(w.node, w.code, w.message, io.cwd, 'warning')));
            try {
                if (options.plan !== undefined) {
                    // The folder is checked (writable, the tool's) now; torchrun's processes
                    // write it later without a lock (docs/training.md).
                    openWeightsFolder(weightsDirectory).release();
                    const plan = await writeTorchPlan(prepared, path.resolve(io.cwd, options.plan), { weightsDirectory, sourceFile, device, nproc: nproc ?? 1 });
                    io.stdout.write(planMessage(plan, torchTrainerScript(), weightsDirectory, io.cwd));
                    return 0;
                }
                const result = engine === 'torch'
                    ? await runTorchTraining(prepared, { weightsDirectory, sourceFile, signal: io.signal, onEvent, torch: { python, device, nproc } })
                    : await runTraining(prepared, { weightsDirectory, sourceFile, signal: io.signal, onEvent, backend });
                if (options.json) io.stdout.write(JSON.stringify(resultSummary(result, prepared.settings.evaluate !== undefined)) + '\n');
                return result.cancelled ? 130 : 0;
            } finally {
                prepared.dispose();
            }
        } catch (error) {
            if (error instanceof DataError || error instanceof TrainingError || error instanceof WeightsFolderError) {
                throw new CliError(`${displayPath(sourceFile, io.cwd)}: train ${training.name}: ${error.message}`);
            }
            throw error;
        }
    }
};

/** The command's arguments, checked: one file, numbers where numbers go, torch options only with --engine torch. */
function trainArguments(args: string[]) {
    const { positionals, options } = parseCommandArgs(args, {
        ...MAX_TENSOR_OPTION,
        train: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' },
        out: { type: 'string', short: 'o' }, backend: { type: 'string' }, json: { type: 'boolean' }, events: { type: 'boolean' },
        engine: { type: 'string' }, device: { type: 'string' }, nproc: { type: 'string' }, python: { type: 'string' }, plan: { type: 'string' }
    }, usage);
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'train needs a file.' : 'train takes exactly one file.', usage);
    if (options.json && options.events) throw new UsageError('--json and --events both write to stdout; choose one.', usage);
    const backend = options.backend ?? 'auto';
    if (!['auto', 'wasm', 'cpu'].includes(backend)) throw new UsageError(`--backend must be auto, wasm or cpu, got '${backend}'.`, usage);
    const epochs = positive('epochs', options.epochs);
    const batch = positive('batch', options.batch);
    const lr = positiveNumber('lr', options.lr);
    const limit = positive('limit', options.limit);
    const seed = integerOption('seed', options.seed, usage);
    const engine = options.engine ?? 'tfjs';
    if (engine !== 'tfjs' && engine !== 'torch') throw new UsageError(`--engine must be tfjs or torch, got '${engine}'.`, usage);
    const device = options.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`--device must be cpu or cuda, got '${device}'.`, usage);
    const nproc = positive('nproc', options.nproc);
    if (engine === 'tfjs') {
        for (const torchOnly of ['device', 'nproc', 'python', 'plan'] as const) {
            if (options[torchOnly] !== undefined) throw new UsageError(`--${torchOnly} needs --engine torch.`, usage);
        }
    }
    return { positionals, options, backend: backend as BackendPreference, epochs, batch, lr, limit, seed, engine: engine as 'tfjs' | 'torch', device: device as 'cpu' | 'cuda', nproc };
}

/** What `--plan` prints: where the plan is and the torchrun commands that train from it. */
function planMessage(plan: string, trainerScript: string, weightsDirectory: string, cwd: string): string {
    return `Wrote the training plan ${displayPath(plan, cwd)} (its paths are absolute: on several machines, put it on a shared file system).\n`
        + `Train on one machine with N processes, or on M machines (run on each, with its --node_rank):\n`
        + `  torchrun --nproc_per_node N ${trainerScript} ${plan}\n`
        + `  torchrun --nnodes M --node_rank I --nproc_per_node N --rdzv_backend c10d --rdzv_endpoint HOST:29500 ${trainerScript} ${plan}\n`
        + `Rank 0 prints the --events lines and saves the weights to ${displayPath(weightsDirectory, cwd)}.\n`;
}

/** The `--json` summary of a run (with an evaluate schedule, its evaluations too). */
function resultSummary(result: TrainResult, scheduled: boolean): object {
    return {
        train: result.train, epochs: result.epochs, examples: result.examples, seconds: Number(result.seconds.toFixed(3)),
        final: { loss: result.final.loss, accuracy: result.final.accuracy, psnr: result.final.psnr, testLoss: result.final.testLoss, testAccuracy: result.final.testAccuracy, testPsnr: result.final.testPsnr },
        weights: result.weights, cancelled: result.cancelled, backend: result.backend,
        ...(scheduled ? { evaluations: result.evaluations } : {})
    };
}

function describeEvent(event: TrainEvent, log: Writer, terminal: boolean, cwd: string): void {
    switch (event.event) {
        case 'start':
            log.write(`training ${event.train}: ${event.examples} examples (${event.test} held out for testing), ${event.epochs} epochs of ${event.batches} batches, ${event.parameters.toLocaleString('en-US')} parameters, ${event.backend} backend\n  data: ${event.data}\n`);
            break;
        case 'batch':
            if (terminal) log.write(`\r  epoch ${event.epoch} ${progressBar(event.batch, event.batches)} ${event.batch}/${event.batches} loss ${event.loss.toFixed(4)}   `);
            break;
        case 'epoch': {
            const quality = event.accuracy !== null
                ? `accuracy ${format(event.accuracy)}  test loss ${format(event.testLoss)}  test accuracy ${format(event.testAccuracy)}`
                : `PSNR ${format(event.psnr, 2)} dB  test loss ${format(event.testLoss)}  test PSNR ${format(event.testPsnr, 2)} dB`;
            log.write(`${terminal ? '\r\x1b[K' : ''}  epoch ${event.epoch}: loss ${format(event.loss)}  ${quality}  (${event.seconds.toFixed(1)} s)\n`);
            break;
        }
        case 'evaluation': {
            const quality = event.test.accuracy !== null ? `test accuracy ${format(event.test.accuracy)}` : `test PSNR ${format(event.test.psnr, 2)} dB`;
            log.write(`${terminal ? '\r\x1b[K' : ''}  step ${event.step} (${event.examples} examples): test loss ${format(event.test.loss)}  ${quality}\n`);
            break;
        }
        case 'done':
            log.write(`done in ${event.seconds.toFixed(1)} s; weights and history in ${event.weights ? displayPath(event.weights, cwd) : '(not saved)'}\n`);
            break;
        case 'cancelled':
            log.write(`${terminal ? '\r\x1b[K' : ''}cancelled after ${event.epochs} completed epoch${event.epochs === 1 ? '' : 's'}; ${event.weights ? `their weights are in ${displayPath(event.weights, cwd)}` : 'no weights were saved'}\n`);
            break;
    }
}
