// Text the Run command prints to the output channel.
import type { RunResult } from './protocol.js';

/** `succ (succ zero)` for 2: the unary spelling the `cajal.display.nat` setting can ask for. */
export function natToUnary(n: number): string {
    let text = 'zero';
    for (let i = 0; i < n; i++) text = i === 0 ? `succ ${text}` : `succ (${text})`;
    return text;
}

/** True for `Nat` and `Nat[k]`. */
export function isNatType(type: string): boolean {
    return /^\s*Nat(\s*\[\s*\d+\s*\])?\s*$/.test(type);
}

export function displayValue(result: RunResult, natDisplay: 'numeral' | 'unary'): string | null {
    if (result.decoded === null) return null;
    if (natDisplay === 'unary' && isNatType(result.type) && /^\d+$/.test(result.decoded)) {
        return natToUnary(Number(result.decoded));
    }
    return result.decoded;
}

function formatNumber(n: number): string {
    return Number.isInteger(n) ? String(n) : Number(n.toPrecision(4)).toString();
}

/** Nested-array text of a row-major tensor, e.g. [[1, 0]] for shape [1, 2]; long data is elided. */
export function formatTensor(shape: number[], data: number[], maxEntries = 64): string {
    if (data.length > maxEntries) {
        return `[${data.slice(0, maxEntries).map(formatNumber).join(', ')}, … ${data.length - maxEntries} more]`;
    }
    const build = (dim: number, offset: number): string => {
        if (dim === shape.length) return formatNumber(data[offset]);
        const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
        const items: string[] = [];
        for (let i = 0; i < shape[dim]; i++) items.push(build(dim + 1, offset + i * stride));
        return `[${items.join(', ')}]`;
    };
    return shape.length === 0 ? formatNumber(data[0]) : build(0, 0);
}

/** Tensors up to this many entries are printed on one line, as nested arrays. */
export const inlineTensorEntries = 16;
/** A larger tensor is printed as a matrix, one row per line, showing at most this many rows and columns. */
export const shownRows = 12;
export const shownColumns = 12;

/**
 * A large tensor as readable lines: a matrix (the last axis across, all others down), one
 * row per line with aligned columns, elided past shownRows × shownColumns — a function's
 * [100, 10] weight matrix is 12 short lines and a note, not 1,000 numbers on one line.
 */
export function formatTensorRows(shape: number[], data: number[]): string[] {
    const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
    const rows = cols === 0 ? 0 : data.length / cols;
    const rowCount = Math.min(rows, shownRows), colCount = Math.min(cols, shownColumns);
    const cells: string[][] = [];
    for (let r = 0; r < rowCount; r++) cells.push(data.slice(r * cols, r * cols + colCount).map(formatNumber));
    const width = Math.max(1, ...cells.flat().map(c => c.length));
    const lines = cells.map(row => `[${row.map(c => c.padStart(width)).join(', ')}${cols > colCount ? `, … ${cols - colCount} more` : ''}]`);
    if (rows > rowCount) lines.push(`… ${rows - rowCount} more row${rows - rowCount === 1 ? '' : 's'}`);
    return lines;
}

export function formatRunResult(result: RunResult, natDisplay: 'numeral' | 'unary'): string[] {
    const value = displayValue(result, natDisplay);
    const lines = [`${result.def} : ${result.type} = ${value ?? '(no discrete value)'}`];
    if (result.probability !== null) lines.push(`  probability: ${formatNumber(result.probability)}`);
    const where = `tensor [${result.shape.join(', ')}] on ${result.backend}`;
    if (result.data.length <= inlineTensorEntries) {
        lines.push(`  ${where}: ${formatTensor(result.shape, result.data)}`);
    } else {
        const nonzero = result.data.filter(x => x !== 0).length;
        const rows = result.shape.length >= 2 ? `${result.shape.slice(0, -1).join(' × ')} rows of ${result.shape[result.shape.length - 1]}` : `rows of ${result.shape[0] ?? 1}`;
        lines.push(`  ${where}, ${result.data.length.toLocaleString('en-US')} entries (${nonzero.toLocaleString('en-US')} nonzero), ${rows}:`);
        for (const row of formatTensorRows(result.shape, result.data)) lines.push(`    ${row}`);
    }
    return lines;
}
