/**
 * The losses and quality measures of a batch, and gradient clipping: the same formulas as
 * python/cajal_torch.py, so both engines optimise and report the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossName } from '@cajal/language';

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
