/**
 * The hyperconv step's per-image correlation (perImageCorrelation, networks.ts) on tfjs-WASM as
 * our own WebAssembly SIMD kernels, working in tfjs-WASM's heap in place (like wasm-transpose.ts
 * and wasm-gemm.ts in the runtime). tfjs-WASM runs it as a depthwise convolution of the batch as
 * channels, about 1 GFLOP/s here: 18 ms for 64 MNIST images with 13×13 kernels, 30× PyTorch's
 * grouped convolution (docs/training.md).
 *
 * Two kernels, each one function assembled by a pure generator (wasm-assembly.ts):
 * - `correlate` (correlationModuleBytes): y[b, i, j] = Σ_{u,v} x̂[b, i + u, j + v] · k[b, u, v],
 *   with x̂ the image padded by zeros; vectorised along j, a strip of `vectors` × 4 outputs of
 *   one row in as many f32x4 accumulators, each tap broadcast once per strip. The input's
 *   gradient is the same kernel on dy with the kernel read turned 180° (its taps backwards).
 * - `filterGradient` (filterGradientModuleBytes): dk[b, u, v] = Σ_{i,j} x̂[b, i + u, j + v] ·
 *   dy[b, i, j]; vectorised along v, a row of the kernel's gradient (rounded up to `vectors`
 *   × 4 taps) in as many accumulators, each dy broadcast once.
 * Multiply-adds are f32x4.relaxed_madd where the engine validates relaxed SIMD (Node ≥ 22),
 * f32x4.mul then f32x4.add otherwise. The padded image lives in a scratch buffer on the WASM
 * heap (the padding makes the loops branch-free); dy and k are read in place.
 */
import * as tf from '@tensorflow/tfjs';
import {
    I32, Op, SimdOp, V128, addToLocal, countedLoop, i32Const, localGet, localSet, memarg, simd, singleFunctionModule, uleb, webAssembly,
    type WasmMemory, type WasmModule
} from '@cajal/runtime/wasm-assembly';

export type CorrelationModuleOptions = {
    /** f32x4.relaxed_madd (relaxed SIMD, Node ≥ 22) instead of f32x4.mul then f32x4.add */
    fusedMultiplyAdd: boolean;
    /** f32x4 accumulators: output vectors per strip (correlate), kernel-row vectors (filterGradient) */
    vectors: number;
};

// Opcodes (WebAssembly core 2.0, SIMD and relaxed SIMD) and small encoders. wasm-gemm-module.ts has
// the same private ones; it is the matrix product's, left as it is here.
const { END, I32_ADD, I32_SUB, I32_MUL, I32_SHL } = Op;
const { V128_LOAD, V128_LOAD32_SPLAT, V128_STORE, V128_CONST, F32X4_ADD, F32X4_MUL, F32X4_RELAXED_MADD } = SimdOp;
const get = localGet, set = localSet, i32 = i32Const, addTo = addToLocal;
/** memarg: alignment exponent 2 (floats), then the offset */
const floatAt = (offset: number) => memarg(2, offset);
const ZERO = simd(V128_CONST, ...new Array(16).fill(0));
/** target += broadcast · vector: broadcast and target v128 locals, vector the code that loads one */
const madd = (fused: boolean, broadcast: number, vector: number[], target: number) => fused
    ? [...get(broadcast), ...vector, ...get(target), ...simd(F32X4_RELAXED_MADD), ...set(target)]
    : [...get(broadcast), ...vector, ...simd(F32X4_MUL), ...get(target), ...simd(F32X4_ADD), ...set(target)];

function checkOptions({ vectors }: CorrelationModuleOptions): void {
    // With the broadcast and a loaded vector, 8 accumulators still fit x64's 16 SIMD registers (the layout uses up to 7).
    if (!Number.isInteger(vectors) || vectors < 1 || vectors > 8) throw new Error(`correlation kernel: ${vectors} accumulators, expected 1 to 8`);
}

