/**
 * Adam as one WebAssembly SIMD pass over each variable per step. tf.train.adam runs about
 * fifteen kernels per variable and step, each allocating a tensor the size of the weights;
 * for the AND-even networks (two 784×400 weights) that was a fifth of a training step on
 * WASM. This optimiser computes the same float32 operations in the same order (IEEE float32
 * arithmetic, no fused multiply-add), so its updates are bit-identical to tf.train.adam's on
 * every backend (test/train/adam.test.ts). On the WASM backend the kernel works in tfjs's
 * own WebAssembly memory: it reads the gradient and the weights where they are and writes the
 * new weights into a tensor tfjs allocated, with no copies (copying in and out of a separate
 * memory took more time than the update); elsewhere it gets its own memory and the numbers
 * are copied in and out. The weights get a new tensor every step, as with tfjs's optimisers
 * (kernels may cache work keyed on a tensor's data, so weights are never written in place).
 */
import * as tf from '@tensorflow/tfjs';
import { F32, I32, Op, SimdOp, V128, localGet, localSet, memarg, simd, singleFunctionModule, webAssembly, type WasmMemory, type WasmModule } from '@cajal/runtime/wasm-assembly';

/** What FusedAdam (and batches.ts's rowsTensor) use of tfjs-backend-wasm 4.22's backend object (checked before use). */
export interface TfjsWasmBackend {
    readonly wasm: { readonly asm: { readonly memory: WasmMemory }; _malloc(bytes: number): number; _free(offset: number): void };
    readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
    makeOutput(shape: number[], dtype: 'float32'): { dataId: object; shape: number[]; dtype: 'float32' };
}

/** The tfjs-WASM backend when it is the current one and has the parts TfjsWasmBackend names, else undefined. */
export function tfjsWasmBackend(): TfjsWasmBackend | undefined {
    if (tf.getBackend() !== 'wasm') return undefined;
    const backend = tf.backend() as unknown as Partial<TfjsWasmBackend>;
    const ok = typeof backend.wasm?.asm?.memory?.grow === 'function' && typeof backend.wasm._malloc === 'function'
        && typeof backend.dataIdMap?.get === 'function' && typeof backend.makeOutput === 'function';
    return ok ? backend as TfjsWasmBackend : undefined;
}

/**
 * The kernel, assembled by hand (a dozen instructions; @cajal/runtime's wasm-assembly.ts):
 * adam(g, value, m, v, out, bytes, beta1, beta2, 1 − beta1, 1 − beta2, 1 − beta1^t, 1 − beta2^t, epsilon, −lr)
 * over `bytes` bytes (a multiple of 16) at the given byte offsets, four floats at a time:
 *   m ← m·beta1 + g·(1 − beta1);  v ← v·beta2 + (g·g)·(1 − beta2)
 *   out ← (m / (1 − beta1^t)) / (√(v / (1 − beta2^t)) + epsilon) · (−lr) + value
 * — tfjs's AdamOptimizer.applyGradients, operation for operation.
 */
function adamModuleBytes(): Uint8Array {
    const [G, VALUE, M, V, OUT, BYTES] = [0, 1, 2, 3, 4, 5];
    const SCALARS = 6; // beta1, beta2, 1 − beta1, 1 − beta2, 1 − beta1^t, 1 − beta2^t, epsilon, −lr
    const I = 14, X = 15, MM = 16, VV = 17, SPLAT = 18; // SPLAT + k: scalar k in all four lanes
    const get = localGet, set = localSet;
    const load = (base: number) => [...get(base), ...get(I), Op.I32_ADD, ...simd(SimdOp.V128_LOAD, ...memarg(4, 0))];
    const store = simd(SimdOp.V128_STORE, ...memarg(4, 0));
    const [sqrt, add, mul, div] = [simd(SimdOp.F32X4_SQRT), simd(SimdOp.F32X4_ADD), simd(SimdOp.F32X4_MUL), simd(SimdOp.F32X4_DIV)];
    const splat = (k: number) => [...get(SCALARS + k), ...simd(SimdOp.F32X4_SPLAT), ...set(SPLAT + k)];
    const body = [
        ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap(splat),
        0x02, 0x40, 0x03, 0x40, // block, loop
        ...get(I), ...get(BYTES), 0x4f, 0x0d, 1, // if i >= bytes: break
        ...load(G), ...set(X),
        ...load(M), ...get(SPLAT + 0), ...mul, ...get(X), ...get(SPLAT + 2), ...mul, ...add, ...set(MM),
        ...get(M), ...get(I), 0x6a, ...get(MM), ...store,
        ...load(V), ...get(SPLAT + 1), ...mul, ...get(X), ...get(X), ...mul, ...get(SPLAT + 3), ...mul, ...add, ...set(VV),
        ...get(V), ...get(I), 0x6a, ...get(VV), ...store,
        ...get(OUT), ...get(I), 0x6a,
        ...get(MM), ...get(SPLAT + 4), ...div,
        ...get(VV), ...get(SPLAT + 5), ...div, ...sqrt, ...get(SPLAT + 6), ...add,
        ...div, ...get(SPLAT + 7), ...mul, ...load(VALUE), ...add, ...store,
        ...get(I), 0x41, 16, 0x6a, ...set(I), // i += 16
        0x0c, 0, 0x0b, 0x0b, 0x0b // continue; end loop, block, function
    ];
    const code = [2, 1, I32, 11, V128, ...body]; // locals: i, then x, m, v and the eight splats
    return singleFunctionModule('adam', [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32], code);
}

