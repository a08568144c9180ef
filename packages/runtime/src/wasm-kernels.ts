/**
 * Float32 products where our own SIMD kernel is faster than XNNPACK's (wasm-gemm.ts: with
 * relaxed SIMD's fused multiply-add, from 64 rows; docs/training.md) run on it, transposed
 * operands included. The others go to tfjs's kernel, wrapped as follows.
 *
 * tfjs-backend-wasm 4.22's BatchMatMul has two costs that training pays on every step; we
 * wrap the kernel to avoid both (the results are the same products):
 * - products with transposeA/transposeB go through a slow path (about 15x slower than the
 *   plain product for 784-wide matrices here), and tfjs's matMul gradient always asks for
 *   them: transposed operands are transposed explicitly (a cheap copy) and the fast
 *   untransposed product does the work;
 * - the fast product (XNNPACK's fully-connected operator) repacks its right operand b, with a
 *   transposition, whenever b is a tensor it has not seen, and caches the packing on b. A
 *   network's weights are new tensors after every optimiser step, so each forward product
 *   x·W of a training batch repacked W: about 5 ms for 784×400, more than the product. When
 *   b is new and the left operand has fewer rows than b has columns, we compute (bᵀ·aᵀ)ᵀ
 *   instead, which packs the smaller aᵀ. A b seen before goes the plain way, so weights used
 *   repeatedly (inference, an iterated step) are packed once and reused.
 * - a right operand multiplied transposed again and again (an iterated step's weights W in the
 *   backward pass: each step's input gradient is dy·Wᵀ) was transposed and packed afresh each
 *   time: from its second transposed product on, its transpose is kept (one at a time: the last
 *   such operand's, released when another takes its place or, at the next transposed product,
 *   once the operand is disposed) and XNNPACK packs it once. The iterate-784 backward's 8
 *   input-gradient products ([512, 784]·[784, 784]ᵀ) took 374 → 318 ms of CPU (medians of 15
 *   interleaved rounds on a loaded machine, 2026-11-30).
 */
import * as tf from '@tensorflow/tfjs';
import { WasmGemm } from './wasm-gemm.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type DisposingBackend = { disposeData(dataId: object): boolean | void };

const WRAPPED = Symbol.for('cajal.transposeFreeBatchMatMul');

/** Installs the wrapper once; returns true when the WASM BatchMatMul kernel is (now) wrapped. */
export function useTransposeFreeMatMulOnWasm(): boolean {
    const original = tf.getKernel('BatchMatMul', 'wasm');
    const transposeKernel = tf.getKernel('Transpose', 'wasm');
    if (!original || !transposeKernel) return false;
    if ((original as unknown as Record<symbol, boolean>)[WRAPPED]) return true;

    /** Right operands that were used once already: the next product with them packs and caches them. */
    const seen = new WeakSet<object>();
    const swapLastTwoAxes = (x: TensorInfo, backend: KernelArgs['backend']): TensorInfo => {
        const rank = x.shape.length;
        const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
        return transposeKernel.kernelFunc({ inputs: { x } as never, backend, attrs: { perm } }) as TensorInfo;
    };
    const outerSize = (x: TensorInfo) => x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    /** Right operands multiplied transposed (transposeB) once already. */
    const transposedOnce = new WeakSet<object>();
    /** The transpose of the last right operand multiplied transposed a second time, and whose it is. */
    let kept: { of: object; transposed: TensorInfo } | undefined;
    const keptTransposeOf = (b: TensorInfo, backend: KernelArgs['backend']): TensorInfo | undefined => {
        // The operand it was kept for is gone (disposed): release the copy.
        if (kept && !(backend as unknown as { dataIdMap: { has(id: object): boolean } }).dataIdMap.has(kept.of)) {
            (backend as unknown as DisposingBackend).disposeData(kept.transposed.dataId);
            kept = undefined;
        }
        if (kept?.of === b.dataId) return kept.transposed;
        if (!transposedOnce.has(b.dataId)) {
            transposedOnce.add(b.dataId);
            return undefined;
        }
        if (kept) (backend as unknown as DisposingBackend).disposeData(kept.transposed.dataId);
        kept = { of: b.dataId, transposed: swapLastTwoAxes(b, backend) };
        return kept.transposed;
    };

    const kernelFunc: tf.KernelFunc = (args) => {
        const { inputs, backend, attrs } = args;
        const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
        const a0 = (inputs as Record<string, TensorInfo>).a;
        const b0 = (inputs as Record<string, TensorInfo>).b;
        const temporaries: TensorInfo[] = [];
        const transposed = (x: TensorInfo) => {
            const t = swapLastTwoAxes(x, backend);
            temporaries.push(t);
            return t;
        };
        const own = WasmGemm.on(backend)?.batchMatMul(a0, b0, transposeA === true, transposeB === true);
        if (own) return own as never;
        const plain = { ...attrs, transposeA: false, transposeB: false };
        try {
            const rowsA = a0.shape[a0.shape.length - (transposeA ? 1 : 2)];
            const columnsB = b0.shape[b0.shape.length - (transposeB ? 2 : 1)];
            const unbatched = outerSize(a0) === 1 && outerSize(b0) === 1;
            const keptB = transposeB && unbatched ? keptTransposeOf(b0, backend) : undefined;
            if (keptB) {
                return original.kernelFunc({ inputs: { a: transposeA ? transposed(a0) : a0, b: keptB } as never, backend, attrs: plain });
            }
            // A b that is a fresh transposed copy (transposeB) is never one seen before.
            if (unbatched && rowsA < columnsB && (transposeB || !seen.has(b0.dataId))) {
                if (!transposeB) seen.add(b0.dataId);
                const bT = transposeB ? b0 : transposed(b0);
                const aT = transposeA ? a0 : transposed(a0);
                const outT = original.kernelFunc({ inputs: { a: bT, b: aT } as never, backend, attrs: plain }) as TensorInfo;
                temporaries.push(outT);
                return swapLastTwoAxes(outT, backend) as never;
            }
            if (!transposeB && unbatched) seen.add(b0.dataId);
            if (!transposeA && !transposeB) return original.kernelFunc(args);
            const a = transposeA ? transposed(a0) : a0;
            const b = transposeB ? transposed(b0) : b0;
            return original.kernelFunc({ inputs: { a, b } as never, backend, attrs: plain });
        } finally {
            for (const t of temporaries) (backend as unknown as DisposingBackend).disposeData(t.dataId);
        }
    };
    const wrapped = { ...original, kernelFunc, [WRAPPED]: true };
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel(wrapped as tf.KernelConfig);
    return true;
}
