#!/usr/bin/env node
/**
 * The papers' linear-neuron experiments as the authors ran them (issue 12), on the shipped
 * train blocks (examples/train/*.cajal): per (batch, lr) cell and seed, AND-even's models
 * D (linked, `andEven`), T (type control, `andEvenType`), I (baseline, `andEvenBaseline`) and
 * C (Church, `andEvenChurch`), EQ-even's D/T/I; test accuracy at the steps of the blocks'
 * `evaluate` schedule. Then, with --sweep, the project's own data-efficiency sweep (accuracy vs
 * training-set size); then experiments/dilation.mjs (issue 13: dilation and
 * conditional dilation, its own results and report; --quick, --report-only, --fresh and the engine pass on).
 *
 * Results are written after every run, atomically, to experiments/results.json; a run
 * already there (same task, model, block text, engine and overrides) is not redone, so an
 * interrupted run resumes. The report (experiments/report.md) and the SVG figures
 * (experiments/plots/) are generated from the results file.
 *
 * Usage: node experiments/run.mjs [--quick] [--engine torch|tfjs] [--cells 64:1e-3,…|all]
 *          [--seeds N] [--models D,T,I,C] [--only NAME] [--sweep] [--no-legacy] [--report-only] [--fresh]
 *   --quick       a smoke run of a few minutes (CI): one cell, one seed, one epoch of 640
 *                 pairs, 500 test pairs, then dilation.mjs --quick; writes *-quick files, never resumes
 *   --engine      torch (default when a Python with torch is found) or tfjs
 *   --cells       (batch, lr) cells, default 64:1e-3; 'all': the authors' 3 × 3 grid
 *   --seeds N     seeds 1…N (default 10)
 *   --models      which of D, T, I, C (default all that the task has)
 *   --only NAME   only tasks whose name contains NAME (AND-even, EQ-even, dilation)
 *   --sweep       also the data-efficiency sweep for AND-even and EQ-even (D vs I)
 *   --no-legacy   skip the sweep and experiments/dilation.mjs
 *   --report-only rewrite the report and figures from the results file, train nothing
 *   --fresh       ignore (and replace) the results file
 * Needs the built packages: npx tsc -b tsconfig.build.json
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ast, basisLabels, loadFiles } from '@cajal/language';
import { writeFileAtomic } from '@cajal/compiler';
import { TorchUnavailableError, evaluationSteps, findTorchPython, findTraining, prepareTraining, runTorchTraining, runTraining } from '@cajal/train';
import {
    AUTHORS_CELLS, AUTHORS_SCHEDULE, AUTHORS_SEEDS, CHECKPOINTS, MODELS, accuraciesAt, cellName, dependencyText, majorityClass, mean, meanSd,
    interruptSignal, parseCells, runKey, sd, seedList, sizeFigure, stepsFigure
} from './lib.mjs';

const experimentsDirectory = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(experimentsDirectory);

const USAGE = 'usage: node experiments/run.mjs [--quick] [--engine torch|tfjs] [--cells 64:1e-3,…|all] [--seeds N] [--models D,T,I,C] [--only NAME] [--sweep] [--no-legacy] [--report-only] [--fresh]';
let args;
try {
    args = parseArgs({
        args: process.argv.slice(2), strict: true, allowPositionals: false, options: {
            quick: { type: 'boolean' }, engine: { type: 'string' }, cells: { type: 'string' }, seeds: { type: 'string' }, models: { type: 'string' },
            only: { type: 'string' }, sweep: { type: 'boolean' }, 'no-legacy': { type: 'boolean' }, 'report-only': { type: 'boolean' }, fresh: { type: 'boolean' }
        }
    }).values;
} catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
}
const fail = message => { console.error(`${message}\n${USAGE}`); process.exit(2); };
const quick = args.quick === true;
let cells;
try {
    cells = parseCells(args.cells ?? '64:1e-3');
} catch (error) {
    fail(error.message);
}
if (args.seeds !== undefined && !/^[1-9]\d*$/.test(args.seeds)) fail(`--seeds expects a positive whole number, got '${args.seeds}'`);
const seeds = Array.from({ length: quick ? 1 : Number(args.seeds ?? AUTHORS_SEEDS) }, (_, i) => i + 1);
const models = args.models ? args.models.split(',').map(m => m.trim().toUpperCase()) : Object.keys(MODELS);
for (const model of models) if (!(model in MODELS)) fail(`--models takes D, T, I and C, got '${model}'`);
if (quick && args.cells === undefined) cells = cells.slice(0, 1);

// The engine: torch when a Python with torch is found (docs/training.md), else tfjs.
let engine = args.engine;
let torchPython;
if (engine !== undefined && engine !== 'torch' && engine !== 'tfjs') fail(`--engine must be torch or tfjs, got '${engine}'`);
if (engine !== 'tfjs' && !args['report-only']) {
    try {
        torchPython = findTorchPython();
        engine = 'torch';
    } catch (error) {
        if (!(error instanceof TorchUnavailableError)) throw error;
        if (engine === 'torch') { console.error(`--engine torch: ${error.message}`); process.exit(1); }
        engine = 'tfjs';
        console.error(`no Python with torch (${error.message}); training on tfjs`);
    }
}

const ALL_TASKS = [
    { name: 'AND-even', file: 'examples/train/and-even.cajal', metric: 'accuracy', models: { D: 'andEven', T: 'andEvenType', I: 'andEvenBaseline', C: 'andEvenChurch' } },
    { name: 'EQ-even', file: 'examples/train/eq-even.cajal', metric: 'accuracy', models: { D: 'eqEven', T: 'eqEvenType', I: 'eqEvenBaseline' } }
];
// Dilation and conditional dilation (issue 13) have their own runner, experiments/dilation.mjs, run at the end.
/** The tasks this invocation trains (the report covers every task in the results). */
const TASKS = ALL_TASKS.filter(task => !args.only || task.name.toLowerCase().includes(args.only.toLowerCase()));