type AdamKernel = (g: number, value: number, m: number, v: number, out: number, bytes: number, ...scalars: number[]) => void;

let compiled: WasmModule | null | undefined;

/** The compiled kernel module, or null where WebAssembly SIMD is unavailable. */
function adamModule(): WasmModule | null {
    if (compiled === undefined) {
        const bytes = adamModuleBytes();
        const wasm = webAssembly();
        compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    }
    return compiled;
}

const f32 = Math.fround;
/** Bytes of n floats, rounded up to whole 16-byte vectors. */
const vectorBytes = (n: number) => Math.ceil(n / 4) * 16;

export class FusedAdam {
    /** Whether this JavaScript engine runs the kernel (WebAssembly SIMD); otherwise use tf.train.adam. */
    static available(): boolean {
        return adamModule() !== null;
    }

    private readonly kernel: AdamKernel;
    private readonly memory: WasmMemory;
    /** tfjs's WASM backend, whose memory the kernel shares; undefined: the kernel has its own memory. */
    private readonly wasm: TfjsWasmBackend | undefined;
    private readonly allocated: number[] = [];
    private used = 0;
    /** Byte offsets of each variable's first and second moments (whole vectors, the padding zero). */
    private readonly moments = new Map<string, { first: number; second: number }>();
    /** Gradient, weights and new weights of up to `bytes` bytes: the last partial vector (shared memory) or whole variables (own memory). */
    private scratch = { g: 0, value: 0, out: 0, bytes: 0 };
    private readonly scalars: { beta1: number; beta2: number; oneMinusBeta1: number; oneMinusBeta2: number; epsilon: number; negativeLearningRate: number };
    /** beta1^t and beta2^t, as tfjs keeps them: float32 scalars multiplied once per step. */
    private accBeta1: number;
    private accBeta2: number;

