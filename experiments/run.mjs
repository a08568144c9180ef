#!/usr/bin/env node
/**
 * Reproduces the papers' experiments with the shipped examples (examples/train/*.cajal):
 * each linked model and its unlinked baseline are trained at several training-set sizes
 * over several seeds, on the same data, with the same budget of examples seen; the test
 * metric (accuracy, or PSNR for dilation) is recorded along the way.
 *
 * Writes experiments/results.json, experiments/report.md and experiments/plots/*.svg.
 *
 * Usage: node experiments/run.mjs [--quick] [--only NAME]
 *   --quick  two sizes, one seed, a smaller budget: a smoke run (CI runs it)
 *   --only   run only experiments whose name contains NAME (e.g. --only dilation)
 * Needs the built packages: npx tsc -b tsconfig.build.json
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFiles } from '@cajal/language';
import { findTraining, lineChart, prepareTraining, runTraining, sideBySide } from '@cajal/train';

const experimentsDirectory = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(experimentsDirectory);

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? argv[onlyIndex + 1] : undefined;
for (const argument of argv) {
    if (argument.startsWith('--') && argument !== '--quick' && argument !== '--only') {
        console.error(`unknown argument ${argument}; usage: node experiments/run.mjs [--quick] [--only NAME]`);
        process.exit(2);
    }
}

const EXPERIMENTS = [
    { name: 'AND-even', file: 'examples/train/and-even.cajal', linked: 'andEven', baseline: 'andEvenBaseline', metric: 'accuracy' },
    { name: 'EQ-even', file: 'examples/train/eq-even.cajal', linked: 'eqEven', baseline: 'eqEvenBaseline', metric: 'accuracy' },
    { name: 'dilation', file: 'examples/train/dilation.cajal', linked: 'dilation', baseline: 'dilationBaseline', metric: 'psnr' }
].filter(e => !only || e.name.toLowerCase().includes(only.toLowerCase()));

const PLAN = quick
    ? { sizes: [64, 256], seeds: [1], budget: 1024, test: { accuracy: 300, psnr: 150 }, curveSize: 256 }
    : { sizes: [64, 256, 1024, 4096], seeds: [1, 2, 3], budget: 8192, test: { accuracy: 1000, psnr: 300 }, curveSize: 1024 };

/** Evaluations of the test set per run (at evenly spaced epochs and after the last). */
const EVALUATIONS = 8;

/** Fixed remarks for the report (no numbers: those come from the runs). */
const NOTES = "## Caveats\n\n- The budget is small (see Protocol: minutes per run on 2 CPU cores), far from the papers' training schedules; absolute numbers are lower than theirs and say nothing about convergence.\n- AND-even and EQ-even: the linked model learns one `isEven` network shared by both images; the baseline sees both images at once (curried extern = one `mlp` of the concatenated inputs). EQ-even is symmetric in parity, so the linked `isEven` may as well learn *odd*: the label is the same.\n- Dilation: PSNR is 10\u00b7log\u2081\u2080(1/MSE) per test image (pixel values 0\u20261), averaged. The learned step is one 3\u00d73 convolution with a sigmoid (10 parameters) and the digit reader an `mlp(64)`; the reader is trained only through the final image (no digit labels). Neither model is expected to be exact at this budget: compare the two models, not the absolute values.\n";

const mean = xs => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = xs => xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

async function trainOnce(services, training, size, seed, testCount) {
    const epochs = Math.max(1, Math.round(PLAN.budget / size));
    const prepared = await prepareTraining(training, services, { examples: size, test: testCount, seed, epochs });
    try {
        const result = await runTraining(prepared, { epochs, weightsDirectory: null, testEvery: Math.max(1, Math.floor(epochs / EVALUATIONS)) });
        const parameters = [...prepared.networks.values()].reduce((t, n) => t + (n.resolved.learnable ? n.resolved.parameters : 0), 0);
        // Only epochs with a test evaluation are kept (small runs have many epochs).
        const history = result.history.filter(h => h.testLoss !== null);
        return { size, seed, epochs, seconds: result.seconds, parameters, backend: result.backend, final: result.final, history };
    } finally {
        prepared.dispose();
    }
}

