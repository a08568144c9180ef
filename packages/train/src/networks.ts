/**
 * The learned (and fixed) networks of externs, built with tfjs layers from the
 * architecture the extern names (`= mlp(64)`, `= cnn(8, 16)`, `= conv(8)`, `= hyperconv(8, 16)`, `= dilation(3, 1)`).
 * Every network takes its inputs flattened and concatenated ([batch, Σ dim Ai]) and
 * returns [batch, dim B]; the caller reshapes to the result type's shape.
 */
import * as tf from '@tensorflow/tfjs';
import { ast, declaredType, externReading, resolveArchitecture, architectureRequest, type CajalType, type ResolvedArchitecture } from '@cajal/language';
import { deriveSeed } from './random.js';
import { denseLayersOf, denseStack } from './dense.js';

/** An extern linked to a network. */
export interface ExternNetwork {
    readonly name: string;
    readonly type: CajalType;
    readonly resolved: ResolvedArchitecture;
    readonly model: tf.LayersModel;
    /** Applies the network to one batched tensor per curried argument; returns [batch, ...output shape]. */
    call(inputs: readonly tf.Tensor[]): tf.Tensor;
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Builds the tfjs model of a resolved architecture; weights are initialised from `seed`. */
export function buildModel(name: string, resolved: ResolvedArchitecture, seed: number): tf.LayersModel {
    const { signature } = resolved;
    const inDim = signature.inputs.reduce((total, s) => total + size(s), 0);
    const outDim = size(signature.output);
    let layerIndex = 0;
    // One seed per layer, so each layer's initial weights are reproducible and distinct.
    // The per-image kernel step starts as the authors' did, from PyTorch's default
    // U(±1/√fan_in) (variance scaling 1/3, fan in): from Glorot's larger kernels its nine
    // steps grow the image by orders of magnitude (docs/training.md). Everything else: Glorot.
    const init = () => resolved.architecture === 'hyperconv'
        ? tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: deriveSeed(seed, `${name}/${layerIndex++}`) })
        : tf.initializers.glorotUniform({ seed: deriveSeed(seed, `${name}/${layerIndex++}`) });
    const model = tf.sequential({ name: safeName(name) });
    const activation = resolved.activation;
    const imageShape = (): [number, number, number] => {
        const input = signature.inputs[0];
        return input.length === 2 ? [input[0], input[1], 1] : [input[0], input[1], input[2]];
    };
    switch (resolved.architecture) {
        case 'mlp':
        case 'linear': {
            let first = true;
            for (const width of resolved.layers) {
                model.add(tf.layers.dense({ units: width, activation, kernelInitializer: init(), ...(first ? { inputShape: [inDim] } : {}) }));
                first = false;
            }
            model.add(tf.layers.dense({ units: outDim, kernelInitializer: init(), ...(first ? { inputShape: [inDim] } : {}) }));
            break;
        }
        case 'cnn':
        case 'hyperconv': {
            model.add(tf.layers.reshape({ targetShape: imageShape(), inputShape: [inDim] }));
            resolved.layers.forEach((filters, i) => {
                model.add(tf.layers.conv2d({ filters, kernelSize: resolved.kernel, padding: 'same', activation, kernelInitializer: init() }));
                if (resolved.pooling === 'each' || i === resolved.layers.length - 1) model.add(tf.layers.maxPooling2d({ poolSize: resolved.pool, strides: resolved.pool }));
            });
            model.add(tf.layers.flatten());
            if (resolved.architecture === 'hyperconv') {
                // The per-image kernel, row-major w×w, in −1…1; the convolution itself is in `call`.
                model.add(tf.layers.dense({ units: resolved.window * resolved.window, activation: 'tanh', kernelInitializer: init() }));
                break;
            }
            if (resolved.dense > 0) model.add(tf.layers.dense({ units: resolved.dense, activation, kernelInitializer: init() }));
            model.add(tf.layers.dense({ units: outDim, kernelInitializer: init() }));
            break;
        }
        case 'conv': {
            model.add(tf.layers.reshape({ targetShape: imageShape(), inputShape: [inDim] }));
            for (const filters of resolved.layers) {
                model.add(tf.layers.conv2d({ filters, kernelSize: resolved.kernel, padding: 'same', activation, kernelInitializer: init() }));
            }
            const out = signature.output;
            model.add(tf.layers.conv2d({ filters: out.length === 3 ? out[2] : 1, kernelSize: resolved.kernel, padding: 'same', kernelInitializer: init() }));
            model.add(tf.layers.flatten());
            break;
        }
        case 'dilation': {
            model.add(tf.layers.reshape({ targetShape: imageShape(), inputShape: [inDim] }));
            // 'same' max pooling never counts the padding: a border pixel's window is cut off.
            const [height, width] = resolved.element;
            model.add(tf.layers.maxPooling2d({ poolSize: [height, width], strides: 1, padding: 'same' }));
            model.add(tf.layers.flatten());
            break;
        }
        default:
            throw new Error(`extern '${name}': architecture '${resolved.architecture}' has no tfjs builder`);
    }
    const final = resolved.output === 'raw' || resolved.architecture === 'hyperconv' ? 'linear' : resolved.output;
    if (final !== 'linear') model.add(tf.layers.activation({ activation: final }));
    if (!resolved.learnable) model.trainable = false;
    return model;
}

