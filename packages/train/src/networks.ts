/**
 * The learned (and fixed) networks of externs, built with tfjs layers from the
 * architecture the extern names (`= mlp(64)`, `= cnn(8, 16)`, `= conv(8)`, `= hyperconv(8, 16)`, `= dilation(3, 1)`).
 * Every network takes its inputs flattened and concatenated ([batch, Σ dim Ai]) and
 * returns [batch, dim B]; the caller reshapes to the result type's shape.
 */
import * as tf from '@tensorflow/tfjs';
import { ast, declaredType, externReading, resolveArchitecture, architectureRequest, type CajalType, type ResolvedArchitecture } from '@cajal/language';
import { reshapeTo } from '@cajal/runtime';
import { deriveSeed } from './random.js';
import { denseLayersOf, denseStack } from './dense.js';
import { CORRELATION_FILTER_GRADIENT_KERNEL, CORRELATION_KERNEL, wasmCorrelationAvailable } from './wasm-correlation.js';

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
    /** hyperconv: the image convolved with the kernel the trunk reads off it. */
    const kernelStep = (image: tf.Tensor): tf.Tensor => {
        const [height, width] = resolved.signature.inputs[0];
        const window = resolved.window;
        const batch = image.shape[0];
        const kernel = (model.apply(image) as tf.Tensor).reshape([batch, window, window]);
        return perImageCorrelation(image.reshape([batch, height, width]) as tf.Tensor3D, kernel as tf.Tensor3D).reshape([batch, height * width]);
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
                    const rows = reshapeTo(x, [x.shape[0], expected]);
                    return x.shape[0] === batch ? rows : tf.broadcastTo(rows, [batch, expected]);
                });
                const joined = flat.length === 1 ? flat[0] : tf.concat(flat, 1);
                let y = resolved.architecture === 'hyperconv' ? kernelStep(joined) : apply(joined);
                if (resolved.architecture === 'hyperconv' && resolved.output !== 'raw') y = resolved.output === 'sigmoid' ? tf.sigmoid(y) : tf.softmax(y);
                // A blended dilation: (1 − blend)·x + blend·dilated(x).
                if (resolved.blend !== 1) y = tf.add(tf.mul(joined, 1 - resolved.blend), tf.mul(y, resolved.blend));
                return reshapeTo(y, [batch, ...outShape]);
            });
        }
    };
}

/**
 * Each image [batch, h, w], padded with background 0, cross-correlated (PyTorch's conv2d) with
 * its own odd window×window kernel [batch, window, window]: [batch, h, w]. Differentiable in
 * both. tfjs has no per-example convolution, so the batch becomes the channels of one
 * depthwise convolution ([1, h, w, batch] with the filter [window, window, batch, 1]); and
 * tfjs-backend-wasm has no depthwise gradient kernels, so both gradients are depthwise
 * convolutions too: the image's is dy (padded) correlated with the kernel turned 180°, the
 * kernel's is the padded image correlated with dy (a [h, w] filter). On tfjs-WASM, 64 MNIST
 * images with 13×13 kernels, forward and both gradients: 66 ms of CPU; the im2col by 169
 * slices and a batched matMul it replaces took 11.5 s (its backward pass: 169 pads).
 */
export function perImageCorrelation(image: tf.Tensor3D, kernel: tf.Tensor3D): tf.Tensor3D {
    const window = kernel.shape[1];
    if (kernel.shape[2] !== window || window % 2 !== 1 || kernel.shape[0] !== image.shape[0]) {
        throw new Error(`perImageCorrelation: kernels [${kernel.shape.join(', ')}] for images [${image.shape.join(', ')}]: expected [batch, w, w], w odd`);
    }
    if (image.dtype === 'float32' && kernel.dtype === 'float32' && wasmCorrelationAvailable()) return wasmImageCorrelation(image, kernel);
    const half = (window - 1) / 2;
    const asChannels = (t: tf.Tensor3D) => tf.transpose(t, [1, 2, 0]).expandDims(0) as tf.Tensor4D;
    const fromChannels = (t: tf.Tensor4D) => tf.transpose(t.squeeze([0]), [2, 0, 1]) as tf.Tensor3D;
    const padded = (t: tf.Tensor4D) => tf.pad(t, [[0, 0], [half, half], [half, half], [0, 0]]);
    // tfjs types a custom gradient's arguments as one rest list: (x, k, save).
    const correlate = tf.customGrad(((x: tf.Tensor3D, k: tf.Tensor3D, save: tf.GradSaveFunc) => {
        const xs = padded(asChannels(x));
        const filter = tf.transpose(k, [1, 2, 0]).expandDims(3) as tf.Tensor4D;
        save([xs, filter]);
        return {
            value: fromChannels(tf.depthwiseConv2d(xs, filter, 1, 'valid')),
            gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
                const [xsSaved, filterSaved] = saved as [tf.Tensor4D, tf.Tensor4D];
                const dys = asChannels(dy as tf.Tensor3D);
                const dx = fromChannels(tf.depthwiseConv2d(padded(dys), tf.reverse(filterSaved, [0, 1]), 1, 'valid'));
                const dk = fromChannels(tf.depthwiseConv2d(xsSaved, dys.squeeze([0]).expandDims(3) as tf.Tensor4D, 1, 'valid'));
                return [dx, dk];
            }
        };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return correlate(image, kernel) as tf.Tensor3D;
}

/**
 * perImageCorrelation on tfjs-WASM through our SIMD kernels (wasm-correlation.ts): the forward
 * pass and the image's gradient (dy correlated with the kernel read turned 180°) are one kernel, the
 * kernel's gradient the other.
 */
function wasmImageCorrelation(image: tf.Tensor3D, kernel: tf.Tensor3D): tf.Tensor3D {
    const engine = tf.engine();
    const correlate = (x: tf.Tensor, k: tf.Tensor, turned: boolean) => engine.runKernel(CORRELATION_KERNEL, { x, k }, { turned }) as tf.Tensor3D;
    // tfjs types a custom gradient's arguments as one rest list: (x, k, save).
    const withGradients = tf.customGrad(((x: tf.Tensor3D, k: tf.Tensor3D, save: tf.GradSaveFunc) => {
        save([x, k]);
        return {
            value: correlate(x, k, false),
            gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
                const [xSaved, kSaved] = saved;
                const dx = correlate(dy, kSaved, true);
                const dk = engine.runKernel(CORRELATION_FILTER_GRADIENT_KERNEL, { x: xSaved, dy }, { window: kSaved.shape[1]! }) as tf.Tensor3D;
                return [dx, dk];
            }
        };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return withGradients(image, kernel) as tf.Tensor3D;
}

/** Builds the network of an extern declaration (which must name a valid architecture). */
export function buildExternNetwork(extern: ast.Extern, seed: number): ExternNetwork {
    if (!extern.net?.architecture) throw new Error(`extern '${extern.name}' names no architecture; declare one, e.g. = mlp(64)`);
    const type = declaredType(extern);
    const result = resolveArchitecture(architectureRequest(extern.net), externReading(extern));
    if (!result.ok) throw new Error(`extern '${extern.name}': ${result.message}`);
    return externNetwork(extern.name, type, result.resolved, buildModel(extern.name, result.resolved, seed));
}
