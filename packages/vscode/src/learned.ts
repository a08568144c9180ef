// The learned neuron of a trained extern in the editor: hover text and the Show Neuron view.
// The language server never loads tfjs, so the matrix comes from the bundled CLI's
// `cajal inspect FILE --extern NAME --json` (docs/training.md), run in a child process and
// cached until the weights change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCli, type CliLauncher } from './cliProcess.js';
import { describeCliFailure } from './failures.js';
import { formatWeight, renderMatrixTable } from './heatmap.js';
import { escapeHtml } from './html.js';

export interface MatrixDistance {
    maxAbs: number;
    frobenius: number;
    agreeing: number;
    columns: number;
}

/** `cajal inspect --json` output. */
export interface LearnedNeuron {
    extern: string;
    type: string;
    architecture: string;
    weights: string;
    epoch: number;
    shape: [number, number];
    rows: string[];
    columns: string[];
    matrix: number[];
    nearest: { name: string; source: string; table: string[]; distance: MatrixDistance } | null;
}

export type LearnedNeuronResponse = LearnedNeuron | { error: string };

export function parseInspectResult(stdout: string): LearnedNeuron {
    let value: unknown;
    try {
        value = JSON.parse(stdout);
    } catch {
        throw new Error(`cajal inspect printed something that is not JSON: ${stdout.slice(0, 200)}`);
    }
    const v = value as Partial<LearnedNeuron>;
    const [rows, columns] = Array.isArray(v?.shape) ? v.shape : [];
    if (typeof v?.extern !== 'string' || typeof v.type !== 'string' || typeof rows !== 'number' || typeof columns !== 'number'
        || !Array.isArray(v.matrix) || v.matrix.length !== rows * columns || !Array.isArray(v.rows) || !Array.isArray(v.columns)) {
        throw new Error(`cajal inspect printed JSON without extern/type/shape/matrix: ${stdout.slice(0, 200)}`);
    }
    return value as LearnedNeuron;
}

/**
 * The weights that `cajal inspect FILE --extern NAME` would read (FILE.weights/TRAIN/weights.json
 * naming the extern) and FILE, with their modification times: the cache key, and whether to
 * ask at all (undefined: no saved weights hold the extern).
 */
export function savedWeightsOf(file: string, extern: string): string | undefined {
    const folder = `${file.replace(/\.cajal$/, '')}.weights`;
    let trains: string[];
    try {
        trains = fs.readdirSync(folder);
    } catch {
        return undefined;
    }
    const found: string[] = [];
    for (const train of trains.sort()) {
        const manifest = path.join(folder, train, 'weights.json');
        try {
            const externs = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { externs?: Record<string, unknown> }).externs ?? {};
            if (extern in externs) found.push(`${manifest}@${fs.statSync(manifest).mtimeMs}`);
        } catch {
            // Not a weights folder (or being rewritten): skip it.
        }
    }
    if (found.length === 0) return undefined;
    // The file too: `cajal inspect` reads the extern's declaration from it.
    let source = 0;
    try {
        source = fs.statSync(file).mtimeMs;
    } catch {
        return undefined;
    }
    return `${found.join('|')}|${file}@${source}`;
}

/** Runs `cajal inspect` for trained externs, once per version of their weights. */
export class LearnedNeurons {
    private readonly cache = new Map<string, { key: string; answer: Promise<LearnedNeuronResponse> }>();

    constructor(private readonly cli: CliLauncher) {}

    /**
     * The learned neuron, or undefined when the extern has no saved weights beside the file.
     * `options` are further `cajal inspect` arguments (the editor's `--max-tensor`); a new
     * value asks again, as new weights do.
     */
    get(file: string, extern: string, options: readonly string[] = []): Promise<LearnedNeuronResponse> | undefined {
        const weights = savedWeightsOf(file, extern);
        if (weights === undefined) return undefined;
        const key = [weights, ...options].join('\0');
        const id = `${file}#${extern}`;
        const cached = this.cache.get(id);
        if (cached && cached.key === key) return cached.answer;
        const answer = startCli(this.cli, ['inspect', file, '--extern', extern, '--json', ...options], { cwd: path.dirname(file) }).done.then(result => {
            if (result.code !== 0) return { error: describeCliFailure(result, 'inspect').summary };
            try {
                return parseInspectResult(result.stdout);
            } catch (error) {
                return { error: error instanceof Error ? error.message : String(error) };
            }
        });
        this.cache.set(id, { key, answer });
        return answer;
    }
}

function distanceText(distance: MatrixDistance): string {
    return `max |Δ| ${formatWeight(distance.maxAbs)}, ‖Δ‖ ${formatWeight(distance.frobenius)}; same most likely output on ${distance.agreeing}/${distance.columns} inputs`;
}

/** Markdown for hovering a trained extern: how far the learned map is from the nearest program. */
export function learnedHoverMarkdown(response: LearnedNeuronResponse, showCommand?: string): string {
    if ('error' in response) return `**Learned neuron**: ${response.error}`;
    const trained = `trained ${response.epoch} epoch${response.epoch === 1 ? '' : 's'}`;
    if (!response.nearest) return `**Learned neuron** [${response.shape.join(', ')}], ${trained}; its result is not discrete, so no program is read off it.`;
    const lines = [
        `**Learned neuron** [${response.shape.join(', ')}], ${trained}: ${distanceText(response.nearest.distance)} from the nearest program:`,
        '',
        '```cajal',
        response.nearest.source.trimEnd(),
        '```'
    ];
    if (showCommand) lines.push('', `[Show the learned neuron](${showCommand})`);
    return lines.join('\n');
}

/** The view of a learned neuron: its matrix next to the nearest program's (compiled) matrix. */
export function renderLearnedNeuronContent(response: LearnedNeuronResponse): string {
    if ('error' in response) return `<div class="error" role="alert">${escapeHtml(response.error)}</div>`;
    const [rows, columns] = response.shape;
    const header = `<header>
<h1><span class="name">${escapeHtml(response.extern)}</span> : <span class="type">${escapeHtml(response.type)}</span> = ${escapeHtml(response.architecture)}</h1>
<p class="summary">learned matrix <span class="shape">[${rows}, ${columns}]</span>, trained ${response.epoch} epoch${response.epoch === 1 ? '' : 's'} (${escapeHtml(response.weights)})</p>
</header>`;
    const learned = `<section class="learned"><h2>Learned (the network on each basis input)</h2>${renderMatrixTable(response.matrix, rows, columns, response.rows, response.columns)}</section>`;
    if (!response.nearest) return `${header}<div class="side-by-side">${learned}</div><p class="note">The result is not discrete, so no program is read off the columns.</p>`;
    const nearestMatrix = new Array<number>(rows * columns).fill(0);
    response.nearest.table.forEach((label, column) => {
        const row = response.rows.indexOf(label);
        if (row >= 0) nearestMatrix[row * columns + column] = 1;
    });
    const nearest = `<section class="nearest"><h2>Nearest program (compiled)</h2>${renderMatrixTable(nearestMatrix, rows, columns, response.rows, response.columns)}</section>`;
    return `${header}<div class="side-by-side">${learned}${nearest}</div>
<p class="distance">${escapeHtml(distanceText(response.nearest.distance))}</p>
<pre class="source">${escapeHtml(response.nearest.source)}</pre>`;
}