/** The authors' protocol takes the blocks' own epochs, examples and test size; --quick shrinks them. */
const QUICK_AUTHORS = { epochs: 1, examples: 640, test: 500 };
/** The project's data-efficiency sweep (issue 12's second figure): every run sees about `budget` examples. */
const SWEEP = quick
    ? { sizes: [64, 256], seeds: [1], budget: 1024, test: { accuracy: 300, psnr: 150 }, evaluations: 8 }
    : { sizes: [64, 256, 1024, 4096], seeds: [1, 2, 3], budget: 8192, test: { accuracy: 1000, psnr: 300 }, evaluations: 8 };

const resultsFile = path.join(experimentsDirectory, quick ? 'results-quick.json' : 'results.json');
const reportFile = path.join(experimentsDirectory, quick ? 'report-quick.md' : 'report.md');
const plotsDirectory = path.join(experimentsDirectory, 'plots');
const plotPrefix = quick ? 'quick-' : '';

const machine = {
    platform: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model?.trim() ?? null,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)), node: process.version
};

function loadResults() {
    if (quick || args.fresh || !fs.existsSync(resultsFile)) return { format: 'cajal-experiments/2', runs: [], invocations: [] };
    const loaded = JSON.parse(fs.readFileSync(resultsFile, 'utf-8'));
    if (loaded.format !== 'cajal-experiments/2') {
        console.error(`${path.relative(root, resultsFile)} is in an older format (${loaded.format ?? 'no format field'}); starting afresh`);
        return { format: 'cajal-experiments/2', runs: [], invocations: [] };
    }
    return loaded;
}
const results = loadResults();
const saveResults = () => writeFileAtomic(resultsFile, JSON.stringify(results, null, 1) + '\n');

// ---------------------------------------------------------------------------------------
// Running

const workspaces = new Map();
async function loadTask(task) {
    if (workspaces.has(task.file)) return workspaces.get(task.file);
    const file = path.join(root, task.file);
    const workspace = await loadFiles([file]);
    const document = workspace.requested[0];
    const errors = (document.diagnostics ?? []).filter(d => d.severity === 1);
    if (errors.length > 0) throw new Error(`${task.file} has errors: ${errors.map(e => `${e.range.start.line + 1}:${e.range.start.character + 1} ${e.message}`).join('; ')}`);
    const module = document.parseResult.value;
    const declarations = module.declarations.filter(d => d.name && d.$cstNode).map(d => ({ name: d.name, text: d.$cstNode.text }));
    const blockHash = train => crypto.createHash('sha256').update(dependencyText(declarations, train)).digest('hex').slice(0, 16);
    const loaded = { services: workspace.services, module, blockHash };
    workspaces.set(task.file, loaded);
    return loaded;
}

/** The test set's accuracy when always answering the most frequent class, from the targets. */
function testMajority(prepared) {
    const rows = prepared.testTargets.arraySync();
    return majorityClass(rows, basisLabels(prepared.modelType));
}

/** Test evaluations of a run: the engine's `evaluation` events (the block's schedule), else its per-epoch test metrics. */
function evaluationsOf(events, batches) {
    const scheduled = events.filter(e => e.event === 'evaluation').map(e => ({
        step: e.step, examples: e.examples, loss: e.test?.loss ?? e.test?.testLoss ?? null,
        accuracy: e.test?.accuracy ?? e.test?.testAccuracy ?? null, psnr: e.test?.psnr ?? e.test?.testPsnr ?? null
    }));
    if (scheduled.length > 0) return { source: 'schedule', evaluations: scheduled };
    const perEpoch = events.filter(e => e.event === 'epoch' && e.testLoss !== null).map(e => ({
        step: e.epoch * batches, examples: e.examplesSeen, loss: e.testLoss, accuracy: e.testAccuracy, psnr: e.testPsnr
    }));
    return { source: 'epochs', evaluations: perEpoch };
}

