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
    gemm(packedA: number, b: number, c: number, m: number, k: number, n: number, ldc: number, bPanelBytes: number, bRowBytes: number): void;
};

/** The micro-kernel's rows, chosen by measurement (docs/training.md): a 4 × 8 tile keeps its 8 accumulators, 2 vectors of B and the broadcast in x64's 16 SIMD registers; V8 spills 5 × 8 and 6 × 8 tiles' accumulators. */
const TILE_ROWS = 4;
/**
 * Where 'auto' uses our kernel: with fused multiply-add (relaxed SIMD, Node ≥ 22) and at least
 * 64 rows and 8 columns. Measured here against XNNPACK with cached weights: 1.2–1.9× faster from
 * 64 rows, parity from 16 to 32 rows, slower below 16 and at n < 8 (a panel of 8 columns mostly
 * padding). Without FMA (Node 20) it is at parity with XNNPACK, so 'auto' leaves the products
 * to XNNPACK there.
 */
const AUTO_MIN_ROWS = 64, AUTO_MIN_COLUMNS = 8;

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
        if (mode === 'auto' && !(this.options.fusedMultiplyAdd && plan.m >= AUTO_MIN_ROWS && plan.n >= AUTO_MIN_COLUMNS)) return undefined;
        const { m, k, n, batchA, batchB, batch } = plan;
        // B stored [k, n] with whole panels is read in place; else packed (with 4 × 4 transposes when transposed).
        const packB = transposeB || n % GEMM_COLUMNS !== 0;
        const packedABytes = 4 * Math.ceil(m / TILE_ROWS) * TILE_ROWS * k, packedBBytes = packB ? 4 * Math.ceil(n / GEMM_COLUMNS) * GEMM_COLUMNS * k : 0;
        // First the packing buffer, which may fail, then the output, so that a failure leaks nothing.
        const scratch = this.reserve(packedABytes + packedBBytes);
        const out = this.backend.makeOutput(plan.outputShape, 'float32');
        if (m * n === 0) return out;
        const packedA = scratch, packedB = scratch + packedABytes;
        const pointer = (t: TensorInfo) => this.backend.dataIdMap.get(t.dataId)!.memoryOffset;
        const aBase = pointer(a), bBase = pointer(b), cBase = pointer(out);
        // The padding never reaches C, but zeros keep stale bytes (possibly denormals, slow to multiply) out of the arithmetic.
        const heap = new Float32Array(this.backend.wasm.asm.memory.buffer);
        if (m % TILE_ROWS) heap.fill(0, (packedA + packedABytes) / 4 - TILE_ROWS * k, (packedA + packedABytes) / 4);
        if (packB && n % GEMM_COLUMNS) heap.fill(0, (packedB + packedBBytes) / 4 - GEMM_COLUMNS * k, (packedB + packedBBytes) / 4);
        // Element (i, p) of a stored [m, k] is at i·k + p; of a stored [k, m] (transposeA) at p·m + i. Likewise b.
        const [aRowStride, aKStride] = transposeA ? [1, m] : [k, 1];
        const [bKStride, bColumnStride] = transposeB ? [1, k] : [n, 1];
        const [bPanelBytes, bRowBytes] = packB ? [4 * GEMM_COLUMNS * k, 4 * GEMM_COLUMNS] : [4 * GEMM_COLUMNS, 4 * n];
        for (let i = 0; i < batch; i++) {
            const aMatrix = aBase + 4 * (batchA > 1 ? i : 0) * m * k, bMatrix = bBase + 4 * (batchB > 1 ? i : 0) * k * n;
            if (i === 0 || batchA > 1) this.exports.packA(aMatrix, aRowStride, aKStride, m, k, packedA);
            if (packB && (i === 0 || batchB > 1)) this.exports.packB(bMatrix, bKStride, bColumnStride, k, n, packedB);
            this.exports.gemm(packedA, packB ? packedB : bMatrix, cBase + 4 * i * m * n, m, k, n, n, bPanelBytes, bRowBytes);
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