/**
 * correlate(x̂, k, y, batch, height, paddedWidth, window, strips, outputRow, turned): byte offsets
 * x̂, k, y; x̂ [batch, height + window − 1, paddedWidth], k [batch, window, window], y [batch,
 * height, outputRow] with outputRow ≥ strips · 4 · vectors; paddedWidth ≥ strips · 4 · vectors +
 * window − 1. With turned = 1 each kernel is read turned 180° (its taps in reverse order: the
 * images' gradient, with no reversed copy of the kernels).
 */
export function correlationModuleBytes(options: CorrelationModuleOptions): Uint8Array {
    checkOptions(options);
    const { fusedMultiplyAdd, vectors } = options;
    const [X, K, OUT, BATCH, HEIGHT, PADDED_WIDTH, WINDOW, STRIPS, OUTPUT_ROW, TURNED] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const [b, i, s, u, v, rowP, p, kv, outRow, imageX, imageK, rowBytes, imageXBytes, imageKBytes, outRowBytes, firstTap, tapStep] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
    const tap = 27, acc = (t: number) => 28 + t;
    const stripBytes = 16 * vectors;
    const accumulate: number[] = [...get(kv), ...simd(V128_LOAD32_SPLAT, ...floatAt(0)), ...set(tap)];
    for (let t = 0; t < vectors; t++) accumulate.push(...madd(fusedMultiplyAdd, tap, [...get(p), ...simd(V128_LOAD, ...floatAt(16 * t))], acc(t)));
    accumulate.push(...addTo(p, i32(4)), ...addTo(kv, get(tapStep)));
    const strip: number[] = [];
    for (let t = 0; t < vectors; t++) strip.push(...ZERO, ...set(acc(t)));
    strip.push(
        ...get(imageX), ...get(i), ...get(rowBytes), I32_MUL, I32_ADD, ...get(s), ...i32(stripBytes), I32_MUL, I32_ADD, ...set(rowP),
        ...get(imageK), ...get(firstTap), I32_ADD, ...set(kv),
        ...countedLoop(u, get(WINDOW), [
            ...get(rowP), ...set(p),
            ...countedLoop(v, get(WINDOW), accumulate),
            ...addTo(rowP, get(rowBytes))
        ]));
    for (let t = 0; t < vectors; t++) {
        strip.push(...get(outRow), ...get(s), ...i32(stripBytes), I32_MUL, I32_ADD, ...get(acc(t)), ...simd(V128_STORE, ...floatAt(16 * t)));
    }
    const code = [
        ...get(PADDED_WIDTH), ...i32(2), I32_SHL, ...set(rowBytes),
        ...get(HEIGHT), ...get(WINDOW), I32_ADD, ...i32(1), I32_SUB, ...get(rowBytes), I32_MUL, ...set(imageXBytes),
        ...get(WINDOW), ...get(WINDOW), I32_MUL, ...i32(2), I32_SHL, ...set(imageKBytes),
        ...get(OUTPUT_ROW), ...i32(2), I32_SHL, ...set(outRowBytes),
        // turned: from the last tap backwards (firstTap = turned · (imageKBytes − 4), tapStep = 4 − 8 · turned)
        ...get(TURNED), ...get(imageKBytes), ...i32(4), I32_SUB, I32_MUL, ...set(firstTap),
        ...i32(4), ...get(TURNED), ...i32(8), I32_MUL, I32_SUB, ...set(tapStep),
        ...get(X), ...set(imageX), ...get(K), ...set(imageK), ...get(OUT), ...set(outRow),
        ...countedLoop(b, get(BATCH), [
            ...countedLoop(i, get(HEIGHT), [
                ...countedLoop(s, get(STRIPS), strip),
                ...addTo(outRow, get(outRowBytes))
            ]),
            ...addTo(imageX, get(imageXBytes)), ...addTo(imageK, get(imageKBytes))
        ]),
        END
    ];
    return singleFunctionModule('correlate', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32],
        [2, 17, I32, ...uleb(1 + vectors), V128, ...code]);
}

/**
 * filterGradient(x̂, dy, dk, batch, height, width, paddedWidth, window): byte offsets; x̂ [batch,
 * height + window − 1, paddedWidth] with paddedWidth ≥ width + 4 · vectors − 1, dy [batch, height,
 * width], dk [batch, window, 4 · vectors] (its columns from window on are not the gradient's).
 */