async function train(spec) {
    const { services, module } = await loadTask(spec.task);
    const training = findTraining(module, spec.train);
    const started = performance.now();
    const prepared = await prepareTraining(training, services, { ...spec.overrides });
    try {
        const events = [];
        const onEvent = event => { if (event.event !== 'batch') events.push(event); };
        const options = { weightsDirectory: null, onEvent, signal: interrupted, ...(spec.testEvery ? { testEvery: spec.testEvery } : {}) };
        const result = engine === 'torch'
            ? await runTorchTraining(prepared, { ...options, torch: { python: torchPython.python } })
            : await runTraining(prepared, options);
        if (result.cancelled) return null;
        const start = events.find(e => e.event === 'start');
        const { source, evaluations } = evaluationsOf(events, start.batches);
        const { loss, optimizer, lr, epochs, batch, seed, examples, test, ...rest } = prepared.settings;
        return {
            seconds: Number(((performance.now() - started) / 1000).toFixed(2)), trainSeconds: Number(result.seconds.toFixed(2)),
            backend: result.backend, parameters: start.parameters, data: start.data, batches: start.batches, steps: start.batches * result.epochs,
            settings: { loss, optimizer, lr, epochs, batch, seed, examples, test, ...rest },
            evaluationSource: source, evaluations, final: result.final,
            majority: prepared.discrete ? testMajority(prepared) : null
        };
    } finally {
        prepared.dispose();
    }
}

/** Every run this invocation asks for: the authors' protocol, then the data-efficiency sweep. */
function plannedRuns() {
    const specs = [];
    for (const task of TASKS) {
        if (task.legacyOnly) continue;
        for (const cell of cells) {
            for (const seed of seeds) {
                for (const model of models) {
                    if (!task.models[model]) continue;
                    specs.push({ kind: 'authors', task, model, train: task.models[model], cell: cellName(cell), seed, overrides: { batch: cell.batch, lr: cell.lr, seed, ...(quick ? QUICK_AUTHORS : {}) } });
                }
            }
        }
    }
    // Seed by seed across tasks and models: a run stopped early leaves complete seeds of every model.
    specs.sort((a, b) => cells.findIndex(c => cellName(c) === a.cell) - cells.findIndex(c => cellName(c) === b.cell) || a.seed - b.seed);
    if (!args['no-legacy']) {
        for (const task of TASKS) {
            if (!task.legacyOnly && !args.sweep) continue;
            for (const model of ['D', 'I']) {
                for (const size of SWEEP.sizes) {
                    for (const seed of SWEEP.seeds) {
                        const epochs = Math.max(1, Math.round(SWEEP.budget / size));
                        specs.push({
                            kind: 'sweep', task, model, train: task.models[model], size, seed, testEvery: Math.max(1, Math.floor(epochs / SWEEP.evaluations)),
                            overrides: { examples: size, test: SWEEP.test[task.metric], seed, epochs }
                        });
                    }
                }
            }
        }
    }
    return specs;
}

// Ctrl-C or SIGTERM: the current run stops after its batch and is not recorded (lib.mjs).
const interrupted = interruptSignal(path.relative(root, resultsFile));

const invocationStarted = performance.now();
if (!args['report-only']) {
    const specs = plannedRuns();
    const done = new Set(results.runs.map(r => r.key));
    // Missing blocks are found again for the tasks trained now; the others' notes stay.
    results.missing = (results.missing ?? []).filter(m => !TASKS.some(t => t.name === m.task));
    let index = 0;
    for (const spec of specs) {
        index++;
        const { module, blockHash } = await loadTask(spec.task);
        if (!module.declarations.some(d => ast.isTraining(d) && d.name === spec.train)) {
            const note = `${spec.task.file} has no train block '${spec.train}'`;
            if (!results.missing.some(m => m.train === spec.train)) results.missing.push({ task: spec.task.name, model: spec.model, train: spec.train, reason: note });
            continue;
        }
        const key = runKey({ task: spec.task.name, model: spec.model, train: spec.train, blockHash: blockHash(spec.train), engine, overrides: { ...spec.overrides, kind: spec.kind } });
        if (done.has(key)) continue;
        const where = spec.kind === 'authors' ? `cell ${spec.cell}` : `size ${spec.size}`;
        process.stderr.write(`[${index}/${specs.length}] ${spec.task.name} ${spec.model} (${spec.train}) ${where} seed ${spec.seed} on ${engine} … `);
        const run = await train(spec);
        if (run === null) { process.stderr.write('interrupted, not recorded\n'); break; }
        const record = {
            key, kind: spec.kind, task: spec.task.name, model: spec.model, train: spec.train, file: spec.task.file,
            ...(spec.kind === 'authors' ? { cell: spec.cell } : { size: spec.size }), seed: spec.seed, engine, date: new Date().toISOString(),
            loadAverage: os.loadavg().map(x => Number(x.toFixed(2))), ...run
        };
        results.runs.push(record);
        done.add(key);
        saveResults();
        const last = run.evaluations.at(-1);
        const value = spec.task.metric === 'accuracy' ? `test accuracy ${last?.accuracy?.toFixed(4)}` : `test PSNR ${last?.psnr?.toFixed(2)} dB`;
        process.stderr.write(`${value} at step ${last?.step}, ${run.seconds.toFixed(1)} s\n`);
    }
    results.invocations.push({
        date: new Date().toISOString(), argv: process.argv.slice(2), engine, python: torchPython?.python ?? null, torchVersion: torchPython?.torchVersion ?? null,
        machine, seconds: Number(((performance.now() - invocationStarted) / 1000).toFixed(1))
    });
    saveResults();
}

