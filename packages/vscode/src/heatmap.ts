// HTML for the neuron view: a closed definition's weight matrix as a labelled heatmap.
// All markup is produced here (plain functions, unit-tested); the webview's script only
// swaps in new markup when the extension posts an update, so refreshing after an edit
// does not reload the page.
import type { NeuronInfo, NeuronResponse } from './protocol.js';
import { escapeHtml, webviewPage } from './html.js';

export interface HeatmapOptions {
    /** Matrices with more cells than this are summarised instead of drawn cell by cell. */
    maxCells: number;
    /** Matrices with more cells than this are drawn as a compact heatmap (colours, no numbers). Default COMPACT_ABOVE_CELLS. */
    compactAbove?: number;
}

/**
 * Up to this many cells a matrix is a table of numbers; above it (e.g. `add`, [100, 10]) a
 * compact heatmap: small coloured cells with their value on hover, labelled rows and columns,
 * and zoom buttons, so the structure shows instead of a hundred rows of zeros.
 */
export const COMPACT_ABOVE_CELLS = 256;
/** Cell sizes (px) the zoom buttons step through; the compact heatmap starts at ZOOM_STEPS[2]. */
export const ZOOM_STEPS = [4, 6, 10, 14, 20, 28];

/** The matrix view of a tensor: vectors become one column, higher ranks fold into rows. */
export function asMatrix(shape: number[]): { rows: number; cols: number } {
    if (shape.length === 0) return { rows: 1, cols: 1 };
    if (shape.length === 1) return { rows: shape[0], cols: 1 };
    const cols = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return { rows, cols };
}

/**
 * Diverging colour scale: positive weights red, negative blue, zero transparent, with
 * opacity proportional to |value| / maxAbs. Returns a CSS colour.
 */
export function cellColor(value: number, maxAbs: number): string {
    if (!Number.isFinite(value)) return 'rgba(255, 200, 0, 1)';
    if (maxAbs <= 0 || value === 0) return 'rgba(0, 0, 0, 0)';
    const alpha = Math.min(1, Math.abs(value) / maxAbs);
    const rounded = Math.round(alpha * 1000) / 1000;
    return value > 0 ? `rgba(220, 50, 47, ${rounded})` : `rgba(38, 110, 220, ${rounded})`;
}

/** A compact rendering of a weight: integers stay integers, others get 3 significant digits. */
export function formatWeight(value: number): string {
    if (Number.isInteger(value)) return String(value);
    if (!Number.isFinite(value)) return String(value);
    return Number(value.toPrecision(3)).toString();
}

export function shapeText(shape: number[]): string {
    return `[${shape.join(', ')}]`;
}

/** The heading and matrix markup for one neuron (or an error), without the page shell. */
export function renderNeuronContent(response: NeuronResponse, options: HeatmapOptions): string {
    if ('error' in response) {
        return `<div class="error" role="alert">${escapeHtml(response.error)}</div>`;
    }
    const neuron: NeuronInfo = response;
    const header = `<header>
<h1><span class="name">${escapeHtml(neuron.name)}</span> : <span class="type">${escapeHtml(neuron.type)}</span></h1>
<p class="summary">weight matrix <span class="shape">${escapeHtml(shapeText(neuron.shape))}</span>, <span class="weights">${neuron.weights}</span> weight${neuron.weights === 1 ? '' : 's'}</p>
</header>`;
    if (neuron.data === null) {
        return `${header}<p class="note">The server did not send the entries of this matrix (it is not closed or too large to display).</p>`;
    }
    const { rows, cols } = asMatrix(neuron.shape);
    if (neuron.data.length !== rows * cols) {
        return `${header}<div class="error" role="alert">The matrix has ${neuron.data.length} entries but its shape ${escapeHtml(shapeText(neuron.shape))} needs ${rows * cols}.</div>`;
    }
    if (rows * cols > options.maxCells) {
        return `${header}${renderSummary(neuron.data)}<p class="note">${rows * cols} cells exceed the cajal.neuron.maxCells setting (${options.maxCells}); showing a summary.</p>`;
    }
    if (rows * cols > (options.compactAbove ?? COMPACT_ABOVE_CELLS)) {
        return header + renderSummary(neuron.data) + renderCompactHeatmap(neuron.data, rows, cols, neuron.rows, neuron.cols);
    }
    return header + renderMatrixTable(neuron.data, rows, cols, neuron.rows, neuron.cols);
}

