/**
 * The experiment runner's pure parts (no training, no files): the authors' protocol
 * (grid, evaluation schedule, checkpoints), option parsing, statistics over seeds, the
 * resume key of a run, the SVG figures, and the runners' handling of Ctrl-C. Unit-tested in
 * test/experiments/lib.test.ts.
 */
import { chartGrid, lineChart } from '@cajal/train';

/** The authors' grid: batch {64, 128, 256} × lr {1e-3, 1e-4, 1e-5}, 10 seeds per cell. */
export const AUTHORS_BATCHES = [64, 128, 256];
export const AUTHORS_LRS = [1e-3, 1e-4, 1e-5];
export const AUTHORS_SEEDS = 10;
export const AUTHORS_CELLS = AUTHORS_BATCHES.flatMap(batch => AUTHORS_LRS.map(lr => ({ batch, lr })));

/**
 * The authors' evaluation schedule as `evaluate every 10 until 300, every 100;` writes it:
 * segments `{ every, until? }`, the last one open-ended (@cajal/train's evaluationSteps
 * turns it into steps).
 */
export const AUTHORS_SCHEDULE = [{ every: 10, until: 300 }, { every: 100 }];

/** Steps at which the report quotes test accuracy (each on the authors' schedule), then the final step. */
export const CHECKPOINTS = [0, 100, 300, 1000];

/** The models of the authors' figures, in their colours' order. */
export const MODELS = {
    D: { label: 'D (linked: compiled program)', color: '#1f77b4' },
    T: { label: 'T (type: learned Bool⊗Bool⊸Bool)', color: '#2ca02c' },
    I: { label: 'I (baseline: one network)', color: '#d62728' },
    C: { label: 'C (Church: function-valued extern)', color: '#9467bd' }
};

/** `64:1e-3,128:1e-4` → [{ batch: 64, lr: 0.001 }, …]; `all` → the authors' grid. */
export function parseCells(text) {
    if (text === 'all') return AUTHORS_CELLS;
    return text.split(',').map(part => {
        const match = /^\s*(\d+)\s*:\s*([0-9.eE+-]+)\s*$/.exec(part);
        const batch = match ? Number(match[1]) : NaN, lr = match ? Number(match[2]) : NaN;
        if (!match || !(batch >= 1) || !Number.isFinite(lr) || lr <= 0) {
            throw new Error(`--cells expects BATCH:LR pairs separated by commas (e.g. 64:1e-3,128:1e-4) or 'all', got '${part}'`);
        }
        return { batch, lr };
    });
}

/** A cell's name as the report and the results write it: `64:1e-3`. */
export function cellName({ batch, lr }) {
    return `${batch}:${formatLr(lr)}`;
}

/** 0.001 → '1e-3', 0.0005 → '5e-4', 0.05 → '5e-2'. */
export function formatLr(lr) {
    const [mantissa, exponent] = lr.toExponential().split('e');
    return `${Number(mantissa)}e${Number(exponent)}`;
}

/** Seeds as the report writes them: [1, 2, 3, 5] → '1–3, 5'. */
export function seedList(seeds) {
    const sorted = [...new Set(seeds)].sort((a, b) => a - b);
    const parts = [];
    for (let i = 0; i < sorted.length; i++) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
        parts.push(j === i ? String(sorted[i]) : j === i + 1 ? `${sorted[i]}, ${sorted[j]}` : `${sorted[i]}–${sorted[j]}`);
        i = j;
    }
    return parts.join(', ');
}