// ---------------------------------------------------------------------------------------
// Report and figures (from the results file alone)

// Only runs of the source as it is now: a run of an edited (or removed) block is left out.
const current = [];
for (const run of results.runs) {
    const task = ALL_TASKS.find(t => t.name === run.task);
    if (!task) continue;
    const { module, blockHash } = await loadTask(task);
    if (module.declarations.some(d => ast.isTraining(d) && d.name === run.train) && blockHash(run.train) === JSON.parse(run.key).blockHash) current.push(run);
}
const { report, figures } = buildReport({ ...results, runs: current }, results.runs.length - current.length);
fs.mkdirSync(plotsDirectory, { recursive: true });
for (const [name, svg] of figures) writeFileAtomic(path.join(plotsDirectory, name), svg);
writeFileAtomic(reportFile, report);
console.error(`wrote ${args['report-only'] ? '' : `${path.relative(root, resultsFile)}, `}${path.relative(root, reportFile)} and ${figures.length} figure(s) in experiments/plots/`);

// The recurrent-neuron experiments (issue 13): their own runner and report, on the same engine
// (on tfjs its smaller reduced protocol, dilation-report-tfjs.md).
if (!args['no-legacy'] && !interrupted.aborted && (!args.only || 'conditional dilation'.includes(args.only.toLowerCase()))) {
    const passed = ['quick', 'report-only', 'fresh'].filter(flag => args[flag]).map(flag => `--${flag}`);
    const child = spawnSync(process.execPath, [path.join(experimentsDirectory, 'dilation.mjs'), ...passed, '--engine', engine === 'tfjs' ? 'tfjs' : 'torch'], { stdio: 'inherit' });
    if (child.status !== 0) process.exitCode = child.status ?? 1;
}

