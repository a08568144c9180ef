import { beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { contract, contractByMatMul, initBackend } from '@cajal/runtime';
import { generateSmallContractionKernel, SMALL_CONTRACTION_KERNEL, smallContractionMaxSize, takesSmallContraction } from '../src/small-contraction.js';
import { mulberry32 } from './seeded-random.js';

describe('generateSmallContractionKernel', () => {
    it('unrolls a [2, 2, 2] gate into two stages in the general path\'s order', () => {
        expect(generateSmallContractionKernel(2, [2, 2])).toBe([
            'const t0 = p[0], t1 = p[1], t2 = p[2], t3 = p[3], t4 = p[4], t5 = p[5], t6 = p[6], t7 = p[7];',
            'const x0 = xs[0], s0 = strides[0];',
            'const x1 = xs[1], s1 = strides[1];',
            'for (let b = 0; b < batch; b++) {',
            '    const o0 = b * s0;',
            '    const v0_0 = t0 * x0[o0 + 0] + t1 * x0[o0 + 1];',
            '    const v0_1 = t2 * x0[o0 + 0] + t3 * x0[o0 + 1];',
            '    const v0_2 = t4 * x0[o0 + 0] + t5 * x0[o0 + 1];',
            '    const v0_3 = t6 * x0[o0 + 0] + t7 * x0[o0 + 1];',
            '    const o1 = b * s1;',
            '    const v1_0 = v0_0 * x1[o1 + 0] + v0_1 * x1[o1 + 1];',
            '    const v1_1 = v0_2 * x1[o1 + 0] + v0_3 * x1[o1 + 1];',
            '    const at = b * 2;',
            '    out[at + 0] = v1_0;',
            '    out[at + 1] = v1_1;',
            '}',
        ].join('\n'));
    });
});

/** A contraction within the fast path's limits: T's shape, the batch, which inputs have a batch of 1. */
const smallContractionCase = fc.record({
    dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    dimOut: fc.integer({ min: 1, max: 4 }),
    batch: fc.integer({ min: 1, max: 6 }),
    broadcast: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
}).filter(({ dims, dimOut }) => dims.reduce((a, b) => a * b, dimOut) <= smallContractionMaxSize(dims.length));

/** T and its inputs for a case, with entries in [-2, 2) from the case's seed (and the generator, for more). */
function operandsOf({ dims, dimOut, batch, broadcast, seed }: typeof smallContractionCase extends fc.Arbitrary<infer C> ? C : never) {
    const random = mulberry32(seed);
    const shape = [dimOut, ...dims];
    const t = tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 4 - 2), shape);
    const xs = dims.map((d, j) => {
        const rows = broadcast[j] ? 1 : batch;
        return tf.tensor2d(Array.from({ length: rows * d }, () => random() * 4 - 2), [rows, d]);
    });
    return { t, xs, random };
}

