/**
 * conv2d and its gradients on tfjs-backend-wasm 4.22. WASM has no Conv2DBackpropFilter kernel, so
 * the gradient of any conv2d layer (the `cnn`, `conv` and `hyperconv` architectures) would fail
 * there; its Conv2DBackpropInput is a plain loop, 10–20× slower than the forward pass it
 * differentiates (XNNPACK); and XNNPACK's forward reaches 3–12 GFLOP/s at the dilation trunk's
 * shapes (few channels, 5 × 5 filters). Registered here (runTraining does it on WASM), for
 * stride 1 and dilation 1 (every convolution Cajal builds), NHWC float32:
 *
 * - our direct SIMD kernels (wasm-conv-kernels.ts, run by wasm-conv-direct.ts) wherever they
 *   take the shape: the forward and the filter's gradient where the output channels are a
 *   multiple of 4 up to 28, the input's gradient where the input channels are; else the forward
 *   and the input's gradient one written channel at a time where a filter row (kw · the channels
 *   read) is whole vectors, as the trunk's first input gradient (C = 1). On the trunk's batch of
 *   64 MNIST images on Node 22, tfjs's kernels → ours: conv 5 × 5 8 → 16 forward 26 → 15 ms,
 *   filter gradient 37 → 13 ms, input gradient 24 → 13 ms; 1 → 8 input gradient 13 → 3 ms of
 *   CPU (docs/training.md);
 * - else the XNNPACK convolution for the forward, and for the gradients forward convolutions of
 *   transposed tensors on it: the filter's, dW[a, c, i, o] = Σ_{n, p, q} x̂[n, p + a, q + c, i] ·
 *   dy[n, p, q, o] with x̂ the padded input, a valid convolution of x̂ᵀ [i, h, w, n] (batch i,
 *   channels n) with the filter dyᵀ [h', w', n, o], transposed back; the input's, dy convolved
 *   with the filter turned 180° and its channels swapped, padded by (k − 1 − the forward
 *   padding) on each side.
 *
 * Other strides and dilations keep the slower paths: the filter's gradient as a 3-D convolution
 * over a depth of 1 (Conv3DBackpropFilterV2, which WASM has), the input's as WASM's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { webAssembly } from '@cajal/runtime/wasm-assembly';
import { DirectConvolution, directConvolutionFuses, directConvolutionTakes, isWasmBackend, type ConvGeometry } from './wasm-conv-direct.js';
import { convolutionModuleBytes } from './wasm-conv-kernels.js';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type Backend = { disposeData(dataId: object): boolean | void };
type KernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => TensorInfo;
type Pad = 'same' | 'valid' | number | number[][];
type Attributes = {
    strides: [number, number] | number; pad: Pad; dataFormat?: string; dilations?: [number, number] | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape?: [number, number, number, number]; inputShape?: [number, number, number, number];
};

/** Runs `f` on the backend, disposing every intermediate it registers through `keep`. */
function withIntermediates(backend: unknown, f: (keep: (t: TensorInfo) => TensorInfo) => TensorInfo): TensorInfo {
    const made: TensorInfo[] = [];
    try {
        return f(t => { made.push(t); return t; });
    } finally {
        for (const t of made) (backend as Backend).disposeData(t.dataId);
    }
}
const pair = (v: [number, number] | number | undefined): [number, number] => v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v;
const unitStride = (attrs: Attributes) => {
    const [sh, sw] = pair(attrs.strides), [dh, dw] = pair(attrs.dilations);
    return sh === 1 && sw === 1 && dh === 1 && dw === 1 && (!attrs.dataFormat || attrs.dataFormat === 'NHWC') && typeof attrs.pad !== 'number' && !Array.isArray(attrs.pad);
};
/** The forward convolution's padding (top, bottom, left, right) for a k×k filter, stride 1. */
const paddingOf = (pad: 'same' | 'valid', kh: number, kw: number): [number, number, number, number] => {
    if (pad === 'valid') return [0, 0, 0, 0];
    // tfjs 'same' at stride 1: k − 1 in all, the smaller half on top/left.
    return [Math.floor((kh - 1) / 2), kh - 1 - Math.floor((kh - 1) / 2), Math.floor((kw - 1) / 2), kw - 1 - Math.floor((kw - 1) / 2)];
};
const explicit = ([top, bottom, left, right]: [number, number, number, number]) => [[0, 0], [top, bottom], [left, right], [0, 0]];

let registered = false;

/**
 * Whether stride-1 convolutions on WASM (forward and both gradients) run on our direct SIMD
 * kernels wherever they take the shape (above). Measured faster than tfjs's at every shape
 * tried (docs/training.md), with and without relaxed SIMD's fused multiply-add, so on by
 * default; off (false) leaves every convolution to tfjs's kernels: the reference, for tests and
 * benchmarks.
 */
