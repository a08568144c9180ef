#!/usr/bin/env node
/**
 * The papers' recurrent-neuron experiments (issue 13): dilation and conditional dilation as
 * the authors ran them (examples/train/dilation.cajal: their targets, digit reader,
 * hypernetwork step, fully convolutional baseline and type control; Adam, L1, clipping 1.0),
 * on the PyTorch engine, measured honestly: per-image PSNR with the data range from the target
 * (the authors' measure), as mean, median and per digit, next to the trivial predictors
 * (identity, all background) on the same test images.
 *
 * The authors' protocol (600,000 examples per run, 10,000 test images, 3 × 3 cells × 10 seeds)
 * is far beyond a small shared CPU machine; by default this runs a REDUCED protocol: one
 * (batch, lr) cell, a few seeds, --examples training examples (one epoch), --test test images.
 * Every number in the report says so. `--engine tfjs` runs a smaller one on TensorFlow.js
 * (WASM, one thread; default 1,280 examples, 200 test images) into its own results, report
 * and figures (*-tfjs.*).
 *
 * Results are written after every run to experiments/dilation-results.json (resumable: a run
 * already there, same block text and overrides, is not redone); the report
 * (experiments/dilation-report.md) and figures (experiments/plots/dilation-*.svg) are
 * generated from it.
 *
 * Usage: node experiments/dilation.mjs [--engine torch|tfjs] [--quick] [--seeds N] [--examples N] [--test N]
 *          [--batch N] [--lr X] [--models linked,baseline,type] [--only dilation|conditional]
 *          [--report-only] [--fresh]
 *   --engine    torch (default: PyTorch, the project's torch engine) or tfjs (TensorFlow.js on WASM)
 *   --quick     a CI smoke run: 1 seed, 64 examples, 50 test images; writes *-quick files, never resumes
 *   --seeds N   seeds 1…N (default 3)
 *   --examples  training examples, one epoch (default 3200: 50 steps of 64)
 *   --test      test images (default 300)
 *   --batch, --lr  the (batch, lr) cell (default 64, 1e-4: the authors' dilate scripts)
 * Needs the built packages (npx tsc -b tsconfig.build.json) and, for --engine torch, a Python with torch.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ast, loadFiles } from '@cajal/language';
import { decodeNpy, writeFileAtomic } from '@cajal/compiler';
import { TorchUnavailableError, TrainingError, findTorchPython, findTraining, prepareTraining, runTorchTraining, runTraining } from '@cajal/train';
import { DILATION_MODELS, imagesFigure, mean, psnrFigures, psnrPerImage, summarize, trivialPredictions } from './dilation-lib.mjs';
import { interruptSignal } from './lib.mjs';

const experimentsDirectory = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(experimentsDirectory);
const FILE = 'examples/train/dilation.cajal';

const USAGE = 'usage: node experiments/dilation.mjs [--engine torch|tfjs] [--quick] [--seeds N] [--examples N] [--test N] [--batch N] [--lr X] [--models linked,baseline,type] [--only dilation|conditional] [--report-only] [--fresh]';
let args;
try {
    args = parseArgs({
        args: process.argv.slice(2), strict: true, allowPositionals: false, options: {
            engine: { type: 'string' }, quick: { type: 'boolean' }, seeds: { type: 'string' }, examples: { type: 'string' }, test: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
            models: { type: 'string' }, only: { type: 'string' }, 'report-only': { type: 'boolean' }, fresh: { type: 'boolean' }
        }
    }).values;
} catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
}
const fail = message => { console.error(`${message}\n${USAGE}`); process.exit(2); };
const positive = (name, fallback) => {
    const text = args[name];
    if (text === undefined) return fallback;
    if (!/^[1-9]\d*$/.test(text)) fail(`--${name} expects a positive whole number, got '${text}'`);
    return Number(text);
};
const quick = args.quick === true;
const engine = args.engine ?? 'torch';
if (engine !== 'torch' && engine !== 'tfjs') fail(`--engine takes torch or tfjs, got '${engine}'`);
const onTfjs = engine === 'tfjs';
const seeds = Array.from({ length: quick ? 1 : positive('seeds', 3) }, (_, i) => i + 1);
// tfjs-WASM trains the linked model ~10× slower than torch here (one thread; docs/training.md): a smaller default.
const examples = quick ? 64 : positive('examples', onTfjs ? 1280 : 3200);
const test = quick ? 50 : positive('test', onTfjs ? 200 : 300);
const batch = positive('batch', 64);
// The cell the authors' dilate scripts were left at (batch 64, lr 1e-4); at 1e-3 the linked model diverges in its first step.
const lr = args.lr === undefined ? 1e-4 : Number(args.lr);
if (!(lr > 0)) fail(`--lr expects a positive number, got '${args.lr}'`);
const models = args.models ? args.models.split(',').map(m => m.trim()) : ['linked', 'baseline', 'type'];
for (const model of models) if (!['linked', 'baseline', 'type'].includes(model)) fail(`--models takes linked, baseline and type, got '${model}'`);

const ALL_TASKS = [
    { name: 'dilation', models: { linked: 'dilation', baseline: 'dilationBaseline', type: 'dilationType' } },
    { name: 'conditional dilation', models: { linked: 'dilationCond', baseline: 'dilationCondBaseline', type: 'dilationCondType' } }
];
// --only dilation | conditional: a task's first word ('dilation' is also in 'conditional dilation').
if (args.only && !ALL_TASKS.some(task => task.name.split(' ')[0] === args.only.toLowerCase())) fail(`--only takes dilation or conditional, got '${args.only}'`);
const TASKS = ALL_TASKS.filter(task => !args.only || task.name.split(' ')[0] === args.only.toLowerCase());

/** Each engine (and the quick smoke run) has its own results, report and figures. */
const suffix = `${quick ? '-quick' : ''}${onTfjs ? '-tfjs' : ''}`;
const resultsFile = path.join(experimentsDirectory, `dilation-results${suffix}.json`);
const reportFile = path.join(experimentsDirectory, `dilation-report${suffix}.md`);
const tfjsReport = 'dilation-report-tfjs.md';
const plotsDirectory = path.join(experimentsDirectory, 'plots');
const plotPrefix = `${quick ? 'quick-' : ''}dilation${onTfjs ? '-tfjs' : ''}`;
/** The test images shown in the sample figure: the first test image of each of these digits. */
const SAMPLE_DIGITS = [1, 2, 3, 5, 7, 9];

