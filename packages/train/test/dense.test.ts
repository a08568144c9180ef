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
import { initBackend } from '@cajal/runtime';
import { buildModel, denseLayersOf, denseStack, externNetwork } from '@cajal/train';

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
