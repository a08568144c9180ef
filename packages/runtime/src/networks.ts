/**
 * Linked networks: the learned implementations of `extern` declarations. Generated code
 * takes them as arguments; these helpers check that all are present and well-shaped.
 */
import * as tf from '@tensorflow/tfjs';

/** A learned network for an `extern name : A -o B`: maps a batch of shape(A) to a batch of shape(B). */
export type Network = (x: tf.Tensor) => tf.Tensor;

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
 * Calls the network linked for extern `name` and checks that it returns [batch, ...outShape]
 * for the input's batch (a network returning [batch, dim] for a multi-axis shape is reshaped).
 */
export function callNetwork(name: string, network: Network, x: tf.Tensor, outShape: readonly number[]): tf.Tensor {
    const y = network(x);
    if (!(y instanceof tf.Tensor)) {
        throw new Error(`extern '${name}': the linked network returned ${typeof y}, expected a tensor`);
    }
    const expected = [x.shape[0], ...outShape];
    const size = outShape.reduce((a, b) => a * b, 1);
    if (y.shape.length === expected.length && y.shape.every((d, i) => d === expected[i])) return y;
    if (y.rank >= 1 && y.shape[0] === x.shape[0] && y.size === x.shape[0] * size) {
        return tf.tidy(() => y.reshape(expected));
    }
    throw new Error(`extern '${name}': the linked network returned shape [${y.shape.join(', ')}], expected [${expected.join(', ')}]`);
}