/** A train setting as the block writes it: `every 10 until 300, every 100`, `fixed`, `1`. */
function settingText(key, value) {
    if (key === 'evaluate' && Array.isArray(value)) return value.map(segment => `every ${segment.every}${segment.until !== undefined ? ` until ${segment.until}` : ''}`).join(', ');
    return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** The definition a train block's model applies (its source text), or the model term itself. */
function modelSource(task, trainName) {
    const module = workspaces.get(task.file)?.module;
    const training = module?.declarations.find(d => ast.isTraining(d) && d.name === trainName);
    const term = training?.options.find(ast.isModelOption)?.term;
    if (!term?.$cstNode) return undefined;
    const head = term.$cstNode.text.match(/^[A-Za-z_][A-Za-z0-9_']*/)?.[0];
    const definition = module.declarations.find(d => !ast.isTraining(d) && d.name === head && d.$cstNode);
    return (definition ?? term).$cstNode.text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

function buildReport(results, stale) {
    const figures = [];
    const lines = [];
    const runs = results.runs;
    const authorsRuns = runs.filter(r => r.kind === 'authors');
    const sweepRuns = runs.filter(r => r.kind === 'sweep');
    const engines = [...new Set(runs.map(r => r.engine))];
    const backends = [...new Set(runs.map(r => r.backend))];
    const lastInvocation = results.invocations.at(-1);
    const machineOf = lastInvocation?.machine ?? machine;
    const hours = s => s >= 3600 ? `${(s / 3600).toFixed(2)} h` : `${(s / 60).toFixed(1)} min`;
    const totalSeconds = runs.reduce((t, r) => t + r.seconds, 0);

    lines.push('# Experiments: the papers\' AND-even and EQ-even as the authors ran them', '');
    lines.push(`Generated by \`npm run experiments${quick ? ' -- --quick' : ''}\` (experiments/run.mjs) from [\`${path.basename(resultsFile)}\`](${path.basename(resultsFile)}). `
        + `Engine${engines.length > 1 ? 's' : ''}: ${engines.join(', ') || '–'} (${backends.join(', ') || '–'}). `
        + `Machine: ${machineOf.cpus} × ${machineOf.cpuModel ?? 'unknown CPU'}, ${machineOf.memoryGiB} GiB, ${machineOf.platform}, Node ${machineOf.node}. `
        + `Training wall time, all runs together: ${hours(totalSeconds)} (${runs.length} runs).`, '');
    if (stale > 0) lines.push(`(${stale} earlier run${stale === 1 ? '' : 's'} in the results file, of train blocks edited or removed since, ${stale === 1 ? 'is' : 'are'} left out.)`, '');
    if (quick) lines.push('**This is the quick smoke run (one cell, one seed, one epoch of 640 pairs): it checks that everything runs; its numbers mean nothing.**', '');

    lines.push('## What the authors did', '');
    lines.push('From their scripts (the reference implementation\'s `experiments/and` and `experiments/eq`), as issue 12 records them:', '');
    lines.push('| | the authors |', '|---|---|');
    lines.push('| data | full MNIST: 60,000 training / 10,000 test digits; 30,000 fixed training pairs (digit i with digit 30,000+i), 5,000 test pairs |');
    lines.push('| linked model (D) | two separate networks 784→400→2, raw outputs (logits) fed to the compiled program; cross-entropy on the program\'s output as logits |');
    lines.push('| controls | baseline (I) 1,568→400→2 (≈628k parameters); type control (T): the same two networks, then a learned linear map Bool⊗Bool ⊸ Bool (`Linear(4,2)` on the outer product); Church variant (C, AND only): each network outputs a Church boolean (an 8-number matrix of Bool ⊸ Bool ⊸ Bool) that the program applies |');
    lines.push('| schedule | Adam, 5 epochs over the 30,000 pairs (150,000 examples), batch {64, 128, 256} × lr {1e-3, 1e-4, 1e-5}, 10 seeds per cell |');
    lines.push('| measure | test accuracy on the 5,000 pairs at step 0, every 10 steps to 300, then every 100; one curve per seed, D/T/I per (batch, lr) cell |', '');

    lines.push('## What was run here', '');
    const cellsRun = AUTHORS_CELLS.map(cellName).filter(c => authorsRuns.some(r => r.cell === c))
        .concat([...new Set(authorsRuns.map(r => r.cell))].filter(c => !AUTHORS_CELLS.map(cellName).includes(c)));
    const notRun = AUTHORS_CELLS.map(cellName).filter(c => !cellsRun.includes(c));
    const perRun = quick ? NaN : mean(authorsRuns.map(r => r.seconds));
    lines.push(`- Cells run: ${cellsRun.join(', ') || 'none'}. ${notRun.length > 0 ? `Not run: ${notRun.join(', ')}` : 'The whole grid was run.'}`
        + (notRun.length > 0 && Number.isFinite(perRun) ? ` — at the ${perRun.toFixed(0)} s a run took here, each further cell of ${AUTHORS_SEEDS} seeds × 7 models is about ${hours(perRun * AUTHORS_SEEDS * 7)} of this machine, one run at a time.` : '.'));
    lines.push('');
    lines.push('| task | model | train block: the definition its model applies | parameters | seeds | s per run | wall time |', '|---|---|---|---:|---|---:|---:|');
    for (const task of ALL_TASKS.filter(t => !t.legacyOnly)) {
        const taskRuns = authorsRuns.filter(r => r.task === task.name);
        for (const model of Object.keys(task.models)) {
            const modelRuns = taskRuns.filter(r => r.model === model);
            const source = modelSource(task, task.models[model]);
            if (modelRuns.length === 0) {
                const missing = (results.missing ?? []).find(m => m.train === task.models[model]);
                lines.push(`| ${task.name} | ${model} | \`${task.models[model]}\`${source ? `: \`${source}\`` : ''} | | not run${missing ? ` (${missing.reason})` : ''} | | |`);
                continue;
            }
            const seedsRun = cellsRun.filter(c => modelRuns.some(r => r.cell === c)).map(c => `${cellsRun.length > 1 ? `${c}: ` : ''}${seedList(modelRuns.filter(r => r.cell === c).map(r => r.seed))}`).join('; ');
            lines.push(`| ${task.name} | ${model} | \`${task.models[model]}\`${source ? `: \`${source}\`` : ''} | ${modelRuns[0].parameters.toLocaleString('en-US')} | ${seedsRun} | ${mean(modelRuns.map(r => r.seconds)).toFixed(0)} | ${hours(modelRuns.reduce((t, r) => t + r.seconds, 0))} |`);
        }
    }
    lines.push('');
    if (authorsRuns.length > 0) {
        const ends = authorsRuns.map(r => Date.parse(r.date));
        const first = Math.min(...authorsRuns.map(r => Date.parse(r.date) - 1000 * r.seconds));
        lines.push(`- Wall time of these ${authorsRuns.length} runs, one at a time: ${hours(authorsRuns.reduce((t, r) => t + r.seconds, 0))} of training (data, targets and training per run); from the first start to the last end ${hours((Math.max(...ends) - first) / 1000)} (${new Date(first).toISOString().slice(0, 16).replace('T', ' ')} to ${new Date(Math.max(...ends)).toISOString().slice(0, 16).replace('T', ' ')} UTC, with pauses between invocations).`);
    }
    const sample = authorsRuns[0];
    if (sample) {
        const s = sample.settings;
        lines.push(`- Settings (from the train blocks, with the cell's batch and lr): loss \`${s.loss}\`, ${s.optimizer}, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} over ${s.examples.toLocaleString('en-US')} training pairs, ${s.test.toLocaleString('en-US')} test pairs`
            + `${Object.entries(s).filter(([k]) => !['loss', 'optimizer', 'lr', 'epochs', 'batch', 'seed', 'examples', 'test'].includes(k)).map(([k, v]) => `, \`${k} ${settingText(k, v)}\``).join('')}. Data: ${sample.data}.`);
        const sources = [...new Set(authorsRuns.map(r => r.evaluationSource))];
        lines.push(`- Test evaluations: ${sources.includes('epochs') ? '**after every epoch only** (the engine had no `evaluate` schedule)' : 'at the steps of the blocks\' `evaluate` schedule'}`
            + ` (per run, by the run's number of steps: ${[...new Set(authorsRuns.map(r => r.steps))].sort((a, b) => b - a).map(steps => {
                const counts = [...new Set(authorsRuns.filter(r => r.steps === steps).map(r => r.evaluations.length))];
                return `${counts.join('/')} over ${steps.toLocaleString('en-US')} steps, where the authors' schedule gives ${evaluationSteps(AUTHORS_SCHEDULE, steps).length}`;
            }).join('; ')}).`);
        lines.push(`- Wall time per run includes loading the data and computing the targets (on tfjs) as well as training; the machine was shared (load average during the runs ${Math.min(...authorsRuns.map(r => r.loadAverage[0])).toFixed(1)}–${Math.max(...authorsRuns.map(r => r.loadAverage[0])).toFixed(1)}).`);
    }
    lines.push('');

    lines.push('## Where this differs from the authors', '');
    const differences = [];
    if (notRun.length > 0) differences.push(`Only ${cellsRun.length} of the 9 (batch, lr) cells (see above).`);
    // Seeds per cell, over its (task, model) groups: a run stopped early may leave the last seed part-done.
    const seedsPerCell = cellsRun.map(cell => {
        const groups = [...new Set(authorsRuns.filter(r => r.cell === cell).map(r => `${r.task} ${r.model}`))]
            .map(group => ({ group, count: authorsRuns.filter(r => r.cell === cell && `${r.task} ${r.model}` === group).length }));
        const counts = groups.map(g => g.count);
        // The count most groups have, then the groups that differ from it.
        const usual = [...new Set(counts)].sort((a, b) => counts.filter(c => c === b).length - counts.filter(c => c === a).length || b - a)[0];
        const others = groups.filter(g => g.count !== usual).map(g => `${g.group}: ${g.count}`);
        return { cell, fewest: Math.min(...counts), text: `${usual} in ${cell}${others.length > 0 ? ` (${others.join(', ')})` : ''}` };
    });
    if (seedsPerCell.some(c => c.fewest < AUTHORS_SEEDS)) {
        differences.push(`Seeds per model (the tables' n): ${seedsPerCell.map(c => c.text).join('; ')}; the authors ran ${AUTHORS_SEEDS} in every cell. With fewer seeds the means and standard deviations are rough, and the differences below are read with that in mind. \`--seeds N\` resumes with the rest.`);
    }
    for (const missing of results.missing ?? []) if (!ALL_TASKS.find(t => t.name === missing.task)?.legacyOnly) differences.push(`${missing.task} ${missing.model} was not run: ${missing.reason}.`);
    if (sample) {
        const s = sample.settings;
        if (s.examples !== 30000 || s.test !== 5000 || s.epochs !== 5) differences.push(`Data and schedule: ${s.examples} training pairs, ${s.test} test pairs, ${s.epochs} epoch(s) (the authors: 30,000, 5,000, 5).`);
        if (s.pairs !== 'fixed') differences.push(`Pairs: ${s.pairs ?? 'random (the blocks have no `pairs fixed`)'}; the authors pair training digit i with digit 30,000+i.`);
        if (s.loss !== 'softmax_cross_entropy' && authorsRuns.some(r => r.model === 'D')) differences.push(`Loss \`${s.loss}\` (the authors: cross-entropy on the program's output read as logits).`);
        if (authorsRuns.some(r => r.evaluationSource === 'epochs')) differences.push('Test accuracy only after each epoch, not at the authors\' steps: the checkpoints below other than the final one are missing.');
    }
    if (!quick && !sweepRuns.some(r => r.task !== 'dilation')) differences.push('The project\'s data-efficiency sweep for AND-even and EQ-even (accuracy vs training-set size, `--sweep`) was not run for this report: the machine\'s time went to the seeds above. Its figure is therefore absent. Dilation and conditional dilation (issue 13) have their own report, [dilation-report.md](dilation-report.md).');
    differences.push('Labels: the program\'s own encoding of Bool (`true` first). The authors\' label 1 is the program\'s *false* component, which works for them only because their inputs are unnormalised logits.');
    differences.push(`Engine: ${engines.join(', ')} on this machine's CPUs; seeds fix the initial weights and the shuffling of this project's engines, not PyTorch's own generators as in the authors' scripts, so no single curve can match theirs.`);
    for (const d of differences) lines.push(`- ${d}`);
    lines.push('');

    lines.push('## Results', '');
    lines.push(`Test accuracy in %, mean ± sd over seeds (n = number of seeds), at the authors' checkpoints (steps ${CHECKPOINTS.join(', ')}) and at the last step. `
        + 'The majority-class line is the accuracy of always answering the test pairs\' most frequent label, counted from the test targets of the runs. '
        + 'Below each table, the difference of D from each other model at the last step, with the standard error of that difference'
        + (seedsPerCell.some(c => c.fewest < 5) ? '; with 3 seeds the standard deviations, and so the standard errors, are themselves uncertain by a large factor, so "more than twice it" there is an indication, not a test.' : '.'), '');
    for (const task of ALL_TASKS.filter(t => !t.legacyOnly)) {
        const taskRuns = authorsRuns.filter(r => r.task === task.name);
        if (taskRuns.length === 0) continue;
        lines.push(`### ${task.name}`, '');
        const majorities = taskRuns.map(r => r.majority).filter(Boolean);
        const majority = majorities.length > 0 ? mean(majorities.map(m => m.accuracy)) : undefined;
        if (majority !== undefined) {
            const labels = [...new Set(majorities.map(m => m.label))];
            lines.push(`Majority class: \`${labels.join('`/`')}\`, ${(100 * majority).toFixed(1)} % of the test pairs${new Set(majorities.map(m => m.accuracy)).size > 1 ? ` (mean over runs; ${(100 * Math.min(...majorities.map(m => m.accuracy))).toFixed(1)}–${(100 * Math.max(...majorities.map(m => m.accuracy))).toFixed(1)} %)` : ''}.`, '');
        }
        for (const cell of cellsRun) {
            const cellRuns = taskRuns.filter(r => r.cell === cell);
            if (cellRuns.length === 0) continue;
            lines.push(`Cell batch ${cell.split(':')[0]}, lr ${cell.split(':')[1]}:`, '');
            lines.push(`| model | n | ${CHECKPOINTS.map(s => `step ${s}`).join(' | ')} | final (step) |`, `|---|---:|${CHECKPOINTS.map(() => '---:').join('|')}|---:|`);
            for (const model of Object.keys(task.models)) {
                const modelRuns = cellRuns.filter(r => r.model === model);
                if (modelRuns.length === 0) continue;
                const finalSteps = [...new Set(modelRuns.map(r => r.evaluations.at(-1)?.step))];
                const at = step => {
                    const values = accuraciesAt(modelRuns, step);
                    // A larger batch has fewer steps (batch 256: 590): a checkpoint past the last step is not a missing record.
                    if (values.length === 0) return step !== 'final' && finalSteps.every(last => last < step) ? '– (past the last step)' : 'not recorded';
                    return `${meanSd(values)}${values.length < modelRuns.length ? ` (n = ${values.length})` : ''}`;
                };
                lines.push(`| ${MODELS[model].label} | ${modelRuns.length} | ${CHECKPOINTS.map(at).join(' | ')} | ${at('final')} (${finalSteps.join(', ')}) |`);
            }
            lines.push('');
            // Differences at the last step, each with the standard error of a difference of means.
            const finals = model => accuraciesAt(cellRuns.filter(r => r.model === model), 'final');
            const d = finals('D');
            const comparisons = ['T', 'I', 'C'].map(other => [other, finals(other)]).filter(([, o]) => d.length >= 2 && o.length >= 2).map(([other, o]) => {
                const gap = mean(d) - mean(o);
                const error = Math.sqrt(sd(d) ** 2 / d.length + sd(o) ** 2 / o.length);
                const points = x => (100 * x).toFixed(2).replace(/^-(0\.0+)$/, '$1');
                return `- Last step, D − ${other} (n = ${d.length}, ${o.length}): ${points(gap)} points (standard error of the difference ${points(error)}: ${Math.abs(gap) > 2 * error ? 'more than twice it' : 'within twice it, so no difference is shown'}).`;
            });
            if (comparisons.length > 0) lines.push(...comparisons, '');
        }
        const figure = `${plotPrefix}${task.name.toLowerCase()}-steps.svg`;
        figures.push([figure, stepsFigure({
            task: task.name,
            cells: cellsRun.map(c => ({ batch: Number(c.split(':')[0]), lr: Number(c.split(':')[1]) })),
            runs: taskRuns.map(r => ({ model: r.model, cell: r.cell, seed: r.seed, evaluations: r.evaluations })),
            majority
        })]);
        lines.push(`![${task.name}: test accuracy vs steps, one line per seed](plots/${figure})`, '');
    }

    if (sweepRuns.length > 0) {
        const sweepSeconds = sweepRuns.reduce((t, r) => t + r.seconds, 0);
        lines.push('## The project\'s data-efficiency sweep (second figure)', '');
        lines.push(`Not the authors' protocol: this project's own question, how test accuracy grows with the number of distinct training pairs. `
            + `Each of D (linked) and I (baseline) at training-set sizes ${SWEEP.sizes.join(', ')} (the blocks' fixed pairing at that size: example i pairs training digits i and size + i) over seeds ${SWEEP.seeds.join(', ')}, `
            + `every run seeing about ${SWEEP.budget.toLocaleString('en-US')} examples (epochs = ${SWEEP.budget} / size, so the same number of steps at every size), `
            + `with the blocks' other settings (batch, lr, loss, optimiser as above); test accuracy after the last step on ${SWEEP.test.accuracy.toLocaleString('en-US')} test pairs (test digits i and ${SWEEP.test.accuracy} + i), mean ± sd over seeds. `
            + `Wall time: ${hours(sweepSeconds)} for ${sweepRuns.length} runs.`, '');
        for (const task of ALL_TASKS) {
            const taskRuns = sweepRuns.filter(r => r.task === task.name && task.metric === 'accuracy');
            if (taskRuns.length === 0) continue;
            const value = r => r.final.testAccuracy;
            const seconds = runs => runs.length === 0 ? '–' : mean(runs.map(r => r.seconds)).toFixed(1);
            lines.push(`### ${task.name} (test accuracy, %)`, '');
            const majorities = taskRuns.map(r => r.majority).filter(Boolean);
            const majority = majorities.length > 0 ? mean(majorities.map(m => m.accuracy)) : undefined;
            if (majorities.length > 0) {
                const labels = [...new Set(majorities.map(m => m.label))];
                lines.push(`Majority class on these ${SWEEP.test.accuracy.toLocaleString('en-US')} test pairs: \`${labels.join('`/`')}\`, ${(100 * majority).toFixed(1)} %; a model at or below it has learned nothing that shows.`, '');
            }
            lines.push('| training examples | D | I | D − I (standard error) | seeds (D, I) | D s/run | I s/run |', '|---:|---:|---:|---|---|---:|---:|');
            const sizes = [...new Set(taskRuns.map(r => r.size))].sort((a, b) => a - b);
            for (const size of sizes) {
                const of = model => taskRuns.filter(r => r.model === model && r.size === size);
                const d = of('D').map(value);
                const i = of('I').map(value);
                let difference = '–';
                if (d.length >= 2 && i.length >= 2) {
                    const gap = mean(d) - mean(i);
                    const error = Math.sqrt(sd(d) ** 2 / d.length + sd(i) ** 2 / i.length);
                    difference = `${(100 * gap).toFixed(1)} (${(100 * error).toFixed(1)}): ${Math.abs(gap) > 2 * error ? 'more than twice it' : 'within twice it'}`;
                }
                lines.push(`| ${size} | ${d.length ? meanSd(d) : '–'} | ${i.length ? meanSd(i) : '–'} | ${difference} | ${d.length}, ${i.length} | ${seconds(of('D'))} | ${seconds(of('I'))} |`);
            }
            lines.push('', `With ${SWEEP.seeds.length} seeds per point the standard errors are rough; "more than twice it" is an indication, not a test.`, '');
            const figure = `${plotPrefix}${task.name.toLowerCase()}-sizes.svg`;
            figures.push([figure, sizeFigure({
                task: task.name, metric: task.metric,
                points: ['D', 'I'].flatMap(model => sizes.map(size => ({ model, size, values: taskRuns.filter(r => r.model === model && r.size === size).map(value) }))),
                majority
            })]);
            lines.push(`![${task.name}: final test accuracy vs training-set size, D and I](plots/${figure})`, '');
        }
    }

    lines.push('## Reproducing', '');
    lines.push('```', 'npx tsc -b tsconfig.build.json',
        'nice -n 10 npm run experiments -- --cells 64:1e-3 --seeds 10 --sweep                  # this report\'s 10-seed cell and the sweep (resumes: redoes nothing already in results.json)',
        'nice -n 10 npm run experiments -- --cells 128:1e-3,256:1e-3,256:1e-4 --seeds 3 --no-legacy   # its 3-seed cells; --seeds 10 adds the missing seeds',
        'npm run experiments -- --cells all                               # the authors\' whole grid',
        'npm run experiments -- --quick                                   # smoke run (report-quick.md)',
        'npm run experiments -- --report-only                             # rewrite this report from results.json', '```', '');
    lines.push(`Every run's settings, wall time, machine load and test evaluations are in [\`${path.basename(resultsFile)}\`](${path.basename(resultsFile)}).`, '');
    return { report: lines.join('\n'), figures };
}
