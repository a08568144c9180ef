/**
 * `loss softmax_cross_entropy` (on logits) and `clip_norm` (global gradient-norm clipping) on
 * both engines, against hand-computed values:
 * - the loss of a few logit rows, large ones included (stable log-sum-exp), in tfjs and in
 *   python/cajal_torch.py's loss_of;
 * - clipping gradients of a known norm, in tfjs and with the torch trainer's call;
 * - one SGD step with clipping moves the weights by exactly lr · clip_norm (the gradient's
 *   norm is far above the clip), on both engines, and the two engines' weights agree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@cajal/runtime';
import { clipByGlobalNorm, loadNetworks, lossOf, prepareTraining, runTorchTraining, runTraining, torchTrainerScript } from '@cajal/train';
import { loadTraining, temporaryDirectory, writePoints } from './helpers.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';

function python(script: string): unknown {
    const run = spawnSync(TORCH_PYTHON, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(path.dirname(torchTrainerScript()))})\n${script}`], { encoding: 'utf-8', timeout: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout);
}

// Rows of logits with one-hot targets; the expected losses by hand:
// [2, 0] target 0: log(1 + e^-2) = 0.126928…; [0, 0, 0] target 2: log 3 = 1.098612…;
// [1000, 0] target 1: 1000 + log(1 + e^-1000) = 1000 (a naive softmax overflows).
const LOGITS = [[2, 0], [0, 0, 0], [1000, 0]];
const TARGETS = [[1, 0], [0, 0, 1], [0, 1]];
const EXPECTED = [Math.log(1 + Math.exp(-2)), Math.log(3), 1000];

describe('softmax_cross_entropy', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('is the mean of −log softmax(logits)[target] on tfjs, stable for large logits', () => {
        LOGITS.forEach((row, i) => {
            const loss = lossOf('softmax_cross_entropy', tf.tensor2d([row]), tf.tensor2d([TARGETS[i]])).dataSync()[0];
            expect(loss).toBeCloseTo(EXPECTED[i], 4);
        });
        // A batch is the mean of its rows.
        const batch = lossOf('softmax_cross_entropy', tf.tensor2d([[2, 0], [0, 2]]), tf.tensor2d([[1, 0], [1, 0]])).dataSync()[0];
        expect(batch).toBeCloseTo((Math.log(1 + Math.exp(-2)) + 2 + Math.log(1 + Math.exp(-2))) / 2, 5);
    });

    it('is the same on the torch engine', () => {
        const losses = python(`
import json, torch, cajal_torch
rows = ${JSON.stringify(LOGITS)}
targets = ${JSON.stringify(TARGETS)}
print(json.dumps([cajal_torch.loss_of("softmax_cross_entropy", torch.tensor([r], dtype=torch.float32), torch.tensor([t], dtype=torch.float32)).item() for r, t in zip(rows, targets)]))
`) as number[];
        losses.forEach((loss, i) => expect(loss).toBeCloseTo(EXPECTED[i], 4));
    });
});

describe('clip_norm', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('scales gradients of global norm 13 down to the clip, and leaves smaller ones alone (tfjs)', () => {
        // Global norm over both tensors: sqrt(3² + 4² + 12²) = 13.
        const gradients = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
        const clipped = clipByGlobalNorm(gradients, 1.3);
        expect(clipped.norm).toBeCloseTo(13, 4);
        expect(Array.from(clipped.gradients.a.dataSync())).toEqual([expect.closeTo(0.3, 5), expect.closeTo(0.4, 5)]);
        expect(clipped.gradients.b.dataSync()[0]).toBeCloseTo(1.2, 5);
        const kept = clipByGlobalNorm(gradients, 20);
        expect(Array.from(kept.gradients.a.dataSync())).toEqual([3, 4]);
    });

    it('is torch.nn.utils.clip_grad_norm_ on the torch engine (the same numbers)', () => {
        const grads = python(`
import json, torch
a = torch.zeros(2, requires_grad=True); b = torch.zeros(1, requires_grad=True)
a.grad = torch.tensor([3.0, 4.0]); b.grad = torch.tensor([12.0])
norm = torch.nn.utils.clip_grad_norm_([a, b], 1.3)
print(json.dumps([norm.item()] + a.grad.tolist() + b.grad.tolist()))
`) as number[];
        expect(grads[0]).toBeCloseTo(13, 4);
        expect(grads.slice(1)).toEqual([expect.closeTo(0.3, 5), expect.closeTo(0.4, 5), expect.closeTo(1.2, 5)]);
    });

    it('one clipped SGD step moves the weights by lr · clip_norm on both engines, and they agree', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 64);
        // Raw outputs scaled up so that the first gradient is far above the clip.
        fs.writeFileSync(path.join(directory, 'clip.cajal'), `
extern side : Real[2] -o Bool = mlp(8, output = raw)
train clip {
  data "points.jsonl" (x : Real[2], above : Bool);
  model side x;
  target above;
  loss softmax_cross_entropy; optimizer sgd; lr 0.5; clip_norm 0.001;
  epochs 1; batch 16; seed 4; examples 16; test 8;
}
`);
        const flat = (model: tf.LayersModel) => model.getWeights().flatMap(w => Array.from(w.dataSync()));
        const { services, training } = await loadTraining(path.join(directory, 'clip.cajal'));

        const tfjsPrepared = await prepareTraining(training, services);
        const before = flat(tfjsPrepared.networks.get('side')!.model);
        await runTraining(tfjsPrepared, { weightsDirectory: path.join(directory, 'tfjs') });
        const tfjsAfter = flat((await loadNetworks(path.join(directory, 'tfjs'))).get('side')!.model);
        tfjsPrepared.dispose();

        const torchPrepared = await prepareTraining(training, services);
        expect(flat(torchPrepared.networks.get('side')!.model)).toEqual(before);
        await runTorchTraining(torchPrepared, { weightsDirectory: path.join(directory, 'torch'), torch: { python: TORCH_PYTHON } });
        const torchAfter = flat((await loadNetworks(path.join(directory, 'torch'))).get('side')!.model);
        torchPrepared.dispose();

        const stepNorm = (after: number[]) => Math.sqrt(after.reduce((total, w, i) => total + (w - before[i]) ** 2, 0));
        // |Δw| = lr · clip_norm · norm/(norm + 1e-6) = 0.0005 (to 1e-6 relative).
        expect(stepNorm(tfjsAfter)).toBeCloseTo(0.0005, 6);
        expect(stepNorm(torchAfter)).toBeCloseTo(0.0005, 6);
        torchAfter.forEach((w, i) => expect(Math.abs(w - tfjsAfter[i])).toBeLessThan(1e-6));
    });
});