let torchPython;
if (!args['report-only'] && !onTfjs) {
    try {
        torchPython = findTorchPython();
    } catch (error) {
        if (!(error instanceof TorchUnavailableError)) throw error;
        console.error(`the recurrent experiments run on the PyTorch engine, and none was found: ${error.message}`);
        process.exit(1);
    }
}

const machine = {
    platform: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model?.trim() ?? null,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)), node: process.version
};

function loadResults() {
    // --quick never resumes (but --quick --report-only reads the quick results).
    if ((quick && !args['report-only']) || args.fresh || !fs.existsSync(resultsFile)) return { runs: [], invocations: [] };
    return JSON.parse(fs.readFileSync(resultsFile, 'utf-8'));
}
const results = loadResults();
/** One run (or invocation) per line: readable diffs, and the sample images stay compact. */
const resultsText = value => `{\n "runs": [\n${value.runs.map(r => `  ${JSON.stringify(r)}`).join(',\n')}\n ],\n "invocations": [\n${value.invocations.map(i => `  ${JSON.stringify(i)}`).join(',\n')}\n ]\n}\n`;
const saveResults = () => writeFileAtomic(resultsFile, resultsText(results));

let loaded;
async function loadTask() {
    loaded ??= await (async () => {
        const workspace = await loadFiles([path.join(root, FILE)]);
        const document = workspace.requested[0];
        const errors = (document.diagnostics ?? []).filter(d => d.severity === 1);
        if (errors.length > 0) throw new Error(`${FILE} has errors: ${errors.map(e => e.message).join('; ')}`);
        const module = document.parseResult.value;
        const text = document.textDocument.getText();
        const blockHash = name => {
            const block = module.declarations.find(d => ast.isTraining(d) && d.name === name);
            return crypto.createHash('sha256').update(text.slice(block.$cstNode.offset, block.$cstNode.end)).digest('hex').slice(0, 16);
        };
        return { services: workspace.services, module, blockHash };
    })();
    return loaded;
}

const round = (x, digits = 3) => Number(x.toFixed(digits));
const roundSummary = s => ({ mean: round(s.mean), median: round(s.median), digits: s.digits.map(d => ({ digit: d.digit, count: d.count, mean: round(d.mean), median: round(d.median) })) });
const labelsOf = (oneHot, n) => Array.from({ length: n }, (_, i) => {
    const row = oneHot.subarray(i * 10, i * 10 + 10);
    return row.indexOf(Math.max(...row));
});
const picture = image => Array.from(image, v => round(v, 2));

