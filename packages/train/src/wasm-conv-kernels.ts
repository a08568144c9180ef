/**
 * Direct stride-1 convolutions in NHWC as our own WebAssembly SIMD kernels, each one function
 * assembled by a pure generator (@cajal/runtime/wasm-assembly), working in tfjs-WASM's heap
 * (wasm-conv.ts pads, calls and registers them). Both are vectorised along the output channels,
 * 4 per f32x4, so those are a multiple of 4; `vectors` = that count ÷ 4 is part of the module.
 *
 * - `convolve` (convolutionModuleBytes): y[n, i, j, :] = Σ_{a, t} x̂[n, i + a, j, t] · w[a, t, :],
 *   with x̂ the padded input and t running over a filter row's kw · C taps, which lie contiguous
 *   in x̂ (from pixel j on) and in the filter [kh, kw, C, O] = [kh, kw·C, O]. A strip of `pixels`
 *   outputs of one row, `pixels` × `vectors` accumulators; per tap, `vectors` filter loads and
 *   one broadcast per pixel. The input's gradient is this kernel on the padded dy with the
 *   filter turned 180° and its channels swapped.
 * - `filterGradient` (filterGradientConvModuleBytes): dw[a, t, :] += Σ_{n, i, j} x̂[n, i + a, j, t]
 *   · dy[n, i, j, :], `taps` consecutive taps of a filter row at a time, `taps` × `vectors`
 *   accumulators; per output pixel, `vectors` loads of dy and one broadcast per tap. It adds to
 *   dw, so that the caller can pass the batch in chunks that stay in cache.
 * - `convolveOne` (oneChannelConvolutionModuleBytes): one output channel, for the passes whose
 *   written channels are not a multiple of 4 (the first layer's input gradient, C = 1): y[n, i,
 *   j] = Σ_{a, t} x̂[n, i + a, j, t] · w[a, t] vectorised along t instead (kw·C a multiple of 4),
 *   `block` pixels of a row at a time, each filter vector loaded once for them, the 4 lanes
 *   summed at the end; y's pixels `outPixelBytes` apart, so that the caller writes one channel of
 *   several with one call each.
 * Multiply-adds are f32x4.relaxed_madd where the engine validates relaxed SIMD (Node ≥ 22),
 * f32x4.mul then f32x4.add otherwise.
 */
import { I32, Op, SimdOp, V128, addToLocal, countedLoop, i32Const, localGet, localSet, memarg, simd, singleFunctionModule, uleb } from '@cajal/runtime/wasm-assembly';

export type ConvolutionModuleOptions = {
    /** f32x4.relaxed_madd (relaxed SIMD, Node ≥ 22) instead of f32x4.mul then f32x4.add */
    fusedMultiplyAdd: boolean;
    /** output channels ÷ 4 */
    vectors: number;
    /** convolve: output pixels per strip; filterGradient: filter taps per block */
    block: number;
};

const { END, I32_ADD, I32_MUL, F32_STORE, IF, VOID } = Op;
const { V128_LOAD, V128_LOAD32_SPLAT, V128_STORE, V128_CONST, F32X4_ADD, F32X4_MUL, F32X4_RELAXED_MADD, F32X4_EXTRACT_LANE } = SimdOp;
const F32_ADD = 0x92, F32X4_MAX = 0xe9;
const get = localGet, set = localSet, i32 = i32Const, addTo = addToLocal;
const floatAt = (offset: number) => memarg(2, offset);
const ZERO = simd(V128_CONST, ...new Array(16).fill(0));
/** target += broadcast · vector (v128 locals) */
const madd = (fused: boolean, broadcast: number, vector: number, target: number) => maddCode(fused, get(broadcast), get(vector), target);
/** target += first · second (code leaving a v128 each) */
const maddCode = (fused: boolean, first: number[], second: number[], target: number) => fused
    ? [...first, ...second, ...get(target), ...simd(F32X4_RELAXED_MADD), ...set(target)]
    : [...first, ...second, ...simd(F32X4_MUL), ...get(target), ...simd(F32X4_ADD), ...set(target)];

/**
 * For each image (counter `n` up to `batch`) and each of its output rows (`i` up to `outHeight`),
 * with `imageX` and `rowX` walking the input by `imageBytes` and `rowBytes`: `rowX` is copied to
 * `pixelX` and `pixelLoop` runs. The three kernels walk the input this way.
 */
