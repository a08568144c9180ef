/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so the gradient of any conv2d
 * layer (the `cnn` and `conv` architectures) fails on WASM. It does have the 3-D version:
 * a 2-D convolution is a 3-D one over a depth of 1, so we register the missing kernel as
 * Conv3DBackpropFilterV2 on inputs reshaped to depth 1.
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type DisposingBackend = { disposeData(dataId: object): boolean | void };

/** Registers the kernel once (when WASM is in use and lacks it); true when it is available. */
export function ensureConv2dFilterGradientOnWasm(): boolean {
    if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return true;
    const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
    const reshape = tf.getKernel('Reshape', 'wasm');
    if (!conv3d || !reshape) return false;
    tf.registerKernel({
        kernelName: 'Conv2DBackpropFilter',
        backendName: 'wasm',
        kernelFunc: ({ inputs, backend, attrs }) => {
            const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
            const { strides, pad, dataFormat, filterShape } = attrs as unknown as {
                strides: [number, number] | number; pad: 'same' | 'valid' | number; dataFormat?: string; filterShape: [number, number, number, number];
            };
            if (dataFormat && dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on WASM: only NHWC is supported, got ${dataFormat}`);
            if (typeof pad !== 'string') throw new Error('Conv2DBackpropFilter on WASM: only same/valid padding is supported');
            const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
            const toDepth1 = (t: TensorInfo) => reshape.kernelFunc({ inputs: { x: t } as never, backend, attrs: { shape: [t.shape[0], 1, ...t.shape.slice(1)] } }) as TensorInfo;
            const x5 = toDepth1(x), dy5 = toDepth1(dy);
            try {
                const dw5 = conv3d.kernelFunc({
                    inputs: { x: x5, dy: dy5 } as never, backend,
                    attrs: { strides: [1, sh, sw], pad, filterShape: [1, ...filterShape] }
                }) as TensorInfo;
                const dw = reshape.kernelFunc({ inputs: { x: dw5 } as never, backend, attrs: { shape: filterShape } }) as TensorInfo;
                (backend as unknown as DisposingBackend).disposeData(dw5.dataId);
                return dw as never;
            } finally {
                (backend as unknown as DisposingBackend).disposeData(x5.dataId);
                (backend as unknown as DisposingBackend).disposeData(dy5.dataId);
            }
        }
    });
    return true;
}