/**
 * Why the linked model can fail here, and whether this port is why: measured by
 * experiments/dilation-stability.py (its docstring has the commands) on the dilation block's
 * initial weights (seeds 1–3, 640 test images), on the authors' initialisation (seeds 0–9, 256
 * test images), and after 40 training steps at lr 1e-3 from both; the authors' scripts
 * (joeyginorio/cajal, experiments/dilate/model_direct.py and dilate_cond) read line by line.
 */
const STABILITY_NOTE = '*Why:* the nine hypernetwork steps are an unstable feedback loop — a larger iterate gives larger trunk features, '
    + 'a kernel nearer tanh\'s ±1, and a 13×13 convolution with gain up to 169, hence a larger iterate. At the initial weights of seed 1 '
    + '(experiments/dilation-stability.py, 640 test images) most images fade over the steps (the median image\'s largest pixel: 0.85 after one step, 0 after nine) '
    + 'while a few explode (1.7 % of the images pass 10; the largest value: 1.7 after one step, 1.9·10⁶ after nine); the model\'s per-image L1 error has median 0.34 '
    + '(identity: 0.18) but 99th percentile 12.5 and maximum 5.4·10⁴. The reader\'s raw outputs weight every iterate, the exploded ones included; '
    + 'where training does not tame them, the outputs grow by orders of magnitude (a PSNR far below 0 dB).\n\n'
    + '*Is it this port?* No. Read line by line against the authors\' scripts (experiments/dilate/model_direct.py, dilate_cond), the linked model is theirs: '
    + 'the digit reader (conv 5×5 1→8, ReLU, conv 5×5 8→16, ReLU, max pool 3, linear 1,296→10, raw outputs), the hypernetwork (the same trunk, linear 1,296→169, tanh, '
    + 'no normalisation of the kernel — a Hardtanh(±0.0059) and a `w *= .1` are commented out in their dilate script), the kernel step (each image with its own 13×13 kernel, no bias), '
    + 'Σᵢ nᵢ·stepⁱ(x) over nine steps, Adam, mean L1, gradient-norm clipping 1.0 over all parameters. Two things differ: the scaling (0…1 padded with 0 here; −1…1 padded with −1 there) '
    + 'and the initial weights (a Glorot reader and zero biases here; PyTorch\'s defaults there, biases U(±1/√fan_in) too). Neither makes this port the unstable one. '
    + 'At initial weights the authors\' initialisation (seeds 0–9, 256 test images) leaves 0–96 % of the images exploding on 0…1 images (median over seeds 52 %), '
    + 'and 89–100 % in their own −1…1 scaling, where every step also multiplies the constant −1 background by the kernel\'s sum; '
    + 'this project\'s initial weights (seeds 1–3): 0–1.7 % on 0…1 (99–100 % rescaled to −1…1). The loop is the architecture\'s, and theirs starts worse.\n\n'
    + '*What tames it: training, within tens of steps at lr 1e-3.* From the authors\' initialisation in their scaling (seed 0), 40 steps at lr 1e-3 (their first cell) '
    + 'take the training L1 loss from 6.1·10⁷ through 6.7·10¹² (step 2) and 2.4·10¹⁰ (step 10) to 0.36 (step 20); after them no test image explodes '
    + '(median L1 error 0.20; identity 0.18). From this project\'s initial weights (seed 1) on 0…1 images, 40 steps at lr 1e-3 go through the same flare '
    + '(training L1 loss 0.30, 1.0·10¹⁵ at step 2, 1.0·10¹⁰ at step 10, 1.1·10⁶ at step 20) and end with no exploding test image (median L1 error 0.20; identity 0.18). '
    + 'Both are tamed, not yet better than the identity (these probes train on their own random batches, not the engine\'s). '
    + 'The torch runs here (lr 1e-4, the authors\' last cell, which they trained for 9,375 steps; 50 steps here) show the loop flaring during training and recovering: '
    + 'test L1 loss at steps 0 / 20 / 40 / 50 — seed 3: 0.30 / 3.9·10⁵ / 0.15 / 0.14; seed 2: 0.26 / 0.18 / 22.8 / 0.14; seed 1: 1.8 / 7.5·10³ / 2.5·10⁵ / 6.7·10⁶, '
    + 'the run ending inside a flare. Whether more steps at lr 1e-4 would bring seed 1 back is not measured here.';

