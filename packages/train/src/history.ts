/**
 * The metric history of a training run (per epoch) as JSON, CSV and an SVG plot, and a
 * small dependency-free SVG line chart that the experiment report reuses.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '@cajal/compiler';

export interface EpochMetrics {
    readonly epoch: number;
    /** Training examples processed so far (epochs × training-set size). */
    readonly examplesSeen: number;
    readonly seconds: number;
    readonly loss: number;
    /** Classification accuracy (discrete models) or null. */
    readonly accuracy: number | null;
    /** Mean peak signal-to-noise ratio in dB (Real models, values in 0…1) or null. */
    readonly psnr: number | null;
    readonly testLoss: number | null;
    readonly testAccuracy: number | null;
    readonly testPsnr: number | null;
}

/** A test-set evaluation of an `evaluate every …` schedule, after `step` optimiser steps. */
export interface Evaluation {
    readonly step: number;
    /** Training examples processed before it. */
    readonly examples: number;
    readonly test: { readonly loss: number | null; readonly accuracy: number | null; readonly psnr: number | null };
}

const COLUMNS: Array<keyof EpochMetrics> = ['epoch', 'examplesSeen', 'seconds', 'loss', 'accuracy', 'psnr', 'testLoss', 'testAccuracy', 'testPsnr'];

export function historyCsv(history: readonly EpochMetrics[]): string {
    const cell = (value: number | null) => value === null ? '' : Number.isInteger(value) ? String(value) : value.toPrecision(6);
    return [COLUMNS.join(','), ...history.map(row => COLUMNS.map(c => cell(row[c] as number | null)).join(','))].join('\n') + '\n';
}

export interface Series {
    readonly name: string;
    readonly points: ReadonlyArray<readonly [number, number]>;
    readonly color?: string;
    readonly dashed?: boolean;
    /** Shaded band (e.g. min … max over seeds), same x as points. */
    readonly band?: ReadonlyArray<readonly [number, number, number]>;
    /** false: no legend entry (e.g. the 2nd…10th seed of a model whose 1st seed is named). */
    readonly legend?: boolean;
    /** false: the line only, no dot per point (dense curves). */
    readonly markers?: boolean;
    /** Line width in pixels (default 2). */
    readonly strokeWidth?: number;
}

