/**
 * Matrix transposes on tfjs-WASM by 4×4 blocks of WebAssembly SIMD. tfjs-backend-wasm 4.22
 * transposes element by element, about 0.3–0.7 ms for a 784×400 float32 matrix here, where a
 * copy of it takes 0.05 ms; a training step transposes the two 784×400 weights (the wrapped
 * BatchMatMul of wasm-kernels.ts multiplies by transposed copies) and its batches. This kernel
 * loads four rows of four floats, regroups them into four columns with shuffles and stores
 * those, block after block along the destination's rows (sequential writes measured faster
 * than sequential reads here): the same values moved, so results are identical. It replaces
 * the Transpose kernel for float32 tensors whose permutation swaps the last two axes (a
 * matrix, or a batch of them) when both of those axes are multiples of 4; every other
 * transpose goes to the original. The kernel is assembled here by hand (wasm-assembly.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { I32, Op, SimdOp, V128, localGet, localSet, memarg, simd, singleFunctionModule, webAssembly, type WasmMemory } from './wasm-assembly.js';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
/** What the kernel uses of tfjs-backend-wasm 4.22's backend object (checked before use). */
interface TfjsWasmBackend {
    readonly wasm: { readonly asm: { readonly memory: WasmMemory } };
    readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
    makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

/** transpose(source, destination, rows, columns): byte offsets, both dims multiples of 4. */
type TransposeKernel = (source: number, destination: number, rows: number, columns: number) => void;

/** The module: one function over the imported memory env.memory. */
export function transposeModuleBytes(): Uint8Array {
    const [SOURCE, DESTINATION, ROWS, COLUMNS] = [0, 1, 2, 3];
    const [I, J, ROW_BYTES, COLUMN_BYTES, P, Q] = [4, 5, 6, 7, 8, 9];
    const [A, B, C, D, T0, T1, T2, T3] = [10, 11, 12, 13, 14, 15, 16, 17];
    const get = localGet, set = localSet;
    const { I32_ADD: add, I32_MUL: mul, I32_SHL: shl, I32_GE_U: geU } = Op;
    const load = simd(SimdOp.V128_LOAD, ...memarg(2, 0)), store = simd(SimdOp.V128_STORE, ...memarg(2, 0));
    /** i8x16.shuffle picking the 32-bit lanes (0–3 from the first vector, 4–7 from the second). */
    const shuffle = (lanes: number[]) => [...simd(SimdOp.I8X16_SHUFFLE), ...lanes.flatMap(l => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];
    /** Address base + k · stride. */
    const at = (base: number, stride: number, k: number) => k === 0 ? get(base) : [...get(base), ...get(stride), 0x41, k, mul, add];
    const body = [
        ...get(COLUMNS), 0x41, 2, shl, ...set(ROW_BYTES),
        ...get(ROWS), 0x41, 2, shl, ...set(COLUMN_BYTES),
        0x02, 0x40, 0x03, 0x40, // block, loop over blocks of four columns
        ...get(J), ...get(COLUMNS), geU, 0x0d, 1,
        0x41, 0, ...set(I),
        0x02, 0x40, 0x03, 0x40, // block, loop over blocks of four rows
        ...get(I), ...get(ROWS), geU, 0x0d, 1,
        // P: source row i, column j; Q: destination row j, column i.
        ...get(SOURCE), ...get(I), ...get(ROW_BYTES), mul, add, ...get(J), 0x41, 2, shl, add, ...set(P),
        ...get(DESTINATION), ...get(J), ...get(COLUMN_BYTES), mul, add, ...get(I), 0x41, 2, shl, add, ...set(Q),
        ...at(P, ROW_BYTES, 0), ...load, ...set(A),
        ...at(P, ROW_BYTES, 1), ...load, ...set(B),
        ...at(P, ROW_BYTES, 2), ...load, ...set(C),
        ...at(P, ROW_BYTES, 3), ...load, ...set(D),
        // t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = c0 d0 c1 d1, t3 = c2 d2 c3 d3
        ...get(A), ...get(B), ...shuffle([0, 4, 1, 5]), ...set(T0),
        ...get(A), ...get(B), ...shuffle([2, 6, 3, 7]), ...set(T1),
        ...get(C), ...get(D), ...shuffle([0, 4, 1, 5]), ...set(T2),
        ...get(C), ...get(D), ...shuffle([2, 6, 3, 7]), ...set(T3),
        // column k of the block: a_k b_k c_k d_k
        ...at(Q, COLUMN_BYTES, 0), ...get(T0), ...get(T2), ...shuffle([0, 1, 4, 5]), ...store,
        ...at(Q, COLUMN_BYTES, 1), ...get(T0), ...get(T2), ...shuffle([2, 3, 6, 7]), ...store,
        ...at(Q, COLUMN_BYTES, 2), ...get(T1), ...get(T3), ...shuffle([0, 1, 4, 5]), ...store,
        ...at(Q, COLUMN_BYTES, 3), ...get(T1), ...get(T3), ...shuffle([2, 3, 6, 7]), ...store,
        ...get(I), 0x41, 4, add, ...set(I),
        0x0c, 0, 0x0b, 0x0b, // continue; end loop, block
        ...get(J), 0x41, 4, add, ...set(J),
        0x0c, 0, 0x0b, 0x0b, // continue; end loop, block
        0x0b // end function
    ];
    const code = [2, 6, I32, 8, V128, ...body]; // locals: i, j, row bytes, column bytes, p, q; eight vectors
    return singleFunctionModule('transpose', [I32, I32, I32, I32], code);
}

const REPLACED = Symbol.for('cajal.blockTranspose');

/**
 * Installs the block transpose once (before the BatchMatMul wrapper, which takes the Transpose
 * kernel registered then); returns true when the WASM Transpose kernel is (now) the block one.
 * False where WebAssembly SIMD or the backend's internals are not what this file expects.
 */
export function useBlockTransposeOnWasm(): boolean {
    const original = tf.getKernel('Transpose', 'wasm');
    if (!original) return false;
    if ((original as unknown as Record<symbol, boolean>)[REPLACED]) return true;
    const bytes = transposeModuleBytes();
    const wasm = webAssembly();
    if (!wasm?.validate(bytes)) return false;
    const module = new wasm.Module(bytes);
    const instances = new WeakMap<object, TransposeKernel>();
    const kernelOf = (backend: TfjsWasmBackend): TransposeKernel | undefined => {
        let kernel = instances.get(backend);
        const memory = backend.wasm?.asm?.memory;
        if (!kernel && memory && typeof backend.dataIdMap?.get === 'function' && typeof backend.makeOutput === 'function') {
            kernel = new wasm.Instance(module, { env: { memory } }).exports.transpose as TransposeKernel;
            instances.set(backend, kernel);
        }
        return kernel;
    };
    const kernelFunc: tf.KernelFunc = args => {
        const x = (args.inputs as Record<string, TensorInfo>).x;
        const perm = (args.attrs as { perm: number[] }).perm;
        const rank = x.shape.length;
        const [rows, columns] = [x.shape[rank - 2], x.shape[rank - 1]];
        const swapsLastTwo = rank >= 2 && perm.length === rank && perm.every((p, k) => p === (k < rank - 2 ? k : k === rank - 2 ? rank - 1 : rank - 2));
        const backend = args.backend as unknown as TfjsWasmBackend;
        const kernel = swapsLastTwo && x.dtype === 'float32' && rows > 0 && columns > 0 && rows % 4 === 0 && columns % 4 === 0 ? kernelOf(backend) : undefined;
        if (!kernel) return original.kernelFunc(args);
        const out = backend.makeOutput([...x.shape.slice(0, rank - 2), columns, rows], 'float32');
        const source = backend.dataIdMap.get(x.dataId)!.memoryOffset;
        const destination = backend.dataIdMap.get(out.dataId)!.memoryOffset;
        const matrixBytes = rows * columns * 4;
        const matrices = x.shape.slice(0, rank - 2).reduce((a, b) => a * b, 1);
        for (let m = 0; m < matrices; m++) kernel(source + m * matrixBytes, destination + m * matrixBytes, rows, columns);
        return out as never;
    };
    tf.unregisterKernel('Transpose', 'wasm');
    tf.registerKernel({ ...original, kernelFunc, [REPLACED]: true } as tf.KernelConfig);
    return true;
}