let directOn = true;
/** Turns our convolution kernels on or off (see above); returns the previous setting. */
export function useDirectConvOnWasm(on: boolean): boolean {
    const previous = directOn;
    directOn = on;
    return previous;
}
let directPasses = 0;
/** How many convolution passes (forward or gradient) our kernels computed in this process. */
export function directConvPasses(): number {
    return directPasses;
}
const directInstances = new WeakMap<object, DirectConvolution>();
let fusedOnThisEngine: boolean | undefined;
/** Whether relaxed SIMD's fused multiply-add validates here (Node ≥ 22). */
export function directConvUsesFusedMultiplyAdd(): boolean {
    fusedOnThisEngine ??= webAssembly()?.validate(convolutionModuleBytes({ fusedMultiplyAdd: true, vectors: 1, block: 1 })) ?? false;
    return fusedOnThisEngine;
}
let simdOnThisEngine: boolean | undefined;
/** Whether the kernels' plain SIMD validates here. */
const directConvValidates = () => simdOnThisEngine ??= webAssembly()?.validate(convolutionModuleBytes({ fusedMultiplyAdd: false, vectors: 1, block: 1 })) ?? false;
type Pass = keyof typeof directConvolutionTakes;

/** The geometry of a stride-1 NHWC convolution of x [n, h, w, c] by a filter [kh, kw, c, o], or undefined if not one our kernels take. */
function geometryOf(attrs: Attributes, xShape: number[], filterShape: number[], dtypes: string[]): ConvGeometry | undefined {
    if (!unitStride(attrs) || dtypes.some(d => d !== 'float32') || xShape.length !== 4 || filterShape.length !== 4) return undefined;
    const [batch, height, width, channels] = xShape, [kh, kw, filterChannels, outChannels] = filterShape;
    if (filterChannels !== channels) return undefined;
    const [top, bottom, left, right] = paddingOf(attrs.pad as 'same' | 'valid', kh, kw);
    const outHeight = height + top + bottom - kh + 1, outWidth = width + left + right - kw + 1;
    if (outHeight <= 0 || outWidth <= 0) return undefined;
    return { batch, height, width, channels, kh, kw, outChannels, top, left, outHeight, outWidth };
}

