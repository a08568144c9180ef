/**
 * FusedAdam (the training loop's Adam: one WebAssembly SIMD pass per variable) against
 * tf.train.adam: from the same weights and the same gradients, every weight after every step
 * is the same float32 number (bit-identical), on both tfjs backends; this covers variables
 * whose size is not a multiple of the kernel's four lanes, non-default hyper-parameters and
 * gradients of very different magnitudes. (tf.train.adam keeps its moments by the position of
 * a variable in the gradient map, so a step missing one variable's gradient shifts the others'
 * moments; FusedAdam keeps them by variable, as torch.optim.Adam does: that step leaves the
 * variable alone and the others' updates unchanged — the last test.)
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@cajal/runtime';
import { FusedAdam } from '@cajal/train';

/** Seeded gradients: mostly small, some large, some exactly zero. */
function gradient(shape: number[], seed: number): tf.Tensor {
    return tf.tidy(() => {
        const normal = tf.randomNormal(shape, 0, 1, 'float32', seed);
        const scale = tf.where(tf.greater(tf.randomUniform(shape, 0, 1, 'float32', seed + 1), 0.9), tf.scalar(1000), tf.scalar(0.01));
        const zero = tf.greater(tf.randomUniform(shape, 0, 1, 'float32', seed + 2), 0.95);
        return tf.where(zero, tf.zerosLike(normal), tf.mul(normal, scale));
    });
}

for (const backend of ['cpu', 'wasm'] as const) {
    describe(`FusedAdam on ${backend}`, () => {
        it('is available here (Node has WebAssembly SIMD)', () => {
            expect(FusedAdam.available()).toBe(true);
        });

        for (const settings of [{ lr: 0.001 }, { lr: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-4 }]) {
            it(`updates weights bit-identically to tf.train.adam over 6 steps (${JSON.stringify(settings)})`, async () => {
                await initBackend(backend);
                const shapes = [[7, 5], [3], [33, 4]]; // 35 and 3 floats: not whole vectors of four
                const start = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 100 + i));
                const reference = start.map((t, i) => tf.variable(t.clone(), true, `reference${backend}${settings.lr}_${i}`));
                const fused = start.map((t, i) => tf.variable(t.clone(), true, `fused${backend}${settings.lr}_${i}`));
                const stock = tf.train.adam(settings.lr, settings.beta1, settings.beta2, settings.epsilon);
                const ours = new FusedAdam(settings.lr, settings.beta1, settings.beta2, settings.epsilon);
                for (let step = 0; step < 6; step++) {
                    const grads = shapes.map((shape, i) => gradient(shape, 1000 * step + 10 * i));
                    const named = (variables: tf.Variable[]) => Object.fromEntries(variables.map((v, i) => [v.name, grads[i]]));
                    stock.applyGradients(named(reference) as tf.NamedTensorMap as Parameters<typeof stock.applyGradients>[0]);
                    ours.applyGradients(fused, named(fused));
                    tf.dispose(grads);
                    reference.forEach((v, i) => {
                        const expected = v.dataSync();
                        const actual = fused[i].dataSync();
                        expect(actual.length).toBe(expected.length);
                        for (let j = 0; j < expected.length; j++) {
                            if (!Object.is(actual[j], expected[j])) expect(actual[j], `step ${step}, variable ${i}, entry ${j}`).toBe(expected[j]);
                        }
                    });
                }
                // The weights moved: the comparison is not of untouched values.
                expect(tf.tidy(() => tf.max(tf.abs(tf.sub(fused[0], start[0]))).dataSync()[0])).toBeGreaterThan(0);
                tf.dispose([...start, ...reference, ...fused]);
                stock.dispose();
            });
        }

        it('leaves a variable without a gradient alone and updates the others as if it were absent', async () => {
            await initBackend(backend);
            const a = tf.variable(tf.randomNormal([10], 0, 1, 'float32', 7), true, `a${backend}`);
            const b = tf.variable(tf.randomNormal([6], 0, 1, 'float32', 8), true, `b${backend}`);
            const aAlone = tf.variable(a.clone(), true, `aAlone${backend}`);
            const ours = new FusedAdam(0.01), alone = new FusedAdam(0.01);
            const bStart = Array.from(b.dataSync());
            let bBefore: number[] = bStart;
            for (let step = 0; step < 3; step++) {
                bBefore = Array.from(b.dataSync());
                const g = gradient([10], 50 + step);
                const grads: tf.NamedTensorMap = { [a.name]: g };
                if (step !== 1) grads[b.name] = gradient([6], 60 + step);
                ours.applyGradients([a, b], grads);
                alone.applyGradients([aAlone], { [aAlone.name]: g });
                if (step === 1) expect(Array.from(b.dataSync())).toEqual(bBefore);
                tf.dispose(Object.values(grads));
                expect(Array.from(a.dataSync())).toEqual(Array.from(aAlone.dataSync()));
            }
            expect(Array.from(b.dataSync())).not.toEqual(bStart);
            tf.dispose([a, b, aAlone]);
        });
    });
}
