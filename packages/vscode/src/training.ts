// The training view's model and markup: a pure reducer over `cajal train --events` lines and
// an SVG chart renderer. The webview only displays markup the extension posts (and keeps
// the last state with setState), so the chart survives being hidden and reloaded.
import type { TrainEvent } from './protocol.js';
import { escapeHtml, jsonForScript, webviewPage } from './html.js';

export interface EpochPoint {
    epoch: number;
    loss: number;
    /** Classification accuracy in [0, 1], or null for Real-valued models. */
    accuracy: number | null;
    /** Peak signal-to-noise ratio in dB for Real-valued models, else null. */
    psnr: number | null;
    testLoss: number | null;
    testAccuracy: number | null;
    testPsnr: number | null;
}

export interface TrainingState {
    name: string;
    status: 'starting' | 'running' | 'done' | 'cancelled' | 'failed';
    epochs: number | null;
    examples: number | null;
    backend: string | null;
    /** Batch losses against fractional epochs (x = epochs completed when the batch ended). */
    batchLosses: { x: number; loss: number }[];
    epochPoints: EpochPoint[];
    epoch: number | null;
    batch: number | null;
    batches: number | null;
    /** The first epoch and batch numbers seen, so 0- and 1-based numbering both plot from 0. */
    firstEpoch: number | null;
    firstBatch: number | null;
    weights: string | null;
    message: string | null;
}

/** At most this many batch-loss points are kept; older ones are thinned by half. */
export const maxBatchPoints = 400;

/** The `cajal train` arguments of the settings `cajal.train.engine` and `cajal.python` (none for tfjs). */
export function engineArguments(engine: string, python: string): string[] {
    if (engine !== 'torch') return [];
    return ['--engine', 'torch', ...(python.trim() ? ['--python', python.trim()] : [])];
}

export function initialTrainingState(name: string): TrainingState {
    return {
        name, status: 'starting', epochs: null, examples: null, backend: null, batchLosses: [], epochPoints: [],
        epoch: null, batch: null, batches: null, firstEpoch: null, firstBatch: null, weights: null, message: null
    };
}

