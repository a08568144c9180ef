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
 * as large as the first layer's) is skipped. On tfjs-WASM, relu and linear layers run their
 * bias, activation and bias gradient as SIMD passes (wasm-dense.ts) and the products go
 * straight to our WASM kernel when the tape is not recording: each tfjs dispatch they replace
 * cost more JavaScript than the work (docs/training.md, "Fewer engine dispatches per step").
 * test/dense.test.ts checks values and gradients against tf.layers, the plain tfjs chain and
 * the tape.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmGemm, runOpSharingSaved, tapeEngine } from '@cajal/runtime';
import { tfjsWasmBackend, type TfjsWasmBackend } from './adam.js';
import { denseKernelsOn } from './wasm-dense.js';

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

let fusedOnWasm = true;

/**
 * Whether, on tfjs-WASM, the stack's bias additions, relu and its derivative and the bias
 * gradients run as passes over tfjs's memory (below) instead of tfjs kernels, and its products
 * go straight to our WASM kernel (`product`); on by default.
 * Returns the previous setting (bench/profile-train.mjs interleaves both).
 */
export function useFusedDenseOnWasm(on: boolean): boolean {
    const previous = fusedOnWasm;
    fusedOnWasm = on;
    return previous;
}

/** The tfjs-WASM backend when the fused passes apply (float32 tensors in its memory), else undefined. */
function fusedBackend(): TfjsWasmBackend | undefined {
    return fusedOnWasm ? tfjsWasmBackend() : undefined;
}

/** tfjs-WASM's memory as floats, and a float32 tensor's first float in it (a view made after any allocation: memory may grow). */
function floatsOf(wasm: TfjsWasmBackend): { heap: Float32Array; at(t: tf.Tensor): number } {
    return { heap: new Float32Array(wasm.wasm.asm.memory.buffer), at: t => wasm.dataIdMap.get(t.dataId)!.memoryOffset / 4 };
}

/** A new float32 tensor of tfjs-WASM, its memory uninitialised. */
function newTensor(wasm: TfjsWasmBackend, shape: number[]): tf.Tensor {
    return tf.engine().makeTensorFromTensorInfo(wasm.makeOutput(shape, 'float32'));
}

/**
 * h = f(z + bias) written over z [rows, n], a product's new output that nothing else reads
 * yet (relu or linear): one pass instead of an Add and a Relu kernel (each dispatch costs
 * about as much JavaScript as the pass). Each sum is rounded to float32 as tfjs's Add rounds
 * it, and relu keeps v for v ≥ 0 (and NaN), so the result is the kernels' bit for bit.
 */
function addBiasAndActivateInPlace(wasm: TfjsWasmBackend, z: tf.Tensor, bias: tf.Tensor | undefined, activation: 'relu' | 'linear'): void {
    const [rows, n] = z.shape as [number, number];
    const { heap, at } = floatsOf(wasm);
    const kernels = n % 4 === 0 && bias ? denseKernelsOn(wasm) : undefined;
    if (kernels && bias) return kernels.forward(activation)(4 * at(z), 4 * at(bias), n / 4, rows);
    const b = bias ? at(bias) : -1;
    for (let r = 0, o = at(z); r < rows; r++, o += n) {
        for (let j = 0; j < n; j++) {
            const v = bias ? Math.fround(heap[o + j] + heap[b + j]) : heap[o + j];
            heap[o + j] = activation === 'relu' && v < 0 ? 0 : v;
        }
    }
}

/**
 * The backward pass through one relu or linear layer with output h [rows, n], from the
 * gradient of its output dy: dz = dy ⊙ step(h) (relu; dy itself for linear) and, with a bias,
 * db = Σ_rows dz — one pass instead of Step, Multiply and Sum kernels (tfjs-WASM's Sum over
 * axis 0 also transposes). step(h) is 1 for h > 0, 0 for h ≤ 0 and NaN for NaN, as tfjs's
 * Step; each column is summed in row order in float32, as tfjs-WASM's Sum does, so both are
 * the kernels' results bit for bit.
 */