function overImageRows(locals: { n: number; i: number; imageX: number; rowX: number; pixelX: number }, sizes: { batch: number; outHeight: number; rowBytes: number; imageBytes: number }, pixelLoop: number[]): number[] {
    const { n, i, imageX, rowX, pixelX } = locals;
    return countedLoop(n, get(sizes.batch), [
        ...get(imageX), ...set(rowX),
        ...countedLoop(i, get(sizes.outHeight), [
            ...get(rowX), ...set(pixelX),
            ...pixelLoop,
            ...addTo(rowX, get(sizes.rowBytes))
        ]),
        ...addTo(imageX, get(sizes.imageBytes))
    ]);
}

/** The most accumulators a kernel keeps: with the loaded vectors and a broadcast, within x64's 16 SIMD registers. */
export const MAX_CONV_ACCUMULATORS = 10;

function checkOptions({ vectors, block }: ConvolutionModuleOptions): void {
    if (!Number.isInteger(vectors) || vectors < 1 || !Number.isInteger(block) || block < 1 || vectors * block > MAX_CONV_ACCUMULATORS || vectors * (block + 1) + 1 > 16) {
        throw new Error(`convolution kernel: ${vectors} vectors × ${block}, expected at most ${MAX_CONV_ACCUMULATORS} accumulators in 16 registers`);
    }
}

/**
 * convolve(x̂, w, y, batch, outHeight, strips, rowBytes, imageBytes, pixelBytes, kh, rowTaps, bias,
 * rectify): byte offsets x̂, w, y, bias; x̂ [batch, ≥ outHeight + kh − 1, rowBytes / pixelBytes, C]
 * (pixelBytes = 4·C), w [kh, rowTaps = kw·C, 4·vectors], y [batch, outHeight, strips · pixels,
 * 4·vectors]; each output starts from bias [4·vectors] and, with rectify = 1, ends as max(0, ·)
 * (a fused convolution's bias and relu, FusedConv2D; zeros and 0 for a plain one).
 */
