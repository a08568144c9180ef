/**
 * The dense stack (mlp and linear externs as one op with a hand-written backward pass,
 * src/dense.ts) against tf.layers and the gradient tape, on both tfjs backends: the same
 * outputs, and the same gradients with respect to every kernel, bias and the input, for
 * every activation; the input's gradient is computed only when something needs it; and an
 * extern network built for training uses the stack.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { resolveArchitecture, fnN, RealT, natOf, Bool, type CajalType } from '@cajal/language';
import fc from 'fast-check';
import { initBackend, ownWasmGemmStats } from '@cajal/runtime';
import { buildModel, denseLayersOf, denseStack, externNetwork, useFusedDenseOnWasm, type DenseActivation, type DenseLayer } from '@cajal/train';

function modelOf(args: Array<{ key?: string; value: string }>, type: CajalType, architecture = 'mlp'): tf.LayersModel {
    const result = resolveArchitecture({ architecture, args }, type);
    if (!result.ok) throw new Error(result.message);
    return buildModel('net', result.resolved, 5);
}

/** Largest |a − b| relative to the largest |b| (1 when b is all zeros). */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
    return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-30, tf.max(tf.abs(b)).dataSync()[0]));
}

const CASES: Array<{ name: string; args: Array<{ key?: string; value: string }>; type: CajalType; architecture?: string }> = [
    { name: 'mlp(16), relu, raw output', args: [{ value: '16' }, { key: 'output', value: 'raw' }], type: fnN([new RealT([12])], Bool) },
    { name: 'mlp(16, 8, activation = tanh), softmax output', args: [{ value: '16' }, { value: '8' }, { key: 'activation', value: 'tanh' }], type: fnN([new RealT([12])], natOf(4)) },
    { name: 'mlp(10, activation = sigmoid), sigmoid output', args: [{ value: '10' }, { key: 'activation', value: 'sigmoid' }, { key: 'output', value: 'sigmoid' }], type: fnN([new RealT([6])], new RealT([3])) },
    { name: 'linear', args: [], type: fnN([new RealT([7])], new RealT([2, 2])), architecture: 'linear' }
];