export function filterGradientModuleBytes(options: CorrelationModuleOptions): Uint8Array {
    checkOptions(options);
    const { fusedMultiplyAdd, vectors } = options;
    const [X, DY, DK, BATCH, HEIGHT, WIDTH, PADDED_WIDTH, WINDOW] = [0, 1, 2, 3, 4, 5, 6, 7];
    const [b, u, i, j, rowP, p, dyP, dkP, imageX, imageDy, rowBytes, imageXBytes, imageDyBytes] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    const d = 21, acc = (t: number) => 22 + t;
    const accumulate: number[] = [...get(dyP), ...simd(V128_LOAD32_SPLAT, ...floatAt(0)), ...set(d)];
    for (let t = 0; t < vectors; t++) accumulate.push(...madd(fusedMultiplyAdd, d, [...get(p), ...simd(V128_LOAD, ...floatAt(16 * t))], acc(t)));
    accumulate.push(...addTo(p, i32(4)), ...addTo(dyP, i32(4)));
    const kernelRow: number[] = [];
    for (let t = 0; t < vectors; t++) kernelRow.push(...ZERO, ...set(acc(t)));
    kernelRow.push(
        ...get(imageX), ...get(u), ...get(rowBytes), I32_MUL, I32_ADD, ...set(rowP),
        ...get(imageDy), ...set(dyP),
        ...countedLoop(i, get(HEIGHT), [
            ...get(rowP), ...set(p),
            ...countedLoop(j, get(WIDTH), accumulate),
            ...addTo(rowP, get(rowBytes))
        ]));
    for (let t = 0; t < vectors; t++) kernelRow.push(...get(dkP), ...get(acc(t)), ...simd(V128_STORE, ...floatAt(16 * t)));
    kernelRow.push(...addTo(dkP, i32(16 * vectors)));
    const code = [
        ...get(PADDED_WIDTH), ...i32(2), I32_SHL, ...set(rowBytes),
        ...get(HEIGHT), ...get(WINDOW), I32_ADD, ...i32(1), I32_SUB, ...get(rowBytes), I32_MUL, ...set(imageXBytes),
        ...get(HEIGHT), ...get(WIDTH), I32_MUL, ...i32(2), I32_SHL, ...set(imageDyBytes),
        ...get(X), ...set(imageX), ...get(DY), ...set(imageDy), ...get(DK), ...set(dkP),
        ...countedLoop(b, get(BATCH), [
            ...countedLoop(u, get(WINDOW), kernelRow),
            ...addTo(imageX, get(imageXBytes)), ...addTo(imageDy, get(imageDyBytes))
        ]),
        END
    ];
    return singleFunctionModule('filterGradient', [I32, I32, I32, I32, I32, I32, I32, I32],
        [2, 13, I32, ...uleb(1 + vectors), V128, ...code]);
}

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
/** What the kernels use of tfjs-backend-wasm 4.22's backend object (checked before use). */
type WasmBackend = {
    wasm: { asm: { memory: WasmMemory }; _malloc(bytes: number): number; _free(pointer: number): void };
    dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
    makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
};
type Correlate = (x: number, k: number, y: number, batch: number, height: number, paddedWidth: number, window: number, strips: number, outputRow: number, turned: number) => void;
type FilterGradient = (x: number, dy: number, dk: number, batch: number, height: number, width: number, paddedWidth: number, window: number) => void;

/** The most accumulators a strip of outputs uses (and 2 registers for the broadcast and a load). */
const MAX_STRIP_VECTORS = 7;
export const CORRELATION_KERNEL = 'CajalImageCorrelation';
export const CORRELATION_FILTER_GRADIENT_KERNEL = 'CajalImageCorrelationFilterGradient';