// Ctrl-C or SIGTERM: the current run stops after its batch and is not recorded (lib.mjs).
const interrupted = interruptSignal(path.relative(root, resultsFile));

/** One training run on the chosen engine; the test predictions at every evaluation, measured here. */
async function train(spec) {
    const { services, module } = await loadTask();
    const training = findTraining(module, spec.train);
    const started = performance.now();
    const prepared = await prepareTraining(training, services, { ...spec.overrides });
    const predictions = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-dilation-'));
    try {
        const events = [];
        let result, diverged = null;
        try {
            const common = { weightsDirectory: null, signal: interrupted, onEvent: event => { if (event.event !== 'batch') events.push(event); } };
            result = onTfjs
                ? await runTraining(prepared, { ...common, backend: 'wasm', predictionsDirectory: predictions })
                : await runTorchTraining(prepared, { ...common, torch: { python: torchPython.python, predictionsDirectory: predictions } });
        } catch (error) {
            if (interrupted.aborted || !(error instanceof TrainingError) || !/became|NaN|infinite/.test(error.message)) throw error;
            // A diverged run is a result: keep what was measured before it diverged.
            diverged = error.message;
            const evaluated = events.filter(e => e.event === 'evaluation').map(e => ({ step: e.step, examples: e.examples, test: e.test }));
            result = { cancelled: false, epochs: 1, seconds: (performance.now() - started) / 1000, backend: events.find(e => e.event === 'start')?.backend, evaluations: evaluated };
        }
        if (result.cancelled) return null;
        const start = events.find(e => e.event === 'start');
        const size = 784;
        const n = prepared.data.test.size;
        const inputs = prepared.data.test.fields.get('x').data;
        const labels = labelsOf(prepared.data.test.fields.get('d').data, n);
        const targets = prepared.testTargets.dataSync();
        const trivial = Object.fromEntries(Object.entries(trivialPredictions(inputs)).map(([name, p]) => [name, roundSummary(summarize(psnrPerImage(p, targets, size), labels))]));
        const evaluations = [];
        let lastOutput;
        for (const evaluation of result.evaluations) {
            const { data } = decodeNpy(fs.readFileSync(path.join(predictions, `step-${evaluation.step}.npy`)));
            evaluations.push({ step: evaluation.step, examples: evaluation.examples, loss: evaluation.test.loss, ...roundSummary(summarize(psnrPerImage(data, targets, size), labels)) });
            lastOutput = data;
        }
        lastOutput ??= new Float32Array(targets.length);
        const sampleIndices = SAMPLE_DIGITS.map(digit => labels.indexOf(digit)).filter(i => i >= 0);
        const samples = spec.seed === 1 ? sampleIndices.map(i => ({
            index: i, digit: labels[i], input: picture(inputs.subarray(i * size, (i + 1) * size)),
            target: picture(targets.subarray(i * size, (i + 1) * size)), output: picture(lastOutput.subarray(i * size, (i + 1) * size))
        })) : undefined;
        return {
            seconds: round((performance.now() - started) / 1000, 1), trainSeconds: round(result.seconds, 1), backend: result.backend,
            parameters: start.parameters, examples: start.examples, test: n, steps: start.batches * result.epochs,
            examplesPerSecond: round(start.examples / result.seconds, 1), evaluations, trivial, samples, diverged
        };
    } finally {
        prepared.dispose();
        fs.rmSync(predictions, { recursive: true, force: true });
    }
}