for (const backend of ['cpu', 'wasm'] as const) {
    describe(`dense stack on ${backend}`, () => {
        for (const { name, args, type, architecture } of CASES) {
            it(`${name}: outputs and gradients (kernels, biases, input) equal tf.layers' through the tape`, async () => {
                await initBackend(backend);
                const model = modelOf(args, type, architecture);
                const dense = denseLayersOf(model)!;
                expect(dense).toBeDefined();
                const inDim = model.inputs[0].shape[1]!;
                const x = tf.randomNormal([9, inDim], 0, 1, 'float32', 11);
                const final = (y: tf.Tensor) => dense.final === 'softmax' ? tf.softmax(y) : dense.final === 'sigmoid' ? tf.sigmoid(y) : y;
                // A loss that weights every output differently, so every gradient entry matters.
                const weights = tf.randomNormal([9, model.outputs[0].shape[1]!], 0, 1, 'float32', 12);
                const lossOf = (y: tf.Tensor) => tf.sum(tf.mul(tf.square(y), weights)) as tf.Scalar;
                const parameters = model.trainableWeights.map(w => w.read());
                // The tape through tf.layers: gradients with respect to the weights and the input.
                const reference = tf.grads((input: tf.Tensor, ...ws: tf.Tensor[]) => { void ws; return lossOf(model.apply(input) as tf.Tensor); })([x, ...parameters]);
                const ours = tf.grads((input: tf.Tensor, ...ws: tf.Tensor[]) => { void ws; return lossOf(final(denseStack(input, dense.layers))); })([x, ...parameters]);
                const referenceOut = model.apply(x) as tf.Tensor;
                const ourOut = final(denseStack(x, dense.layers));
                expect(ourOut.shape).toEqual(referenceOut.shape);
                expect(relativeError(ourOut, referenceOut)).toBeLessThan(1e-6);
                expect(ours.length).toBe(reference.length);
                ours.forEach((gradient, i) => {
                    expect(gradient.shape).toEqual(reference[i].shape);
                    expect(relativeError(gradient, reference[i])).toBeLessThan(1e-5);
                });
                // Not all zeros: the comparison above compares something.
                expect(tf.max(tf.abs(ours[1])).dataSync()[0]).toBeGreaterThan(0);
                tf.dispose([x, weights, ...reference, ...ours, referenceOut, ourOut]);
                model.dispose();
            });
        }

        it('computes the input gradient only when asked: a constant batch costs one product a layer less', async () => {
            await initBackend(backend);
            const model = modelOf([{ value: '16' }, { value: '8' }, { key: 'output', value: 'raw' }], fnN([new RealT([12])], Bool));
            const { layers } = denseLayersOf(model)!;
            const x = tf.randomNormal([5, 12], 0, 1, 'float32', 3);
            const kernels = layers.map(l => l.kernel as tf.Variable);
            const products = async (withInput: boolean) => {
                const profile = await tf.profile(() => {
                    const loss = (input: tf.Tensor) => tf.sum(tf.square(denseStack(input, layers))) as tf.Scalar;
                    const result = withInput ? tf.grads((input: tf.Tensor, ...ks: tf.Tensor[]) => { void ks; return loss(input); })([x, ...kernels]) : Object.values(tf.variableGrads(() => loss(x), kernels).grads);
                    tf.dispose(result);
                });
                return profile.kernels.filter(k => k.name === 'BatchMatMul').length;
            };
            // Forward 3 products; backward: 3 weight gradients, 2 chain products, and x's only when asked.
            expect(await products(false)).toBe(3 + 3 + 2);
            expect(await products(true)).toBe(3 + 3 + 2 + 1);
            // Nothing is left behind: the saved outputs and the backward's intermediates are freed.
            const before = tf.memory().numTensors;
            for (let i = 0; i < 3; i++) {
                const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(denseStack(x, layers))) as tf.Scalar, kernels);
                tf.dispose([value, ...Object.values(grads)]);
            }
            expect(tf.memory().numTensors).toBe(before);
            x.dispose();
            model.dispose();
        });

        it('an mlp extern network runs as the dense stack and gives tf.layers\' output', async () => {
            await initBackend(backend);
            const type = fnN([new RealT([3, 4])], Bool);
            const result = resolveArchitecture({ architecture: 'mlp', args: [{ value: '6' }] }, type);
            if (!result.ok) throw new Error(result.message);
            const model = buildModel('net', result.resolved, 2);
            const network = externNetwork('net', type, result.resolved, model);
            const x = tf.randomNormal([4, 3, 4], 0, 1, 'float32', 8);
            const profile = await tf.profile(() => network.call([x]).dispose());
            // One product a layer and no tf.layers dispatch (which ran _FusedMatMul for the last layer).
            expect(profile.kernels.filter(k => k.name === 'BatchMatMul').length).toBe(2);
            expect(profile.kernels.some(k => k.name === '_FusedMatMul')).toBe(false);
            const ours = network.call([x]);
            const reference = model.apply(x.reshape([4, 12])) as tf.Tensor;
            expect(relativeError(ours, reference)).toBeLessThan(1e-6);
            tf.dispose([x, ours, reference]);
            model.dispose();
        });
    });
}

/**
 * The fused path on tfjs-WASM (bias, relu and their gradients as SIMD passes over tfjs's
 * memory, products straight on our WASM kernel: src/dense.ts, src/wasm-dense.ts) against the
 * plain chain of tfjs ops (matMul, add, activation) through the tape, over random shapes and
 * the activations an mlp uses: the same outputs and gradients, and, with the fused path off,
 * the very same numbers (relu and linear layers are computed bit for bit as tfjs's kernels).
 */
