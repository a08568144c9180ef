import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadNetworks, prepareTraining, readManifest, runTorchTraining, runTraining } from '@cajal/train';
import { POINTS_PROGRAM, loadTraining, temporaryDirectory, writePoints } from './helpers.js';

describe('training a linked model', () => {
    it('lowers the loss of a tiny linked model on synthetic data, and saved weights reload to the same predictions', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 400);
        const file = path.join(directory, 'points.cajal');
        fs.writeFileSync(file, POINTS_PROGRAM);
        const { services, training } = await loadTraining(file);
        const prepared = await prepareTraining(training, services, { backend: 'cpu' });
        const weights = path.join(directory, 'weights');
        const events: string[] = [];
        const result = await runTraining(prepared, { weightsDirectory: weights, onEvent: e => events.push(e.event), backend: 'cpu' });

        expect(result.cancelled).toBe(false);
        expect(result.epochs).toBe(6);
        expect(result.examples).toBe(256);
        const first = result.history[0], last = result.history[result.history.length - 1];
        expect(last.loss).toBeLessThan(first.loss * 0.7);
        expect(last.testAccuracy).toBeGreaterThan(0.85);
        expect(events[0]).toBe('start');
        expect(events.filter(e => e === 'epoch')).toHaveLength(6);
        expect(events[events.length - 1]).toBe('done');

        // History files exist and agree with the result.
        const history = JSON.parse(fs.readFileSync(path.join(weights, 'history.json'), 'utf-8'));
        expect(history.history).toHaveLength(6);
        expect(history.history[5].loss).toBeCloseTo(last.loss, 10);
        const csv = fs.readFileSync(path.join(weights, 'history.csv'), 'utf-8').trim().split('\n');
        expect(csv[0]).toBe('epoch,examplesSeen,seconds,loss,accuracy,psnr,testLoss,testAccuracy,testPsnr');
        expect(csv).toHaveLength(7);
        expect(fs.readFileSync(path.join(weights, 'history.svg'), 'utf-8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);

        // Reload the saved network and compare its predictions with the trained one in memory.
        const manifest = readManifest(weights);
        expect(manifest.epoch).toBe(6);
        expect(manifest.externs.below.parameters).toBe(2 * 8 + 8 + 8 * 2 + 2);
        const loaded = await loadNetworks(weights);
        const inputs = tf.tensor2d([[0.3, -0.2], [-0.5, 0.9], [0.1, 0.1], [0.8, 0.7]]);
        const inMemory = prepared.networks.get('below')!.call([inputs]);
        const reloaded = loaded.get('below')!.call([inputs]);
        const a = Array.from(inMemory.dataSync()), b = Array.from(reloaded.dataSync());
        expect(b).toHaveLength(8);
        b.forEach((value, i) => expect(value).toBeCloseTo(a[i], 6));
        // A softmax output: each example's Bool is a distribution.
        expect(b[0] + b[1]).toBeCloseTo(1, 5);
        prepared.dispose();
    });

    it('refuses the block\'s overrides at run time: prepareTraining sizes the run from them, so a run would ignore them', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 200);
        const file = path.join(directory, 'points.cajal');
        fs.writeFileSync(file, POINTS_PROGRAM);
        const { services, training } = await loadTraining(file);
        const prepared = await prepareTraining(training, services, { backend: 'cpu', epochs: 1 });
        try {
            // From JavaScript, where the types do not stop it (RunTrainingOptions has no epochs).
            const withOverrides = { weightsDirectory: null, backend: 'cpu', epochs: 2, lr: 0.1 } as never;
            await expect(runTraining(prepared, withOverrides)).rejects.toThrow("runTraining: 'epochs', 'lr' are options of prepareTraining, which sizes the data and the run; pass them there.");
            await expect(runTorchTraining(prepared, { weightsDirectory: null, seed: 3 } as never)).rejects.toThrow("runTorchTraining: 'seed' is an option of prepareTraining");
            // Nothing was started or spoiled: the same prepared training runs, for the epochs it was prepared with.
            const result = await runTraining(prepared, { weightsDirectory: null, backend: 'cpu' });
            expect(result.epochs).toBe(1);
        } finally {
            prepared.dispose();
        }
    });

    it('is reproducible: the same seed gives the same losses', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 200);
        const file = path.join(directory, 'points.cajal');
        fs.writeFileSync(file, POINTS_PROGRAM);
        const losses = [];
        for (let run = 0; run < 2; run++) {
            const { services, training } = await loadTraining(file);
            const prepared = await prepareTraining(training, services, { backend: 'cpu', epochs: 2 });
            const result = await runTraining(prepared, { weightsDirectory: null, backend: 'cpu' });
            losses.push(result.history.map(h => h.loss));
            prepared.dispose();
        }
        expect(losses[0]).toEqual(losses[1]);
    });
});
