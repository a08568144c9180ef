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
import { batchLoss, clipByGlobalNorm, loadNetworks, lossOf, prepareTraining, qualitySum, runTorchTraining, runTraining, softmaxCrossEntropyAndCorrect, torchTrainerScript } from '@cajal/train';
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

/** Largest |a − b| relative to the largest |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
    let difference = 0, scale = 0;
    for (let i = 0; i < b.length; i++) {
        difference = Math.max(difference, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(b[i]));
    }
    return difference / Math.max(scale, 1e-30);
}

for (const backend of ['cpu', 'wasm'] as const) {
    describe(`softmax_cross_entropy of a training batch as one op (${backend})`, () => {
        beforeAll(async () => { await initBackend(backend); });
        // Logits with ties, a large row and a row tied in its target; one-hot targets, and soft
        // targets whose rows do not sum to 1 (so the gradient's Σ_k t_k factor matters).
        const logits = () => tf.tensor2d([[2, 0, -1], [0, 0, 0], [1000, 0, 3], [-0.5, 1.5, 1.5], [0.3, -2, 0.1], [1, 2, 3]]);
        const oneHot = () => tf.tensor2d([[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]]);
        const soft = () => tf.tensor2d([[0.2, 0.5, 0.1], [1, 1, 0], [0.3, 0.3, 0.4], [0, 0.5, 0.5], [2, 0, 1], [0.1, 0.1, 0.1]]);

        for (const [name, targets] of [['one-hot', oneHot], ['soft', soft]] as const) {
            it(`${name} targets: the loss, the correct rows and the gradients (logits, targets) equal the tape's through lossOf and qualitySum`, () => {
                const z = logits(), t = targets();
                const reference = tf.grads((z: tf.Tensor, t: tf.Tensor) => lossOf('softmax_cross_entropy', z, t))([z, t]);
                const ours = tf.grads((z: tf.Tensor, t: tf.Tensor) => softmaxCrossEntropyAndCorrect(z, t).loss)([z, t]);
                const { loss, correct } = softmaxCrossEntropyAndCorrect(z, t);
                expect(loss.dataSync()[0]).toBeCloseTo(lossOf('softmax_cross_entropy', z, t).dataSync()[0], 4);
                expect(correct).toBe(qualitySum(true, z, t).dataSync()[0]);
                reference.forEach((g, i) => {
                    expect(ours[i].shape).toEqual(g.shape);
                    expect(relativeError(ours[i].dataSync(), g.dataSync())).toBeLessThan(1e-5);
                });
                // The comparison catches a wrong derivative: softmax − t (the one-hot case's
                // formula, no Σ_k t_k) differs from the tape's on soft targets by far more than
                // the tolerance; on one-hot targets it is the same.
                const softmaxMinusTarget = tf.tidy(() => tf.div(tf.sub(tf.softmax(z), t), z.shape[0]).dataSync());
                expect(relativeError(softmaxMinusTarget, reference[0].dataSync()) < 1e-5).toBe(name === 'one-hot');
                // So does one off by a factor (the mean's 1/batch applied twice).
                expect(relativeError(tf.div(ours[0], z.shape[0]).dataSync(), reference[0].dataSync())).toBeGreaterThan(0.5);
                tf.dispose([z, t, loss, ...reference, ...ours]);
            });
        }

        it('counts ties as qualitySum does (the first largest entry) and checks shapes', () => {
            const { correct } = softmaxCrossEntropyAndCorrect(tf.tensor2d([[1, 1], [0, 0], [2, 2]]), tf.tensor2d([[1, 0], [0, 1], [0.5, 0.5]]));
            expect(correct).toBe(2);
            expect(() => softmaxCrossEntropyAndCorrect(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 0, 0]]))).toThrow('logits [1, 2] and targets [1, 3] must both be [batch, dim]');
        });

        it('is what a training step of a discrete model uses; other losses keep lossOf and qualitySum', () => {
            const z = logits(), t = oneHot();
            const fused = batchLoss('softmax_cross_entropy', true, z, t);
            const other = batchLoss('cross_entropy', true, tf.softmax(z), t);
            expect(fused.quality()).toBe(3);
            expect(other.quality()).toBe(3);
            expect(other.loss.dataSync()[0]).toBeCloseTo(lossOf('cross_entropy', tf.softmax(z), t).dataSync()[0], 6);
            expect(fused.loss.dataSync()[0]).toBeCloseTo(lossOf('softmax_cross_entropy', z, t).dataSync()[0], 4);
        });
    });
}

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
