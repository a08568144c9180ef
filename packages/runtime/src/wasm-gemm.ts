/**
 * Float32 matrix products on tfjs-backend-wasm through our own SIMD kernel (wasm-gemm-module.ts),
 * which runs on the backend's own heap: it reads the operands where tfjs keeps them and writes
 * the product into the output tensor, with no copy in or out. Measured here (bench/ceiling.bench.mjs,
 * docs/training.md) it is faster than tfjs's XNNPACK product at the shapes training uses on
 * Node ≥ 22, with relaxed SIMD's fused multiply-add, and at parity on Node 20 with plain SIMD;
 * unlike XNNPACK's, it needs no transposed copies and no cached packing of the weights.
 */
import { webAssembly } from './wasm-assembly.js';
import { GEMM_COLUMNS, generateGemmModule, type GemmOptions } from './wasm-gemm-module.js';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
/** The parts of tfjs-backend-wasm's BackendWasm (4.22) the kernel uses. */
type WasmBackend = {
    wasm: { asm: { memory: { buffer: ArrayBuffer } }; _malloc(bytes: number): number; _free(pointer: number): void };
    dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
    makeOutput(shape: number[], dtype: string): TensorInfo;
};
type GemmExports = {
    packA(a: number, rowStride: number, kStride: number, m: number, k: number, dst: number): void;
    packB(b: number, kStride: number, colStride: number, k: number, n: number, dst: number): void;
    gemm(packedA: number, b: number, c: number, m: number, k: number, n: number, ldc: number, bPanelBytes: number, bRowBytes: number, accumulate: number): void;
};

/** The micro-kernel's rows, chosen by measurement (docs/training.md): a 4 × 8 tile keeps its 8 accumulators, 2 vectors of B and the broadcast in x64's 16 SIMD registers; V8 spills 5 × 8 and 6 × 8 tiles' accumulators. */
const TILE_ROWS = 4;
/**
 * Where 'auto' uses our kernel: with fused multiply-add (relaxed SIMD, Node ≥ 22) and at least
 * 64 rows. Measured here against XNNPACK with cached weights: 1.2–1.9× faster from 64 rows,
 * parity from 16 to 32 rows, slower below 16. Below 8 columns (a panel mostly padding) it is
 * still faster from 64 rows: the AND-even output layer's 64×400·400×2 and its weight gradient
 * (400×64·64×2) take 50 and 61 µs against XNNPACK's 84 and 107, and the training step is about
 * 2% faster with them (docs/training.md). Without FMA (Node 20) it is at parity with XNNPACK,
 * so 'auto' leaves the products to XNNPACK there.
 */
const AUTO_MIN_ROWS = 64, AUTO_MIN_COLUMNS = 1;
/**
 * The longest slice of k one pass of the kernel runs over a B read in place: a longer k is
 * multiplied in slices, each added to C, so that the slice of a panel of B (one 64-byte line
 * per k, B's rows being 4·n bytes apart: 16 KiB at 256) stays in L1 while every block of A
 * passes over it; a whole panel of the AND-even layer's weights (k = 784) is 49 KiB, more than
 * the 32 KiB L1 here. A packed B's panels are contiguous (25 KiB at k = 784), and slicing them
 * was slower (docs/training.md has the measurements).
 */
const K_SLICE = 256;
let kSlice = K_SLICE;
let autoMinColumns = AUTO_MIN_COLUMNS;

/** The options our kernel is built with on this engine: fused multiply-add where relaxed SIMD validates. */
export function gemmOptionsForThisEngine(): GemmOptions {
    const fused: GemmOptions = { fusedMultiplyAdd: true, tileRows: TILE_ROWS, unroll: 1 };
    engineOptions ??= webAssembly()?.validate(generateGemmModule(fused)) ? fused : { ...fused, fusedMultiplyAdd: false };
    return engineOptions;
}
let engineOptions: GemmOptions | undefined;

const instances = new WeakMap<object, WasmGemm>();

/**
 * Which float32 products on WASM our kernel takes: 'auto' (the default) those where it is
 * measured faster than XNNPACK; 'always' every one it can (any size, batch dimensions equal or
 * one side unbatched; for tests and benchmarks); 'never' none (tfjs's XNNPACK kernel, through the
 * wrapper of wasm-kernels.ts, takes them all).
 */
export type OwnGemmMode = 'auto' | 'always' | 'never';
let mode: OwnGemmMode = 'auto';

let productsComputed = 0;
let scratchBytesHeld = 0;

