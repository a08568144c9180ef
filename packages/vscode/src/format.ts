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

export function formatRunResult(result: RunResult, natDisplay: 'numeral' | 'unary'): string[] {
    const value = displayValue(result, natDisplay);
    const lines = [`${result.def} : ${result.type} = ${value ?? '(no discrete value)'}`];
    if (result.probability !== null) lines.push(`  probability: ${formatNumber(result.probability)}`);
    lines.push(`  tensor [${result.shape.join(', ')}] on ${result.backend}: ${formatTensor(result.shape, result.data)}`);
    return lines;
}