function numberOrNull(value: unknown): number | null {
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function applyTrainEvent(state: TrainingState, event: TrainEvent): TrainingState {
    switch (event.event) {
        case 'start':
            return { ...state, status: 'running', name: event.train ?? state.name, epochs: numberOrNull(event.epochs), examples: numberOrNull(event.examples), backend: typeof event.backend === 'string' ? event.backend : null };
        case 'batch': {
            const firstEpoch = state.firstEpoch ?? event.epoch;
            const firstBatch = state.firstBatch ?? event.batch;
            const done = event.batch - firstBatch + 1;
            const x = (event.epoch - firstEpoch) + (event.batches > 0 ? done / event.batches : 0);
            let batchLosses = [...state.batchLosses, { x, loss: event.loss }];
            if (batchLosses.length > maxBatchPoints) batchLosses = batchLosses.filter((_, i) => i % 2 === 1);
            return { ...state, status: 'running', firstEpoch, firstBatch, epoch: event.epoch, batch: event.batch, batches: event.batches, batchLosses };
        }
        case 'epoch': {
            const firstEpoch = state.firstEpoch ?? event.epoch;
            const point: EpochPoint = {
                epoch: event.epoch - firstEpoch + 1,
                loss: event.loss,
                accuracy: numberOrNull(event.accuracy),
                psnr: numberOrNull(event.psnr),
                testLoss: numberOrNull(event.testLoss),
                testAccuracy: numberOrNull(event.testAccuracy),
                testPsnr: numberOrNull(event.testPsnr)
            };
            return { ...state, status: 'running', firstEpoch, epoch: event.epoch, epochPoints: [...state.epochPoints, point] };
        }
        case 'done':
            return { ...state, status: 'done', weights: typeof event.weights === 'string' ? event.weights : null };
        case 'cancelled':
            return { ...state, status: 'cancelled', weights: event.weights ?? null };
        case 'error':
            return { ...state, status: 'failed', message: event.message };
        case 'evaluation':
            // Shown in the output log (evaluationLogLine); the chart plots epochs.
            return state;
    }
}

/** The output-log line of a scheduled test-set evaluation. */
export function evaluationLogLine(event: Extract<TrainEvent, { event: 'evaluation' }>): string {
    const metric = (value: number | null, digits = 4) => value === null ? '–' : value.toFixed(digits);
    const quality = event.test.psnr !== null && event.test.accuracy === null ? `test PSNR ${metric(event.test.psnr, 2)} dB` : `test accuracy ${metric(event.test.accuracy)}`;
    return `step ${event.step} (${event.examples} examples): test loss ${metric(event.test.loss)}  ${quality}`;
}

/** Progress in [0, 1] for the notification, from epochs and batches seen so far. */
export function trainingProgress(state: TrainingState): number {
    if (state.status === 'done') return 1;
    if (!state.epochs || state.epochs <= 0) return 0;
    const completedEpochs = state.epochPoints.length;
    const inEpoch = state.batches && state.batch !== null && state.firstBatch !== null
        ? Math.min(1, (state.batch - state.firstBatch + 1) / state.batches)
        : 0;
    const partial = completedEpochs < state.epochs && state.batch !== null && state.epoch !== null
        && (state.epoch - (state.firstEpoch ?? 0)) >= completedEpochs ? inEpoch : 0;
    return Math.min(1, (completedEpochs + partial) / state.epochs);
}

interface Series {
    label: string;
    cssClass: string;
    points: { x: number; y: number }[];
    markers: boolean;
}

const chartWidth = 560, chartHeight = 220, margin = { left: 48, right: 12, top: 12, bottom: 28 };

/** The smallest 1, 2 or 5 × 10^k at least `value`: a round top for an axis (1 when there is nothing yet). */
export function niceCeiling(value: number): number {
    if (!(value > 0) || !Number.isFinite(value)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    const step = [1, 2, 5, 10].find(m => m * power >= value * (1 - 1e-12))!;
    return Number((step * power).toPrecision(12));
}

/** An SVG line chart with axes; y from 0 to a round value above the largest (or 1 for accuracy). */
export function renderLineChart(title: string, series: Series[], options: { xMax: number; yMax?: number }): string {
    const all = series.flatMap(s => s.points);
    const yMax = options.yMax ?? niceCeiling(Math.max(0, ...all.map(p => p.y).filter(Number.isFinite)));
    const xMax = Math.max(1, options.xMax, ...all.map(p => p.x));
    const w = chartWidth - margin.left - margin.right, h = chartHeight - margin.top - margin.bottom;
    const sx = (x: number) => margin.left + (x / xMax) * w;
    const sy = (y: number) => margin.top + h - (Math.max(0, Math.min(y, yMax)) / yMax) * h;
    const f = (n: number) => n.toFixed(1);
    const parts: string[] = [];
    parts.push(`<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>`);
    parts.push(`<svg viewBox="0 0 ${chartWidth} ${chartHeight}" width="${chartWidth}" height="${chartHeight}" role="img" aria-label="${escapeHtml(title)}">`);
    parts.push(`<line class="axis" x1="${margin.left}" y1="${margin.top + h}" x2="${margin.left + w}" y2="${margin.top + h}"/>`);
    parts.push(`<line class="axis" x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + h}"/>`);
    for (const t of [0, 0.5, 1]) {
        const y = yMax * t;
        parts.push(`<text class="tick" x="${margin.left - 6}" y="${f(sy(y) + 4)}" text-anchor="end">${escapeHtml(Number(y.toPrecision(3)).toString())}</text>`);
    }
    // Whole epochs along x: 0, the last, and (for longer runs) the middle, with the axis named.
    const xTicks = [...new Set([0, Math.round(xMax / 2), Math.round(xMax)])].filter(x => x === 0 || x === Math.round(xMax) || xMax >= 4);
    for (const x of xTicks) {
        parts.push(`<text class="tick" x="${f(sx(x))}" y="${margin.top + h + 14}" text-anchor="middle">${x}</text>`);
    }
    parts.push(`<text class="tick axis-label" x="${margin.left + w / 2}" y="${chartHeight - 2}" text-anchor="middle">epochs</text>`);
    for (const s of series) {
        const finite = s.points.filter(p => Number.isFinite(p.x) && Number.isFinite(p.y));
        if (finite.length === 0) continue;
        const d = finite.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(sx(p.x))},${f(sy(p.y))}`).join(' ');
        parts.push(`<path class="series ${s.cssClass}" d="${d}"><title>${escapeHtml(s.label)}</title></path>`);
        if (s.markers) for (const p of finite) parts.push(`<circle class="series ${s.cssClass}" cx="${f(sx(p.x))}" cy="${f(sy(p.y))}" r="3"/>`);
    }
    parts.push('</svg>');
    parts.push(`<div class="legend">${series.filter(s => s.points.length > 0).map(s => `<span class="key ${s.cssClass}">${escapeHtml(s.label)}</span>`).join(' ')}</div>`);
    parts.push('</figure>');
    return parts.join('');
}

/** 'loss 0.1234, accuracy 97.5%' (or PSNR for Real-valued models) for one epoch. */
export function epochSummary(point: EpochPoint): string {
    const quality = point.accuracy !== null ? `, accuracy ${(point.accuracy * 100).toFixed(1)}%`
        : point.psnr !== null ? `, PSNR ${point.psnr.toFixed(2)} dB` : '';
    return `loss ${point.loss.toFixed(4)}${quality}`;
}

/** The held-out test set's metrics of an epoch ('test loss 0.2, test accuracy 93.0%'), or '' when not evaluated. */
export function testSummary(point: Pick<EpochPoint, 'testLoss' | 'testAccuracy' | 'testPsnr'>): string {
    const parts: string[] = [];
    if (point.testLoss !== null) parts.push(`test loss ${point.testLoss.toFixed(4)}`);
    if (point.testAccuracy !== null) parts.push(`test accuracy ${(point.testAccuracy * 100).toFixed(1)}%`);
    if (point.testPsnr !== null) parts.push(`test PSNR ${point.testPsnr.toFixed(2)} dB`);
    return parts.join(', ');
}

/** One line of the output channel per epoch: 'epoch 3/40: loss …, accuracy …; test loss …, test accuracy …'. */
export function epochLogLine(point: EpochPoint, epochs: number | null): string {
    const test = testSummary(point);
    return `epoch ${point.epoch}${epochs ? `/${epochs}` : ''}: ${epochSummary(point)}${test ? `; ${test}` : ''}`;
}

function statusLine(state: TrainingState): string {
    const last = state.epochPoints[state.epochPoints.length - 1];
    const lastText = last ? ` — epoch ${last.epoch}: ${epochSummary(last)}` : '';
    switch (state.status) {
        case 'starting': return 'Starting…';
        case 'running': {
            const epochs = state.epochs ? ` of ${state.epochs}` : '';
            return `Training: ${state.epochPoints.length}${epochs} epochs done${lastText}`;
        }
        case 'done': return `Done${lastText}. ${state.weights ? `Weights saved to ${state.weights}` : 'No weights were saved.'}`;
        case 'cancelled': return `Cancelled${lastText}. ${state.weights ? `Last completed epoch's weights kept in ${state.weights}` : 'No epoch completed; no weights saved.'}`;
        case 'failed': return `Failed: ${state.message ?? 'unknown error'}`;
    }
}

export function renderTrainingContent(state: TrainingState): string {
    const xMax = Math.max(state.epochs ?? 0, state.epochPoints.length, 1);
    const loss = renderLineChart('Loss', [
        { label: 'batch loss', cssClass: 'batch', points: state.batchLosses.map(p => ({ x: p.x, y: p.loss })), markers: false },
        { label: 'epoch loss', cssClass: 'train', points: state.epochPoints.map(p => ({ x: p.epoch, y: p.loss })), markers: true },
        { label: 'test loss', cssClass: 'test', points: state.epochPoints.filter(p => p.testLoss !== null).map(p => ({ x: p.epoch, y: p.testLoss as number })), markers: true }
    ], { xMax });
    const points = (pick: (p: EpochPoint) => number | null) =>
        state.epochPoints.filter(p => pick(p) !== null).map(p => ({ x: p.epoch, y: pick(p) as number }));
    // Real-valued models have no accuracy; they report PSNR, charted on its own scale.
    const usePsnr = state.epochPoints.length > 0 && state.epochPoints.every(p => p.accuracy === null) && state.epochPoints.some(p => p.psnr !== null);
    const quality = usePsnr
        ? renderLineChart('PSNR (dB)', [
            { label: 'train PSNR', cssClass: 'train', points: points(p => p.psnr), markers: true },
            { label: 'test PSNR', cssClass: 'test', points: points(p => p.testPsnr), markers: true }
        ], { xMax })
        : renderLineChart('Accuracy', [
            { label: 'train accuracy', cssClass: 'train', points: points(p => p.accuracy), markers: true },
            { label: 'test accuracy', cssClass: 'test', points: points(p => p.testAccuracy), markers: true }
        ], { xMax, yMax: 1 });
    const examples = (state.examples !== null ? `, ${state.examples} examples` : '') + (state.backend ? ` on ${state.backend}` : '');
    return `<header><h1>Training <span class="name">${escapeHtml(state.name)}</span>${escapeHtml(examples)}</h1>
<p class="status status-${state.status}" role="status">${escapeHtml(statusLine(state))}</p></header>
<div class="charts">${loss}${quality}</div>`;
}

const trainingStyle = `
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
h1 { font-size: 1.2em; font-weight: 600; }
.status { color: var(--vscode-descriptionForeground); }
.status-failed { color: var(--vscode-errorForeground); }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; max-width: 100%; }
svg { max-width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: .3em; }
svg .axis { stroke: var(--vscode-foreground); stroke-opacity: .5; }
svg .tick { fill: var(--vscode-descriptionForeground); font-size: 11px; }
svg path.series { fill: none; stroke-width: 2; }
svg path.batch { stroke: #888; stroke-width: 1; }
svg .train { stroke: #d9534f; fill: #d9534f; }
svg .test { stroke: #2b7bd6; fill: #2b7bd6; }
svg path.train, svg path.test { fill: none; }
.legend .key { margin-right: 1em; }
.legend .key::before { content: '■ '; }
.legend .batch::before { color: #888; } .legend .train::before { color: #d9534f; } .legend .test::before { color: #2b7bd6; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; }
button[disabled] { opacity: .5; cursor: default; }
`;

const trainingScript = `
const vscode = acquireVsCodeApi();
const content = document.getElementById('content');
const cancel = document.getElementById('cancel');
const reveal = document.getElementById('reveal');
function show(message) {
  content.innerHTML = message.html;
  const running = message.state.status === 'running' || message.state.status === 'starting';
  cancel.disabled = !(running && message.live);
  reveal.disabled = !message.state.weights;
  document.body.dataset.status = message.state.status;
}
const saved = vscode.getState();
const initial = JSON.parse(document.getElementById('initial-state').textContent);
show(saved && saved.state && saved.sequence > initial.sequence ? saved : initial);
window.addEventListener('message', event => {
  const message = event.data;
  if (message && message.type === 'state' && typeof message.html === 'string') {
    show(message);
    vscode.setState(message);
    // Drawn: the extension sends the next state only now, so states never queue up here.
    requestAnimationFrame(() => vscode.postMessage({ type: 'rendered', sequence: message.sequence }));
  }
});
cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
reveal.addEventListener('click', () => vscode.postMessage({ type: 'revealWeights' }));
vscode.postMessage({ type: 'ready' });
`;

/** The message the extension posts to the training view after every event. */
export interface TrainingViewMessage {
    type: 'state';
    html: string;
    state: TrainingState;
    /** Whether a process is still attached (the Cancel button works). */
    live: boolean;
    /** Increases with every message, so a restored page keeps the newest of saved/initial. */
    sequence: number;
}

export function trainingViewMessage(state: TrainingState, live: boolean, sequence: number): TrainingViewMessage {
    return { type: 'state', html: renderTrainingContent(state), state, live, sequence };
}

export function renderTrainingPage(message: TrainingViewMessage, options: { nonce: string; cspSource: string }): string {
    const body = `<div class="toolbar"><button id="cancel" type="button">Cancel training</button> <button id="reveal" type="button">Reveal weights</button></div>
<main id="content"></main>
<script type="application/json" id="initial-state">${jsonForScript(message)}</script>`;
    return webviewPage({ title: `Training ${message.state.name}`, nonce: options.nonce, cspSource: options.cspSource, style: trainingStyle, body, script: trainingScript });
}