describe('dense stack, fused on tfjs-WASM', () => {
    const activate = (z: tf.Tensor, activation: DenseActivation) =>
        activation === 'relu' ? tf.relu(z) : activation === 'tanh' ? tf.tanh(z) : activation === 'sigmoid' ? tf.sigmoid(z) : z;
    /** The stack as plain tfjs ops, recorded op by op on the tape. */
    const plainChain = (x: tf.Tensor, layers: DenseLayer[]) =>
        layers.reduce((h, layer) => activate(layer.bias ? tf.add(tf.matMul(h as tf.Tensor2D, layer.kernel as tf.Tensor2D), layer.bias) : tf.matMul(h as tf.Tensor2D, layer.kernel as tf.Tensor2D), layer.activation), x);
    const maxAbsDifference = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

    it('gives the plain chain\'s outputs and gradients for random shapes and activations, and leaks no tensor', async () => {
        await initBackend('wasm');
        const compare = (rows: number, inputWidth: number, shape: Array<{ width: number; activation: DenseActivation; bias: boolean }>, seed: number) => {
        const x = tf.randomNormal([rows, inputWidth], 0, 1, 'float32', seed);
        const layers: DenseLayer[] = shape.map(({ width, activation, bias }, k) => ({
            kernel: tf.randomNormal([k === 0 ? inputWidth : shape[k - 1].width, width], 0, 0.5, 'float32', seed + 2 * k + 1),
            bias: bias ? tf.randomNormal([width], 0, 0.5, 'float32', seed + 2 * k + 2) : undefined,
            activation
        }));
        const parameters = layers.flatMap(l => l.bias ? [l.kernel, l.bias] : [l.kernel]);
        const weights = tf.randomNormal([rows, shape[shape.length - 1].width], 0, 1, 'float32', seed + 99);
        const lossOf = (y: tf.Tensor) => tf.sum(tf.mul(y, weights)) as tf.Scalar;
        const gradientsOf = (stack: (input: tf.Tensor) => tf.Tensor) =>
            tf.grads((input: tf.Tensor, ...ps: tf.Tensor[]) => { void ps; return lossOf(stack(input)); })([x, ...parameters]);
        const ours = [denseStack(x, layers), ...gradientsOf(input => denseStack(input, layers))];
        const reference = [tf.tidy(() => plainChain(x, layers)), ...gradientsOf(input => plainChain(input, layers))];
        const previous = useFusedDenseOnWasm(false);
        const unfused = [denseStack(x, layers), ...gradientsOf(input => denseStack(input, layers))];
        useFusedDenseOnWasm(previous);
        ours.forEach((value, i) => {
            expect(value.shape).toEqual(reference[i].shape);
            expect(relativeError(value, reference[i])).toBeLessThan(1e-5);
            if (shape.every(l => l.activation === 'relu' || l.activation === 'linear')) expect(maxAbsDifference(value, unfused[i])).toBe(0);
        });
        tf.dispose([x, weights, ...parameters, ...ours, ...reference, ...unfused]);
        };
        const products = ownWasmGemmStats().products;
        await fc.assert(fc.asyncProperty(
            // Batches from 1 to past 64 rows (from 64 our WASM kernel takes the products), widths multiples of 4 and not.
            fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 40 }),
            fc.array(fc.record({ width: fc.integer({ min: 1, max: 24 }), activation: fc.constantFrom<DenseActivation>('relu', 'tanh', 'sigmoid', 'linear'), bias: fc.boolean() }), { minLength: 1, maxLength: 3 }),
            fc.integer({ min: 0, max: 1000 }),
            async (rows, inputWidth, shape, seed) => {
                // Run twice: the count after the second run equals that before it (a first run may make cached constants).
                compare(rows, inputWidth, shape, seed);
                const before = tf.memory().numTensors;
                compare(rows, inputWidth, shape, seed);
                expect(tf.memory().numTensors).toBe(before);
            }), { numRuns: 40, seed: 14 });
        // Some of the products went straight to our kernel (it takes those of 64 rows and more).
        expect(ownWasmGemmStats().products).toBeGreaterThan(products);
    });

    it('computes the AND-even shapes (784 → 400 relu → 2 linear, batch 64) as the plain chain does, bit for bit', async () => {
        await initBackend('wasm');
        const x = tf.randomUniform([64, 784], 0, 1, 'float32', 5);
        const layers: DenseLayer[] = [
            { kernel: tf.randomNormal([784, 400], 0, 0.05, 'float32', 6), bias: tf.randomNormal([400], 0, 0.1, 'float32', 7), activation: 'relu' },
            { kernel: tf.randomNormal([400, 2], 0, 0.05, 'float32', 8), bias: tf.randomNormal([2], 0, 0.1, 'float32', 9), activation: 'linear' }
        ];
        const variables = layers.flatMap(l => [l.kernel, l.bias!]);
        const target = tf.randomNormal([64, 2], 0, 1, 'float32', 10);
        const run = (stack: (input: tf.Tensor) => tf.Tensor) => [stack(x), ...tf.grads((...ps: tf.Tensor[]) => { void ps; return tf.sum(tf.mul(stack(x), target)) as tf.Scalar; })(variables)];
        const ours = run(input => denseStack(input, layers));
        const reference = run(input => plainChain(input, layers));
        // Not a vacuous comparison: the relu layer has units on and off, and the gradients are not zero.
        const hidden = tf.tidy(() => tf.relu(tf.add(tf.matMul(x, layers[0].kernel as tf.Tensor2D), layers[0].bias!)).greater(0).mean().dataSync()[0]);
        expect(hidden).toBeGreaterThan(0.1);
        expect(hidden).toBeLessThan(0.9);
        ours.forEach((value, i) => {
            expect(value.shape).toEqual(reference[i].shape);
            expect(maxAbsDifference(value, reference[i])).toBe(0);
            expect(tf.tidy(() => tf.max(tf.abs(value)).dataSync()[0])).toBeGreaterThan(0);
        });
        tf.dispose([x, target, ...variables, ...ours, ...reference]);
    });
});