for (const backend of ['wasm', 'cpu'] as const) {
    describe(`the small-contraction fast path on the ${backend} backend`, () => {
        beforeAll(async () => {
            expect((await initBackend(backend)).backend).toBe(backend);
        });

        it('equals the general matMul path on random shapes, values and batch-1 inputs', () => {
            fc.assert(fc.property(smallContractionCase, smallCase => {
                tf.tidy(() => {
                    const { t, xs } = operandsOf(smallCase);
                    expect(takesSmallContraction(t, xs)).toBe(true);
                    const fast = contract(t, xs);
                    const general = contractByMatMul(t, xs);
                    expect(fast.shape).toEqual(general.shape);
                    const [a, e] = [fast.dataSync(), general.dataSync()];
                    e.forEach((x, i) => expect(Math.abs(a[i] - x)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(x))));
                });
            }), { numRuns: 150 });
        });

        it('runs as one kernel for the compiled `and` at a large batch, with exact one-hot results', async () => {
            // and: out = T[o, x, y], true = index 0; true only for (true, true).
            const t = tf.tensor3d([[[1, 0], [0, 0]], [[0, 1], [1, 1]]]);
            const batch = 4096;
            const x = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), 'int32'), 2).toFloat() as tf.Tensor2D;
            const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i % 3 === 0 ? 0 : 1)), 'int32'), 2).toFloat() as tf.Tensor2D;
            const profile = await tf.profile(() => contract(t, [x, y]));
            expect(profile.kernels.map(k => k.name)).toContain(SMALL_CONTRACTION_KERNEL);
            expect(profile.kernels.map(k => k.name)).not.toContain('BatchMatMul');
            const out = contract(t, [x, y]);
            const values = out.dataSync();
            for (let i = 0; i < batch; i++) {
                const both = i % 2 === 0 && i % 3 === 0;
                expect([values[2 * i], values[2 * i + 1]]).toEqual(both ? [1, 0] : [0, 1]);
            }
            expect(Array.from(values)).toEqual(Array.from(contractByMatMul(t, [x, y]).dataSync()));
            tf.dispose([t, x, y, out]);
        });

        it('gives the general path\'s gradients in t and every input (batch-1 inputs summed over the batch), by the same kernel', () => {
            fc.assert(fc.property(smallContractionCase, smallCase => {
                tf.tidy(() => {
                    const { t, xs, random } = operandsOf(smallCase);
                    const { dimOut } = smallCase;
                    // A loss weighting every output entry differently, so every gradient entry matters.
                    const outRows = Math.max(...xs.map(x => x.shape[0]));
                    const weights = tf.tensor2d(Array.from({ length: outRows * dimOut }, () => random() * 4 - 2), [outRows, dimOut]);
                    const loss = (path: typeof contract) => (t: tf.Tensor, ...xs: tf.Tensor[]) => tf.sum(tf.mul(path(t, xs), weights));
                    const fast = tf.grads(loss(contract))([t, ...xs]);
                    const general = tf.grads(loss(contractByMatMul))([t, ...xs]);
                    fast.forEach((g, i) => {
                        expect(g.shape).toEqual(general[i].shape);
                        const [a, e] = [g.dataSync(), general[i].dataSync()];
                        e.forEach((x, k) => expect(Math.abs(a[k] - x)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(x))));
                    });
                });
            }), { numRuns: 100 });
        });

        it('takes the fast path under the tape too (one kernel forward, the same kernel backward)', async () => {
            const t = tf.tensor3d([[[1, 2], [3, 4]]]);
            const x1 = tf.tensor2d([[1, 0]]);
            const x2 = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
            const profile = await tf.profile(() => tf.dispose(tf.grads((x1: tf.Tensor, x2: tf.Tensor) => contract(t, [x1, x2]).sum())([x1, x2])));
            const names = profile.kernels.map(k => k.name);
            expect(names.filter(name => name === SMALL_CONTRACTION_KERNEL)).toHaveLength(3);
            expect(names).not.toContain('BatchMatMul');
            // x1 has a batch of 1: its gradient sums the three examples' (exact small integers);
            // x2's rows are T[0, 0, :], x1 being the first basis vector.
            const [dx1, dx2] = tf.grads((x1: tf.Tensor, x2: tf.Tensor) => contract(t, [x1, x2]).sum())([x1, x2]);
            expect(Array.from(dx1.dataSync())).toEqual([1 + 2 + 3, 3 + 4 + 7]);
            expect(dx1.shape).toEqual([1, 2]);
            expect(Array.from(dx2.dataSync())).toEqual([1, 2, 1, 2, 1, 2]);
            tf.dispose([t, x1, x2, dx1, dx2]);
        });

        it('leaves large tensors, other dtypes and empty batches to the general path', () => {
            const t = tf.tensor3d([[[1, 2], [3, 4]]]);
            const x1 = tf.tensor2d([[1, 0]]);
            const x2 = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
            const dx1 = tf.grads((x1: tf.Tensor) => contract(t, [x1, x2]).sum())([x1])[0];
            expect(Array.from(dx1.dataSync())).toEqual([1 + 2 + 3, 3 + 4 + 7]);
            const big = tf.ones([smallContractionMaxSize(2) + 1, 1, 1]);
            expect(takesSmallContraction(big, [tf.ones([2, 1]) as tf.Tensor2D, tf.ones([2, 1]) as tf.Tensor2D])).toBe(false);
            expect(takesSmallContraction(tf.ones([smallContractionMaxSize(2), 1, 1]), [tf.ones([2, 1]) as tf.Tensor2D, tf.ones([2, 1]) as tf.Tensor2D])).toBe(true);
            expect(takesSmallContraction(tf.ones([2, 2], 'int32'), [tf.ones([2, 2]) as tf.Tensor2D])).toBe(false);
            expect(takesSmallContraction(t, [x1, x2])).toBe(true);
            // An empty batch is left to the general path (the kernel would make a batch of 1).
            expect(takesSmallContraction(t, [x1, tf.zeros([0, 2]) as tf.Tensor2D])).toBe(false);
            tf.dispose([t, x1, x2, dx1, big]);
        });
    });
}