function renderSummary(data: number[]): string {
    let min = Infinity, max = -Infinity, nonZero = 0;
    for (const v of data) {
        if (v < min) min = v;
        if (v > max) max = v;
        if (v !== 0) nonZero++;
    }
    return `<p class="stats">min ${formatWeight(min)}, max ${formatWeight(max)}, ${nonZero} non-zero of ${data.length}</p>`;
}

export function renderMatrixTable(data: number[], rows: number, cols: number, rowLabels: string[], colLabels: string[]): string {
    let maxAbs = 0;
    for (const v of data) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
    const label = (labels: string[], i: number) => escapeHtml(labels[i] ?? String(i));
    const parts: string[] = [];
    parts.push(`<table class="heatmap" data-rows="${rows}" data-cols="${cols}">`);
    parts.push('<thead><tr><th class="corner" scope="col">out \\ in</th>');
    for (let c = 0; c < cols; c++) parts.push(`<th scope="col" class="col-label">${label(colLabels, c)}</th>`);
    parts.push('</tr></thead><tbody>');
    for (let r = 0; r < rows; r++) {
        parts.push(`<tr><th scope="row" class="row-label">${label(rowLabels, r)}</th>`);
        for (let c = 0; c < cols; c++) {
            const v = data[r * cols + c];
            const text = formatWeight(v);
            parts.push(`<td class="cell" style="background-color:${cellColor(v, maxAbs)}" title="${label(rowLabels, r)} ← ${label(colLabels, c)}: ${escapeHtml(String(v))}">${escapeHtml(text)}</td>`);
        }
        parts.push('</tr>');
    }
    parts.push('</tbody></table>');
    return parts.join('');
}

/** A large matrix as coloured cells without numbers (values in each cell's title), with zoom buttons. */
export function renderCompactHeatmap(data: number[], rows: number, cols: number, rowLabels: string[], colLabels: string[]): string {
    let maxAbs = 0;
    for (const v of data) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
    const label = (labels: string[], i: number) => escapeHtml(labels[i] ?? String(i));
    const parts: string[] = [];
    parts.push(`<div class="zoom" role="group" aria-label="Zoom"><button type="button" data-zoom="-1" title="Smaller cells">−</button> <button type="button" data-zoom="1" title="Larger cells">+</button> <span class="note">hover a cell for its value</span></div>`);
    parts.push(`<div class="compact-scroll"><table class="heatmap compact" data-rows="${rows}" data-cols="${cols}" style="--cell:${ZOOM_STEPS[2]}px">`);
    parts.push('<thead><tr><th class="corner" scope="col">out \\ in</th>');
    for (let c = 0; c < cols; c++) parts.push(`<th scope="col" class="col-label"><span>${label(colLabels, c)}</span></th>`);
    parts.push('</tr></thead><tbody>');
    for (let r = 0; r < rows; r++) {
        parts.push(`<tr><th scope="row" class="row-label">${label(rowLabels, r)}</th>`);
        for (let c = 0; c < cols; c++) {
            const v = data[r * cols + c];
            parts.push(`<td class="cell" style="background-color:${cellColor(v, maxAbs)}" title="${label(rowLabels, r)} ← ${label(colLabels, c)}: ${escapeHtml(String(v))}"></td>`);
        }
        parts.push('</tr>');
    }
    parts.push('</tbody></table></div>');
    return parts.join('');
}

