/**
 * The part of tfjs-core's Engine that ops with a hand-written backward pass use (public
 * methods of the class, not in its typings' facade): whether the gradient tape records, and
 * running a function as one op on it.
 */
import * as tf from '@tensorflow/tfjs';

type ForwardFunc = (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
type BackwardsFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;

export interface TapeEngine {
    isTapeOn(): boolean;
    /**
     * Runs `forwardFunc` with the tape paused and records one op: its backward pass gets the
     * output's gradient and the tensors given to `save` (the engine disposes them after it),
     * and returns a gradient function per input, called only for inputs that need one.
     */
    runKernelFunc(params: { forwardFunc: ForwardFunc; backwardsFunc: BackwardsFunc; inputs: Record<string, tf.Tensor> }): tf.Tensor;
}

/** What runOpSharingSaved reads and does beyond TapeEngine (tfjs-core 4.22's Engine). */
interface EngineInternals extends TapeEngine {
    readonly state: { gradientDepth: number; activeTape: Array<{ outputs: tf.Tensor[]; saved: tf.Tensor[] }> | null };
    readonly backend: { incRef(dataId: object): void };
    keep<T extends tf.Tensor>(tensor: T): T;
    makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }): tf.Tensor;
}

export function tapeEngine(): TapeEngine {
    return tf.engine() as unknown as TapeEngine;
}

let sharingSaved = true;

/** Whether runOpSharingSaved shares (on by default) or saves as runKernelFunc does; returns the previous setting (bench/profile-train.mjs interleaves both). */
export function useSharedSaves(on: boolean): boolean {
    const previous = sharingSaved;
    sharingSaved = on;
    return previous;
}

/**
 * runKernelFunc, except that the tensors the forward pass saves for the backward pass share
 * their data (a new tensor on the same reference-counted data, kept until the engine disposes
 * the op's saved tensors after the backward pass) instead of each going through the engine's
 * clone: an Identity kernel dispatch and a tape node of its own per saved tensor, about a
 * fifth of the engine dispatches of an AND-even step (docs/training.md). The clones' tape
 * nodes matter only to gradients of gradients, so within nested gradients (and where the
 * engine's tape does not look as expected) the engine saves as usual.
 */
export function runOpSharingSaved(params: { forwardFunc: ForwardFunc; backwardsFunc: BackwardsFunc; inputs: Record<string, tf.Tensor> }): tf.Tensor {
    const engine = tf.engine() as unknown as EngineInternals;
    const tape = engine.state.activeTape;
    const sharing = sharingSaved && engine.isTapeOn() && engine.state.gradientDepth === 1 && Array.isArray(tape) && typeof engine.backend?.incRef === 'function';
    if (!sharing) return engine.runKernelFunc(params);
    let shared: tf.Tensor[] = [];
    const output = engine.runKernelFunc({
        inputs: params.inputs,
        forwardFunc: (backend, save) => params.forwardFunc(backend, tensors => {
            shared = tensors.map(t => {
                engine.backend.incRef(t.dataId);
                return engine.keep(engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: [...t.shape], dtype: t.dtype }));
            });
            void save;
        }),
        backwardsFunc: params.backwardsFunc
    });
    // The op's tape node is the last one; its `saved` is the very array its backward pass gets.
    const node = tape[tape.length - 1];
    if (node?.outputs[0] !== output || node.saved.length !== 0) {
        tf.dispose(shared);
        throw new Error('runOpSharingSaved: the gradient tape does not hold the op as expected (tfjs-core changed?)');
    }
    node.saved.push(...shared);
    return output;
}