export function mean(xs) {
    return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sd(xs) {
    if (xs.length < 2) return xs.length === 1 ? 0 : NaN;
    const m = mean(xs);
    return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** `0.912 ± 0.004 (n = 10)` of fractions, as percentages: `91.2 ± 0.4`; '–' without values. */
export function meanSd(values, digits = 1) {
    if (values.length === 0) return '–';
    const pct = x => (100 * x).toFixed(digits);
    return `${pct(mean(values))} ± ${pct(sd(values))}`;
}

/** The evaluation of a run at exactly `step`, or undefined. */
export function evaluationAt(run, step) {
    return run.evaluations.find(e => e.step === step);
}

/** The test accuracies of runs at `step` ('final': each run's last evaluation), leaving out runs without one. */
export function accuraciesAt(runs, step) {
    return runs
        .map(run => step === 'final' ? run.evaluations.at(-1) : evaluationAt(run, step))
        .filter(e => e !== undefined && typeof e.accuracy === 'number')
        .map(e => e.accuracy);
}

/**
 * The accuracy of always answering the most frequent class, from one-hot (or soft) target
 * rows: the class with the largest count of argmax hits.
 */
export function majorityClass(targetRows, labels) {
    const counts = new Array(labels.length).fill(0);
    for (const row of targetRows) {
        let best = 0;
        for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        counts[best]++;
    }
    const top = counts.indexOf(Math.max(...counts));
    return { label: labels[top], accuracy: targetRows.length === 0 ? NaN : counts[top] / targetRows.length, counts: Object.fromEntries(labels.map((l, i) => [l, counts[i]])) };
}

/**
 * What makes two runs the same run: the task, model, train block (its text's hash), engine
 * and every override. A run whose key is already in the results is not redone.
 */
export function runKey(spec) {
    const { task, model, train, blockHash, engine, overrides } = spec;
    const sorted = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
    return JSON.stringify({ task, model, train, blockHash, engine, overrides: sorted });
}

/**
 * The source text a train block's results depend on: the block and, transitively, every
 * declaration whose name it mentions, in file order. Editing another block of the file (or
 * adding one) leaves it unchanged, so runs already done stay valid; editing a definition
 * the block uses does not. `declarations`: { name, text } in file order.
 */
export function dependencyText(declarations, trainName) {
    const byName = new Map(declarations.map(d => [d.name, d]));
    const start = declarations.find(d => d.name === trainName);
    if (!start) throw new Error(`no declaration '${trainName}'`);
    const needed = new Set([start]);
    const pending = [start];
    while (pending.length > 0) {
        for (const word of pending.pop().text.match(/[A-Za-z_][A-Za-z0-9_']*/g) ?? []) {
            const declaration = byName.get(word);
            if (declaration && !needed.has(declaration)) { needed.add(declaration); pending.push(declaration); }
        }
    }
    return declarations.filter(d => needed.has(d)).map(d => d.text).join('\n');
}

const PANEL = { width: 520, height: 340 };

/**
 * The authors' figure for one task: test accuracy against optimiser steps, one panel per
 * (batch, lr) cell, one thin line per seed, coloured by model (D/T/I/C); a dotted line marks
 * the majority-class accuracy when given. `runs`: { model, cell, seed, evaluations: [{ step, accuracy }] }.
 */
export function stepsFigure({ task, cells, runs, majority }) {
    const charts = cells.map(cell => {
        const name = cellName(cell);
        const inCell = runs.filter(r => r.cell === name);
        const series = [];
        for (const [model, { label, color }] of Object.entries(MODELS)) {
            const seeds = inCell.filter(r => r.model === model).sort((a, b) => a.seed - b.seed);
            seeds.forEach((run, index) => {
                const points = run.evaluations.filter(e => typeof e.accuracy === 'number').map(e => [e.step, e.accuracy]);
                // Dots only where a curve is too short to be seen as a line (per-epoch evaluations).
                series.push({ name: label, color, legend: index === 0, markers: points.length < 3, strokeWidth: 1, points });
            });
        }
        if (majority !== undefined && series.length > 0) {
            const xs = series.flatMap(s => s.points.map(p => p[0]));
            series.push({ name: `majority class (${(100 * majority).toFixed(1)} %)`, color: '#7f7f7f', dashed: true, markers: false, strokeWidth: 1, points: [[Math.min(...xs), majority], [Math.max(...xs), majority]] });
        }
        const title = `${task}: batch ${cell.batch}, lr ${formatLr(cell.lr)}${series.length === 0 ? ' (not run)' : ''}`;
        // From 0.4 (below chance for both tasks) unless a curve goes lower.
        const lowest = Math.min(0.4, ...series.flatMap(s => s.points.map(p => p[1])));
        return lineChart({ title, xLabel: 'optimiser steps', yLabel: 'test accuracy', yMin: Math.floor(lowest * 10) / 10, yMax: 1, series, ...PANEL });
    });
    return chartGrid(charts, Math.min(3, charts.length), PANEL.width, PANEL.height);
}

/**
 * The project's data-efficiency figure for one task: final test metric against training-set
 * size (log scale), mean over seeds with a min…max band, one line per model.
 * `points`: { model, size, values: number[] }; a dotted line marks the majority-class accuracy when given.
 */
export function sizeFigure({ task, metric, points, majority }) {
    const models = [...new Set(points.map(p => p.model))];
    const series = models.map(model => {
        const rows = points.filter(p => p.model === model).sort((a, b) => a.size - b.size);
        return {
            name: MODELS[model]?.label ?? model, color: MODELS[model]?.color, dashed: model === 'I',
            points: rows.map(r => [r.size, mean(r.values)]), band: rows.map(r => [r.size, Math.min(...r.values), Math.max(...r.values)])
        };
    });
    if (majority !== undefined && points.length > 0) {
        const sizes = points.map(p => p.size);
        series.push({ name: `majority class (${(100 * majority).toFixed(1)} %)`, color: '#7f7f7f', dashed: true, markers: false, strokeWidth: 1, points: [[Math.min(...sizes), majority], [Math.max(...sizes), majority]] });
    }
    const unit = metric === 'accuracy' ? 'test accuracy' : 'test PSNR (dB)';
    return lineChart({ title: `${task}: ${unit} vs training-set size`, xLabel: 'training-set size (log scale)', yLabel: unit, logX: true, ...(metric === 'accuracy' ? { yMin: 0.4, yMax: 1 } : {}), series, ...PANEL });
}

/**
 * Ctrl-C or SIGTERM (of run.mjs and dilation.mjs): the returned signal aborts, so the current
 * run stops after its batch (the torch trainer too) and is not recorded, while the runs before
 * it stay in the results file `keptIn`; a second Ctrl-C exits at once with 130.
 */
export function interruptSignal(keptIn, host = process, log = message => console.error(message)) {
    const controller = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM']) {
        host.on(signal, () => {
            if (controller.signal.aborted) {
                host.exit(130);
                return;
            }
            log(`\n${signal}: stopping after the current batch; finished runs are kept in ${keptIn}`);
            controller.abort();
        });
    }
    return controller.signal;
}
