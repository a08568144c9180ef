/**
 * The part of tfjs-core's Engine that ops with a hand-written backward pass use (public
 * methods of the class, not in its typings' facade): whether the gradient tape records, and
 * running a function as one op on it.
 */
import * as tf from '@tensorflow/tfjs';

export interface TapeEngine {
    isTapeOn(): boolean;
    /**
     * Runs `forwardFunc` with the tape paused and records one op: its backward pass gets the
     * output's gradient and the tensors given to `save` (the engine disposes them after it),
     * and returns a gradient function per input, called only for inputs that need one.
     */
    runKernelFunc(params: {
        forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
        backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
        inputs: Record<string, tf.Tensor>;
    }): tf.Tensor;
}

export function tapeEngine(): TapeEngine {
    return tf.engine() as unknown as TapeEngine;
}
