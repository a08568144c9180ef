/**
 * Adam as one WebAssembly SIMD pass over each variable per step. tf.train.adam runs about
 * fifteen kernels per variable and step, each allocating a tensor the size of the weights;
 * for the AND-even networks (two 784×400 weights) that was a fifth of a training step on
 * WASM. This optimiser computes the same float32 operations in the same order (IEEE float32
 * arithmetic, no fused multiply-add), so its updates are bit-identical to tf.train.adam's on
 * every backend (test/train/adam.test.ts). The moments live in the kernel's own memory; the
 * weights get a new tensor every step, as with tfjs's optimisers (kernels may cache work
 * keyed on a tensor's data, so weights are never written in place).
 */
import * as tf from '@tensorflow/tfjs';

// The few WebAssembly APIs used here (the project's TypeScript lib has no WebAssembly types).
interface WasmModule { readonly kind?: 'module' }
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
declare const WebAssembly: {
    validate(bytes: Uint8Array): boolean;
    Module: new (bytes: Uint8Array) => WasmModule;
    Instance: new (module: WasmModule) => { exports: Record<string, unknown> };
};

/**
 * The kernel, assembled by hand (a dozen instructions; no toolchain needed):
 * adam(g, value, m, v, out, bytes, beta1, beta2, 1 − beta1, 1 − beta2, 1 − beta1^t, 1 − beta2^t, epsilon, −lr)
 * over `bytes` bytes (a multiple of 16) at the given byte offsets, four floats at a time:
 *   m ← m·beta1 + g·(1 − beta1);  v ← v·beta2 + (g·g)·(1 − beta2)
 *   out ← (m / (1 − beta1^t)) / (√(v / (1 − beta2^t)) + epsilon) · (−lr) + value
 * — tfjs's AdamOptimizer.applyGradients, operation for operation.
 */
function adamModuleBytes(): Uint8Array {
    const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
    const [G, VALUE, M, V, OUT, BYTES] = [0, 1, 2, 3, 4, 5];
    const SCALARS = 6; // beta1, beta2, 1 − beta1, 1 − beta2, 1 − beta1^t, 1 − beta2^t, epsilon, −lr
    const I = 14, X = 15, MM = 16, VV = 17, SPLAT = 18; // SPLAT + k: scalar k in all four lanes
    const get = (local: number) => [0x20, local], set = (local: number) => [0x21, local];
    const simd = (op: number) => (op < 0x80 ? [0xfd, op] : [0xfd, (op & 0x7f) | 0x80, op >> 7]);
    const load = (base: number) => [...get(base), ...get(I), 0x6a, ...simd(0x00), 4, 0];
    const store = [...simd(0x0b), 4, 0];
    const [sqrt, add, mul, div] = [simd(0xe3), simd(0xe4), simd(0xe6), simd(0xe7)];
    const splat = (k: number) => [...get(SCALARS + k), ...simd(0x13), ...set(SPLAT + k)];
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
    const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
    const name = (text: string) => [text.length, ...Array.from(text, c => c.charCodeAt(0))];
    return new Uint8Array([
        0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
        ...section(1, [1, 0x60, 14, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32, 0]),
        ...section(3, [1, 0]),
        ...section(5, [1, 0, 1]), // one memory, at least one page
        ...section(7, [2, ...name('adam'), 0, 0, ...name('memory'), 2, 0]),
        ...section(10, [1, ...uleb(code.length), ...code])
    ]);
}

function uleb(value: number): number[] {
    const bytes: number[] = [];
    do {
        let byte = value & 0x7f;
        value >>>= 7;
        if (value !== 0) byte |= 0x80;
        bytes.push(byte);
    } while (value !== 0);
    return bytes;
}

type AdamKernel = (g: number, value: number, m: number, v: number, out: number, bytes: number, ...scalars: number[]) => void;

let compiled: WasmModule | null | undefined;

/** The compiled kernel module, or null where WebAssembly SIMD is unavailable. */
function adamModule(): WasmModule | null {
    if (compiled === undefined) {
        const bytes = adamModuleBytes();
        compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
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
    /** Byte offsets of each variable's first and second moments in the kernel's memory. */
    private readonly moments = new Map<string, { first: number; second: number }>();
    /** Where the gradient, the current value and the new value go, sized for the largest variable. */
    private scratch = { g: 0, value: 0, out: 0, bytes: 0 };
    private used = 0;
    private readonly scalars: { beta1: number; beta2: number; oneMinusBeta1: number; oneMinusBeta2: number; epsilon: number; negativeLearningRate: number };
    /** beta1^t and beta2^t, as tfjs keeps them: float32 scalars multiplied once per step. */
    private accBeta1: number;
    private accBeta2: number;

    /** The defaults are tf.train.adam's (epsilon: the backend's, 1e-7 for float32). */
    constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon = tf.backend().epsilon()) {
        const module = adamModule();
        if (!module) throw new Error('FusedAdam needs WebAssembly SIMD');
        const instance = new WebAssembly.Instance(module);
        this.kernel = instance.exports.adam as AdamKernel;
        this.memory = instance.exports.memory as WasmMemory;
        // tfjs turns each JS number into a float32 scalar tensor before using it.
        this.scalars = {
            beta1: f32(beta1), beta2: f32(beta2), oneMinusBeta1: f32(1 - beta1), oneMinusBeta2: f32(1 - beta2),
            epsilon: f32(epsilon), negativeLearningRate: f32(-learningRate)
        };
        this.accBeta1 = f32(beta1);
        this.accBeta2 = f32(beta2);
    }

    /** Reserves `bytes` bytes of the kernel's memory (zeroed), growing it as needed; returns their offset. */
    private reserve(bytes: number): number {
        const offset = this.used;
        this.used += bytes;
        const missing = this.used - this.memory.buffer.byteLength;
        if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
        return offset;
    }

    /** One update of every variable that has a gradient (by variable name, as tf.variableGrads returns them). */
    applyGradients(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap): void {
        const { beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, negativeLearningRate } = this.scalars;
        const oneMinusAccBeta1 = f32(1 - this.accBeta1);
        const oneMinusAccBeta2 = f32(1 - this.accBeta2);
        for (const variable of variables) {
            const gradient = gradients[variable.name];
            if (!gradient) continue;
            const bytes = vectorBytes(variable.size);
            let moments = this.moments.get(variable.name);
            if (!moments) this.moments.set(variable.name, moments = { first: this.reserve(bytes), second: this.reserve(bytes) });
            if (bytes > this.scratch.bytes) this.scratch = { g: this.reserve(bytes), value: this.reserve(bytes), out: this.reserve(bytes), bytes };
            const { g, value, out } = this.scratch;
            // The padding after the last float stays zero in g, so the padded lanes compute finite values.
            const heap = new Float32Array(this.memory.buffer);
            heap.set(gradient.dataSync() as Float32Array, g / 4);
            heap.fill(0, g / 4 + variable.size, (g + bytes) / 4);
            heap.set(variable.dataSync() as Float32Array, value / 4);
            this.kernel(g, value, moments.first, moments.second, out, bytes,
                beta1, beta2, oneMinusBeta1, oneMinusBeta2, oneMinusAccBeta1, oneMinusAccBeta2, epsilon, negativeLearningRate);
            // A copy: the CPU backend keeps the array it is given, and the scratch is reused.
            const next = heap.slice(out / 4, out / 4 + variable.size);
            tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
        }
        this.accBeta1 = f32(this.accBeta1 * beta1);
        this.accBeta2 = f32(this.accBeta2 * beta2);
    }
}
