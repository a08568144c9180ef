/**
 * The fast path of `contract` (neurons.ts) for small tensors: one kernel, written in plain
 * JavaScript over the backend's memory, that does the whole contraction per example.
 *
 * Why: a compiled gate such as `and` is a [2, 2, 2] tensor applied to a batch; the general path
 * runs it as an unbatched matMul and then a batched matMul of 2×2 matrices, and tfjs-WASM's
 * batched matMul on 65,536 tiny matrices costs far more than the arithmetic (about 2.4 ms of
 * the 2.9 ms forward at batch 65,536 here, see bench/gates.bench.mjs). A loop that visits each
 * example once does the same sums in a fraction of that.
 *
 * Under the gradient tape (tf.grads, optimisers, training) the kernel runs as one op with a
 * hand-written backward pass made of the same kernel: the gradient of input i is T with its
 * output axis and axis i swapped, contracted with the output's gradient in place of input i
 * (summed over the batch for a batch-1 input); T's own gradient, Σ_batch dy ⊗ x1 ⊗ … ⊗ xn,
 * is computed only when asked for. Through the general path the compiled `and` of a training
 * step was a dozen kernels and tape records forward and five backward. The kernel contracts
 * in the general path's order (largest input dim first, then the rest), so the two agree to
 * float32 rounding: the loop accumulates in double precision and rounds once per stored value.
 */
import * as tf from '@tensorflow/tfjs';
import { runOpSharingSaved, tapeEngine } from './tape.js';

export const SMALL_CONTRACTION_KERNEL = 'CajalSmallContraction';

/**
 * Largest tensor (entries of T) the fast path takes, by number of inputs. Per example the
 * unrolled loop does about |T| scalar multiply-adds; the general path pays a fixed cost per
 * batched matMul but vectorises. Measured on tfjs-WASM here at batch 65,536 (CPU ms, fast vs
 * general): one input [2, 4] 0.40 vs 0.63, [4, 4] 1.04 vs 0.64; two or more inputs [2, 2, 2]
 * 0.67 vs 3.44, [2, 4, 4] 2.19 vs 2.92, [4, 2, 2, 2] 3.20 vs 10.93, [2, 4, 8] 9.01 vs 4.90.
 */