/** tfjs layer and model names allow fewer characters than Cajal names (no primes). */
function safeName(name: string): string {
    return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Wraps a model as an extern's network. */
export function externNetwork(name: string, type: CajalType, resolved: ResolvedArchitecture, model: tf.LayersModel): ExternNetwork {
    const outShape = [...resolved.signature.output];
    /**
     * hyperconv: the image convolved with the kernel the trunk reads off it. tfjs has no
     * per-example convolution: the image, padded with background 0, is cut into its window²
     * shifted views ([batch, window², h·w], im2col by slices: tfjs-WASM's gather took 8 s for
     * a batch of 64), and a batched matMul with each image's own kernel [batch, 1, window²]
     * gives the cross-correlation (PyTorch's conv2d). Differentiable in the image and the kernel.
     */
    const kernelStep = (image: tf.Tensor): tf.Tensor => {
        const [height, width] = resolved.signature.inputs[0];
        const window = resolved.window;
        const half = (window - 1) / 2;
        const batch = image.shape[0];
        const kernel = (model.apply(image) as tf.Tensor).reshape([batch, 1, window * window]);
        const padded = tf.pad(image.reshape([batch, height, width]), [[0, 0], [half, half], [half, half]]);
        const views: tf.Tensor[] = [];
        for (let a = 0; a < window; a++) {
            for (let b = 0; b < window; b++) views.push(tf.slice(padded, [0, a, b], [batch, height, width]));
        }
        const columns = tf.stack(views, 1).reshape([batch, window * window, height * width]);
        return tf.matMul(kernel, columns).reshape([batch, height * width]);
    };
    // mlp and linear networks run as one op with a hand-written backward (dense.ts), not
    // through tf.layers: the same products, a fraction of the per-step overhead.
    const dense = resolved.architecture === 'mlp' || resolved.architecture === 'linear' ? denseLayersOf(model) : undefined;
    const finalActivation = dense?.final === undefined ? (y: tf.Tensor) => y
        : dense.final === 'softmax' ? (y: tf.Tensor) => tf.softmax(y)
        : dense.final === 'sigmoid' ? (y: tf.Tensor) => tf.sigmoid(y) : undefined;
    const apply = dense && finalActivation
        ? (x: tf.Tensor) => finalActivation(denseStack(x, dense.layers))
        : (x: tf.Tensor) => model.apply(x) as tf.Tensor;
    return {
        name, type, resolved, model,
        call(inputs) {
            if (inputs.length !== resolved.signature.inputs.length) {
                throw new Error(`extern '${name}' takes ${resolved.signature.inputs.length} inputs, got ${inputs.length}`);
            }
            return tf.tidy(() => {
                const batch = Math.max(...inputs.map(x => x.shape[0]));
                const flat = inputs.map((x, i) => {
                    const expected = size(resolved.signature.inputs[i]);
                    const perExample = x.size / x.shape[0];
                    if (perExample !== expected) throw new Error(`extern '${name}': input ${i + 1} has ${perExample} numbers per example, expected ${expected} (shape [${resolved.signature.inputs[i].join(', ')}])`);
                    const rows = x.reshape([x.shape[0], expected]);
                    return x.shape[0] === batch ? rows : tf.broadcastTo(rows, [batch, expected]);
                });
                const joined = flat.length === 1 ? flat[0] : tf.concat(flat, 1);
                let y = resolved.architecture === 'hyperconv' ? kernelStep(joined) : apply(joined);
                if (resolved.architecture === 'hyperconv' && resolved.output !== 'raw') y = resolved.output === 'sigmoid' ? tf.sigmoid(y) : tf.softmax(y);
                // A blended dilation: (1 − blend)·x + blend·dilated(x).
                if (resolved.blend !== 1) y = tf.add(tf.mul(joined, 1 - resolved.blend), tf.mul(y, resolved.blend));
                return y.reshape([batch, ...outShape]);
            });
        }
    };
}

/** Builds the network of an extern declaration (which must name a valid architecture). */
export function buildExternNetwork(extern: ast.Extern, seed: number): ExternNetwork {
    if (!extern.net?.architecture) throw new Error(`extern '${extern.name}' names no architecture; declare one, e.g. = mlp(64)`);
    const type = declaredType(extern);
    const result = resolveArchitecture(architectureRequest(extern.net), externReading(extern));
    if (!result.ok) throw new Error(`extern '${extern.name}': ${result.message}`);
    return externNetwork(extern.name, type, result.resolved, buildModel(extern.name, result.resolved, seed));
}
