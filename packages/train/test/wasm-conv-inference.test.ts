/**
 * Inference from saved weights (`cajal run --weights`: loadLinkedNetworks) convolves on our
 * direct SIMD kernels on tfjs-WASM, as training does: a file of its own, so that nothing in the
 * process registered them before loadLinkedNetworks. The saved `cnn` digit reader, loaded on
 * WASM, runs its convolutions on the kernels and gives the CPU backend's outputs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { resolveArchitecture, fnN, RealT, natOf } from '@cajal/language';
import { initBackend } from '@cajal/runtime';
import { buildModel, directConvPasses, externNetwork, loadLinkedNetworks, saveNetworks } from '@cajal/train';
import { temporaryDirectory } from './helpers.js';

describe('loaded networks on tfjs-WASM', () => {
    afterAll(async () => { await initBackend('cpu'); });

    it('run their convolutions on our kernels (the digit reader, cnn(8, 16, kernel = 5)) and give the CPU backend\'s outputs', async () => {
        const directory = temporaryDirectory();
        try {
            await initBackend('cpu');
            const type = fnN([new RealT([28, 28])], natOf(10));
            const result = resolveArchitecture({ architecture: 'cnn', args: [{ value: '8' }, { value: '16' }, { key: 'kernel', value: '5' }, { key: 'pool', value: '3' }, { key: 'pooling', value: 'last' }] }, type);
            if (!result.ok) throw new Error(result.message);
            const model = buildModel('reader', result.resolved, 5);
            await saveNetworks(path.join(directory, 'w'), [externNetwork('reader', type, result.resolved, model)], { train: 'reader', epoch: 1 });
            model.dispose();
            const images = Float32Array.from({ length: 2 * 784 }, (_, k) => Math.max(0, Math.sin(k * 0.37) * Math.cos(k * 0.11)));
            const outputs = async () => {
                const networks = await loadLinkedNetworks(path.join(directory, 'w'));
                return tf.tidy(() => Array.from((networks.reader(tf.tensor3d(images, [2, 28, 28])) as tf.Tensor).dataSync()));
            };
            const onCpu = await outputs();
            await initBackend('wasm');
            const before = directConvPasses();
            const onWasm = await outputs();
            expect(directConvPasses() - before, 'forward passes on our kernels').toBe(2);
            expect(onWasm.length).toBe(20);
            onWasm.forEach((v, i) => expect(Math.abs(v - onCpu[i]), `output ${i}: ${v}, CPU ${onCpu[i]}`).toBeLessThan(1e-4 * (1 + Math.abs(onCpu[i]))));
        } finally {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    }, 60_000);
});
