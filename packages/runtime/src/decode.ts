/**
 * Decoders: batched result tensors back to readable values. Discrete types (Bool, Nat and
 * pairs of them) decode to the basis value with the largest entry; its probability is that
 * entry over the sum of entries, so an exact basis vector decodes with probability 1.
 */
import * as tf from '@tensorflow/tfjs';
import { basisLabels, dimOf, isDiscrete, shapeOf, typeToString, type TypeDesc } from '@cajal/ir';

export interface Decoded {
    /** Cajal syntax for a discrete value (`true`, `3`, `(false, 2)`), `<function A -o B>`, or a short summary of a Real tensor. */
    text: string;
    /** For discrete types, the decoded entry's share of the sum of entries; null when that is meaningless. */
    probability: number | null;
    /** The element's entries, flat row-major. */
    data: number[];
}

/** Decodes each batch element of a tensor of shape [batch, ...shapeOf(type)] (or [batch, dim type]). */
export function decode(type: TypeDesc, tensor: tf.Tensor): Decoded[] {
    const width = dimOf(type);
    if (tensor.rank < 1 || tensor.size !== tensor.shape[0] * width) {
        throw new Error(`decode ${typeToString(type)}: expected a tensor of shape [batch, ${shapeOf(type).join(', ')}], got [${tensor.shape.join(', ')}]`);
    }
    const batch = tensor.shape[0];
    const all = tensor.dataSync();
    const labels = isDiscrete(type) ? basisLabels(type) : undefined;
    const result: Decoded[] = [];
    for (let b = 0; b < batch; b++) {
        const data = Array.from(all.subarray(b * width, (b + 1) * width));
        result.push(decodeOne(type, data, labels));
    }
    return result;
}

/** Decodes one flat vector of the type. */
export function decodeVector(type: TypeDesc, data: readonly number[]): Decoded {
    if (data.length !== dimOf(type)) {
        throw new Error(`decode ${typeToString(type)}: expected ${dimOf(type)} values, got ${data.length}`);
    }
    return decodeOne(type, [...data], isDiscrete(type) ? basisLabels(type) : undefined);
}

function decodeOne(type: TypeDesc, data: number[], labels: string[] | undefined): Decoded {
    if (labels) {
        let best = 0;
        let sum = 0;
        for (let i = 0; i < data.length; i++) {
            sum += data[i];
            if (data[i] > data[best]) best = i;
        }
        if (data.every(x => x === 0)) {
            // The zero vector is what an overflowing `succ` compiles to: no value at all.
            return { text: 'none (zero vector)', probability: 0, data };
        }
        const probability = sum > 0 && data[best] >= 0 ? data[best] / sum : null;
        return { text: labels[best], probability, data };
    }
    if (type.kind === 'function') {
        return { text: `<function ${typeToString(type)}>`, probability: null, data };
    }
    return { text: summarise(type, data), probability: null, data };
}

/** e.g. `Real[3] [0.5, -1, 2]` or `Real[28, 28] [0, 0.1, 0.3, …] (784 values, min 0, max 1)`. */
function summarise(type: TypeDesc, data: number[]): string {
    const shown = data.slice(0, 6).map(formatNumber).join(', ');
    if (data.length <= 6) return `${typeToString(type)} [${shown}]`;
    let min = Infinity;
    let max = -Infinity;
    for (const x of data) {
        if (x < min) min = x;
        if (x > max) max = x;
    }
    return `${typeToString(type)} [${shown}, …] (${data.length} values, min ${formatNumber(min)}, max ${formatNumber(max)})`;
}

function formatNumber(x: number): string {
    if (Number.isInteger(x)) return String(x);
    return String(Number(x.toPrecision(4)));
}
