/**
 * The losses and quality measures of a batch, and gradient clipping: the same formulas as
 * python/cajal_torch.py, so both engines optimise and report the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossName } from '@cajal/language';
import { runOpSharingSaved, tapeEngine } from '@cajal/runtime';

/** The mean loss of a batch [batch, dim] (python/cajal_torch.py's loss_of computes the same). */
export function lossOf(loss: LossName, prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
    switch (loss) {
        case 'cross_entropy': return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(tf.clipByValue(prediction, 1e-7, 1))), 1))) as tf.Scalar;
        // On logits, as torch.nn.CrossEntropyLoss: logSoftmax subtracts the row's log-sum-exp (stable for large logits).
        case 'softmax_cross_entropy': return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(prediction, 1)), 1))) as tf.Scalar;
        case 'l1': return tf.mean(tf.abs(tf.sub(prediction, target)));
        case 'l2': return tf.mean(tf.square(tf.sub(prediction, target)));
    }
}

/** Per-example correct predictions (discrete) or PSNR in dB (Real), summed over the batch. */
export function qualitySum(discrete: boolean, prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
    if (discrete) return tf.sum(tf.cast(tf.equal(tf.argMax(prediction, 1), tf.argMax(target, 1)), 'float32'));
    const mse = tf.maximum(tf.mean(tf.square(tf.sub(prediction, target)), 1), 1e-10);
    return tf.sum(tf.mul(-10 / Math.LN10, tf.log(mse))) as tf.Scalar;
}

/** A training batch's mean loss, on the gradient tape, and its summed quality, read once the step is done. */
export interface BatchLoss {
    readonly loss: tf.Scalar;
    /** Correct examples (discrete) or summed PSNR; disposes what it kept. */
    quality(): number;
}

/**
 * The loss and quality of a training batch. softmax_cross_entropy on a discrete model is one
 * op (softmaxCrossEntropyAndCorrect); the rest are lossOf and qualitySum on the tape.
 */
export function batchLoss(loss: LossName, discrete: boolean, prediction: tf.Tensor, target: tf.Tensor): BatchLoss {
    if (loss === 'softmax_cross_entropy' && discrete && prediction.rank === 2) {
        const { loss: value, correct } = softmaxCrossEntropyAndCorrect(prediction, target);
        return { loss: value, quality: () => correct };
    }
    const quality = tf.keep(qualitySum(discrete, prediction, target));
    return {
        loss: lossOf(loss, prediction, target),
        quality: () => {
            const value = quality.dataSync()[0];
            quality.dispose();
            return value;
        }
    };
}

/**
 * softmax_cross_entropy of logits [batch, dim] against targets (lossOf's formula) and the
 * number of rows whose largest logit is the target's largest entry (qualitySum's, first index
 * on ties), in one pass over the rows in JavaScript, as one op on the gradient tape with a
 * hand-written gradient. Batches of a classifier are small ([64, 2] for AND-even), and
 * through tfjs ops the two took about 30 kernels and their tape records a step, the
 * backward pass a dozen more. Per row, with m = max z and lse = m + log Σ exp(z − m):
 *   loss = −(1/batch) Σ_rows Σ_j t_j (z_j − lse)
 *   ∂loss/∂z_j = (softmax(z)_j · Σ_k t_k − t_j) / batch,  ∂loss/∂t_j = −(z_j − lse) / batch
 * summed in double precision (tfjs's float32 ops agree to rounding; test/losses.test.ts).
 */
export function softmaxCrossEntropyAndCorrect(prediction: tf.Tensor, target: tf.Tensor): { loss: tf.Scalar; correct: number } {
    if (prediction.rank !== 2 || target.shape.length !== 2 || target.shape[0] !== prediction.shape[0] || target.shape[1] !== prediction.shape[1]) {
        throw new Error(`softmaxCrossEntropyAndCorrect: logits [${prediction.shape.join(', ')}] and targets [${target.shape.join(', ')}] must both be [batch, dim]`);
    }
    const [batch, dim] = prediction.shape as [number, number];
    let correct = 0;
    /** The mean loss, the correct rows and, when asked, ∂loss/∂z. */
    const pass = (withGradient: boolean): { loss: number; gradient?: Float32Array } => {
        const z = prediction.dataSync() as Float32Array;
        const t = target.dataSync() as Float32Array;
        const gradient = withGradient ? new Float32Array(batch * dim) : undefined;
        let total = 0;
        correct = 0;
        for (let row = 0, o = 0; row < batch; row++, o += dim) {
            let max = -Infinity, predicted = 0, expected = 0;
            for (let j = 0; j < dim; j++) {
                if (z[o + j] > max) { max = z[o + j]; predicted = j; }
                if (t[o + j] > t[o + expected]) expected = j;
            }
            if (predicted === expected) correct++;
            let sumExp = 0;
            for (let j = 0; j < dim; j++) sumExp += Math.exp(z[o + j] - max);
            const lse = max + Math.log(sumExp);
            let rowTarget = 0;
            for (let j = 0; j < dim; j++) {
                total -= t[o + j] * (z[o + j] - lse);
                rowTarget += t[o + j];
            }
            if (gradient) for (let j = 0; j < dim; j++) gradient[o + j] = (Math.exp(z[o + j] - lse) * rowTarget - t[o + j]) / batch;
        }
        return { loss: total / batch, gradient };
    };
    const engine = tapeEngine();
    if (!engine.isTapeOn()) return { loss: tf.scalar(pass(false).loss), correct };
    const loss = runOpSharingSaved({
        inputs: { prediction, target },
        forwardFunc: (_backend, save) => {
            const { loss: value, gradient } = pass(true);
            save([tf.tensor2d(gradient!, [batch, dim]), prediction]);
            return tf.scalar(value);
        },
        backwardsFunc: (dy, [gradient, logits]) => ({
            prediction: () => tf.mul(gradient, dy),
            target: () => tf.mul(tf.logSoftmax(logits, 1), tf.div(dy, -batch))
        })
    }) as tf.Scalar;
    return { loss, correct };
}

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_ does (factor maxNorm / (norm + 1e-6), only when below 1).
 * Returns new tensors; the caller disposes the inputs.
 */
export function clipByGlobalNorm(gradients: tf.NamedTensorMap, maxNorm: number): { gradients: tf.NamedTensorMap; norm: number } {
    const names = Object.keys(gradients);
    const norm = tf.tidy(() => names.length === 0 ? 0 : tf.sqrt(tf.addN(names.map(name => tf.sum(tf.square(gradients[name]))))).dataSync()[0]);
    const factor = Math.min(1, maxNorm / (norm + 1e-6));
    const clipped: tf.NamedTensorMap = {};
    for (const name of names) clipped[name] = factor < 1 ? tf.mul(gradients[name], factor) : tf.clone(gradients[name]);
    return { gradients: clipped, norm };
}
