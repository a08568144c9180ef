/**
 * The recurrent-neuron experiments' pure parts (issue 13; no training, no files): PSNR as the
 * authors measure it, its summaries (mean, median, per digit), the trivial predictors, and
 * the SVG figures (PSNR against steps, one line per seed; sample images). Unit-tested in
 * test/experiments/dilation-lib.test.ts.
 */
import { chartGrid, lineChart } from '@cajal/train';
import { mean } from './lib.mjs';

/**
 * An exact prediction has infinite PSNR (the authors' torcheval gives inf). Reported values
 * are capped here, so that a mean stays a number; 100 dB is the tfjs/torch engines' floor too
 * (MSE 1e-10 at data range 1). The median is what such images cannot move.
 */
export const PSNR_CAP = 100;

/**
 * PSNR of each image as the authors compute it (torcheval's peak_signal_noise_ratio, vmapped
 * over the batch): 10·log10(range² / MSE), the data range taken from the target image
 * (max − min); a constant target (range 0) is read with range 1. `prediction` and `target`
 * are flat [n · size] arrays; returns n values, capped at PSNR_CAP.
 */
export function psnrPerImage(prediction, target, size) {
    if (prediction.length !== target.length || target.length % size !== 0) {
        throw new Error(`psnrPerImage: ${prediction.length} predicted and ${target.length} target numbers for images of ${size}`);
    }
    const n = target.length / size;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
        let lo = Infinity, hi = -Infinity, sum = 0;
        for (let k = i * size; k < (i + 1) * size; k++) {
            const t = target[k];
            if (t < lo) lo = t;
            if (t > hi) hi = t;
            const e = prediction[k] - t;
            sum += e * e;
        }
        const range = hi > lo ? hi - lo : 1;
        const mse = sum / size;
        out[i] = mse === 0 ? PSNR_CAP : Math.min(PSNR_CAP, 10 * Math.log10((range * range) / mse));
    }
    return out;
}

// The mean of a list or typed array (NaN for none) is the runner's (lib.mjs).
export { mean };

export function median(xs) {
    if (xs.length === 0) return NaN;
    const sorted = Float64Array.from(xs).sort();
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Mean and median over all images, and per digit (0…9): { mean, median, digits: [{ digit,
 * count, mean, median }] }. `labels`: each image's digit.
 */
export function summarize(values, labels) {
    const digits = [];
    for (let digit = 0; digit < 10; digit++) {
        const mine = [];
        for (let i = 0; i < values.length; i++) if (labels[i] === digit) mine.push(values[i]);
        digits.push({ digit, count: mine.length, mean: mean(mine), median: median(mine) });
    }
    return { mean: mean(values), median: median(values), digits };
}

/** The trivial predictors every table carries: the input itself, and all background (0). */
export function trivialPredictions(inputs) {
    return { identity: inputs, background: new Float32Array(inputs.length) };
}

export const DILATION_MODELS = {
    linked: { label: 'linked (iter, hypernetwork step)', color: '#1f77b4' },
    baseline: { label: 'baseline (conv 13×13 ×3)', color: '#d62728' },
    type: { label: 'type control (reader ⊗ image, linear)', color: '#2ca02c' },
    identity: { label: 'identity (input unchanged)', color: '#7f7f7f' },
    background: { label: 'all background', color: '#bcbd22' }
};

const PANEL = { width: 520, height: 340 };

/**
 * PSNR (mean or median over the test images) against optimiser steps: one thin line per seed,
 * coloured by model; the trivial predictors as dashed horizontal lines.
 * `runs`: { model, seed, evaluations: [{ step, mean, median }] }; `trivial`: { identity, background } summaries.
 */
export function psnrFigure({ task, runs, trivial, statistic }) {
    const series = [];
    for (const [model, { label, color }] of Object.entries(DILATION_MODELS)) {
        const seeds = runs.filter(r => r.model === model).sort((a, b) => a.seed - b.seed);
        seeds.forEach((run, index) => {
            const points = run.evaluations.map(e => [e.step, e[statistic]]);
            series.push({ name: label, color, legend: index === 0, markers: points.length < 3, strokeWidth: 1, points });
        });
    }
    const xs = series.flatMap(s => s.points.map(p => p[0]));
    if (xs.length > 0) {
        for (const name of ['identity', 'background']) {
            const value = trivial[name][statistic];
            series.push({ name: `${DILATION_MODELS[name].label}: ${value.toFixed(1)} dB`, color: DILATION_MODELS[name].color, dashed: true, markers: false, strokeWidth: 1, points: [[Math.min(...xs), value], [Math.max(...xs), value]] });
        }
    }
    return lineChart({ title: `${task}: ${statistic} test PSNR`, xLabel: 'optimiser steps', yLabel: `${statistic} PSNR (dB)`, series, ...PANEL });
}

/** Two figures side by side (mean and median). */
export function psnrFigures(options) {
    return chartGrid([psnrFigure({ ...options, statistic: 'mean' }), psnrFigure({ ...options, statistic: 'median' })], 2, PANEL.width, PANEL.height);
}

const escape = text => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Sample images as an SVG grid: one row per example, one column per image kind (input,
 * target, model outputs), each a side×side image in 16 greys (0 black … 1 white, clipped).
 * `rows`: [{ label, images: [Float32Array(side²)] }]; `columns`: the column titles.
 */
export function imagesFigure({ title, columns, rows, side = 28, cell = 3 }) {
    const gap = 8, top = 36, left = 70, size = side * cell;
    const width = left + columns.length * (size + gap);
    const height = top + rows.length * (size + gap);
    const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
        `<rect width="${width}" height="${height}" fill="white"/>`, `<text x="4" y="14" font-size="13">${escape(title)}</text>`];
    columns.forEach((name, c) => parts.push(`<text x="${left + c * (size + gap) + size / 2}" y="${top - 6}" text-anchor="middle">${escape(name)}</text>`));
    rows.forEach((row, r) => {
        const y0 = top + r * (size + gap);
        parts.push(`<text x="4" y="${y0 + size / 2}">${escape(row.label)}</text>`);
        row.images.forEach((image, c) => {
            const x0 = left + c * (size + gap);
            // A black square, then per grey one path of each row's runs of it (MNIST is mostly black: a small file).
            parts.push(`<g transform="translate(${x0},${y0}) scale(${cell})"><rect width="${side}" height="${side}" fill="black"/>`);
            // 16 grey levels: enough to see a stroke, and long runs.
            const grey = k => 17 * Math.round(15 * Math.min(1, Math.max(0, image[k])) || 0);
            const runs = new Map();
            for (let i = 0; i < side; i++) {
                for (let j = 0; j < side;) {
                    const v = grey(i * side + j);
                    let end = j + 1;
                    while (end < side && grey(i * side + end) === v) end++;
                    if (v > 0) runs.set(v, `${runs.get(v) ?? ''}M${j} ${i}h${end - j}v1h-${end - j}z`);
                    j = end;
                }
            }
            for (const [v, d] of [...runs].sort((a, b) => a[0] - b[0])) parts.push(`<path fill="rgb(${v},${v},${v})" d="${d}"/>`);
            parts.push('</g>');
        });
    });
    parts.push('</svg>');
    return parts.join('\n') + '\n';
}