/** Registers the kernels once (when WASM is in use); true when the filter gradient is available. */
export function ensureConv2dGradientsOnWasm(): boolean {
    if (registered) return true;
    const kernel = (name: string) => tf.getKernel(name, 'wasm')?.kernelFunc as unknown as KernelFunc | undefined;
    const conv2d = kernel('Conv2D'), transpose = kernel('Transpose'), reverse = kernel('Reverse'), reshape = kernel('Reshape'), conv3dFilter = kernel('Conv3DBackpropFilterV2');
    const ownInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
    const ownFilter = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    if (!conv2d || !transpose || !reverse || !reshape || (!conv3dFilter && !ownFilter)) return false;
    /** Our kernels for this pass on this backend, when they are on and can take it. */
    const directFor = (backend: unknown, pass: Pass, g: ConvGeometry | undefined): DirectConvolution | undefined => {
        if (!g || !directOn || !isWasmBackend(backend) || !directConvolutionTakes[pass](g) || !directConvValidates()) return undefined;
        let instance = directInstances.get(backend);
        if (!instance) directInstances.set(backend, instance = new DirectConvolution(backend, directConvUsesFusedMultiplyAdd()));
        directPasses++;
        return instance;
    };
    const ownInputFunc = ownInput?.kernelFunc as unknown as KernelFunc | undefined;
    const ownFilterFunc = ownFilter?.kernelFunc as unknown as KernelFunc | undefined;

    const convolve = (backend: unknown, x: TensorInfo, filter: TensorInfo, pad: number[][]) =>
        conv2d({ inputs: { x, filter }, backend, attrs: { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined } });

    const filterGradient: KernelFunc = ({ inputs, backend, attrs }) => {
        const { x, dy } = inputs;
        const a = attrs as unknown as Attributes;
        const filterShape = a.filterShape!;
        if (!unitStride(a)) {
            if (ownFilterFunc) return ownFilterFunc({ inputs, backend, attrs });
            return viaConv3d(backend, x, dy, a);
        }
        const g = geometryOf(a, x.shape, filterShape, [x.dtype, dy.dtype]);
        const fast = directFor(backend, 'filterGradient', g);
        if (fast) return fast.filterGradient(x, dy, g!);
        const [kh, kw] = filterShape;
        return withIntermediates(backend, keep => {
            const xt = keep(transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }));      // [i, h, w, n]
            const dyt = keep(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }));  // [h', w', n, o]
            const dw = keep(convolve(backend, xt, dyt, explicit(paddingOf(a.pad as 'same' | 'valid', kh, kw)))); // [i, kh, kw, o]
            return transpose({ inputs: { x: dw }, backend, attrs: { perm: [1, 2, 0, 3] } });            // [kh, kw, i, o]
        });
    };
    const viaConv3d = (backend: unknown, x: TensorInfo, dy: TensorInfo, a: Attributes): TensorInfo => {
        if (!conv3dFilter) throw new Error('Conv2DBackpropFilter on WASM: no kernel for strides/dilations other than 1');
        if (typeof a.pad !== 'string') throw new Error('Conv2DBackpropFilter on WASM: only same/valid padding is supported');
        if (pair(a.dilations).some(d => d !== 1)) throw new Error('Conv2DBackpropFilter on WASM: dilated convolutions are not supported');
        const [sh, sw] = pair(a.strides);
        return withIntermediates(backend, keep => {
            const toDepth1 = (t: TensorInfo) => keep(reshape({ inputs: { x: t }, backend, attrs: { shape: [t.shape[0], 1, ...t.shape.slice(1)] } }));
            const dw5 = keep(conv3dFilter({ inputs: { x: toDepth1(x), dy: toDepth1(dy) }, backend, attrs: { strides: [1, sh, sw], pad: a.pad, filterShape: [1, ...a.filterShape!] } }));
            return reshape({ inputs: { x: dw5 }, backend, attrs: { shape: a.filterShape } });
        });
    };
    const inputGradient: KernelFunc = ({ inputs, backend, attrs }) => {
        const { dy, filter } = inputs;
        const a = attrs as unknown as Attributes;
        if (!unitStride(a) && ownInputFunc) return ownInputFunc({ inputs, backend, attrs });
        if (!unitStride(a)) throw new Error('Conv2DBackpropInput on WASM: no kernel for strides/dilations other than 1');
        const g = geometryOf(a, a.inputShape!, filter.shape, [dy.dtype, filter.dtype]);
        const fast = directFor(backend, 'inputGradient', g);
        if (fast) return fast.inputGradient(dy, filter, g!);
        const [kh, kw] = filter.shape;
        const [top, bottom, left, right] = paddingOf(a.pad as 'same' | 'valid', kh, kw);
        return withIntermediates(backend, keep => {
            const turned = keep(reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
            const swapped = keep(transpose({ inputs: { x: turned }, backend, attrs: { perm: [0, 1, 3, 2] } })); // [kh, kw, o, i]
            return convolve(backend, dy, swapped, explicit([kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right]));
        });
    };

    const forward: KernelFunc = ({ inputs, backend, attrs }) => {
        const { x, filter } = inputs;
        const g = geometryOf(attrs as unknown as Attributes, x.shape, filter.shape, [x.dtype, filter.dtype]);
        const fast = directFor(backend, 'forward', g);
        return fast ? fast.forward(x, filter, g!) : conv2d({ inputs, backend, attrs });
    };
    // Inference fuses a layer's convolution, bias and activation (tf.fused.conv2d; under a gradient tape they stay apart).
    const ownFused = kernel('FusedConv2D');
    const fusedForward: KernelFunc = ({ inputs, backend, attrs }) => {
        const { x, filter, bias, preluActivationWeights } = inputs;
        const activation = (attrs.activation as string | undefined) ?? 'linear';
        const g = geometryOf(attrs as unknown as Attributes, x.shape, filter.shape, [x.dtype, filter.dtype, ...(bias ? [bias.dtype] : [])]);
        const ours = g && directConvolutionFuses(g) && !preluActivationWeights && (activation === 'linear' || activation === 'relu') && (!bias || (bias.shape.length === 1 && bias.shape[0] === g.outChannels));
        const fast = ours ? directFor(backend, 'forward', g) : undefined;
        return fast ? fast.forward(x, filter, g!, { bias, rectify: activation === 'relu' }) : ownFused!({ inputs, backend, attrs });
    };

    const kernels: [string, KernelFunc][] = [['Conv2D', forward], ['Conv2DBackpropFilter', filterGradient], ['Conv2DBackpropInput', inputGradient]];
    if (ownFused) kernels.push(['FusedConv2D', fusedForward]);
    for (const [kernelName, kernelFunc] of kernels) {
        const own = tf.getKernel(kernelName, 'wasm');
        if (own) tf.unregisterKernel(kernelName, 'wasm');
        // The setup binds WASM's own kernel to a backend as it starts (a fresh one after tf.removeBackend); the fallbacks call it.
        tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as never, setupFunc: own?.setupFunc });
    }
    registered = true;
    return true;
}
