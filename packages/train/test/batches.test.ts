/**
 * rowsTensor, which builds every training batch: on both tfjs backends a batch holds exactly
 * the rows asked for (a range or a list of example indices, repeats and any order included,
 * rows of any shape, none at all), bit for bit; on tfjs-WASM, where the rows are copied straight
 * into the new tensor's WASM memory, the tensor is an ordinary one: usable by kernels and on
 * the gradient tape, its bytes counted, nothing left behind once it is disposed, and its
 * values untouched by the tensors allocated after it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@cajal/runtime';
import { rowsTensor, type Rows } from '../src/batches.js';

/** The rows a batch should hold, gathered plainly (typed-array copies, which keep every bit, NaN payloads included). */
function expectedRows(data: Float32Array, width: number, rows: Rows): Float32Array {
    const indices = rows instanceof Int32Array ? Array.from(rows) : Array.from({ length: rows.end - rows.start }, (_, i) => rows.start + i);
    const result = new Float32Array(indices.length * width);
    indices.forEach((row, i) => result.set(data.subarray(row * width, (row + 1) * width), i * width));
    return result;
}

const rowShapes = fc.constantFrom<number[]>([1], [3], [2, 2], [28, 28], [2, 1, 3]);
/** A set of examples (a row-major array) and which rows to take from it. */
const batches = rowShapes.chain(rowShape => fc.integer({ min: 1, max: 40 }).chain(examples => fc.record({
    rowShape: fc.constant(rowShape),
    examples: fc.constant(examples),
    seed: fc.integer(),
    rows: fc.oneof(
        fc.tuple(fc.nat(examples), fc.nat(examples)).map(([a, b]): Rows => ({ start: Math.min(a, b), end: Math.max(a, b) })),
        fc.array(fc.nat(examples - 1), { maxLength: 70 }).map((list): Rows => Int32Array.from(list))
    )
})));

for (const backend of ['cpu', 'wasm'] as const) {
    describe(`rowsTensor on ${backend}`, () => {
        afterAll(async () => { await initBackend('cpu'); });

        it('holds exactly the rows asked for, bit for bit, and leaves nothing behind', async () => {
            await initBackend(backend);
            const before = tf.memory();
            fc.assert(fc.property(batches, ({ rowShape, examples, seed, rows }) => {
                const width = rowShape.reduce((a, b) => a * b, 1);
                let state = seed >>> 0;
                // Any float32 bits (NaNs, infinities, denormals, negative zeros) must come through unchanged.
                const data = new Float32Array(new Uint32Array(examples * width).map(() => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0)).buffer);
                const batch = rowsTensor(data, width, rowShape, rows);
                const expected = expectedRows(data, width, rows);
                expect(batch.shape).toEqual([expected.length / width, ...rowShape]);
                expect(batch.dtype).toBe('float32');
                expect(new Uint32Array((batch.dataSync() as Float32Array).slice().buffer)).toEqual(new Uint32Array(expected.buffer));
                batch.dispose();
            }), { numRuns: 150 });
            expect(tf.memory().numTensors).toBe(before.numTensors);
            expect(tf.memory().numBytes).toBe(before.numBytes);
        });

        it('is an ordinary tensor: counted, used by kernels and the gradient tape, its values kept while others come and go', async () => {
            await initBackend(backend);
            const before = tf.memory();
            const data = Float32Array.from({ length: 6 * 4 }, (_, i) => i / 4);
            const batch = rowsTensor(data, 4, [2, 2], Int32Array.from([5, 0, 5]));
            expect(tf.memory().numTensors).toBe(before.numTensors + 1);
            expect(tf.memory().numBytes).toBe(before.numBytes + 3 * 4 * 4);
            const others = Array.from({ length: 20 }, (_, i) => tf.fill([3, 2, 2], i));
            tf.dispose(others.slice(0, 10));
            const weights = tf.tensor([1, 2, 3, 4], [2, 2]);
            // d/dw Σ batch·w = Σ over the batch's rows of each row (the batch is a constant).
            const gradient = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(batch, w)))(weights);
            const rows = [data.subarray(20, 24), data.subarray(0, 4), data.subarray(20, 24)];
            expect(Array.from(gradient.dataSync())).toEqual([0, 1, 2, 3].map(j => rows.reduce((sum, row) => sum + row[j], 0)));
            const added = tf.add(batch, 0);
            expect(Array.from(added.dataSync())).toEqual(Array.from(expectedRows(data, 4, Int32Array.from([5, 0, 5]))));
            tf.dispose([batch, gradient, weights, added, ...others.slice(10)]);
            expect(tf.memory().numTensors).toBe(before.numTensors);
            expect(tf.memory().numBytes).toBe(before.numBytes);
        });
    });
}