export interface ChartOptions {
    readonly title: string;
    readonly xLabel: string;
    readonly yLabel: string;
    readonly series: readonly Series[];
    readonly logX?: boolean;
    readonly yMin?: number;
    readonly yMax?: number;
    readonly width?: number;
    readonly height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function escapeXml(text: string): string {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceTicks(min: number, max: number, count = 5): number[] {
    if (!(max > min)) return [min];
    const step0 = (max - min) / count;
    const magnitude = 10 ** Math.floor(Math.log10(step0));
    const step = [1, 2, 2.5, 5, 10].map(m => m * magnitude).find(s => s >= step0) ?? step0;
    const ticks: number[] = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
    return ticks;
}

function formatTick(value: number): string {
    if (Math.abs(value) >= 1000) return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
    return Number(value.toPrecision(3)).toString();
}

/** A line chart as a standalone SVG document (or a fragment placed at x, y when nested). */
export function lineChart(options: ChartOptions): string {
    const width = options.width ?? 560;
    const height = options.height ?? 360;
    const margin = { left: 64, right: 16, top: 36, bottom: 48 };
    const legendHeight = 18 * Math.ceil(options.series.filter(s => s.legend !== false).length / 2);
    const plotW = width - margin.left - margin.right;
    const plotH = height - margin.top - margin.bottom - legendHeight;
    const all = options.series.flatMap(s => [...s.points, ...(s.band ?? []).flatMap(([x, lo, hi]) => [[x, lo], [x, hi]] as const)]);
    const fx = (x: number) => options.logX ? Math.log2(Math.max(x, 1e-12)) : x;
    const xs = all.map(p => fx(p[0])), ys = all.map(p => p[1]).filter(Number.isFinite);
    let xMin = xs.length ? Math.min(...xs) : 0, xMax = xs.length ? Math.max(...xs) : 1;
    if (xMax === xMin) { xMin -= 1; xMax += 1; }
    let yMin = options.yMin ?? (ys.length ? Math.min(...ys) : 0), yMax = options.yMax ?? (ys.length ? Math.max(...ys) : 1);
    if (yMax === yMin) { yMin -= 0.5; yMax += 0.5; }
    const px = (x: number) => margin.left + ((fx(x) - xMin) / (xMax - xMin)) * plotW;
    const py = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
    const parts: string[] = [];
    parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
    parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
    parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`);
    const xTicks = options.logX
        ? Array.from({ length: Math.floor(xMax) - Math.ceil(xMin) + 1 }, (_, i) => 2 ** (Math.ceil(xMin) + i))
        : niceTicks(xMin, xMax);
    for (const tick of niceTicks(yMin, yMax)) {
        parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${py(tick).toFixed(1)}" y2="${py(tick).toFixed(1)}" stroke="#e5e5e5"/>`);
        parts.push(`<text x="${margin.left - 6}" y="${(py(tick) + 4).toFixed(1)}" text-anchor="end">${formatTick(tick)}</text>`);
    }
    for (const tick of xTicks) {
        const x = px(tick);
        parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#f0f0f0"/>`);
        parts.push(`<text x="${x.toFixed(1)}" y="${margin.top + plotH + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
    }
    parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
    parts.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 34}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
    parts.push(`<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
    let legendIndex = 0;
    options.series.forEach((series, index) => {
        const color = series.color ?? PALETTE[index % PALETTE.length];
        const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
        if (series.band && series.band.length > 1) {
            const upper = series.band.map(([x, , hi]) => `${px(x).toFixed(1)},${py(hi).toFixed(1)}`);
            const lower = [...series.band].reverse().map(([x, lo]) => `${px(x).toFixed(1)},${py(lo).toFixed(1)}`);
            parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
        }
        const points = series.points.filter(p => Number.isFinite(p[1]));
        if (points.length > 0) {
            parts.push(`<polyline points="${points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="${series.strokeWidth ?? 2}"${dash}/>`);
            if (series.markers !== false) for (const [x, y] of points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
        }
        if (series.legend === false) return;
        const lx = margin.left + (legendIndex % 2) * (plotW / 2);
        // The first legend row sits 16 px below the x-axis label (margin.top + plotH + 34).
        const ly = height - legendHeight + 18 * Math.floor(legendIndex / 2) + 2;
        legendIndex++;
        parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`);
        parts.push(`<text x="${lx + 26}" y="${ly}">${escapeXml(series.name)}</text>`);
    });
    parts.push('</svg>');
    return parts.join('\n') + '\n';
}

/** Places charts side by side in one SVG document. */
export function sideBySide(charts: readonly string[], width = 560, height = 360): string {
    return chartGrid(charts, charts.length, width, height);
}

/** Places charts (each `width` × `height`) in rows of `columns`, left to right, top to bottom, in one SVG document. */
export function chartGrid(charts: readonly string[], columns: number, width = 560, height = 360): string {
    const rows = Math.ceil(charts.length / columns);
    const total = { width: width * Math.min(columns, charts.length), height: height * rows };
    const inner = charts.map((chart, i) => chart.replace('<svg ', `<svg x="${(i % columns) * width}" y="${Math.floor(i / columns) * height}" `)).join('\n');
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${total.width}" height="${total.height}" viewBox="0 0 ${total.width} ${total.height}">\n${inner}</svg>\n`;
}

/** The loss and accuracy (or PSNR) per epoch of one run, as an SVG with two panels. */
export function historySvg(name: string, history: readonly EpochMetrics[]): string {
    const pick = (key: keyof EpochMetrics) => history.filter(h => typeof h[key] === 'number').map(h => [h.epoch, h[key] as number] as const);
    const loss = lineChart({
        title: `${name}: loss`, xLabel: 'epoch', yLabel: 'loss', yMin: 0,
        series: [{ name: 'training', points: pick('loss') }, { name: 'test', points: pick('testLoss'), dashed: true }]
    });
    const discrete = history.some(h => h.accuracy !== null);
    const quality = discrete
        ? lineChart({ title: `${name}: accuracy`, xLabel: 'epoch', yLabel: 'accuracy', yMin: 0, yMax: 1, series: [{ name: 'training', points: pick('accuracy') }, { name: 'test', points: pick('testAccuracy'), dashed: true }] })
        : lineChart({ title: `${name}: PSNR`, xLabel: 'epoch', yLabel: 'PSNR (dB)', series: [{ name: 'training', points: pick('psnr') }, { name: 'test', points: pick('testPsnr'), dashed: true }] });
    return sideBySide([loss, quality]);
}

/**
 * Writes history.json, history.csv and history.svg into `directory` (each atomically);
 * history.json also holds the evaluations of an `evaluate every …` schedule.
 */
export function writeHistory(directory: string, name: string, history: readonly EpochMetrics[], evaluations?: readonly Evaluation[]): { json: string; csv: string; svg: string } {
    const files = { json: path.join(directory, 'history.json'), csv: path.join(directory, 'history.csv'), svg: path.join(directory, 'history.svg') };
    const write = (file: string, text: string) => writeFileAtomic(file, text, { what: `the training history to ${directory}` });
    write(files.json, JSON.stringify(evaluations ? { train: name, history, evaluations } : { train: name, history }, null, 2) + '\n');
    write(files.csv, historyCsv(history));
    write(files.svg, historySvg(name, history));
    return files;
}
