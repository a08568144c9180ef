/**
 * The learned neuron of a trained extern over discrete inputs: its network run on every
 * basis input of its domain, as a matrix [dim B, dim A1 · … · dim An] laid out like a
 * compiled definition's (`uncurriedMatrix` in @cajal/compiler), so the two compare entry
 * by entry. Here because it runs the network on tfjs; the language server never loads this.
 */
import * as tf from '@tensorflow/tfjs';
import { dim, shape, type CajalType } from '@cajal/language';
import { tabulationProblem, type FunctionMatrix } from '@cajal/compiler';
import type { LoadedNetwork } from './weights.js';

/** The network's output on each basis input (mixed-radix order of the arguments, the first most significant). */
export function learnedMatrix(network: LoadedNetwork, params: readonly CajalType[], result: CajalType): FunctionMatrix {
    const problem = tabulationProblem(params, result, 'matrix');
    if (problem) throw new Error(`'${network.name}' has no matrix: ${problem}.`);
    const dims = params.map(dim);
    const columns = dims.reduce((a, b) => a * b, 1);
    const rows = dim(result);
    const output = tf.tidy(() => {
        // Argument k of column j is the basis vector of j's k-th digit.
        let stride = columns;
        const inputs = params.map((param, k) => {
            stride /= dims[k];
            const digits = Array.from({ length: columns }, (_, j) => Math.floor(j / stride) % dims[k]);
            return tf.oneHot(tf.tensor1d(digits, 'int32'), dims[k]).toFloat().reshape([columns, ...shape(param)]);
        });
        return network.call(inputs).reshape([columns, rows]).transpose();
    });
    const data = Array.from(output.dataSync());
    output.dispose();
    return { rows, columns, data };
}