/** The layout one image size and window take: strips of the output rows, the padded image. */
export function correlationLayout(height: number, width: number, window: number) {
    const outputVectors = Math.ceil(width / 4);
    const strips = Math.ceil(outputVectors / MAX_STRIP_VECTORS);
    const stripVectors = Math.ceil(outputVectors / strips);
    const outputRow = strips * stripVectors * 4;
    const kernelRowVectors = Math.ceil(window / 4);
    const half = (window - 1) / 2;
    // Both kernels' loads stay inside a padded row: the last strip's (outputRow + window − 1), the filter gradient's (width + 4·vectors − 1).
    const paddedWidth = Math.max(outputRow + window - 1, width + 4 * kernelRowVectors - 1);
    return { strips, stripVectors, outputRow, kernelRowVectors, half, paddedWidth, paddedHeight: height + window - 1 };
}

/** Whether relaxed SIMD's fused multiply-add validates on this engine (Node ≥ 22). */
let fusedOnThisEngine: boolean | undefined;
export function correlationUsesFusedMultiplyAdd(): boolean {
    fusedOnThisEngine ??= webAssembly()?.validate(correlationModuleBytes({ fusedMultiplyAdd: true, vectors: 1 })) ?? false;
    return fusedOnThisEngine;
}

/** Per backend: the instances by module, and one scratch buffer on its heap. */
class CorrelationKernels {
    private readonly modules = new Map<string, { exports: Record<string, unknown> }>();
    private scratch = 0;
    private scratchBytes = 0;
    constructor(readonly backend: WasmBackend) {}

    private instance(kind: 'correlate' | 'filterGradient', vectors: number): unknown {
        const key = `${kind}${vectors}`;
        let instance = this.modules.get(key);
        if (!instance) {
            const options = { fusedMultiplyAdd: correlationUsesFusedMultiplyAdd(), vectors };
            const bytes = kind === 'correlate' ? correlationModuleBytes(options) : filterGradientModuleBytes(options);
            const wasm = webAssembly()!;
            instance = new wasm.Instance(new wasm.Module(bytes) as WasmModule, { env: { memory: this.backend.wasm.asm.memory } });
            this.modules.set(key, instance);
        }
        return instance.exports[kind];
    }

    private reserve(bytes: number): number {
        if (bytes > this.scratchBytes) {
            if (this.scratch) this.backend.wasm._free(this.scratch);
            this.scratch = this.backend.wasm._malloc(bytes);
            this.scratchBytes = this.scratch ? bytes : 0;
            if (!this.scratch) throw new Error(`out of WASM memory: could not reserve ${bytes} bytes for the per-image correlation`);
        }
        return this.scratch;
    }

    private offset(t: TensorInfo): number {
        return this.backend.dataIdMap.get(t.dataId)!.memoryOffset;
    }

    /** Copies images [batch, height, width] into `padded` (floats at byte offset), zeros around them. */
    private pad(image: TensorInfo, padded: number, layout: ReturnType<typeof correlationLayout>): void {
        const [batch, height, width] = image.shape;
        const heap = new Float32Array(this.backend.wasm.asm.memory.buffer);
        const { paddedWidth, paddedHeight, half } = layout;
        const start = padded / 4, source = this.offset(image) / 4;
        heap.fill(0, start, start + batch * paddedHeight * paddedWidth);
        for (let b = 0; b < batch; b++) {
            for (let i = 0; i < height; i++) {
                const from = source + (b * height + i) * width;
                heap.copyWithin(start + (b * paddedHeight + i + half) * paddedWidth + half, from, from + width);
            }
        }
    }

    /** y = the images correlated with their kernels (x [batch, h, w], k [batch, window, window]), each turned 180° if `turned`. */
    correlate(x: TensorInfo, k: TensorInfo, turned: boolean): TensorInfo {
        const [batch, height, width] = x.shape, window = k.shape[1];
        const layout = correlationLayout(height, width, window);
        const paddedFloats = batch * layout.paddedHeight * layout.paddedWidth;
        const direct = layout.outputRow === width;
        // First the scratch buffer, which may fail, then the output, so that a failure leaks nothing.
        const scratch = this.reserve(4 * (paddedFloats + (direct ? 0 : batch * height * layout.outputRow)));
        const out = this.backend.makeOutput([batch, height, width], 'float32');
        if (out.shape.reduce((a, d) => a * d, 1) === 0) return out;
        this.pad(x, scratch, layout);
        const rows = direct ? this.offset(out) : scratch + 4 * paddedFloats;
        (this.instance('correlate', layout.stripVectors) as Correlate)(scratch, this.offset(k), rows, batch, height, layout.paddedWidth, window, layout.strips, layout.outputRow, turned ? 1 : 0);
        if (!direct) {
            const heap = new Float32Array(this.backend.wasm.asm.memory.buffer);
            const target = this.offset(out) / 4, source = rows / 4;
            for (let r = 0; r < batch * height; r++) heap.copyWithin(target + r * width, source + r * layout.outputRow, source + r * layout.outputRow + width);
        }
        return out;
    }