const neuronStyle = `
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
h1 { font-size: 1.2em; font-weight: 600; }
.type { font-family: var(--vscode-editor-font-family); }
.summary, .note, .stats { color: var(--vscode-descriptionForeground); }
.error { color: var(--vscode-errorForeground); border: 1px solid var(--vscode-inputValidation-errorBorder, red); padding: .5em; }
.stale { color: var(--vscode-editorWarning-foreground, #b89500); border: 1px dashed var(--vscode-editorWarning-foreground, #b89500); padding: .4em; margin-bottom: .5em; }
table.heatmap { border-collapse: collapse; font-family: var(--vscode-editor-font-family); font-size: 0.9em; }
table.heatmap th { font-weight: normal; color: var(--vscode-descriptionForeground); padding: 2px 6px; white-space: nowrap; }
table.heatmap td.cell { min-width: 2.2em; height: 1.8em; text-align: center; border: 1px solid var(--vscode-editorWidget-border, #8884); }
.toolbar { margin: .5em 0; }
table.heatmap.compact td.cell { min-width: 0; width: var(--cell); height: var(--cell); padding: 0; border: none; outline: 1px solid var(--vscode-editorWidget-border, #8882); }
table.heatmap.compact th { font-size: min(0.9em, calc(var(--cell) * 1.1)); padding: 0 4px; line-height: 1; }
table.heatmap.compact th.col-label span { writing-mode: vertical-rl; transform: rotate(180deg); display: inline-block; }
.compact-scroll { overflow: auto; max-height: 80vh; }
.zoom { margin: .3em 0; }
.side-by-side { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
h2 { font-size: 1em; font-weight: 600; }
pre.source { font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background); padding: .5em; overflow-x: auto; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; }
`;

/**
 * The script runs inside the webview. It replaces the content when the extension posts
 * `{ type: 'update', html }` and asks for data with `ready` / `refresh` / `copy` messages.
 */
const neuronScript = `
const vscode = acquireVsCodeApi();
const content = document.getElementById('content');
const pin = document.getElementById('pin');
window.addEventListener('message', event => {
  const message = event.data;
  if (message && message.type === 'update' && typeof message.html === 'string') {
    content.innerHTML = message.html;
    applyZoom();
    document.body.dataset.version = String(message.version ?? '');
    if (typeof message.pinned === 'boolean') {
      pin.textContent = message.pinned ? 'Unpin' : 'Pin';
      pin.setAttribute('aria-pressed', String(message.pinned));
      pin.title = message.pinned ? 'Stays on this declaration; click to follow the cursor' : 'Follows the declaration under the cursor; click to stay on this one';
    }
  }
});
pin.addEventListener('click', () => vscode.postMessage({ type: 'pin' }));
// Zoom of the compact heatmap: kept across updates (the same neuron redrawn after an edit).
const zoomSteps = ${JSON.stringify(ZOOM_STEPS)};
let zoom = 2;
function applyZoom() {
  for (const table of content.querySelectorAll('table.compact')) table.style.setProperty('--cell', zoomSteps[zoom] + 'px');
}
content.addEventListener('click', event => {
  const button = event.target instanceof Element ? event.target.closest('[data-zoom]') : null;
  if (!button) return;
  zoom = Math.max(0, Math.min(zoomSteps.length - 1, zoom + Number(button.getAttribute('data-zoom'))));
  applyZoom();
});
document.getElementById('refresh').addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
document.getElementById('copy').addEventListener('click', () => vscode.postMessage({ type: 'copy' }));
vscode.postMessage({ type: 'ready' });
`;

export function renderNeuronPage(response: NeuronResponse, options: HeatmapOptions & { nonce: string; cspSource: string; title: string }): string {
    return renderNeuronPageWith(renderNeuronContent(response, options), options);
}

/** The neuron view's page around content already rendered (a compiled or a learned neuron). */
export function renderNeuronPageWith(content: string, options: { nonce: string; cspSource: string; title: string }): string {
    const body = `<div class="toolbar"><button id="pin" type="button" aria-pressed="false" title="Follows the declaration under the cursor; click to stay on this one">Pin</button> <button id="refresh" type="button">Refresh</button> <button id="copy" type="button">Copy as JSON</button></div>
<main id="content">${content}</main>`;
    return webviewPage({ title: options.title, nonce: options.nonce, cspSource: options.cspSource, style: neuronStyle, body, script: neuronScript });
}