const started = performance.now();
const results = { date: new Date().toISOString(), quick, plan: PLAN, machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null }, experiments: [] };
for (const experiment of EXPERIMENTS) {
    const file = path.join(root, experiment.file);
    const workspace = await loadFiles([file]);
    const document = workspace.requested[0];
    const errors = (document.diagnostics ?? []).filter(d => d.severity === 1);
    if (errors.length > 0) throw new Error(`${experiment.file} has errors: ${errors.map(e => e.message).join('; ')}`);
    const entry = { ...experiment, runs: { linked: [], baseline: [] } };
    for (const kind of ['linked', 'baseline']) {
        const training = findTraining(document.parseResult.value, experiment[kind]);
        for (const size of PLAN.sizes) {
            for (const seed of PLAN.seeds) {
                const run = await trainOnce(workspace.services, training, size, seed, PLAN.test[experiment.metric]);
                entry.runs[kind].push(run);
                const value = experiment.metric === 'accuracy' ? run.final.testAccuracy : run.final.testPsnr;
                console.error(`${experiment.name} ${kind.padEnd(8)} size ${String(size).padStart(4)} seed ${seed}: test ${experiment.metric} ${value.toFixed(experiment.metric === 'accuracy' ? 3 : 2)} (${run.epochs} epochs, ${run.seconds.toFixed(1)} s)`);
            }
        }
    }
    results.experiments.push(entry);
}
results.seconds = (performance.now() - started) / 1000;

// ---------------------------------------------------------------------------------------
// Report

const plotsDirectory = path.join(experimentsDirectory, 'plots');
fs.mkdirSync(plotsDirectory, { recursive: true });
const testValue = (metric, h) => metric === 'accuracy' ? h.testAccuracy : h.testPsnr;
const unit = metric => metric === 'accuracy' ? 'test accuracy' : 'test PSNR (dB)';
const fmt = (metric, x) => metric === 'accuracy' ? x.toFixed(3) : x.toFixed(2);

const lines = [];
lines.push('# Experiments: linked Cajal programs vs. unlinked networks', '');
lines.push(`Measured on this machine by \`npm run experiments${quick ? ' -- --quick' : ''}\` on ${results.date.slice(0, 10)} `
    + `(${results.machine.cpus} CPUs, ${results.machine.cpuModel ?? 'unknown CPU'}, Node ${results.machine.node}, tfjs ${results.experiments[0]?.runs.linked[0]?.backend ?? '?'} backend); `
    + `total time ${(results.seconds / 60).toFixed(1)} minutes.${quick ? ' **This is the quick smoke run: one seed, two sizes, small budget — not a measurement to draw conclusions from.**' : ''}`, '');
lines.push('## Protocol', '');
lines.push(`- Training-set sizes ${PLAN.sizes.join(', ')}; seeds ${PLAN.seeds.join(', ')} (a seed fixes the examples drawn, the initial weights and the shuffling).`);
lines.push(`- Every run sees the same number of training examples, about ${PLAN.budget.toLocaleString('en-US')} (epochs = ${PLAN.budget} / size, at least 1), with the batch size, optimiser and learning rate of the example's train block.`);
lines.push(`- Test sets: ${PLAN.test.accuracy} examples (AND-even, EQ-even), ${PLAN.test.psnr} (dilation), drawn from MNIST's 10,000 test digits; training examples from its 60,000 training digits (the standard split: test digits are never trained on).`);
lines.push('- Linked model: the Cajal program of the example with its learned externs; baseline: one unlinked network (`mlp`) of about the same number of parameters, trained on the same examples. Numbers are the test metric after the last epoch: mean ± standard deviation over seeds.', '');