export function smallContractionMaxSize(inputCount: number): number {
    return inputCount === 1 ? 8 : 32;
}

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type WasmBackend = {
    makeOutput(shape: number[], dtype: string): TensorInfo;
    typedArrayFromHeap(info: TensorInfo): Float32Array;
};
type CpuBackend = {
    data: { get(dataId: object): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
};

/**
 * The JavaScript source of the kernel body for a tensor of shape [dimOut, ...dims], fully
 * unrolled (loops over 2-element axes cost more than their arithmetic): a function of
 * (p, xs, strides, batch, out) with p the permuted T (see contractSmallInto), xs the inputs in
 * contraction order and strides their per-example offsets (0 for a batch of 1).
 */
export function generateSmallContractionKernel(dimOut: number, dims: readonly number[]): string {
    const order = contractionOrder(dims);
    const size = dims.reduce((a, b) => a * b, dimOut);
    const lines: string[] = [];
    lines.push(`const ${Array.from({ length: size }, (_, k) => `t${k} = p[${k}]`).join(', ')};`);
    order.forEach((_, s) => lines.push(`const x${s} = xs[${s}], s${s} = strides[${s}];`));
    lines.push('for (let b = 0; b < batch; b++) {');
    let previous = Array.from({ length: size }, (_, k) => `t${k}`);
    order.forEach((input, s) => {
        const d = dims[input];
        lines.push(`    const o${s} = b * s${s};`);
        const rest = previous.length / d;
        const next: string[] = [];
        for (let r = 0; r < rest; r++) {
            const terms = Array.from({ length: d }, (_, i) => `${previous[r * d + i]} * x${s}[o${s} + ${i}]`);
            const name = `v${s}_${r}`;
            lines.push(`    const ${name} = ${terms.join(' + ')};`);
            next.push(name);
        }
        previous = next;
    });
    lines.push(`    const at = b * ${dimOut};`);
    previous.forEach((name, r) => lines.push(`    out[at + ${r}] = ${name};`));
    lines.push('}');
    return lines.join('\n');
}

/** The general path's order: the largest input dim first (stable for equal dims). */
function contractionOrder(dims: readonly number[]): number[] {
    return dims.map((_, i) => i).sort((i, j) => dims[j] - dims[i]);
}

type CompiledKernel = (p: Float32Array, xs: Float32Array[], strides: number[], batch: number, out: Float32Array) => void;
const compiledKernels = new Map<string, CompiledKernel | undefined>();

/** The compiled kernel for a shape, or undefined where the engine forbids compiling code (a CSP without unsafe-eval). */
function compiledKernel(dimOut: number, dims: readonly number[]): CompiledKernel | undefined {
    const key = [dimOut, ...dims].join(',');
    if (!compiledKernels.has(key)) {
        let kernel: CompiledKernel | undefined;
        try {
            kernel = new Function('p', 'xs', 'strides', 'batch', 'out', generateSmallContractionKernel(dimOut, dims)) as CompiledKernel;
        } catch {
            kernel = undefined;
        }
        compiledKernels.set(key, kernel);
    }
    return compiledKernels.get(key);
}

/**
 * out[b, o] = Σ T[o, i1…in] · x1[b, i1] ⋯ xn[b, in] for float32 arrays: `t` is T's entries
 * row-major with shape [dimOut, ...dims], `inputs[j]` holds batchOf[j] rows of dims[j] entries
 * (a batch of 1 broadcasts), and `out` receives batch · dimOut entries.
 */
export function contractSmallInto(
    t: Float32Array, dimOut: number, dims: readonly number[],
    inputs: readonly Float32Array[], batchOf: readonly number[], batch: number, out: Float32Array
): void {
    const kernel = compiledKernel(dimOut, dims);
    if (!kernel) throw new Error(`contract: no compiled kernel for a tensor of shape [${[dimOut, ...dims].join(', ')}]`);
    const order = contractionOrder(dims);
    // T permuted to [out, d_order[n-1], …, d_order[0]], as the general path's first matMul reads it.
    const permuted = permute(t, [dimOut, ...dims], [0, ...[...order].reverse().map(i => i + 1)]);
    kernel(permuted, order.map(i => inputs[i]), order.map(i => (batchOf[i] === 1 ? 0 : dims[i])), batch, out);
}

/** A row-major array of the given shape with its axes permuted (out axis k is input axis perm[k]). */
function permute(values: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
    if (perm.every((p, i) => p === i)) return values;
    const rank = shape.length;
    const strides = new Array<number>(rank);
    for (let k = rank - 1, stride = 1; k >= 0; k--) {
        strides[k] = stride;
        stride *= shape[k];
    }
    const outShape = perm.map(p => shape[p]);
    const out = new Float32Array(values.length);
    const index = new Array<number>(rank).fill(0);
    for (let flat = 0; flat < out.length; flat++) {
        let source = 0;
        for (let k = 0; k < rank; k++) source += index[k] * strides[perm[k]];
        out[flat] = values[source];
        for (let k = rank - 1; k >= 0; k--) {
            if (++index[k] < outShape[k]) break;
            index[k] = 0;
        }
    }
    return out;
}

/** The kernel's inputs: `t` and x0 … x(n-1), each [batch or 1, dim]. */
function kernelOperands(inputs: Record<string, TensorInfo>): { t: TensorInfo; xs: TensorInfo[]; batch: number } {
    const t = inputs.t;
    const xs = Array.from({ length: t.shape.length - 1 }, (_, j) => inputs[`x${j}`]);
    return { t, xs, batch: Math.max(1, ...xs.map(x => x.shape[0])) };
}

function runOn(
    inputs: Record<string, TensorInfo>,
    allocate: (shape: number[]) => TensorInfo,
    view: (info: TensorInfo) => Float32Array
): TensorInfo {
    const { t, xs, batch } = kernelOperands(inputs);
    const result = allocate([batch, t.shape[0]]);
    // Views are taken after allocating: allocation may grow (and so detach) WASM memory.
    contractSmallInto(view(t), t.shape[0], t.shape.slice(1), xs.map(view), xs.map(x => x.shape[0]), batch, view(result));
    return result;
}

const kernels: tf.KernelConfig[] = [
    {
        kernelName: SMALL_CONTRACTION_KERNEL,
        backendName: 'wasm',
        kernelFunc: ({ inputs, backend }) => {
            const wasm = backend as unknown as WasmBackend;
            return runOn(inputs as unknown as Record<string, TensorInfo>, shape => wasm.makeOutput(shape, 'float32'), info => wasm.typedArrayFromHeap(info)) as never;
        },
    },
    {
        kernelName: SMALL_CONTRACTION_KERNEL,
        backendName: 'cpu',
        kernelFunc: ({ inputs, backend }) => {
            const cpu = backend as unknown as CpuBackend;
            const fresh = new Map<object, Float32Array>();
            return runOn(
                inputs as unknown as Record<string, TensorInfo>,
                shape => {
                    const values = new Float32Array(shape[0] * shape[1]);
                    const info = cpu.makeTensorInfo(shape, 'float32', values);
                    fresh.set(info.dataId, values);
                    return info;
                },
                info => fresh.get(info.dataId) ?? cpu.data.get(info.dataId).values
            ) as never;
        },
    },
];

let registered = false;

/**
 * Whether `contract(t, xs)` may take the fast path: a small float32 tensor, float32 inputs
 * whose (non-empty) batches agree or are 1, and a backend with the kernel.
 */
export function takesSmallContraction(t: tf.Tensor, xs: readonly tf.Tensor2D[]): boolean {
    if (xs.length === 0 || t.size > smallContractionMaxSize(xs.length)) return false;
    if (t.dtype !== 'float32' || xs.some(x => x.dtype !== 'float32')) return false;
    const batch = Math.max(...xs.map(x => x.shape[0]));
    // Mismatched and empty batches are the general path's to handle (or reject).
    if (xs.some(x => x.shape[0] === 0 || (x.shape[0] !== 1 && x.shape[0] !== batch))) return false;
    if (!compiledKernel(t.shape[0], t.shape.slice(1))) return false;
    if (!registered) {
        for (const kernel of kernels) {
            if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
        }
        registered = true;
    }
    return tf.getKernel(SMALL_CONTRACTION_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * Runs the fast-path kernel, differentiable in t and every input (see the file's comment);
 * call only where takesSmallContraction said yes.
 */
export function smallContraction(t: tf.Tensor, xs: readonly tf.Tensor2D[]): tf.Tensor2D {
    const inputs: Record<string, tf.Tensor> = { t };
    xs.forEach((x, j) => { inputs[`x${j}`] = x; });
    const run = () => tf.engine().runKernel(SMALL_CONTRACTION_KERNEL, inputs as never, {}) as tf.Tensor2D;
    const engine = tapeEngine();
    if (!engine.isTapeOn()) return run();
    return runOpSharingSaved({
        inputs,
        forwardFunc: (_backend, save) => {
            save([t, ...xs]);
            return run();
        },
        backwardsFunc: (dy, [tSaved, ...xsSaved]) => {
            const gradients: Record<string, () => tf.Tensor> = { t: () => tensorGradient(dy, xsSaved, tSaved.shape) };
            xsSaved.forEach((x, i) => { gradients[`x${i}`] = () => inputGradient(tSaved, xsSaved as tf.Tensor2D[], dy as tf.Tensor2D, i); });
            return gradients;
        }
    }) as tf.Tensor2D;
}

/** ∂/∂x_i of Σ dy · contract(t, xs): T with axes 0 and i + 1 swapped, contracted with dy in x_i's place. */
function inputGradient(t: tf.Tensor, xs: readonly tf.Tensor2D[], dy: tf.Tensor2D, i: number): tf.Tensor {
    const perm = t.shape.map((_, k) => k);
    [perm[0], perm[i + 1]] = [i + 1, 0];
    // Through smallContraction again, so that gradients of gradients are recorded too.
    const perExample = smallContraction(tf.transpose(t, perm), xs.map((x, j) => (j === i ? dy : x)));
    return xs[i].shape[0] === 1 && perExample.shape[0] !== 1 ? tf.sum(perExample, 0, true) : perExample;
}

/** ∂/∂T of Σ dy · contract(t, xs): Σ over the batch of dy ⊗ x1 ⊗ … ⊗ xn, as T's shape. */
function tensorGradient(dy: tf.Tensor, xs: readonly tf.Tensor[], shape: readonly number[]): tf.Tensor {
    let outer = dy;
    for (const x of xs) {
        const product = tf.mul(outer.expandDims(2), x.expandDims(1));
        outer = product.reshape([product.shape[0], -1]);
    }
    return tf.sum(outer, 0).reshape([...shape]);
}
