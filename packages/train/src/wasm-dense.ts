/**
 * The dense stack's elementwise passes on tfjs-WASM (dense.ts) as WebAssembly SIMD kernels in
 * tfjs's own memory, four floats at a time, over a [rows, n] matrix with n a multiple of 4:
 *   forward(z, bias, n/4, rows):        z ← f(z + bias) in place (relu: f32x4.max with 0; linear: f = identity)
 *   backward(dy, h, dz, sums, n/4, rows): relu: dz ← dy where h > 0, else 0; sums += dz per column, row after row
 *                                         linear: sums += dy per column (dz is dy; h and dz unused)
 * Each sum and bias addition is one float32 addition in the order tfjs-WASM's Add and Sum
 * make them, so the results are those kernels' bit for bit (up to the sign of a zero and NaN
 * where the input is NaN). The same passes in JavaScript took 75–240 µs for [64, 400]: more
 * than the kernel dispatches they replace.
 */
import { I32, Op, SimdOp, V128, countedLoop, i32Const, localGet, localSet, memarg, simd, singleFunctionModule, webAssembly, type WasmModule } from '@cajal/runtime/wasm-assembly';
import type { TfjsWasmBackend } from './adam.js';

export type FusedActivation = 'relu' | 'linear';

/** The byte address base + 16·i (the i-th vector from base). */
const vectorAt = (base: number, i: number) => [...localGet(base), ...localGet(i), ...i32Const(4), Op.I32_SHL, Op.I32_ADD];
const load = simd(SimdOp.V128_LOAD, ...memarg(4, 0));
const store = simd(SimdOp.V128_STORE, ...memarg(4, 0));
const F32X4_ADD = simd(SimdOp.F32X4_ADD), F32X4_MAX = simd(0xe9), F32X4_GT = simd(0x44), V128_AND = simd(0x4e);
/** base += vectors·16 (the next row). */
const nextRow = (base: number, vectors: number) => [...localGet(base), ...localGet(vectors), ...i32Const(4), Op.I32_SHL, Op.I32_ADD, ...localSet(base)];

function forwardModuleBytes(activation: FusedActivation): Uint8Array {
    const [Z, B, VECTORS, ROWS, R, I, ZERO] = [0, 1, 2, 3, 4, 5, 6];
    const perVector = [
        ...vectorAt(Z, I),
        ...vectorAt(Z, I), ...load, ...vectorAt(B, I), ...load, ...F32X4_ADD,
        ...(activation === 'relu' ? [...localGet(ZERO), ...F32X4_MAX] : []),
        ...store
    ];
    const body = countedLoop(R, localGet(ROWS), [...countedLoop(I, localGet(VECTORS), perVector), ...nextRow(Z, VECTORS)]);
    // Locals: r, i (i32), then zero (v128, zero-initialised).
    return singleFunctionModule('forward', [I32, I32, I32, I32], [2, 2, I32, 1, V128, ...body, Op.END]);
}

function backwardModuleBytes(activation: FusedActivation): Uint8Array {
    const [DY, H, DZ, SUMS, VECTORS, ROWS, R, I, G, ZERO] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const gradient = activation === 'relu'
        ? [...vectorAt(DY, I), ...load, ...vectorAt(H, I), ...load, ...localGet(ZERO), ...F32X4_GT, ...V128_AND, ...localSet(G),
            ...vectorAt(DZ, I), ...localGet(G), ...store]
        : [...vectorAt(DY, I), ...load, ...localSet(G)];
    const perVector = [...gradient, ...vectorAt(SUMS, I), ...vectorAt(SUMS, I), ...load, ...localGet(G), ...F32X4_ADD, ...store];
    const advance = activation === 'relu' ? [...nextRow(DY, VECTORS), ...nextRow(H, VECTORS), ...nextRow(DZ, VECTORS)] : nextRow(DY, VECTORS);
    const body = countedLoop(R, localGet(ROWS), [...countedLoop(I, localGet(VECTORS), perVector), ...advance]);
    // Locals: r, i (i32), then g and zero (v128).
    return singleFunctionModule('backward', [I32, I32, I32, I32, I32, I32], [2, 2, I32, 2, V128, ...body, Op.END]);
}

type Forward = (z: number, bias: number, vectors: number, rows: number) => void;
type Backward = (dy: number, h: number, dz: number, sums: number, vectors: number, rows: number) => void;

export interface DenseKernels {
    forward(activation: FusedActivation): Forward;
    backward(activation: FusedActivation): Backward;
}

let modules: Map<string, WasmModule> | null | undefined;
const instances = new WeakMap<object, DenseKernels>();

/** The kernels instantiated on tfjs-WASM's memory, or undefined where WebAssembly SIMD is unavailable. */
export function denseKernelsOn(wasm: TfjsWasmBackend): DenseKernels | undefined {
    const api = webAssembly();
    if (modules === undefined) {
        const built = new Map<string, WasmModule>();
        for (const activation of ['relu', 'linear'] as const) {
            for (const [pass, bytes] of [['forward', forwardModuleBytes(activation)], ['backward', backwardModuleBytes(activation)]] as const) {
                if (!api?.validate(bytes)) { modules = null; return undefined; }
                built.set(`${pass} ${activation}`, new api.Module(bytes));
            }
        }
        modules = built;
    }
    if (modules === null || !api) return undefined;
    let kernels = instances.get(wasm);
    if (!kernels) {
        const exported = new Map<string, unknown>();
        for (const [key, module] of modules) exported.set(key, new api.Instance(module, { env: { memory: wasm.wasm.asm.memory } }).exports[key.split(' ')[0]]);
        kernels = {
            forward: activation => exported.get(`forward ${activation}`) as Forward,
            backward: activation => exported.get(`backward ${activation}`) as Backward
        };
        instances.set(wasm, kernels);
    }
    return kernels;
}