for (const experiment of results.experiments) {
    const { metric } = experiment;
    lines.push(`## ${experiment.name}`, '');
    const params = kind => experiment.runs[kind][0]?.parameters ?? 0;
    lines.push(`Source: [\`${experiment.file}\`](../${experiment.file}) — linked \`${experiment.linked}\` (${params('linked').toLocaleString('en-US')} learned parameters), baseline \`${experiment.baseline}\` (${params('baseline').toLocaleString('en-US')}).`, '');
    lines.push(`| training examples | linked ${unit(metric)} | baseline ${unit(metric)} | linked s/run | baseline s/run |`, '|---:|---:|---:|---:|---:|');
    const bySize = (kind, size) => experiment.runs[kind].filter(r => r.size === size);
    const sizeSeries = { linked: [], baseline: [] };
    let linkedWins = 0;
    for (const size of PLAN.sizes) {
        const cells = ['linked', 'baseline'].map(kind => {
            const values = bySize(kind, size).map(r => testValue(metric, r.final));
            sizeSeries[kind].push({ size, mean: mean(values), min: Math.min(...values), max: Math.max(...values) });
            return `${fmt(metric, mean(values))} ± ${fmt(metric, sd(values))}`;
        });
        const time = kind => mean(bySize(kind, size).map(r => r.seconds)).toFixed(1);
        if (sizeSeries.linked.at(-1).mean > sizeSeries.baseline.at(-1).mean) linkedWins++;
        lines.push(`| ${size} | ${cells[0]} | ${cells[1]} | ${time('linked')} | ${time('baseline')} |`);
    }
    lines.push('');
    lines.push(`The linked model's mean ${unit(metric)} is higher than the baseline's at ${linkedWins} of ${PLAN.sizes.length} training-set sizes.`, '');

    // Test metric against examples seen, at one training-set size, mean over seeds (band: min … max).
    const curve = kind => {
        const runs = bySize(kind, PLAN.curveSize);
        const seen = [...new Set(runs.flatMap(r => r.history.filter(h => testValue(metric, h) !== null).map(h => h.examplesSeen)))].sort((a, b) => a - b);
        const points = [], band = [];
        for (const x of seen) {
            const values = runs.map(r => r.history.find(h => h.examplesSeen === x)).filter(h => h && testValue(metric, h) !== null).map(h => testValue(metric, h));
            if (values.length === 0) continue;
            points.push([x, mean(values)]);
            band.push([x, Math.min(...values), Math.max(...values)]);
        }
        return { points, band };
    };
    const accuracyRange = metric === 'accuracy' ? { yMin: 0.4, yMax: 1 } : {};
    const seenChart = lineChart({
        title: `${experiment.name}: ${unit(metric)} vs examples seen (${PLAN.curveSize} training examples)`, xLabel: 'training examples seen', yLabel: unit(metric), ...accuracyRange,
        series: [{ name: 'linked (Cajal + learned externs)', ...curve('linked') }, { name: 'baseline (one network)', dashed: true, ...curve('baseline') }]
    });
    const sizeChart = lineChart({
        title: `${experiment.name}: ${unit(metric)} vs training-set size`, xLabel: 'training-set size (log scale)', yLabel: unit(metric), logX: true, ...accuracyRange,
        series: ['linked', 'baseline'].map(kind => ({
            name: kind === 'linked' ? 'linked (Cajal + learned externs)' : 'baseline (one network)', dashed: kind === 'baseline',
            points: sizeSeries[kind].map(s => [s.size, s.mean]), band: sizeSeries[kind].map(s => [s.size, s.min, s.max])
        }))
    });
    const plotName = `${quick ? 'quick-' : ''}${experiment.name.toLowerCase()}.svg`;
    fs.writeFileSync(path.join(plotsDirectory, plotName), sideBySide([seenChart, sizeChart]));
    lines.push(`![${experiment.name}](plots/${plotName})`, '');
}
lines.push(NOTES);
lines.push('## Reproducing', '');
lines.push('```', 'npx tsc -b tsconfig.build.json', 'npm run experiments            # full run (this report)', 'npm run experiments -- --quick # smoke run', '```', '');
lines.push('Raw numbers, including every run\'s history at its test evaluations: [`results.json`](results.json).', '');

const reportName = quick ? 'report-quick.md' : 'report.md';
const resultsName = quick ? 'results-quick.json' : 'results.json';
fs.writeFileSync(path.join(experimentsDirectory, resultsName), JSON.stringify(results, null, 1) + '\n');
fs.writeFileSync(path.join(experimentsDirectory, reportName), lines.join('\n').replace('[`results.json`](results.json)', `[\`${resultsName}\`](${resultsName})`));
console.error(`wrote experiments/${reportName}, experiments/${resultsName} and experiments/plots/ in ${(results.seconds / 60).toFixed(1)} minutes`);