const invocationStarted = performance.now();
if (!args['report-only']) {
    const { module, blockHash } = await loadTask();
    const specs = [];
    // Seed by seed: a run stopped early leaves complete seeds of every model and task.
    for (const seed of seeds) {
        for (const task of TASKS) {
            for (const model of models) specs.push({ task, model, train: task.models[model], seed, overrides: { seed, examples, test, epochs: 1, batch, lr } });
        }
    }
    const done = new Set(results.runs.map(r => r.key));
    let index = 0;
    for (const spec of specs) {
        index++;
        if (!module.declarations.some(d => ast.isTraining(d) && d.name === spec.train)) throw new Error(`${FILE} has no train block '${spec.train}'`);
        const key = JSON.stringify({ task: spec.task.name, model: spec.model, train: spec.train, blockHash: blockHash(spec.train), overrides: spec.overrides });
        if (done.has(key)) continue;
        process.stderr.write(`[${index}/${specs.length}] ${spec.task.name} ${spec.model} (${spec.train}) seed ${spec.seed}, ${examples} examples … `);
        const cpuBefore = process.cpuUsage();
        const run = await train(spec);
        // This process's CPU time: the whole run on tfjs (one thread); on torch only the preparation (the training is a child process).
        const cpu = process.cpuUsage(cpuBefore);
        if (run !== null) run.cpuSeconds = onTfjs ? round((cpu.user + cpu.system) / 1e6, 1) : null;
        if (run === null) { process.stderr.write('interrupted, not recorded\n'); break; }
        results.runs.push({ key, task: spec.task.name, model: spec.model, train: spec.train, seed: spec.seed, overrides: spec.overrides, engine, date: new Date().toISOString(), loadAverage: os.loadavg().map(x => round(x, 2)), ...run });
        done.add(key);
        saveResults();
        const last = run.evaluations.at(-1);
        if (run.diverged) process.stderr.write(`diverged: ${run.diverged}; `);
        if (last) process.stderr.write(`PSNR mean ${last.mean} / median ${last.median} dB at step ${last.step} (identity ${run.trivial.identity.mean} / ${run.trivial.identity.median}), `);
        process.stderr.write(`${run.seconds} s\n`);
    }
    results.invocations.push({
        date: new Date().toISOString(), argv: process.argv.slice(2), python: torchPython?.python ?? null, torchVersion: torchPython?.torchVersion ?? null,
        machine, loadAverage: os.loadavg().map(x => round(x, 2)), seconds: round((performance.now() - invocationStarted) / 1000, 1)
    });
    saveResults();
}

// ---------------------------------------------------------------------------------------
// Report and figures (from the results file alone)

const { blockHash } = await loadTask();
const current = results.runs.filter(run => JSON.parse(run.key).blockHash === blockHash(run.train));
const stale = results.runs.length - current.length;
const figures = [];
const lines = [];
const f1 = x => (Number.isFinite(x) ? x.toFixed(1) : '–');
const meanOf = values => mean(values);
const sdOf = values => values.length < 2 ? 0 : Math.sqrt(values.reduce((t, x) => t + (x - meanOf(values)) ** 2, 0) / (values.length - 1));
const cell = values => values.length === 0 ? '–' : values.length === 1 ? f1(values[0]) : `${f1(meanOf(values))} ± ${f1(sdOf(values))}`;
const invocations = results.invocations ?? [];
const totalSeconds = current.reduce((t, r) => t + r.seconds, 0);
const settingsSeen = [...new Set(current.map(r => JSON.stringify({ examples: r.overrides.examples, test: r.overrides.test, batch: r.overrides.batch, lr: r.overrides.lr })))].map(s => JSON.parse(s));
const seedsSeen = [...new Set(current.map(r => r.seed))].sort((a, b) => a - b);

lines.push(`# The recurrent-neuron experiments: dilation and conditional dilation${onTfjs ? ', on TensorFlow.js' : ''}${quick ? ' (quick smoke run — not a result)' : ''}`, '');
lines.push(`Generated by \`node experiments/dilation.mjs${onTfjs ? ' --engine tfjs' : ''}\` from ${path.basename(resultsFile)} (${current.length} runs${stale ? `; ${stale} runs of edited blocks left out` : ''}). `
    + `Models and targets: [${FILE}](../${FILE}) — the authors' targets (vertical 3×1 dilation blended 0.7, \`label\` times; conditional: even digits unchanged), digit reader, hypernetwork step, fully convolutional baseline and type control (docs/training.md).`, '');
lines.push(`## Protocol: REDUCED${onTfjs ? ', on TensorFlow.js' : ''}`, '');
if (onTfjs) lines.push('**A smaller protocol than the torch report\'s ([dilation-report.md](dilation-report.md)), on the tfjs engine (WASM, one thread)**: it shows what that engine can run on a small CPU machine, not the authors\' result.', '');
else if (fs.existsSync(path.join(experimentsDirectory, tfjsReport))) lines.push(`A smaller protocol on the tfjs engine (TensorFlow.js, WASM): [${tfjsReport}](${tfjsReport}).`, '');
lines.push(`**This is a reduced protocol, not the authors'.** Every run here: one epoch over ${settingsSeen.map(s => `${s.examples.toLocaleString('en-US')} training examples, ${s.test.toLocaleString('en-US')} test images, batch ${s.batch}, lr ${s.lr}`).join('; ') || '–'}; `
    + `seeds ${seedsSeen.join(', ') || '–'}; Adam, L1 loss, gradient-norm clipping 1.0 (as the authors); test PSNR at the blocks' schedule (step 0, every 20 to 200, every 100) and after the last step.`, '');
