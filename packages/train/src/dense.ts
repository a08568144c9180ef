/**
 * A stack of dense layers (an `mlp` or `linear` extern's network) as one op on the gradient
 * tape, with a hand-written backward pass. Through tf.layers each training step paid for the
 * layers API (symbolic checks, masks, a feed dictionary per layer) and for the tape's
 * bookkeeping of every small kernel (a saved clone of each input, a gradient closure per
 * reshape); that was about a quarter of an AND-even step on WASM. Here the forward runs the
 * same products, bias additions and activations with the tape paused, saves the layer
 * outputs once, and the backward computes each layer's gradients from them:
 *   dz_L = dy ⊙ f'(h_L),  dz_k = (dz_{k+1} · W_{k+1}ᵀ) ⊙ f'(h_k),
 *   dW_k = h_{k−1}ᵀ · dz_k,  db_k = Σ_rows dz_k,  dx = dz_1 · W_1ᵀ
 * with f' written, as tfjs's own gradients do, from the layer's output (relu: step(h),
 * tanh: 1 − h², sigmoid: h (1 − h)). Each input's gradient is computed only when the tape
 * asks for it: the input x of a training batch is a constant, and its gradient (a product
 * as large as the first layer's) is skipped. test/dense.test.ts checks values and gradients
 * against tf.layers and the tape.
 */
import * as tf from '@tensorflow/tfjs';
import { tapeEngine } from '@cajal/runtime';

export type DenseActivation = 'relu' | 'tanh' | 'sigmoid' | 'linear';

/** One dense layer: y = f(x · kernel + bias), kernel [in, out], bias [out]. */
export interface DenseLayer {
    readonly kernel: tf.Tensor;
    readonly bias?: tf.Tensor;
    readonly activation: DenseActivation;
}

function activate(z: tf.Tensor, activation: DenseActivation): tf.Tensor {
    switch (activation) {
        case 'relu': return tf.relu(z);
        case 'tanh': return tf.tanh(z);
        case 'sigmoid': return tf.sigmoid(z);
        case 'linear': return z;
    }
}

/** dy ⊙ f'(z) from the output h = f(z), as tfjs's gradients of these activations compute it. */
function throughActivation(dy: tf.Tensor, h: tf.Tensor, activation: DenseActivation): tf.Tensor {
    switch (activation) {
        case 'relu': return tf.mul(dy, tf.step(h));
        case 'tanh': return tf.mul(dy, tf.sub(1, tf.square(h)));
        case 'sigmoid': return tf.mul(dy, tf.mul(h, tf.sub(1, h)));
        case 'linear': return dy;
    }
}

/** The outputs of every layer, h_1 … h_L, for an input x [batch, in]. */
function forwardLayers(x: tf.Tensor, layers: readonly DenseLayer[]): tf.Tensor[] {
    const outputs: tf.Tensor[] = [];
    let h = x;
    for (const layer of layers) {
        const z = tf.matMul(h as tf.Tensor2D, layer.kernel as tf.Tensor2D);
        h = activate(layer.bias ? tf.add(z, layer.bias) : z, layer.activation);
        outputs.push(h);
    }
    return outputs;
}

/** The stack applied to x [batch, in]: [batch, out], differentiable in x and in every kernel and bias. */
export function denseStack(x: tf.Tensor, layers: readonly DenseLayer[]): tf.Tensor {
    if (layers.length === 0) throw new Error('denseStack needs at least one layer');
    const engine = tapeEngine();
    if (!engine.isTapeOn()) return tf.tidy(() => forwardLayers(x, layers).pop()!);
    const inputs: Record<string, tf.Tensor> = { x };
    layers.forEach((layer, k) => {
        inputs[`kernel${k}`] = layer.kernel;
        if (layer.bias) inputs[`bias${k}`] = layer.bias;
    });
    const count = layers.length;
    return engine.runKernelFunc({
        inputs,
        // Runs with the tape paused (inside a kernel); `save` keeps x, the kernels and each
        // layer's output for the backward pass (the engine disposes them after it).
        forwardFunc: (_backend, save) => {
            const outputs = forwardLayers(x, layers);
            save([x, ...layers.map(layer => layer.kernel), ...outputs]);
            return outputs[count - 1];
        },
        backwardsFunc: (dy, saved) => {
            const input = saved[0];
            const kernels = saved.slice(1, 1 + count);
            const outputs = saved.slice(1 + count);
            // The chain dz_k of every layer (needed for any of the weights' gradients); the
            // products that give the gradients themselves run only when asked for.
            const dz: tf.Tensor[] = new Array(count);
            for (let k = count - 1; k >= 0; k--) {
                const upstream = k === count - 1 ? dy : tf.matMul(dz[k + 1] as tf.Tensor2D, kernels[k + 1] as tf.Tensor2D, false, true);
                dz[k] = throughActivation(upstream, outputs[k], layers[k].activation);
            }
            const gradients: Record<string, () => tf.Tensor> = {
                x: () => tf.matMul(dz[0] as tf.Tensor2D, kernels[0] as tf.Tensor2D, false, true)
            };
            layers.forEach((layer, k) => {
                const below = k === 0 ? input : outputs[k - 1];
                gradients[`kernel${k}`] = () => tf.matMul(below as tf.Tensor2D, dz[k] as tf.Tensor2D, true, false);
                if (layer.bias) gradients[`bias${k}`] = () => tf.sum(dz[k], 0);
            });
            return gradients;
        }
    });
}

/**
 * The dense layers of a tf.layers model made only of Dense layers (with relu, tanh, sigmoid
 * or linear activations) and, last, at most one Activation layer; undefined for any other model.
 * `final` is the last Activation layer's activation, applied by the caller.
 */
export function denseLayersOf(model: tf.LayersModel): { layers: DenseLayer[]; final?: string } | undefined {
    const layers: DenseLayer[] = [];
    let final: string | undefined;
    for (const [index, layer] of model.layers.entries()) {
        const config = layer.getConfig() as { activation?: string; useBias?: boolean };
        const className = layer.getClassName();
        if (className === 'Activation' && index === model.layers.length - 1 && layers.length > 0) {
            final = config.activation;
            continue;
        }
        if (className !== 'Dense') return undefined;
        const activation = config.activation ?? 'linear';
        if (!['relu', 'tanh', 'sigmoid', 'linear'].includes(activation)) return undefined;
        const weights = layer.weights;
        if (weights.length !== (config.useBias === false ? 1 : 2)) return undefined;
        layers.push({ kernel: weights[0].read(), bias: weights[1]?.read(), activation: activation as DenseActivation });
    }
    return layers.length > 0 ? { layers, final } : undefined;
}
