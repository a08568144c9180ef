/**
 * runOpSharingSaved (src/tape.ts): an op with a hand-written backward pass whose saved tensors
 * share their data instead of going through the engine's Identity clones. Against the same op
 * run by the engine's runKernelFunc, on both backends: the same gradients; no Identity kernel;
 * nothing leaked after the gradients, also when a saved tensor was an intermediate its
 * caller's tidy disposed; and gradients of gradients, which need the engine's clones, still
 * right (the engine saves there).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, runOpSharingSaved, tapeEngine } from '@cajal/runtime';

/** x ↦ Σ_j x_ij² w_j per row, as one op that saves x and w (an intermediate in the caller's tidy) for its backward pass. */
function weightedSquares(x: tf.Tensor2D, w: tf.Tensor1D, run: typeof runOpSharingSaved): tf.Tensor {
    return tf.tidy(() => {
        // An intermediate: disposed when this tidy ends, before any backward pass.
        const doubled = tf.mul(w, 2);
        const inputs = { x, doubled };
        if (!tapeEngine().isTapeOn()) return tf.sum(tf.mul(tf.square(x), tf.div(doubled, 2)), 1);
        return run({
            inputs,
            forwardFunc: (_backend, save) => {
                save([x, doubled]);
                return tf.sum(tf.mul(tf.square(x), tf.div(doubled, 2)), 1);
            },
            backwardsFunc: (dy, [xSaved, doubledSaved]) => ({
                x: () => tf.mul(tf.mul(xSaved, doubledSaved), tf.expandDims(dy, 1)),
                doubled: () => tf.div(tf.sum(tf.mul(tf.square(xSaved), tf.expandDims(dy, 1)), 0), 2)
            })
        });
    });
}

const byEngine: typeof runOpSharingSaved = params => tapeEngine().runKernelFunc(params);

for (const backend of ['cpu', 'wasm'] as const) {
    describe(`runOpSharingSaved on ${backend}`, () => {
        it('gives the engine\'s gradients without Identity kernels for its saved tensors, and leaks nothing', async () => {
            await initBackend(backend);
            const x = tf.randomNormal([5, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
            const w = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 2) as tf.Tensor1D, true, `tapeTestW_${backend}`);
            const target = tf.randomNormal([5], 0, 1, 'float32', 3);
            const step = (run: typeof runOpSharingSaved) => {
                const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(weightedSquares(x, w, run), target)) as tf.Scalar, [w]);
                const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(weightedSquares(input as tf.Tensor2D, w, run), target)))(x);
                return [value, grads[`tapeTestW_${backend}`], dx];
            };
            const reference = step(byEngine);
            step(runOpSharingSaved).forEach(t => t.dispose()); // a first run may make cached constants
            const before = tf.memory().numTensors;
            const ours = step(runOpSharingSaved);
            ours.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(reference[i].dataSync())));
            expect(tf.tidy(() => tf.max(tf.abs(ours[1])).dataSync()[0])).toBeGreaterThan(0);
            tf.dispose(ours);
            expect(tf.memory().numTensors).toBe(before);
            const identities = async (run: typeof runOpSharingSaved) =>
                (await tf.profile(() => tf.dispose(step(run)))).kernels.filter(k => k.name === 'Identity').length;
            // The other ops on the tape clone what they save; the op's two saved tensors, in each of the two gradients, are not cloned.
            expect(await identities(byEngine) - await identities(runOpSharingSaved)).toBe(2 * 2);
            tf.dispose([x, w, target, ...reference]);
        });

        it('gives the engine\'s gradients of gradients (it saves as the engine there)', async () => {
            await initBackend(backend);
            const x = tf.randomNormal([4, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
            const w = tf.randomNormal([3], 0, 1, 'float32', 5) as tf.Tensor1D;
            const second = (run: typeof runOpSharingSaved) =>
                tf.grad((input: tf.Tensor) => tf.sum(tf.square(tf.grad((inner: tf.Tensor) => tf.sum(weightedSquares(inner as tf.Tensor2D, w, run)))(input))))(x);
            const ours = second(runOpSharingSaved), reference = second(byEngine);
            expect(Array.from(ours.dataSync())).toEqual(Array.from(reference.dataSync()));
            expect(tf.tidy(() => tf.max(tf.abs(ours)).dataSync()[0])).toBeGreaterThan(0);
            tf.dispose([x, w, ours, reference]);
        });
    });
}
