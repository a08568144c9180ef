/**
 * The WASM backend's wrapped BatchMatMul (packages/runtime/src/wasm-kernels.ts) against the
 * CPU backend: every combination of transposed operands, a right operand used for the first
 * time with few left rows (computed as (bᵀ·aᵀ)ᵀ), the same right operand used again (the
 * plain, cached product), more left rows than right columns, batched products, and the
 * gradients of a two-layer network, all equal to the CPU backend's up to float rounding.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@cajal/runtime';

/** Runs f on both backends (inputs made from the same numbers) and returns [wasm, cpu] results. */
async function onBothBackends(f: () => tf.Tensor | tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
    const results: Float32Array[][] = [];
    for (const backend of ['wasm', 'cpu'] as const) {
        await initBackend(backend);
        results.push(tf.tidy(() => [f()].flat().map(t => t.dataSync() as Float32Array)));
    }
    return results as [Float32Array[], Float32Array[]];
}

function expectClose(actual: Float32Array[], expected: Float32Array[]): void {
    expect(actual.map(a => a.length)).toEqual(expected.map(e => e.length));
    actual.forEach((a, t) => {
        const scale = Math.max(1, ...Array.from(expected[t], Math.abs));
        for (let i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - expected[t][i]) <= 1e-5 * scale)) expect(a[i], `result ${t}, entry ${i}`).toBeCloseTo(expected[t][i], 4);
        }
    });
}

const matrix = (rows: number, columns: number, seed: number) => tf.randomNormal([rows, columns], 0, 1, 'float32', seed);

describe('matMul on WASM (wrapped kernel) equals the CPU backend', () => {
    afterAll(async () => { await initBackend('wasm'); });

    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
        for (const [m, k, n] of [[3, 17, 29], [29, 17, 3]]) {
            it(`[${m}×${k}]·[${k}×${n}], transposeA ${transposeA}, transposeB ${transposeB}`, async () => {
                const [wasm, cpu] = await onBothBackends(() => {
                    const a = transposeA ? matrix(k, m, 1) : matrix(m, k, 1);
                    const b = transposeB ? matrix(n, k, 2) : matrix(k, n, 2);
                    return tf.matMul(a, b, transposeA, transposeB);
                });
                expect(wasm[0].length).toBe(m * n);
                expectClose(wasm, cpu);
            });
        }
    }

    it('the same right operand three times (first swapped, then packed and cached) gives the same products', async () => {
        const [wasm, cpu] = await onBothBackends(() => {
            const w = matrix(40, 50, 3);
            return [tf.matMul(matrix(4, 40, 4), w), tf.matMul(matrix(4, 40, 5), w), tf.matMul(matrix(4, 40, 6), w)];
        });
        expectClose(wasm, cpu);
        // Different inputs, different products: the cache is keyed on the weights only.
        expect(Array.from(wasm[1])).not.toEqual(Array.from(wasm[2]));
    });

    it('batched products', async () => {
        const [wasm, cpu] = await onBothBackends(() => [
            tf.matMul(tf.randomNormal([5, 2, 7], 0, 1, 'float32', 7), tf.randomNormal([5, 7, 9], 0, 1, 'float32', 8)),
            tf.matMul(tf.randomNormal([1, 2, 7], 0, 1, 'float32', 9), tf.randomNormal([1, 7, 9], 0, 1, 'float32', 10))
        ]);
        expectClose(wasm, cpu);
    });

    it('gradients of a two-layer network', async () => {
        const [wasm, cpu] = await onBothBackends(() => {
            const w1 = tf.variable(matrix(30, 20, 11)), w2 = tf.variable(matrix(20, 2, 12));
            const x = matrix(8, 30, 13);
            const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(tf.relu(tf.matMul(x, w1)), w2))), [w1, w2]);
            const out = [value, grads[w1.name], grads[w2.name]];
            tf.dispose([w1, w2]);
            return out;
        });
        expectClose(wasm, cpu);
    });
});