function throughLayerOnWasm(wasm: TfjsWasmBackend, dy: tf.Tensor, h: tf.Tensor, activation: 'relu' | 'linear', withBias: boolean): { dz: tf.Tensor; db?: tf.Tensor } {
    const [rows, n] = h.shape as [number, number];
    const dz = activation === 'relu' ? newTensor(wasm, [rows, n]) : dy;
    const db = withBias ? newTensor(wasm, [n]) : undefined;
    const { heap, at } = floatsOf(wasm);
    const from = at(dy), to = at(dz), of = at(h), sums = db ? at(db) : -1;
    if (db) heap.fill(0, sums, sums + n);
    const kernels = n % 4 === 0 && db ? denseKernelsOn(wasm) : undefined;
    if (kernels) {
        kernels.backward(activation)(4 * from, 4 * of, 4 * to, 4 * sums, n / 4, rows);
        return { dz, db };
    }
    for (let r = 0, o = 0; r < rows; r++, o += n) {
        for (let j = 0; j < n; j++) {
            let g = heap[from + o + j];
            if (activation === 'relu') {
                const x = heap[of + o + j];
                g = x > 0 ? g : g * (x <= 0 ? 0 : NaN);
                heap[to + o + j] = g;
            }
            if (db) heap[sums + j] += g;
        }
    }
    return { dz, db };
}

/**
 * a · b (either transposed). With the fused passes on tfjs-WASM and the tape not recording
 * (inside the op's forward, or a first-order backward pass), a product our WASM kernel takes
 * is computed by it directly — what tf.matMul would run, without the engine's dispatch
 * (about a fifth of a step's JavaScript went to dispatching its ten products); the others
 * go through tf.matMul.
 */
function product(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
    const wasm = fusedBackend();
    const direct = wasm && !tapeEngine().isTapeOn() ? WasmGemm.on(wasm)?.batchMatMul(a, b, transposeA, transposeB) : undefined;
    return direct ? tf.engine().makeTensorFromTensorInfo(direct as Parameters<ReturnType<typeof tf.engine>["makeTensorFromTensorInfo"]>[0]) : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB);
}

/** Whether the fused passes take this layer: relu or linear, float32 rows [batch, n]. */
function fusable(layer: DenseLayer): layer is DenseLayer & { activation: 'relu' | 'linear' } {
    return (layer.activation === 'relu' || layer.activation === 'linear') && layer.kernel.dtype === 'float32' && (layer.bias?.dtype ?? 'float32') === 'float32';
}

/** The outputs of every layer, h_1 … h_L, for an input x [batch, in]. */
function forwardLayers(x: tf.Tensor, layers: readonly DenseLayer[]): tf.Tensor[] {
    const outputs: tf.Tensor[] = [];
    const wasm = fusedBackend();
    let h = x;
    for (const layer of layers) {
        const z = product(h, layer.kernel);
        if (wasm && fusable(layer)) {
            addBiasAndActivateInPlace(wasm, z, layer.bias, layer.activation);
            h = z;
        } else {
            h = activate(layer.bias ? tf.add(z, layer.bias) : z, layer.activation);
        }
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
    return runOpSharingSaved({
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
            const db: Array<tf.Tensor | undefined> = new Array(count);
            const wasm = fusedBackend();
            for (let k = count - 1; k >= 0; k--) {
                const upstream = k === count - 1 ? dy : product(dz[k + 1], kernels[k + 1], false, true);
                const layer = layers[k];
                if (wasm && fusable(layer) && upstream.dtype === 'float32') ({ dz: dz[k], db: db[k] } = throughLayerOnWasm(wasm, upstream, outputs[k], layer.activation, layer.bias !== undefined));
                else dz[k] = throughActivation(upstream, outputs[k], layer.activation);
            }
            const gradients: Record<string, () => tf.Tensor> = {
                x: () => product(dz[0], kernels[0], false, true)
            };
            layers.forEach((layer, k) => {
                const below = k === 0 ? input : outputs[k - 1];
                gradients[`kernel${k}`] = () => product(below, dz[k], true, false);
                if (layer.bias) gradients[`bias${k}`] = () => db[k] ?? tf.sum(dz[k], 0);
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
