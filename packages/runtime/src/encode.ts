/**
 * Encoders: JS values to batched tensors in the layouts of spec section 7.
 * Bool true = [1, 0], false = [0, 1]; Nat[k] one-hot; (a, b) the outer product a ⊗ b;
 * Real and function values as numeric arrays of the type's shape.
 */
import * as tf from '@tensorflow/tfjs';
import { dimOf, shapeOf, typeToString, type TypeDesc } from '@cajal/ir';

/**
 * A JS value of a Cajal type: boolean for Bool; an integer for Nat[k]; a two-element
 * array `[a, b]` for a pair; a numeric array (nested in the type's shape, or flat) for
 * Real and function values. Bool and Nat also accept a numeric vector of their dimension
 * (a soft value such as a probability distribution).
 */
export type JsValue = boolean | number | NestedNumbers | readonly [JsValue, JsValue];
export type NestedNumbers = number | readonly NestedNumbers[];

/** Encodes one value per batch element into a tensor of shape [batch, ...shapeOf(type)]. */
export function encode(type: TypeDesc, values: readonly JsValue[]): tf.Tensor {
    if (!Array.isArray(values)) {
        throw new Error(`encode ${typeToString(type)}: expected an array with one value per batch element, got ${describe(values)}`);
    }
    const width = dimOf(type);
    const flat = new Float32Array(values.length * width);
    values.forEach((value, i) => {
        const vector = encodeOne(type, value, `batch element ${i}`);
        flat.set(vector, i * width);
    });
    return tf.tensor(flat, [values.length, ...shapeOf(type)], 'float32');
}

/** Booleans as a [batch, 2] tensor. */
export function encodeBool(values: readonly boolean[]): tf.Tensor2D {
    return encode({ kind: 'bool' }, values) as tf.Tensor2D;
}

/** Numbers 0 … bound-1 as a one-hot [batch, bound] tensor. */
export function encodeNat(values: readonly number[], bound: number): tf.Tensor2D {
    return encode({ kind: 'nat', bound }, values) as tf.Tensor2D;
}

/** The flat (row-major) vector of one value. `where` locates the value in error messages. */
export function encodeOne(type: TypeDesc, value: JsValue, where = 'value'): Float32Array {
    switch (type.kind) {
        case 'bool':
            if (typeof value === 'boolean') return Float32Array.of(value ? 1 : 0, value ? 0 : 1);
            if (Array.isArray(value)) return numericVector(type, value, where);
            throw new Error(`${where}: expected a Bool (true or false), got ${describe(value)}`);
        case 'nat':
            if (typeof value === 'number') {
                if (!Number.isInteger(value) || value < 0 || value >= type.bound) {
                    throw new Error(`${where}: ${describe(value)} is out of range for ${typeToString(type)} (expected an integer 0 … ${type.bound - 1})`);
                }
                const vector = new Float32Array(type.bound);
                vector[value] = 1;
                return vector;
            }
            if (Array.isArray(value)) return numericVector(type, value, where);
            throw new Error(`${where}: expected a ${typeToString(type)} (an integer 0 … ${type.bound - 1}), got ${describe(value)}`);
        case 'product': {
            if (!Array.isArray(value) || value.length !== 2) {
                throw new Error(`${where}: expected a pair [a, b] of type ${typeToString(type)}, got ${describe(value)}`);
            }
            const left = encodeOne(type.left, value[0] as JsValue, `${where}, first component`);
            const right = encodeOne(type.right, value[1] as JsValue, `${where}, second component`);
            const vector = new Float32Array(left.length * right.length);
            for (let i = 0; i < left.length; i++) {
                for (let j = 0; j < right.length; j++) vector[i * right.length + j] = left[i] * right[j];
            }
            return vector;
        }
        case 'real':
        case 'function':
            return numericVector(type, value, where);
    }
}

/** A numeric array given flat (length dim) or nested in exactly the type's shape. */
function numericVector(type: TypeDesc, value: JsValue, where: string): Float32Array {
    const expected = shapeOf(type);
    const expectedText = `[${expected.join(', ')}] (${dimOf(type)} values)`;
    if (!Array.isArray(value)) {
        throw new Error(`${where}: expected a numeric array of shape ${expectedText} for ${typeToString(type)}, got ${describe(value)}`);
    }
    const actual = nestedShape(value, where);
    const isFlat = actual.length === 1 && actual[0] === dimOf(type);
    const isNested = actual.length === expected.length && actual.every((d, i) => d === expected[i]);
    if (!isFlat && !isNested) {
        throw new Error(`${where}: wrong shape for ${typeToString(type)}: expected ${expectedText}, got [${actual.join(', ')}]`);
    }
    const flat: unknown[] = [];
    flattenInto(value, flat);
    const vector = Float32Array.from(flat as number[]);
    flat.forEach((x, i) => {
        if (typeof x !== 'number' || !Number.isFinite(x)) {
            throw new Error(`${where}: entry ${i} is ${describe(x)}, expected a finite number`);
        }
    });
    return vector;
}

function flattenInto(value: unknown, out: unknown[]): void {
    if (Array.isArray(value)) for (const item of value) flattenInto(item, out);
    else out.push(value);
}

/** The shape of a nested array; throws on ragged arrays, naming where they differ. */
function nestedShape(value: unknown, where: string): number[] {
    if (!Array.isArray(value)) return [];
    if (value.length === 0) return [0];
    const inner = nestedShape(value[0], where);
    for (let i = 1; i < value.length; i++) {
        const other = nestedShape(value[i], where);
        if (other.length !== inner.length || other.some((d, j) => d !== inner[j])) {
            throw new Error(`${where}: ragged array: element 0 has shape [${inner.join(', ')}] but element ${i} has shape [${other.join(', ')}]`);
        }
    }
    return [value.length, ...inner];
}

function describe(value: unknown): string {
    if (typeof value === 'string') return JSON.stringify(value);
    if (Array.isArray(value)) {
        const text = JSON.stringify(value);
        return text.length > 40 ? `an array of length ${value.length}` : text;
    }
    if (value === null) return 'null';
    if (typeof value === 'object') return 'an object';
    return String(value);
}