export function convolutionModuleBytes(options: ConvolutionModuleOptions): Uint8Array {
    checkOptions(options);
    const { fusedMultiplyAdd, vectors, block: pixels } = options;
    const [X, W, Y, BATCH, OUT_HEIGHT, STRIPS, ROW_BYTES, IMAGE_BYTES, PIXEL_BYTES, KH, ROW_TAPS, BIAS, RECTIFY] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const [n, i, s, a, t, imageX, rowX, pixelX, xp, wp, yp] = [13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
    const pixelOffset = (p: number) => 24 + p;
    const firstVector = 24 + pixels;
    const broadcast = firstVector, filterVector = (v: number) => firstVector + 1 + v, acc = (p: number, v: number) => firstVector + 1 + vectors + p * vectors + v;

    const tap: number[] = [];
    for (let v = 0; v < vectors; v++) tap.push(...get(wp), ...simd(V128_LOAD, ...floatAt(16 * v)), ...set(filterVector(v)));
    for (let p = 0; p < pixels; p++) {
        tap.push(...get(xp), ...(p > 0 ? [...get(pixelOffset(p)), I32_ADD] : []), ...simd(V128_LOAD32_SPLAT, ...floatAt(0)), ...set(broadcast));
        for (let v = 0; v < vectors; v++) tap.push(...madd(fusedMultiplyAdd, broadcast, filterVector(v), acc(p, v)));
    }
    tap.push(...addTo(xp, i32(4)), ...addTo(wp, i32(16 * vectors)));

    const strip: number[] = [];
    for (let p = 0; p < pixels; p++) for (let v = 0; v < vectors; v++) strip.push(...get(BIAS), ...simd(V128_LOAD, ...floatAt(16 * v)), ...set(acc(p, v)));
    strip.push(
        ...get(W), ...set(wp),
        ...countedLoop(a, get(KH), [
            ...get(pixelX), ...get(a), ...get(ROW_BYTES), I32_MUL, I32_ADD, ...set(xp),
            ...countedLoop(t, get(ROW_TAPS), tap)
        ]));
    const rectified: number[] = [];
    for (let p = 0; p < pixels; p++) for (let v = 0; v < vectors; v++) rectified.push(...get(acc(p, v)), ...ZERO, ...simd(F32X4_MAX), ...set(acc(p, v)));
    strip.push(...get(RECTIFY), IF, VOID, ...rectified, END);
    for (let p = 0; p < pixels; p++) for (let v = 0; v < vectors; v++) strip.push(...get(yp), ...get(acc(p, v)), ...simd(V128_STORE, ...floatAt(16 * (p * vectors + v))));
    strip.push(...addTo(yp, i32(16 * vectors * pixels)), ...addTo(pixelX, [...get(PIXEL_BYTES), ...i32(pixels), I32_MUL]));

    const code: number[] = [];
    for (let p = 1; p < pixels; p++) code.push(...get(PIXEL_BYTES), ...i32(p), I32_MUL, ...set(pixelOffset(p)));
    code.push(
        ...get(X), ...set(imageX), ...get(Y), ...set(yp),
        ...overImageRows({ n, i, imageX, rowX, pixelX }, { batch: BATCH, outHeight: OUT_HEIGHT, rowBytes: ROW_BYTES, imageBytes: IMAGE_BYTES }, countedLoop(s, get(STRIPS), strip)),
        END);
    return singleFunctionModule('convolve', new Array(13).fill(I32), [2, ...uleb(11 + pixels), I32, ...uleb(1 + vectors + pixels * vectors), V128, ...code]);
}

/**
 * filterGradient(x̂, dy, dw, batch, outHeight, outWidth, rowBytes, imageBytes, pixelBytes, kh,
 * blocks): byte offsets; x̂ as convolve's, dy [batch, outHeight, outWidth, 4·vectors], dw [kh,
 * blocks · taps, 4·vectors] (taps = `block`; blocks · taps = kw·C), to which the sums are added.
 */
export function filterGradientConvModuleBytes(options: ConvolutionModuleOptions): Uint8Array {
    checkOptions(options);
    const { fusedMultiplyAdd, vectors, block: taps } = options;
    const [X, DY, DW, BATCH, OUT_HEIGHT, OUT_WIDTH, ROW_BYTES, IMAGE_BYTES, PIXEL_BYTES, KH, BLOCKS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const [a, blockIndex, n, i, j, start, imageX, rowX, xp, dyp, dwp] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
    const broadcast = 22, dyVector = (v: number) => 23 + v, acc = (q: number, v: number) => 23 + vectors + q * vectors + v;

    const pixel: number[] = [];
    for (let v = 0; v < vectors; v++) pixel.push(...get(dyp), ...simd(V128_LOAD, ...floatAt(16 * v)), ...set(dyVector(v)));
    for (let q = 0; q < taps; q++) {
        pixel.push(...get(xp), ...simd(V128_LOAD32_SPLAT, ...floatAt(4 * q)), ...set(broadcast));
        for (let v = 0; v < vectors; v++) pixel.push(...madd(fusedMultiplyAdd, broadcast, dyVector(v), acc(q, v)));
    }
    pixel.push(...addTo(xp, get(PIXEL_BYTES)), ...addTo(dyp, i32(16 * vectors)));

    const tapBlock: number[] = [];
    for (let q = 0; q < taps; q++) for (let v = 0; v < vectors; v++) tapBlock.push(...get(dwp), ...simd(V128_LOAD, ...floatAt(16 * (q * vectors + v))), ...set(acc(q, v)));
    tapBlock.push(
        ...get(start), ...set(imageX), ...get(DY), ...set(dyp),
        ...overImageRows({ n, i, imageX, rowX, pixelX: xp }, { batch: BATCH, outHeight: OUT_HEIGHT, rowBytes: ROW_BYTES, imageBytes: IMAGE_BYTES }, countedLoop(j, get(OUT_WIDTH), pixel)));
    for (let q = 0; q < taps; q++) for (let v = 0; v < vectors; v++) tapBlock.push(...get(dwp), ...get(acc(q, v)), ...simd(V128_STORE, ...floatAt(16 * (q * vectors + v))));
    tapBlock.push(...addTo(dwp, i32(16 * vectors * taps)), ...addTo(start, i32(4 * taps)));

    const code = [
        ...get(DW), ...set(dwp),
        ...countedLoop(a, get(KH), [
            ...get(X), ...get(a), ...get(ROW_BYTES), I32_MUL, I32_ADD, ...set(start),
            ...countedLoop(blockIndex, get(BLOCKS), tapBlock)
        ]),
        END
    ];
    return singleFunctionModule('filterGradient', new Array(11).fill(I32), [2, 11, I32, ...uleb(1 + vectors + taps * vectors), V128, ...code]);
}

/** The most pixels convolveOne keeps (one accumulator each, with a filter vector). */
export const MAX_ONE_CHANNEL_PIXELS = 8;

/**
 * convolveOne(x̂, w, y, batch, outHeight, strips, rowBytes, imageBytes, pixelBytes, kh, rowVectors,
 * outPixelBytes): byte offsets; x̂ as convolve's, w [kh, rowVectors · 4 = kw·C] (one output channel's
 * filter), y's pixel (n, i, j) at y + ((n·outHeight + i)·strips·pixels + j)·outPixelBytes.
 */
export function oneChannelConvolutionModuleBytes(options: Omit<ConvolutionModuleOptions, 'vectors'>): Uint8Array {
    const { fusedMultiplyAdd, block: pixels } = options;
    if (!Number.isInteger(pixels) || pixels < 1 || pixels > MAX_ONE_CHANNEL_PIXELS) throw new Error(`one-channel convolution kernel: ${pixels} pixels, expected 1 to ${MAX_ONE_CHANNEL_PIXELS}`);
    const [X, W, Y, BATCH, OUT_HEIGHT, STRIPS, ROW_BYTES, IMAGE_BYTES, PIXEL_BYTES, KH, ROW_VECTORS, OUT_PIXEL_BYTES] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const [n, i, s, a, q, imageX, rowX, pixelX, xp, wp, yp] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
    const pixelOffset = (p: number) => 23 + 2 * p, outOffset = (p: number) => 24 + 2 * p;
    const firstVector = 23 + 2 * pixels;
    const filterVector = firstVector, acc = (p: number) => firstVector + 1 + p;

    const step: number[] = [...get(wp), ...simd(V128_LOAD, ...floatAt(0)), ...set(filterVector)];
    for (let p = 0; p < pixels; p++) {
        step.push(...maddCode(fusedMultiplyAdd, [...get(xp), ...(p > 0 ? [...get(pixelOffset(p)), I32_ADD] : []), ...simd(V128_LOAD, ...floatAt(0))], get(filterVector), acc(p)));
    }
    step.push(...addTo(xp, i32(16)), ...addTo(wp, i32(16)));

    const strip: number[] = [];
    for (let p = 0; p < pixels; p++) strip.push(...ZERO, ...set(acc(p)));
    strip.push(
        ...get(W), ...set(wp),
        ...countedLoop(a, get(KH), [
            ...get(pixelX), ...get(a), ...get(ROW_BYTES), I32_MUL, I32_ADD, ...set(xp),
            ...countedLoop(q, get(ROW_VECTORS), step)
        ]));
    for (let p = 0; p < pixels; p++) {
        // The four lanes' sum: ((0 + 1) + 2) + 3.
        const lane = (l: number) => [...get(acc(p)), ...simd(F32X4_EXTRACT_LANE, l)];
        strip.push(...get(yp), ...(p > 0 ? [...get(outOffset(p)), I32_ADD] : []), ...lane(0), ...lane(1), F32_ADD, ...lane(2), F32_ADD, ...lane(3), F32_ADD, F32_STORE, ...floatAt(0));
    }
    strip.push(...addTo(yp, [...get(OUT_PIXEL_BYTES), ...i32(pixels), I32_MUL]), ...addTo(pixelX, [...get(PIXEL_BYTES), ...i32(pixels), I32_MUL]));

    const code: number[] = [];
    for (let p = 1; p < pixels; p++) code.push(...get(PIXEL_BYTES), ...i32(p), I32_MUL, ...set(pixelOffset(p)), ...get(OUT_PIXEL_BYTES), ...i32(p), I32_MUL, ...set(outOffset(p)));
    code.push(
        ...get(X), ...set(imageX), ...get(Y), ...set(yp),
        ...overImageRows({ n, i, imageX, rowX, pixelX }, { batch: BATCH, outHeight: OUT_HEIGHT, rowBytes: ROW_BYTES, imageBytes: IMAGE_BYTES }, countedLoop(s, get(STRIPS), strip)),
        END);
    return singleFunctionModule('convolveOne', new Array(12).fill(I32), [2, ...uleb(11 + 2 * pixels), I32, ...uleb(1 + pixels), V128, ...code]);
}
