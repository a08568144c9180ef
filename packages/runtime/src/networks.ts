/**
 * Linked networks: the learned implementations of `extern` declarations. Generated code
 * takes them as arguments; these helpers check that all are present and well-shaped.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A learned network for an extern. For `extern name : A -o B` it maps a batch of shape(A)
 * to a batch of shape(B). An extern of several arguments, `A1 -o … -o An -o B`, is ONE
 * network of all n arguments: it is called with n batches (shape(Ai) each, same batch) and
 * returns a batch of shape(B) (see docs/compiler.md).
 */
export type Network = (...inputs: tf.Tensor[]) => tf.Tensor;

/** Networks by extern name. */
export type LinkedNetworks = Readonly<Record<string, Network>>;

/** Raised when a program needs externs that were not linked. */
export class MissingNetworksError extends Error {
    constructor(readonly missing: readonly string[]) {
        super(missing.length === 1
            ? `extern '${missing[0]}' is not linked: pass a network for it`
            : `externs ${missing.map(name => `'${name}'`).join(', ')} are not linked: pass a network for each`);
        this.name = 'MissingNetworksError';
    }
}

/** The error naming every required extern without a linked network, or undefined when all are linked. */
export function missingNetworks(required: readonly string[], linked: LinkedNetworks | undefined): MissingNetworksError | undefined {
    const missing = [...new Set(required)].filter(name => typeof linked?.[name] !== 'function');
    return missing.length > 0 ? new MissingNetworksError(missing) : undefined;
}

/** Throws MissingNetworksError unless every required extern is linked. */
export function requireNetworks(required: readonly string[], linked: LinkedNetworks | undefined): void {
    const error = missingNetworks(required, linked);
    if (error) throw error;
}

/**
 * Calls the network linked for extern `name` on one batched input, or on one per argument
 * of a several-argument extern (inputs with a batch of 1 are broadcast to the others'
 * batch first), and checks that it returns [batch, ...outShape] (a network returning
 * [batch, dim] for a multi-axis shape is reshaped).
 */
export function callNetwork(name: string, network: Network, inputs: tf.Tensor | readonly tf.Tensor[], outShape: readonly number[]): tf.Tensor {
    const xs = sameBatch(name, inputs instanceof tf.Tensor ? [inputs] : inputs);
    const batch = xs[0].shape[0];
    const y = network(...xs);
    if (!(y instanceof tf.Tensor)) {
        throw new Error(`extern '${name}': the linked network returned ${typeof y}, expected a tensor`);
    }
    const expected = [batch, ...outShape];
    const size = outShape.reduce((a, b) => a * b, 1);
    if (y.shape.length === expected.length && y.shape.every((d, i) => d === expected[i])) return y;
    if (y.rank >= 1 && y.shape[0] === batch && y.size === batch * size) {
        return tf.tidy(() => y.reshape(expected));
    }
    throw new Error(`extern '${name}': the linked network returned shape [${y.shape.join(', ')}], expected [${expected.join(', ')}]`);
}

/** The inputs of one network call with a common batch: a batch of 1 broadcasts to the others'. */
function sameBatch(name: string, inputs: readonly tf.Tensor[]): tf.Tensor[] {
    if (inputs.length === 0) throw new Error(`extern '${name}': a network needs at least one input`);
    let batch = 1;
    for (const x of inputs) {
        const b = x.shape[0] ?? 1;
        if (b === 1 || b === batch) continue;
        if (batch !== 1) throw new Error(`extern '${name}': the inputs have different batch sizes ${batch} and ${b}`);
        batch = b;
    }
    return inputs.map(x => x.shape[0] === batch ? x : tf.broadcastTo(x, [batch, ...x.shape.slice(1)]));
}
