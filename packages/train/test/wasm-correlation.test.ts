/**
 * The per-image correlation's WASM SIMD kernels (src/wasm-correlation.ts): the generated modules
 * against golden bytes and the engine's validator; then perImageCorrelation on tfjs-WASM through
 * them against the depthwise-convolution path (useWasmCorrelationKernels(false)) on random
 * batches, image sizes and odd windows, borders included, values and both gradients; that the
 * kernels are what runs; and no tensors left behind.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@cajal/runtime';
import { webAssembly } from '@cajal/runtime/wasm-assembly';
import { perImageCorrelation, useWasmCorrelationKernels } from '@cajal/train';
import {
    CORRELATION_FILTER_GRADIENT_KERNEL, CORRELATION_KERNEL, correlationLayout, correlationModuleBytes,
    correlationUsesFusedMultiplyAdd, filterGradientModuleBytes
} from '../src/wasm-correlation.js';
import { expectGolden, hexLines } from '../../../test/golden-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeMajor = Number(process.versions.node.split('.')[0]);

const golden = (name: string, actual: string) => expectGolden(here, name, actual);

describe('the correlation modules', () => {
    it('match the golden modules (plain SIMD and fused multiply-add; 7 and 4 accumulators, as 28 × 28 images with 13 × 13 kernels use)', () => {
        for (const fusedMultiplyAdd of [false, true]) {
            const variant = fusedMultiplyAdd ? 'fused' : 'plain';
            golden(`correlate-${variant}.wasm.hex`, hexLines(correlationModuleBytes({ fusedMultiplyAdd, vectors: 7 })));
            golden(`correlation-filter-gradient-${variant}.wasm.hex`, hexLines(filterGradientModuleBytes({ fusedMultiplyAdd, vectors: 4 })));
        }
        expect(correlationLayout(28, 28, 13)).toMatchObject({ strips: 1, stripVectors: 7, outputRow: 28, kernelRowVectors: 4 });
    });

    it('are valid WebAssembly for 1 to 8 accumulators; the fused variants exactly where the engine has relaxed SIMD (Node ≥ 22)', () => {
        const wasm = webAssembly()!;
        for (let vectors = 1; vectors <= 8; vectors++) {
            expect(wasm.validate(correlationModuleBytes({ fusedMultiplyAdd: false, vectors })), `correlate ${vectors}`).toBe(true);
            expect(wasm.validate(filterGradientModuleBytes({ fusedMultiplyAdd: false, vectors })), `filterGradient ${vectors}`).toBe(true);
            expect(wasm.validate(correlationModuleBytes({ fusedMultiplyAdd: true, vectors }))).toBe(nodeMajor >= 22);
        }
        expect(correlationUsesFusedMultiplyAdd()).toBe(nodeMajor >= 22);
        expect(() => correlationModuleBytes({ fusedMultiplyAdd: false, vectors: 9 })).toThrow(/9 accumulators, expected 1 to 8/);
        expect(() => filterGradientModuleBytes({ fusedMultiplyAdd: false, vectors: 0 })).toThrow(/expected 1 to 8/);
    });
});

describe('perImageCorrelation on tfjs-WASM through the kernels', () => {
    beforeAll(async () => { await initBackend('wasm'); });
    afterEach(() => { useWasmCorrelationKernels(true); });

    /** y, dx and dk (for the objective Σ y · probe) by the kernels (on) or the depthwise path (off). */
    const correlation = (image: tf.Tensor3D, kernel: tf.Tensor3D, probe: tf.Tensor3D, on: boolean) => {
        useWasmCorrelationKernels(on);
        return tf.tidy(() => {
            const y = perImageCorrelation(image, kernel);
            const [dx, dk] = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(perImageCorrelation(a as tf.Tensor3D, c as tf.Tensor3D), probe)))([image, kernel]);
            return [y, dx, dk].map(t => Array.from(t.dataSync()));
        });
    };
    const near = (actual: number[], expected: number[], what: string) => {
        expect(actual.length, what).toBe(expected.length);
        // Sums of up to window² (y, dx) or h·w (dk) products of numbers in [−1, 1].
        actual.forEach((x, i) => expect(Math.abs(x - expected[i]), `${what} entry ${i}: ${x}, depthwise ${expected[i]}`).toBeLessThan(1e-4 * (1 + Math.abs(expected[i]))));
    };

    it('equals the depthwise path, values and both gradients, on random batches, sizes and odd windows', () => {
        expect(tf.getBackend()).toBe('wasm');
        fc.assert(fc.property(
            fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 8 }), fc.integer(),
            (batch, height, width, halfWindow, seed) => {
                const window = 2 * halfWindow + 1;
                const numbers = (n: number, salt: number) => Float32Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 0.7 + seed * 1e-3 + salt));
                const image = tf.tensor3d(numbers(batch * height * width, 1), [batch, height, width]);
                const kernel = tf.tensor3d(numbers(batch * window * window, 2), [batch, window, window]);
                const probe = tf.tensor3d(numbers(batch * height * width, 3), [batch, height, width]);
                try {
                    const [y, dx, dk] = correlation(image, kernel, probe, true);
                    const [y0, dx0, dk0] = correlation(image, kernel, probe, false);
                    near(y, y0, 'output');
                    near(dx, dx0, 'gradient in the images');
                    near(dk, dk0, 'gradient in the kernels');
                } finally {
                    tf.dispose([image, kernel, probe]);
                }
            }), { numRuns: 60, seed: 14 });
    });

    it('runs the kernels (and not the depthwise convolution) for the output and both gradients, leaving no tensors', () => {
        const image = tf.randomNormal([64, 28, 28], 0, 1, 'float32', 1) as tf.Tensor3D;
        const kernel = tf.randomNormal([64, 13, 13], 0, 1, 'float32', 2) as tf.Tensor3D;
        const kernelsRun = (on: boolean) => {
            useWasmCorrelationKernels(on);
            const names: string[] = [];
            const before = tf.memory().numTensors;
            const run = () => tf.tidy(() => tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(perImageCorrelation(a as tf.Tensor3D, c as tf.Tensor3D)))([image, kernel]));
            // tf.profile lists every kernel run, the gradients' included.
            return tf.profile(() => { const grads = run(); tf.dispose(grads); }).then(info => {
                names.push(...info.kernels.map(k => k.name));
                expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
                return names;
            });
        };
        return kernelsRun(true).then(names => {
            expect(names.filter(n => n === CORRELATION_KERNEL)).toHaveLength(2); // the output and the images' gradient
            expect(names.filter(n => n === CORRELATION_FILTER_GRADIENT_KERNEL)).toHaveLength(1);
            expect(names).not.toContain('DepthwiseConv2dNative');
            return kernelsRun(false);
        }).then(names => {
            expect(names).not.toContain(CORRELATION_KERNEL);
            expect(names.filter(n => n === 'DepthwiseConv2dNative')).toHaveLength(3);
        }).finally(() => tf.dispose([image, kernel]));
    });
});
