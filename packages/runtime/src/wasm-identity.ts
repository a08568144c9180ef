/**
 * tfjs-backend-wasm 4.22's Identity kernel copies its input into new memory. The engine runs
 * it for every tf.clone and, under the gradient tape, for every tensor a kernel saves for its
 * backward pass (a reshape saves its input, a matMul both operands, a custom op what it
 * asks for): about 40 copies per AND-even training step, two of them a 784×400 weight
 * matrix. The CPU and WebGL backends share the input's data instead (the data is reference
 * counted, and no kernel writes into an existing tensor's data: variables and optimisers
 * get new tensors); we register the same for WASM. The values are the same bits, so
 * results do not change, only the copies and their allocations go.
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type RefCountingBackend = { incRef(dataId: object): void };

const SHARED = Symbol.for('cajal.sharedIdentity');

/** Installs the data-sharing Identity once; returns true when the WASM Identity kernel is (now) the sharing one. */
export function useSharedIdentityOnWasm(): boolean {
    const original = tf.getKernel('Identity', 'wasm');
    if (!original) return false;
    if ((original as unknown as Record<symbol, boolean>)[SHARED]) return true;
    const kernelFunc: tf.KernelFunc = ({ inputs, backend }) => {
        const x = (inputs as Record<string, TensorInfo>).x;
        // Strings live in JS, not in WASM memory; the original handles them.
        if (x.dtype === 'string') return original.kernelFunc({ inputs, backend, attrs: {} });
        (backend as unknown as RefCountingBackend).incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype } as never;
    };
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel({ ...original, kernelFunc, [SHARED]: true } as tf.KernelConfig);
    return true;
}