/**
 * Our kernel in this process: whether it uses fused multiply-add (this engine has relaxed SIMD),
 * the products it computed, the packing buffer it holds on the WASM heap.
 */
export function ownWasmGemmStats(): { fusedMultiplyAdd: boolean; products: number; scratchBytes: number } {
    return { fusedMultiplyAdd: gemmOptionsForThisEngine().fusedMultiplyAdd, products: productsComputed, scratchBytes: scratchBytesHeld };
}

/**
 * The kernel's tuning, for measurements and tests, as useOwnWasmGemm is for comparisons:
 * `kSlice`, the longest slice of k one pass runs (Infinity: no slices); `autoMinColumns`, the
 * fewest columns 'auto' gives our kernel. Returns the previous tuning.
 */
export function setGemmTuning(next: { kSlice?: number; autoMinColumns?: number }): { kSlice: number; autoMinColumns: number } {
    if (next.kSlice !== undefined && !(next.kSlice >= 4)) throw new Error(`the slice of k must be at least 4, got ${next.kSlice}`);
    const previous = { kSlice, autoMinColumns };
    kSlice = next.kSlice ?? kSlice;
    autoMinColumns = next.autoMinColumns ?? autoMinColumns;
    return previous;
}

/** Sets which products our kernel takes (see OwnGemmMode); returns the previous mode. */
export function useOwnWasmGemm(next: OwnGemmMode): OwnGemmMode {
    if (next !== 'auto' && next !== 'always' && next !== 'never') throw new Error(`unknown matrix-product mode '${String(next)}': expected auto, always or never`);
    const previous = mode;
    mode = next;
    return previous;
}

/** A product the kernel can take: both float32, batch dimensions equal or one side unbatched. */
function planOf(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean) {
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
    const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
    const size = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
    const [m, kA] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
    const [kB, n] = transposeB ? [b.shape.at(-1)!, b.shape.at(-2)!] : [b.shape.at(-2)!, b.shape.at(-1)!];
    if (kA !== kB) return undefined;
    const batchA = size(outerA), batchB = size(outerB);
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (!sameOuter && batchA !== 1 && batchB !== 1) return undefined;
    // The broadcast outer shape, as tfjs computes it (a size-1 side takes the other's dimensions).
    const rank = Math.max(outerA.length, outerB.length);
    const padded = (dims: number[]) => [...new Array(rank - dims.length).fill(1), ...dims];
    const outer = padded(outerA).map((d, i) => Math.max(d, padded(outerB)[i]));
    return { m, k: kA, n, batchA, batchB, batch: Math.max(batchA, batchB), outputShape: [...outer, m, n] };
}

export class WasmGemm {
    private readonly exports: GemmExports;
    private scratch = 0;
    private scratchBytes = 0;

    private constructor(private readonly backend: WasmBackend, readonly options: GemmOptions) {
        // Only reached on tfjs-WASM's backend, so this engine has WebAssembly.
        const wasm = webAssembly()!;
        const module = new wasm.Module(generateGemmModule(options));
        this.exports = new wasm.Instance(module, { env: { memory: backend.wasm.asm.memory } }).exports as unknown as GemmExports;
    }

    /** The kernel on this backend (one per backend), or undefined when the mode is 'never' or the backend is not tfjs-backend-wasm 4.22's. */
    static on(backend: unknown): WasmGemm | undefined {
        if (mode === 'never') return undefined;
        const candidate = backend as Partial<WasmBackend> | undefined;
        if (!candidate?.wasm?.asm?.memory || typeof candidate.wasm._malloc !== 'function' || !candidate.dataIdMap || typeof candidate.makeOutput !== 'function') return undefined;
        let gemm = instances.get(backend as object);
        if (!gemm) instances.set(backend as object, gemm = new WasmGemm(candidate as WasmBackend, gemmOptionsForThisEngine()));
        return gemm;
    }