    /** dk [batch, window, window] = Σ_{i,j} x̂[b, i + u, j + v] · dy[b, i, j]. */
    filterGradient(x: TensorInfo, dy: TensorInfo, window: number): TensorInfo {
        const [batch, height, width] = x.shape;
        const layout = correlationLayout(height, width, window);
        const paddedFloats = batch * layout.paddedHeight * layout.paddedWidth;
        const rowFloats = 4 * layout.kernelRowVectors;
        const scratch = this.reserve(4 * (paddedFloats + batch * window * rowFloats));
        const out = this.backend.makeOutput([batch, window, window], 'float32');
        if (batch === 0) return out;
        this.pad(x, scratch, layout);
        const rows = scratch + 4 * paddedFloats;
        (this.instance('filterGradient', layout.kernelRowVectors) as FilterGradient)(scratch, this.offset(dy), rows, batch, height, width, layout.paddedWidth, window);
        const heap = new Float32Array(this.backend.wasm.asm.memory.buffer);
        const target = this.offset(out) / 4, source = rows / 4;
        for (let r = 0; r < batch * window; r++) heap.copyWithin(target + r * window, source + r * rowFloats, source + r * rowFloats + window);
        return out;
    }
}

const kernelsByBackend = new WeakMap<object, CorrelationKernels>();
function kernelsOn(backend: unknown): CorrelationKernels {
    let kernels = kernelsByBackend.get(backend as object);
    if (!kernels) kernelsByBackend.set(backend as object, kernels = new CorrelationKernels(backend as WasmBackend));
    return kernels;
}

let registered: boolean | undefined;
let enabled = true;

/**
 * Sets whether perImageCorrelation uses these kernels on WASM (true, the default) or the
 * depthwise convolutions (false: the reference, for tests and benchmarks); returns the previous.
 */
export function useWasmCorrelationKernels(on: boolean): boolean {
    const previous = enabled;
    enabled = on;
    return previous;
}

/**
 * Registers the kernels for the current backend once; true when it is tfjs-WASM with SIMD and the
 * internals this file expects (and the kernels are enabled), so that perImageCorrelation may call them.
 */
export function wasmCorrelationAvailable(): boolean {
    if (!enabled || tf.getBackend() !== 'wasm') return false;
    if (registered === undefined) {
        const backend = tf.backend() as unknown as Partial<WasmBackend>;
        const wasm = webAssembly();
        registered = !!backend.wasm?.asm?.memory && typeof backend.wasm._malloc === 'function' && typeof backend.dataIdMap?.get === 'function'
            && typeof backend.makeOutput === 'function' && !!wasm?.validate(correlationModuleBytes({ fusedMultiplyAdd: false, vectors: 1 }));
        if (registered) {
            tf.registerKernel({
                kernelName: CORRELATION_KERNEL, backendName: 'wasm',
                kernelFunc: ({ inputs, backend, attrs }) => {
                    const { x, k } = inputs as unknown as { x: TensorInfo; k: TensorInfo };
                    return kernelsOn(backend).correlate(x, k, (attrs as { turned?: boolean }).turned === true) as never;
                }
            });
            tf.registerKernel({
                kernelName: CORRELATION_FILTER_GRADIENT_KERNEL, backendName: 'wasm',
                kernelFunc: ({ inputs, backend, attrs }) => {
                    const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
                    return kernelsOn(backend).filterGradient(x, dy, (attrs as { window: number }).window) as never;
                }
            });
        }
    }
    return registered;
}
