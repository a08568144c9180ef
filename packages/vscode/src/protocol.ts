// The shapes the extension exchanges with the language server and the CLI. They mirror the
// interfaces fixed by the lead (helpers/interfaces.md); the extension validates what it
// receives because the other side is a separate process that may be a different version.

/** Result of the server's `cajal/neuron` request for one closed definition. */
export interface NeuronInfo {
    name: string;
    type: string;
    shape: number[];
    weights: number;
    /** Row-major entries, or null when the server chose not to send them (too large, not closed). */
    data: number[] | null;
    rows: string[];
    cols: string[];
}

export type NeuronResponse = NeuronInfo | { error: string };

export interface CompiledFile {
    name: string;
    text: string;
}

export type CompileResponse = { files: CompiledFile[] } | { error: string };

/** `cajal run FILE --json` output. */
export interface RunResult {
    def: string;
    type: string;
    backend: string;
    shape: number[];
    data: number[];
    decoded: string | null;
    probability: number | null;
}

/** One line of `cajal train FILE --events`. */
export type TrainEvent =
    /** weights: where each completed epoch is saved (cajal ≥ 0.1 says so at the start), or null. */
    | { event: 'start'; train: string; epochs: number; examples: number; backend?: string; weights?: string | null }
    | { event: 'batch'; epoch: number; batch: number; batches: number; loss: number }
    /** accuracy is null for models with Real outputs, which report psnr (dB) instead. */
    | { event: 'epoch'; epoch: number; loss: number; accuracy: number | null; psnr?: number | null; testLoss?: number | null; testAccuracy?: number | null; testPsnr?: number | null }
    /** A test-set evaluation of the block's `evaluate every …` schedule, after `step` optimiser steps. */
    | { event: 'evaluation'; step: number; examples: number; test: { loss: number | null; accuracy: number | null; psnr: number | null } }
    | { event: 'done'; weights: string | null; seconds?: number; [key: string]: unknown }
    | { event: 'cancelled'; weights: string | null }
    | { event: 'error'; message: string };

export const NeuronRequestMethod = 'cajal/neuron';
export const CompileTfjsRequestMethod = 'cajal/compileTfjs';

export function isErrorResponse(value: unknown): value is { error: string } {
    return typeof value === 'object' && value !== null && typeof (value as { error?: unknown }).error === 'string';
}

function isNumberArray(value: unknown): value is number[] {
    return Array.isArray(value) && value.every(v => typeof v === 'number');
}

function isStringArray(value: unknown): value is string[] {
    return Array.isArray(value) && value.every(v => typeof v === 'string');
}

/** Checks a `cajal/neuron` response; returns a message describing what is wrong, or the value. */
export function validateNeuronResponse(value: unknown): NeuronResponse {
    if (isErrorResponse(value)) return value;
    if (typeof value !== 'object' || value === null) {
        return { error: `The language server sent no neuron (got ${JSON.stringify(value)}).` };
    }
    const v = value as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof v.name !== 'string') problems.push('name');
    if (typeof v.type !== 'string') problems.push('type');
    if (!isNumberArray(v.shape)) problems.push('shape');
    if (typeof v.weights !== 'number') problems.push('weights');
    if (v.data !== null && !isNumberArray(v.data)) problems.push('data');
    if (!isStringArray(v.rows)) problems.push('rows');
    if (!isStringArray(v.cols)) problems.push('cols');
    if (problems.length > 0) {
        return { error: `The language server sent a malformed neuron (bad ${problems.join(', ')}).` };
    }
    return v as unknown as NeuronInfo;
}

export function parseRunResult(stdout: string): RunResult {
    let value: unknown;
    try {
        value = JSON.parse(stdout);
    } catch {
        throw new Error(`cajal run printed something that is not JSON: ${stdout.slice(0, 200)}`);
    }
    const v = value as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || typeof v.def !== 'string' || !isNumberArray(v.shape) || !isNumberArray(v.data)) {
        throw new Error(`cajal run printed JSON without def/shape/data: ${stdout.slice(0, 200)}`);
    }
    return {
        def: v.def,
        type: typeof v.type === 'string' ? v.type : '?',
        backend: typeof v.backend === 'string' ? v.backend : '?',
        shape: v.shape,
        data: v.data,
        decoded: typeof v.decoded === 'string' ? v.decoded : null,
        probability: typeof v.probability === 'number' ? v.probability : null
    };
}

/**
 * Splits a byte stream into JSON lines. Chunks from a pipe break anywhere, so a partial
 * line is kept until its newline arrives; non-JSON lines (a library's stray log output)
 * are reported separately instead of aborting the run.
 */
export class JsonLineSplitter {
    private pending = '';

    constructor(
        private readonly onValue: (value: unknown) => void,
        private readonly onOtherLine: (line: string) => void = () => {}
    ) {}

    push(chunk: string): void {
        this.pending += chunk;
        let newline: number;
        while ((newline = this.pending.indexOf('\n')) >= 0) {
            const line = this.pending.slice(0, newline).replace(/\r$/, '');
            this.pending = this.pending.slice(newline + 1);
            this.emit(line);
        }
    }

    end(): void {
        if (this.pending.length > 0) {
            const line = this.pending;
            this.pending = '';
            this.emit(line);
        }
    }

    private emit(line: string): void {
        if (line.trim() === '') return;
        let value: unknown;
        try {
            value = JSON.parse(line);
        } catch {
            this.onOtherLine(line);
            return;
        }
        this.onValue(value);
    }
}

export function asTrainEvent(value: unknown): TrainEvent | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const event = (value as { event?: unknown }).event;
    switch (event) {
        case 'start': case 'batch': case 'epoch': case 'done': case 'cancelled': case 'error':
            return value as TrainEvent;
        case 'evaluation': {
            const test = (value as { test?: unknown }).test;
            return typeof (value as { step?: unknown }).step === 'number' && typeof test === 'object' && test !== null ? value as TrainEvent : undefined;
        }
        default:
            return undefined;
    }
}
