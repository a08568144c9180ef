/**
 * conv2d on tfjs-WASM through our direct SIMD kernels (src/wasm-conv-kernels.ts, run by
 * src/wasm-conv-direct.ts, registered by src/wasm-conv.ts): the generated modules against golden
 * bytes and the engine's validator; then tf.conv2d and both its gradients on WASM, kernels on
 * and off, against the CPU backend's on random batches, sizes, channels, filters and both
 * paddings; that the kernels are what runs where they can (and not where they cannot); no
 * tensors left behind; and the dilation trunk (`cnn(8, 16, kernel = 5)`) as a layer model, its
 * gradients on WASM equal to the CPU backend's.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { resolveArchitecture, fnN, RealT, natOf } from '@cajal/language';
import { initBackend } from '@cajal/runtime';
import { webAssembly } from '@cajal/runtime/wasm-assembly';
import { buildModel, directConvPasses, ensureConv2dGradientsOnWasm, useDirectConvOnWasm } from '@cajal/train';
import { MAX_CONV_ACCUMULATORS, MAX_ONE_CHANNEL_PIXELS, convolutionModuleBytes, filterGradientConvModuleBytes, oneChannelConvolutionModuleBytes } from '../src/wasm-conv-kernels.js';
import { directConvolutionTakes, oneChannelPixelsPerStrip, pixelsPerStrip, tapsPerBlock } from '../src/wasm-conv-direct.js';
import { directConvUsesFusedMultiplyAdd } from '../src/wasm-conv.js';
import { expectGolden, hexLines } from '../../../test/golden-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeMajor = Number(process.versions.node.split('.')[0]);

const golden = (name: string, actual: string) => expectGolden(here, name, actual);

describe('the convolution modules', () => {
    it('match the golden modules (plain SIMD and fused multiply-add; as the trunk\'s conv 5×5 8 → 16 uses them, and its 1 → 8 input gradient)', () => {
        for (const fusedMultiplyAdd of [false, true]) {
            const variant = fusedMultiplyAdd ? 'fused' : 'plain';
            golden(`conv-convolve-${variant}.wasm.hex`, hexLines(convolutionModuleBytes({ fusedMultiplyAdd, vectors: 4, block: 2 })));
            golden(`conv-filter-gradient-${variant}.wasm.hex`, hexLines(filterGradientConvModuleBytes({ fusedMultiplyAdd, vectors: 4, block: 2 })));
            golden(`conv-convolve-one-${variant}.wasm.hex`, hexLines(oneChannelConvolutionModuleBytes({ fusedMultiplyAdd, block: 7 })));
        }
        expect([oneChannelPixelsPerStrip(28), oneChannelPixelsPerStrip(32), oneChannelPixelsPerStrip(11), oneChannelPixelsPerStrip(1)]).toEqual([7, 8, 1, 1]);
        // The trunk: 28-pixel rows; 16 outputs (4 vectors) in strips of 2, 8 (2 vectors) of 4; filter rows of 5·8 and 5·1 taps.
        expect([pixelsPerStrip(28, 4), pixelsPerStrip(28, 2), pixelsPerStrip(28, 1), pixelsPerStrip(27, 2), pixelsPerStrip(7, 4)]).toEqual([2, 4, 4, 3, 1]);
        expect([tapsPerBlock(40, 4), tapsPerBlock(5, 2), tapsPerBlock(40, 2), tapsPerBlock(7, 4)]).toEqual([2, 5, 5, 1]);
    });

    it('are valid WebAssembly wherever the accumulators fit; the fused variants exactly where the engine has relaxed SIMD (Node ≥ 22)', () => {
        const wasm = webAssembly()!;
        for (let vectors = 1; vectors <= 7; vectors++) {
            for (let block = 1; vectors * block <= MAX_CONV_ACCUMULATORS && vectors * (block + 1) + 1 <= 16; block++) {
                const options = { fusedMultiplyAdd: false, vectors, block };
                expect(wasm.validate(convolutionModuleBytes(options)), `convolve ${vectors} × ${block}`).toBe(true);
                expect(wasm.validate(filterGradientConvModuleBytes(options)), `filterGradient ${vectors} × ${block}`).toBe(true);
                expect(wasm.validate(convolutionModuleBytes({ ...options, fusedMultiplyAdd: true }))).toBe(nodeMajor >= 22);
            }
        }
        for (let pixels = 1; pixels <= MAX_ONE_CHANNEL_PIXELS; pixels++) {
            expect(wasm.validate(oneChannelConvolutionModuleBytes({ fusedMultiplyAdd: false, block: pixels })), `convolveOne ${pixels}`).toBe(true);
            expect(wasm.validate(oneChannelConvolutionModuleBytes({ fusedMultiplyAdd: true, block: pixels }))).toBe(nodeMajor >= 22);
        }
        expect(() => oneChannelConvolutionModuleBytes({ fusedMultiplyAdd: false, block: 9 })).toThrow(/9 pixels, expected 1 to 8/);
        expect(directConvUsesFusedMultiplyAdd()).toBe(nodeMajor >= 22);
        expect(() => convolutionModuleBytes({ fusedMultiplyAdd: false, vectors: 4, block: 3 })).toThrow(/4 vectors × 3, expected at most 10 accumulators/);
        expect(() => filterGradientConvModuleBytes({ fusedMultiplyAdd: false, vectors: 8, block: 1 })).toThrow(/8 vectors × 1/);
        expect(() => convolutionModuleBytes({ fusedMultiplyAdd: false, vectors: 0, block: 1 })).toThrow(/expected at most/);
    });
});

type Pad = 'same' | 'valid';
/** conv2d's output and both gradients for the objective Σ y · probe, on the current backend. */
function convolution(x0: Float32Array, xShape: number[], w0: Float32Array, wShape: number[], pad: Pad): number[][] {
    return tf.tidy(() => {
        const x = tf.tensor4d(x0, xShape as [number, number, number, number]), w = tf.tensor4d(w0, wShape as [number, number, number, number]);
        const y = tf.conv2d(x, w, 1, pad);
        const probe = tf.cos(tf.range(0, y.size).mul(0.7)).reshape(y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad), probe)))([x, w]);
        return [y, dx, dw].map(t => Array.from(t.dataSync()));
    });
}
const near = (actual: number[], expected: number[], what: string) => {
    expect(actual.length, what).toBe(expected.length);
    // Sums of up to kh·kw·C (y, dx) or batch·h·w (dw) products of numbers in [−1, 1].
    actual.forEach((v, i) => expect(Math.abs(v - expected[i]), `${what} entry ${i}: ${v}, CPU ${expected[i]}`).toBeLessThan(1e-4 * (1 + Math.abs(expected[i]))));
};