    /** The defaults are tf.train.adam's (epsilon: the backend's, 1e-7 for float32). Uses the backend active now. */
    constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon = tf.backend().epsilon()) {
        const module = adamModule();
        if (!module) throw new Error('FusedAdam needs WebAssembly SIMD');
        this.wasm = tfjsWasmBackend();
        const wasm = webAssembly()!;
        this.memory = this.wasm?.wasm.asm.memory ?? new wasm.Memory({ initial: 1 });
        this.kernel = new wasm.Instance(module, { env: { memory: this.memory } }).exports.adam as AdamKernel;
        // tfjs turns each JS number into a float32 scalar tensor before using it.
        this.scalars = {
            beta1: f32(beta1), beta2: f32(beta2), oneMinusBeta1: f32(1 - beta1), oneMinusBeta2: f32(1 - beta2),
            epsilon: f32(epsilon), negativeLearningRate: f32(-learningRate)
        };
        this.accBeta1 = f32(beta1);
        this.accBeta2 = f32(beta2);
    }

    /** `bytes` zeroed bytes of the kernel's memory: from tfjs's allocator, or the end of the own memory. */
    private allocate(bytes: number): number {
        let offset: number;
        if (this.wasm) {
            offset = this.wasm.wasm._malloc(bytes);
            this.allocated.push(offset);
        } else {
            offset = this.used;
            this.used += bytes;
            const missing = this.used - this.memory.buffer.byteLength;
            if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
        }
        new Uint8Array(this.memory.buffer, offset, bytes).fill(0);
        return offset;
    }

    private scratchOf(bytes: number): { g: number; value: number; out: number } {
        if (bytes > this.scratch.bytes) this.scratch = { g: this.allocate(bytes), value: this.allocate(bytes), out: this.allocate(bytes), bytes };
        return this.scratch;
    }

    /** One update of every variable that has a gradient (by variable name, as tf.variableGrads returns them). */
    applyGradients(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap): void {
        if (this.wasm !== tfjsWasmBackend()) throw new Error('FusedAdam: the tfjs backend changed since the optimiser was made');
        const { beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, negativeLearningRate } = this.scalars;
        const oneMinusAccBeta1 = f32(1 - this.accBeta1);
        const oneMinusAccBeta2 = f32(1 - this.accBeta2);
        const run = (g: number, value: number, first: number, second: number, out: number, bytes: number) => this.kernel(g, value, first, second, out, bytes,
            beta1, beta2, oneMinusBeta1, oneMinusBeta2, oneMinusAccBeta1, oneMinusAccBeta2, epsilon, negativeLearningRate);
        for (const variable of variables) {
            const gradient = gradients[variable.name];
            if (!gradient) continue;
            const n = variable.size;
            let moments = this.moments.get(variable.name);
            if (!moments) this.moments.set(variable.name, moments = { first: this.allocate(vectorBytes(n)), second: this.allocate(vectorBytes(n)) });
            let next: tf.Tensor;
            if (this.wasm) {
                // In place in tfjs's memory: whole vectors directly, the last partial one through the scratch.
                const out = this.wasm.makeOutput([...variable.shape], 'float32');
                const at = (t: { dataId: object }) => this.wasm!.dataIdMap.get(t.dataId)!.memoryOffset;
                const whole = Math.floor(n / 4) * 16;
                run(at(gradient), at(variable), moments.first, moments.second, at(out), whole);
                const rest = n % 4;
                if (rest > 0) {
                    const scratch = this.scratchOf(16);
                    const heap = new Float32Array(this.memory.buffer);
                    const tail = whole / 4;
                    heap.fill(0, scratch.g / 4, scratch.g / 4 + 4);
                    heap.copyWithin(scratch.g / 4, at(gradient) / 4 + tail, at(gradient) / 4 + n);
                    heap.copyWithin(scratch.value / 4, at(variable) / 4 + tail, at(variable) / 4 + n);
                    run(scratch.g, scratch.value, moments.first + whole, moments.second + whole, scratch.out, 16);
                    heap.copyWithin(at(out) / 4 + tail, scratch.out / 4, scratch.out / 4 + rest);
                }
                next = tf.engine().makeTensorFromTensorInfo(out);
            } else {
                const bytes = vectorBytes(n);
                const scratch = this.scratchOf(bytes);
                const heap = new Float32Array(this.memory.buffer);
                // The padding after the last float stays zero in g, so the padded lanes compute finite values.
                heap.set(gradient.dataSync() as Float32Array, scratch.g / 4);
                heap.fill(0, scratch.g / 4 + n, (scratch.g + bytes) / 4);
                heap.set(variable.dataSync() as Float32Array, scratch.value / 4);
                run(scratch.g, scratch.value, moments.first, moments.second, scratch.out, bytes);
                // A copy: the CPU backend keeps the array it is given, and the scratch is reused.
                next = tf.tensor(heap.slice(scratch.out / 4, scratch.out / 4 + n), variable.shape, 'float32');
            }
            variable.assign(next);
            next.dispose();
        }
        this.accBeta1 = f32(this.accBeta1 * beta1);
        this.accBeta2 = f32(this.accBeta2 * beta2);
    }

    /** Frees the moments (in tfjs's WASM memory they are not garbage-collected). */
    dispose(): void {
        for (const offset of this.allocated.splice(0)) this.wasm!.wasm._free(offset);
        this.moments.clear();
        this.scratch = { g: 0, value: 0, out: 0, bytes: 0 };
    }
}