const machines = [...new Set(invocations.map(i => `${i.machine.cpus} × ${i.machine.cpuModel} (${i.machine.platform}, ${i.machine.memoryGiB} GiB)`))];
const backends = [...new Set(current.map(r => r.backend))];
const loads = current.map(r => r.loadAverage?.[0]).filter(x => typeof x === 'number');
lines.push(`- Engine: ${onTfjs ? `TensorFlow.js (${backends.join(', ') || '–'} backend, one thread), through \`runTraining\` (the project's tfjs engine)` : `PyTorch (${backends.join(', ') || '–'}), through \`runTorchTraining\` (the project's torch engine, the Cajal programs compiled to PyTorch modules)`}; machine: ${machines.join('; ') || '–'}, shared with other work (1-minute load average during the runs ${loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–'}), runs under \`nice -n 10\`.`);
const cpuSeconds = current.map(r => r.cpuSeconds).filter(x => typeof x === 'number');
lines.push(`- Wall time: ${(totalSeconds / 60).toFixed(1)} minutes for the ${current.length} runs (data preparation, training and evaluation)${onTfjs && cpuSeconds.length === current.length ? `; CPU time ${(cpuSeconds.reduce((t, x) => t + x, 0) / 60).toFixed(1)} minutes of one core (the wall time is longer on the shared machine)` : ''}; per model, training throughput in examples per second (mean over runs): `
    + Object.keys(DILATION_MODELS).filter(m => current.some(r => r.model === m)).map(m => `${m} ${f1(meanOf(current.filter(r => r.model === m).map(r => r.examplesPerSecond)))}`).join(', ') + '.');
const throughput = meanOf(current.filter(r => r.model === 'linked').map(r => r.examplesPerSecond));
lines.push('- Not run, and why:');
lines.push(`  - the authors' 600,000 examples per run (10 epochs over 60,000): at ${f1(throughput)} linked-model examples per second here that is ${Number.isFinite(throughput) ? `about ${(600000 / throughput / 3600).toFixed(0)} hours per linked run` : 'many hours per run'}, × 9 cells × 10 seeds × 2 tasks; on a GPU it is the protocol the blocks declare (\`epochs 10; examples 60000; test 10000\`, run with \`cajal train --engine torch --device cuda\`);`);
lines.push('  - the 3 × 3 grid of (batch, lr) cells and 10 seeds: one cell and the seeds above;');
lines.push(`  - the 10,000 test images: ${settingsSeen.map(s => s.test).join(', ') || '–'} here (evaluating the linked model costs nine hypernetwork passes per image).`);
lines.push('- Differences that remain even at full scale: images in 0…1 with background 0 (the authors: −1…1, background −1; the targets and PSNR are the same up to that affine map, the networks\' parametrisation is not); the weights start from this project\'s initialisers (the digit reader Glorot, the hypernetwork\'s kernels PyTorch\'s default U(±1/√fan_in); all biases 0 — the authors\' are PyTorch\'s defaults everywhere, biases U(±1/√fan_in) included) and seeds fix this project\'s draws, not PyTorch\'s generators. Everything else of the linked model was checked line by line against their scripts and matches (' + (onTfjs ? '[dilation-report.md](dilation-report.md), ' : 'below, ') + '*Is it this port?*).', '');

lines.push('## The measure', '');
lines.push('Per-image PSNR as the authors compute it (torcheval\'s `peak_signal_noise_ratio` per image): 10·log10(range² / MSE) with the data range taken from the target image. '
    + 'An exact prediction is infinite there; here it is capped at 100 dB, which matters for the identity predictor on targets that are the input (digit 0; even digits in the conditional task), so the **median** is reported next to the mean, and the per-digit table shows where the mean comes from. '
    + 'Every table has the trivial predictors: **identity** (the input unchanged) and **all background** (a black image), measured on the same test images.', '');

for (const task of ALL_TASKS) {
    const runs = current.filter(r => r.task === task.name);
    lines.push(`## ${task.name[0].toUpperCase()}${task.name.slice(1)}`, '');
    if (runs.length === 0) { lines.push('Not run.', ''); continue; }
    const byModel = model => runs.filter(r => r.model === model);
    const last = run => run.evaluations.at(-1);
    // The trivial predictors on each seed's test images (every model of a seed draws the same ones).
    const reference = byModel('linked').length ? byModel('linked') : runs;
    const rows = [];
    for (const model of ['linked', 'baseline', 'type']) {
        const mine = byModel(model);
        if (mine.length === 0) continue;
        const first = mine.map(r => r.evaluations[0]);
        const divergedRuns = mine.filter(r => r.diverged).length;
        rows.push(`| ${DILATION_MODELS[model].label}${divergedRuns ? ` (**${divergedRuns} diverged**: last step measured before)` : ''} | ${mine[0].parameters.toLocaleString('en-US')} | ${mine.length} | ${cell(first.map(e => e.mean))} | ${cell(mine.map(r => last(r).mean))} | ${cell(mine.map(r => last(r).median))} | ${mine.map(r => last(r).step)[0]} | ${f1(meanOf(mine.map(r => r.seconds)))} |`);
    }
    for (const name of ['identity', 'background']) {
        rows.push(`| ${DILATION_MODELS[name].label} | 0 | ${reference.length} | ${cell(reference.map(r => r.trivial[name].mean))} | ${cell(reference.map(r => r.trivial[name].mean))} | ${cell(reference.map(r => r.trivial[name].median))} | | |`);
    }
    lines.push('Test PSNR (dB), mean ± sd over seeds of each run\'s mean and median over the test images:', '');
    lines.push('| model | parameters | runs | mean at step 0 | mean, last step | median, last step | last step | wall s per run |', '|---|---|---|---|---|---|---|---|', ...rows, '');
    // Per digit, last step, mean over seeds of the per-digit mean (median in parentheses).
    const digitRows = [];
    const digitCell = (summaries, digit) => {
        const means = summaries.map(s => s.digits[digit].mean).filter(Number.isFinite);
        const medians = summaries.map(s => s.digits[digit].median).filter(Number.isFinite);
        return means.length ? `${f1(meanOf(means))} (${f1(meanOf(medians))})` : '–';
    };
    for (const model of ['linked', 'baseline', 'type']) {
        const mine = byModel(model);
        if (mine.length > 0) digitRows.push(`| ${model} | ${Array.from({ length: 10 }, (_, d) => digitCell(mine.map(last), d)).join(' | ')} |`);
    }
    for (const name of ['identity', 'background']) digitRows.push(`| ${name} | ${Array.from({ length: 10 }, (_, d) => digitCell(reference.map(r => r.trivial[name]), d)).join(' | ')} |`);
    lines.push('Per digit, last step: mean over seeds of the digit\'s mean PSNR (its median in parentheses):', '');
    lines.push(`| model | ${Array.from({ length: 10 }, (_, d) => d).join(' | ')} |`, `|---|${'---|'.repeat(10)}`, ...digitRows, '');
    // Where the target is not the input: the identity is exact (capped) on the others.
    const changed = task.name === 'dilation' ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 3, 5, 7, 9];
    const overChanged = summaries => meanOf(summaries.flatMap(s => changed.map(d => s.digits[d].mean)).filter(Number.isFinite));
    const changedCells = ['linked', 'baseline', 'type'].filter(m => byModel(m).length > 0).map(m => `${m} ${f1(overChanged(byModel(m).map(last)))}`)
        .concat(['identity', 'background'].map(name => `${name} ${f1(overChanged(reference.map(r => r.trivial[name])))}`));
    lines.push(`Only the digits whose target is not the input (${changed.join(', ')}), mean of their per-digit means, last step: ${changedCells.join(', ')} dB.`, '');
    // The plain verdict.
    const linked = byModel('linked');
    if (linked.length > 0) {
        const beatsMean = linked.filter(r => last(r).mean > r.trivial.identity.mean).length;
        const beatsMedian = linked.filter(r => last(r).median > r.trivial.identity.median).length;
        lines.push(`**Does the linked model beat the identity predictor?** Mean PSNR: in ${beatsMean} of ${linked.length} seeds; median PSNR: in ${beatsMedian} of ${linked.length} seeds `
            + `(linked ${cell(linked.map(r => last(r).mean))} / ${cell(linked.map(r => last(r).median))} dB vs identity ${cell(linked.map(r => r.trivial.identity.mean))} / ${cell(linked.map(r => r.trivial.identity.median))} dB, mean / median). `
            + (beatsMean === linked.length && beatsMedian === linked.length ? 'Yes, on both measures, in every seed.'
                : beatsMean === 0 && beatsMedian === 0 ? `**No.** After ${last(linked[0]).step} steps of the reduced protocol the trained linked model is worse than returning the input unchanged.`
                    : '**Not consistently.**'), '');
        lines.push('Per seed, last step (mean / median dB): ' + linked.slice().sort((a, b) => a.seed - b.seed).map(r => `seed ${r.seed}: linked ${f1(last(r).mean)} / ${f1(last(r).median)}, identity ${f1(r.trivial.identity.mean)} / ${f1(r.trivial.identity.median)}`).join('; ') + '.', '');
        const exploded = linked.filter(r => r.diverged || !(last(r).mean > 0)).map(r => r.seed).sort((a, b) => a - b);
        if (exploded.length > 0) lines.push(`Seeds whose linked outputs exploded (last-step mean PSNR below 0 dB${linked.some(r => r.diverged) ? ', or the engine stopped on a non-finite loss' : ''}): ${exploded.join(', ')}.`, '');
        if (exploded.length > 0) lines.push(STABILITY_NOTE, '');
        const baseline = byModel('baseline');
        if (baseline.length > 0) {
            lines.push(`Linked vs baseline at the last step: mean ${cell(linked.map(r => last(r).mean))} vs ${cell(baseline.map(r => last(r).mean))} dB, median ${cell(linked.map(r => last(r).median))} vs ${cell(baseline.map(r => last(r).median))} dB. `
                + 'No claim that the linked model learns faster or with less data is made here: the runs are too short and too few for it.', '');
        }
    }
    const slug = task.name.replace(/\s+/g, '-');
    const trivial = Object.fromEntries(['identity', 'background'].map(name => [name, { mean: meanOf(reference.map(r => r.trivial[name].mean)), median: meanOf(reference.map(r => r.trivial[name].median)) }]));
    figures.push([`${plotPrefix}-${slug}-psnr.svg`, psnrFigures({ task: task.name, runs: runs.map(r => ({ model: r.model, seed: r.seed, evaluations: r.evaluations })), trivial })]);
    lines.push(`![${task.name}: PSNR vs steps](plots/${plotPrefix}-${slug}-psnr.svg)`, '');
    const withSamples = model => byModel(model).find(r => r.samples);
    const sampled = ['linked', 'baseline', 'type'].filter(withSamples);
    if (sampled.length > 0) {
        const base = withSamples(sampled[0]);
        const rowsOfImages = base.samples.map((sample, k) => ({
            label: `digit ${sample.digit}`,
            images: [sample.input, sample.target, ...sampled.map(model => withSamples(model).samples[k]?.output ?? new Array(784).fill(0))]
        }));
        figures.push([`${plotPrefix}-${slug}-samples.svg`, imagesFigure({ title: `${task.name}: seed 1, last step`, columns: ['input', 'target', ...sampled], rows: rowsOfImages })]);
        lines.push(`![${task.name}: sample outputs](plots/${plotPrefix}-${slug}-samples.svg)`, '');
    }
}

lines.push('## Reproducing', '');
lines.push('```', 'npx tsc -b tsconfig.build.json', `nice -n 10 node experiments/dilation.mjs${onTfjs ? ' --engine tfjs' : '              '} # this report: resumes, redoes nothing already in the results`,
    `node experiments/dilation.mjs${onTfjs ? ' --engine tfjs' : ''} --report-only        # rewrite this report from the results`, 'node experiments/dilation.mjs --quick              # CI smoke run (dilation-report-quick.md)',
    'cajal train examples/train/dilation.cajal --train dilation --engine torch --device cuda   # one run of the authors\' full protocol', '```', '');
lines.push(`Every run's settings, wall time, load, evaluations (mean, median, per digit) and trivial predictors are in [\`${path.basename(resultsFile)}\`](${path.basename(resultsFile)}).`, '');

fs.mkdirSync(plotsDirectory, { recursive: true });
for (const [name, svg] of figures) writeFileAtomic(path.join(plotsDirectory, name), svg);
writeFileAtomic(reportFile, lines.join('\n') + '\n');
console.error(`wrote ${args['report-only'] ? '' : `${path.relative(root, resultsFile)}, `}${path.relative(root, reportFile)} and ${figures.length} figure(s) in experiments/plots/`);