describe('conv2d on tfjs-WASM through the kernels', () => {
    beforeAll(async () => { await initBackend('wasm'); expect(ensureConv2dGradientsOnWasm()).toBe(true); });
    afterEach(() => { useDirectConvOnWasm(true); });
    afterAll(async () => { await initBackend('cpu'); });

    it('equals the CPU backend, output and both gradients, kernels on and off, on random batches, sizes, channels, filters and paddings', async () => {
        const cases = fc.sample(fc.record({
            batch: fc.integer({ min: 1, max: 3 }), height: fc.integer({ min: 1, max: 9 }), width: fc.integer({ min: 1, max: 11 }),
            channels: fc.constantFrom(1, 2, 3, 4, 8, 12), outChannels: fc.constantFrom(1, 4, 6, 8, 16, 24),
            kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 1, max: 5 }), pad: fc.constantFrom<Pad>('same', 'valid'), seed: fc.integer()
        }).filter(c => c.pad === 'same' || (c.kh <= c.height && c.kw <= c.width)), { numRuns: 40, seed: 14 });
        const inputs = cases.map(c => {
            const numbers = (n: number, salt: number) => Float32Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 0.37 + c.seed * 1e-3 + salt));
            return { ...c, x: numbers(c.batch * c.height * c.width * c.channels, 1), w: numbers(c.kh * c.kw * c.channels * c.outChannels, 2) };
        });
        const run = () => inputs.map(c => convolution(c.x, [c.batch, c.height, c.width, c.channels], c.w, [c.kh, c.kw, c.channels, c.outChannels], c.pad));
        expect(tf.getBackend()).toBe('wasm');
        const before = directConvPasses();
        const onKernels = run();
        const passes = directConvPasses() - before;
        useDirectConvOnWasm(false);
        const offKernels = run();
        expect(directConvPasses() - before, 'passes with the kernels off').toBe(passes);
        await initBackend('cpu');
        const onCpu = run();
        await initBackend('wasm');
        // Each case's forward, filter gradient and input gradient took the kernels exactly where their channels fit (the forward twice: y, and inside tf.grads).
        const expectedPasses = cases.reduce((sum, c) => {
            const [top, left] = c.pad === 'same' ? [Math.floor((c.kh - 1) / 2), Math.floor((c.kw - 1) / 2)] : [0, 0];
            const g = { ...c, top, left, outHeight: c.pad === 'same' ? c.height : c.height - c.kh + 1, outWidth: c.pad === 'same' ? c.width : c.width - c.kw + 1 };
            return sum + 2 * Number(directConvolutionTakes.forward(g)) + Number(directConvolutionTakes.filterGradient(g)) + Number(directConvolutionTakes.inputGradient(g));
        }, 0);
        expect(passes).toBe(expectedPasses);
        expect(passes).toBeGreaterThan(cases.length);
        cases.forEach((c, i) => {
            const what = `case ${i} ${JSON.stringify({ ...c, seed: undefined })}`;
            for (const [j, part] of ['output', 'gradient in the input', 'gradient in the filter'].entries()) {
                near(onKernels[i][j], onCpu[i][j], `${what}: ${part} (kernels)`);
                near(offKernels[i][j], onCpu[i][j], `${what}: ${part} (tfjs's kernels)`);
            }
        });
    }, 120_000);

    it('takes fused convolutions (bias, linear or relu: tf.fused.conv2d, as layers infer) and gives the CPU backend\'s; other activations and single output channels keep tfjs\'s', async () => {
        const cases = [
            { shape: [2, 9, 7, 1], filter: [5, 5, 1, 8], pad: 'same' as Pad, activation: 'relu' as const, bias: true },
            { shape: [1, 6, 6, 8], filter: [3, 3, 8, 16], pad: 'valid' as Pad, activation: 'linear' as const, bias: true },
            { shape: [3, 5, 8, 4], filter: [3, 1, 4, 4], pad: 'same' as Pad, activation: 'relu' as const, bias: false },
            { shape: [2, 5, 5, 4], filter: [3, 3, 4, 8], pad: 'same' as Pad, activation: 'elu' as const, bias: true },
            // One output channel: the one-channel kernel has no bias or activation.
            { shape: [3, 5, 8, 4], filter: [3, 1, 4, 1], pad: 'same' as Pad, activation: 'relu' as const, bias: true }
        ];
        const run = () => cases.map(c => tf.tidy(() => {
            const size = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
            const x = tf.tensor4d(Float32Array.from({ length: size(c.shape) }, (_, i) => Math.sin(i * 0.37)), c.shape as [number, number, number, number]);
            const filter = tf.tensor4d(Float32Array.from({ length: size(c.filter) }, (_, i) => Math.cos(i * 0.29)), c.filter as [number, number, number, number]);
            const bias = c.bias ? tf.tensor1d(Float32Array.from({ length: c.filter[3] }, (_, i) => 0.5 - 0.3 * i)) : undefined;
            const before = directConvPasses();
            const y = Array.from(tf.fused.conv2d({ x, filter, strides: 1, pad: c.pad, bias, activation: c.activation }).dataSync());
            return { y, passes: directConvPasses() - before };
        }));
        const onWasm = run();
        await initBackend('cpu');
        const onCpu = run();
        await initBackend('wasm');
        expect(onWasm.map(r => r.passes)).toEqual([1, 1, 1, 0, 0]);
        onWasm.forEach((r, i) => near(r.y, onCpu[i].y, `fused case ${i}`));
        expect(onWasm[0].y.some(v => v === 0) && onWasm[0].y.some(v => v > 0)).toBe(true);
    });

    for (const [channels, outChannels] of [[1, 8], [8, 16]]) it(`runs the kernels for the trunk's conv 5×5 ${channels} → ${outChannels} (forward and both gradients) on a batch of MNIST-sized images, leaving no tensors`, () => {
        const x = tf.randomUniform([4, 28, 28, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomNormal([5, 5, channels, outChannels], 0, 0.1, 'float32', 2) as tf.Tensor4D;
        try {
            const gradients = (on: boolean) => {
                useDirectConvOnWasm(on);
                const tensors = tf.memory().numTensors, before = directConvPasses();
                const values = tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))))([x, w]).map(t => Array.from(t.dataSync())));
                expect(tf.memory().numTensors, 'tensors left behind').toBe(tensors);
                return { values, passes: directConvPasses() - before };
            };
            const on = gradients(true), off = gradients(false);
            expect(on.passes).toBe(3);
            expect(off.passes).toBe(0);
            on.values.forEach((g, i) => near(g, off.values[i], i ? 'gradient in the filter' : 'gradient in the input'));
        } finally {
            tf.dispose([x, w]);
        }
    });

    it('gives the dilation trunk\'s layer gradients (cnn(8, 16, kernel = 5, pool = 3)) as the CPU backend does', async () => {
        const result = resolveArchitecture({ architecture: 'cnn', args: [{ value: '8' }, { value: '16' }, { key: 'kernel', value: '5' }, { key: 'pool', value: '3' }, { key: 'pooling', value: 'last' }] }, fnN([new RealT([28, 28])], natOf(10)));
        if (!result.ok) throw new Error(result.message);
        const images = Float32Array.from({ length: 3 * 784 }, (_, k) => Math.max(0, Math.sin(k * 0.37) * Math.cos(k * 0.11)));
        let weights: { values: Float32Array; shape: number[] }[] | undefined;
        /** The weights' gradients of Σ output · probe, with the first run's weights on both backends. */
        const gradients = () => {
            const model = buildModel('trunk', result.resolved, 14);
            try {
                if (weights) model.setWeights(weights.map(w => tf.tensor(w.values, w.shape)));
                else weights = model.getWeights().map(w => ({ values: w.dataSync() as Float32Array, shape: w.shape }));
                return tf.tidy(() => {
                    const x = tf.tensor2d(images, [3, 784]);
                    const variables = model.trainableWeights.map(v => v.read() as tf.Variable);
                    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, tf.cos(tf.range(1, 31)).reshape([3, 10]))) as tf.Scalar, variables);
                    return variables.map(v => Array.from(grads[v.name].dataSync()));
                });
            } finally {
                model.dispose();
            }
        };
        const before = directConvPasses();
        const onWasm = gradients();
        // Both convolutions' forward and filter gradient, and the second's input gradient (the first's input is the data).
        expect(directConvPasses() - before).toBe(5);
        await initBackend('cpu');
        const onCpu = gradients();
        await initBackend('wasm');
        expect(onWasm.length).toBe(onCpu.length);
        onWasm.forEach((g, i) => near(g, onCpu[i], `parameter ${i}`));
        expect(onWasm[0].some(v => Math.abs(v) > 1e-6)).toBe(true);
    }, 60_000);
});
