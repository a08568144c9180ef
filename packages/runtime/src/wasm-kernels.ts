/**
 * tfjs-backend-wasm 4.22 computes BatchMatMul with transposeA/transposeB through a slow
 * path (about 15x slower than the plain product for 784-wide matrices here), and tfjs's
 * matMul gradient always asks for transposed products, so training on WASM would spend
 * nearly all its time there. We wrap the kernel: transposed operands are transposed
 * explicitly (a cheap copy) and the fast untransposed product does the work.
 */
import * as tf from '@tensorflow/tfjs';

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

    const swapLastTwoAxes = (x: TensorInfo, backend: KernelArgs['backend']): TensorInfo => {
        const rank = x.shape.length;
        const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
        return transposeKernel.kernelFunc({ inputs: { x } as never, backend, attrs: { perm } }) as TensorInfo;
    };

    const kernelFunc: tf.KernelFunc = (args) => {
        const { inputs, backend, attrs } = args;
        const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
        if (!transposeA && !transposeB) return original.kernelFunc(args);
        const a0 = (inputs as Record<string, TensorInfo>).a;
        const b0 = (inputs as Record<string, TensorInfo>).b;
        const a = transposeA ? swapLastTwoAxes(a0, backend) : a0;
        const b = transposeB ? swapLastTwoAxes(b0, backend) : b0;
        try {
            return original.kernelFunc({ inputs: { a, b } as never, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
        } finally {
            if (transposeA) (backend as unknown as DisposingBackend).disposeData(a.dataId);
            if (transposeB) (backend as unknown as DisposingBackend).disposeData(b.dataId);
        }
    };
    const wrapped = { ...original, kernelFunc, [WRAPPED]: true };
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel(wrapped as tf.KernelConfig);
    return true;
}