    /** a · b (each optionally transposed, batched like tfjs's BatchMatMul), or undefined when the product is not one it takes. */
    batchMatMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo | undefined {
        const plan = planOf(a, b, transposeA, transposeB);
        if (!plan) return undefined;
        // Products over an empty k always come here: tfjs-WASM's own kernel leaves their output as
        // the heap had it (stale data, not zeros; tfjs-backend-wasm 4.22), ours writes C's zeros.
        if (mode === 'auto' && plan.k > 0 && !(this.options.fusedMultiplyAdd && plan.m >= AUTO_MIN_ROWS && plan.n >= autoMinColumns)) return undefined;
        const { m, k, n, batchA, batchB, batch } = plan;
        // B stored [k, n] with whole panels is read in place; else packed (with 4 × 4 transposes when transposed).
        const packB = transposeB || n % GEMM_COLUMNS !== 0;
        // A packed as rowsA rows (whole blocks), B as columnsB columns (whole panels).
        const rowsA = Math.ceil(m / TILE_ROWS) * TILE_ROWS, columnsB = packB ? Math.ceil(n / GEMM_COLUMNS) * GEMM_COLUMNS : 0;
        const packedABytes = 4 * rowsA * k, packedBBytes = 4 * columnsB * k;
        // First the packing buffer, which may fail, then the output, so that a failure leaks nothing.
        const scratch = this.reserve(packedABytes + packedBBytes);
        const out = this.backend.makeOutput(plan.outputShape, 'float32');
        if (m * n === 0) return out;
        const packedA = scratch, packedB = scratch + packedABytes;
        const pointer = (t: TensorInfo) => this.backend.dataIdMap.get(t.dataId)!.memoryOffset;
        const aBase = pointer(a), bBase = pointer(b), cBase = pointer(out);
        // The padding (each slice's last block and panel) never reaches C, but zeros keep stale bytes (possibly denormals, slow to multiply) out of the arithmetic.
        const heap = new Float32Array(this.backend.wasm.asm.memory.buffer);
        // Element (i, p) of a stored [m, k] is at i·k + p; of a stored [k, m] (transposeA) at p·m + i. Likewise b.
        const [aRowStride, aKStride] = transposeA ? [1, m] : [k, 1];
        const [bKStride, bColumnStride] = transposeB ? [1, k] : [n, 1];
        // With B read in place, k in equal slices of at most kSlice (a multiple of 4, for packing's
        // 4 × 4 transposes), each added to C and its A packed on its own at packedA + 4·rowsA·start.
        const slices = packB ? 1 : Math.max(1, Math.ceil(k / kSlice)), sliceLength = Math.max(4, Math.ceil(k / slices / 4) * 4);
        for (let i = 0; i < batch; i++) {
            const aMatrix = aBase + 4 * (batchA > 1 ? i : 0) * m * k, bMatrix = bBase + 4 * (batchB > 1 ? i : 0) * k * n;
            // One pass at least: with k = 0 it writes C's zeros.
            for (let start = 0; start === 0 || start < k; start += sliceLength) {
                const length = Math.min(sliceLength, k - start);
                const sliceA = packedA + 4 * rowsA * start, sliceB = packB ? packedB + 4 * columnsB * start : bMatrix + 4 * start * n;
                if (i === 0 && m % TILE_ROWS) heap.fill(0, sliceA / 4 + (rowsA - TILE_ROWS) * length, sliceA / 4 + rowsA * length);
                if (i === 0 && packB && n % GEMM_COLUMNS) heap.fill(0, sliceB / 4 + (columnsB - GEMM_COLUMNS) * length, sliceB / 4 + columnsB * length);
                if (i === 0 || batchA > 1) this.exports.packA(aMatrix + 4 * start * aKStride, aRowStride, aKStride, m, length, sliceA);
                if (packB && (i === 0 || batchB > 1)) this.exports.packB(bMatrix + 4 * start * bKStride, bKStride, bColumnStride, length, n, sliceB);
                const [bPanelBytes, bRowBytes] = packB ? [4 * GEMM_COLUMNS * length, 4 * GEMM_COLUMNS] : [4 * GEMM_COLUMNS, 4 * n];
                this.exports.gemm(sliceA, sliceB, cBase + 4 * i * m * n, m, length, n, n, bPanelBytes, bRowBytes, start > 0 ? 1 : 0);
            }
        }
        productsComputed++;
        return out;
    }

    /** Frees the packing buffer, to allocate a larger one. */
    private release(): void {
        if (this.scratch) this.backend.wasm._free(this.scratch);
        scratchBytesHeld -= this.scratchBytes;
        this.scratch = 0;
        this.scratchBytes = 0;
    }

    private reserve(bytes: number): number {
        if (bytes > this.scratchBytes) {
            this.release();
            this.scratch = this.backend.wasm._malloc(bytes);
            if (!this.scratch) throw new Error(`out of WASM memory: could not reserve ${bytes} bytes to pack a matrix product`);
            this.scratchBytes = bytes;
            scratchBytesHeld += bytes;
        }
        return this.scratch;
    }
}
