/**
 * conv2d and its two gradients on tfjs-WASM through the direct SIMD kernels of
 * wasm-conv-kernels.ts, for stride 1 and dilation 1, NHWC float32 (wasm-conv.ts decides where).
 * The input (or, for the input's gradient, dy) is copied once into a zero-padded buffer on the
 * backend's heap, which makes the kernels' loops branch-free; the filter, dy and the outputs are
 * read and written where tfjs keeps them.
 */
import { webAssembly, type WasmModule } from '@cajal/runtime/wasm-assembly';
import { MAX_CONV_ACCUMULATORS, MAX_ONE_CHANNEL_PIXELS, convolutionModuleBytes, filterGradientConvModuleBytes, oneChannelConvolutionModuleBytes } from './wasm-conv-kernels.js';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
/** What this file uses of tfjs-backend-wasm 4.22's backend object (checked before use). */
type WasmBackend = {
    wasm: { asm: { memory: { buffer: ArrayBuffer } }; _malloc(bytes: number): number; _free(pointer: number): void };
    dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
    makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
};
type Convolve = (x: number, w: number, y: number, batch: number, outHeight: number, strips: number, rowBytes: number, imageBytes: number, pixelBytes: number, kh: number, rowTaps: number, bias: number, rectify: number) => void;
type ConvolveOne = (x: number, w: number, y: number, batch: number, outHeight: number, strips: number, rowBytes: number, imageBytes: number, pixelBytes: number, kh: number, rowVectors: number, outPixelBytes: number) => void;
type FilterGradient = (x: number, dy: number, dw: number, batch: number, outHeight: number, outWidth: number, rowBytes: number, imageBytes: number, pixelBytes: number, kh: number, blocks: number) => void;

/** A stride-1 convolution: input [batch, height, width, channels], filter [kh, kw, channels, outChannels], padding top and left; output [batch, outHeight, outWidth, outChannels]. */
export type ConvGeometry = {
    batch: number; height: number; width: number; channels: number;
    kh: number; kw: number; outChannels: number;
    top: number; left: number; outHeight: number; outWidth: number;
};

export function isWasmBackend(backend: unknown): backend is WasmBackend {
    const b = backend as Partial<WasmBackend> | undefined;
    return !!b?.wasm?.asm?.memory && typeof b.wasm._malloc === 'function' && typeof b.dataIdMap?.get === 'function' && typeof b.makeOutput === 'function';
}

/** The strip of output pixels convolve keeps: the most (up to 4) that divide the row and fit the registers. */
export function pixelsPerStrip(outWidth: number, vectors: number): number {
    for (let p = 4; p > 1; p--) if (outWidth % p === 0 && p * vectors <= MAX_CONV_ACCUMULATORS && vectors * (p + 1) + 1 <= 16) return p;
    return 1;
}
/** The taps filterGradient keeps: the most that divide a filter row's kw·C and fit the registers. */
export function tapsPerBlock(rowTaps: number, vectors: number): number {
    for (let q = MAX_CONV_ACCUMULATORS; q > 1; q--) if (rowTaps % q === 0 && q * vectors <= MAX_CONV_ACCUMULATORS && vectors * (q + 1) + 1 <= 16) return q;
    return 1;
}

/** The pixels of a row convolveOne keeps: the most (up to 8) that divide it. */
export function oneChannelPixelsPerStrip(outWidth: number): number {
    for (let p = MAX_ONE_CHANNEL_PIXELS; p > 1; p--) if (outWidth % p === 0) return p;
    return 1;
}

/** Channels convolve and filterGradient can write: 4 per vector, and with one pixel or tap, 2·vectors + 1 registers of the 16. */
const writable = (channels: number) => channels % 4 === 0 && channels > 0 && 2 * (channels / 4) + 1 <= 16;
/** Whether convolveOne can read the filter rows (kw · channels read) as whole vectors. */
const readableByVectors = (kw: number, channels: number) => (kw * channels) % 4 === 0;
/**
 * Which of the three passes the kernels take: convolve and filterGradient are vectorised along
 * the channels each writes; else the forward and the input's gradient take convolveOne, one
 * written channel at a time, where a filter row's taps are whole vectors.
 */
/** Which fused convolutions (bias and relu, FusedConv2D) the forward takes: bias and relu are convolve's, when the outputs are whole vectors. */
export const directConvolutionFuses = (g: ConvGeometry) => writable(g.outChannels);
export const directConvolutionTakes = {
    forward: (g: ConvGeometry) => writable(g.outChannels) || readableByVectors(g.kw, g.channels),
    filterGradient: (g: ConvGeometry) => writable(g.outChannels),
    inputGradient: (g: ConvGeometry) => writable(g.channels) || readableByVectors(g.kw, g.outChannels),
};

/** Images per call of filterGradient: the padded input and dy of a chunk stay within about this many bytes (L2). */
const FILTER_GRADIENT_CHUNK_BYTES = 256 * 1024;

export class DirectConvolution {
    private readonly instances = new Map<string, unknown>();
    private scratch = 0;
    private scratchBytes = 0;
    constructor(private readonly backend: WasmBackend, private readonly fusedMultiplyAdd: boolean) {}

    private kernel<T>(kind: 'convolve' | 'filterGradient' | 'convolveOne', vectors: number, block: number): T {
        const key = `${kind} ${vectors} ${block}`;
        let kernel = this.instances.get(key);
        if (!kernel) {
            const options = { fusedMultiplyAdd: this.fusedMultiplyAdd, vectors, block };
            const wasm = webAssembly()!;
            const bytes = kind === 'convolve' ? convolutionModuleBytes(options) : kind === 'convolveOne' ? oneChannelConvolutionModuleBytes(options) : filterGradientConvModuleBytes(options);
            kernel = new wasm.Instance(new wasm.Module(bytes) as WasmModule, { env: { memory: this.backend.wasm.asm.memory } }).exports[kind];
            this.instances.set(key, kernel);
        }
        return kernel as T;
    }

    private reserve(bytes: number): number {
        if (bytes > this.scratchBytes) {
            if (this.scratch) this.backend.wasm._free(this.scratch);
            this.scratch = this.backend.wasm._malloc(bytes);
            this.scratchBytes = this.scratch ? bytes : 0;
            if (!this.scratch) throw new Error(`out of WASM memory: could not reserve ${bytes} bytes for a convolution`);
        }
        return this.scratch;
    }
    private offset(t: TensorInfo): number {
        return this.backend.dataIdMap.get(t.dataId)!.memoryOffset;
    }
    private heap(): Float32Array {
        return new Float32Array(this.backend.wasm.asm.memory.buffer);
    }

    /** Copies images [batch, height, width, channels] (byte offset `from`) into `to`, [batch, paddedHeight, paddedWidth, channels], zeros around them. */
    private pad(from: number, to: number, [batch, height, width, channels]: number[], top: number, left: number, paddedHeight: number, paddedWidth: number): void {
        const heap = this.heap(), start = to / 4, source = from / 4, row = width * channels;
        heap.fill(0, start, start + batch * paddedHeight * paddedWidth * channels);
        for (let n = 0; n < batch; n++) {
            for (let h = 0; h < height; h++) {
                const src = source + (n * height + h) * row;
                heap.copyWithin(start + ((n * paddedHeight + h + top) * paddedWidth + left) * channels, src, src + row);
            }
        }
    }

    /**
     * y = x̂ ⋆ w (+ bias, then max(0, ·) if `rectify`): x̂ padded [batch, outHeight + kh − 1,
     * outWidth + kw − 1, channels] at byte offset `padded`, w [kh, kw, channels, outChannels] at
     * `filter`, bias [outChannels] at `bias` (0: none); `scratch` (4·(kh·kw·channels +
     * outChannels) bytes) holds one output channel's filter when the outputs are not whole
     * vectors, else zeros for a missing bias. Bias and rectify only where the outputs are whole
     * vectors (directConvolutionFuses).
     */
    private convolve(padded: number, filter: number, out: TensorInfo, batch: number, channels: number, kh: number, kw: number, outChannels: number, scratch: number,
        bias = 0, rectify = false): void {
        const [, outHeight, outWidth] = out.shape;
        const rowBytes = 4 * (outWidth + kw - 1) * channels, imageBytes = rowBytes * (outHeight + kh - 1);
        if (writable(outChannels)) {
            const vectors = outChannels / 4, pixels = pixelsPerStrip(outWidth, vectors);
            if (!bias) this.heap().fill(0, scratch / 4, scratch / 4 + outChannels);
            this.kernel<Convolve>('convolve', vectors, pixels)(padded, filter, this.offset(out), batch, outHeight, outWidth / pixels, rowBytes, imageBytes, 4 * channels, kh, kw * channels,
                bias || scratch, rectify ? 1 : 0);
            return;
        }
        if (bias || rectify) throw new Error('convolveOne has no bias or activation: a fused convolution with these channels keeps tfjs\'s kernel');
        const pixels = oneChannelPixelsPerStrip(outWidth), kernel = this.kernel<ConvolveOne>('convolveOne', 0, pixels);
        const taps = kh * kw * channels, from = filter / 4, to = scratch / 4;
        for (let o = 0; o < outChannels; o++) {
            const heap = this.heap();
            for (let t = 0; t < taps; t++) heap[to + t] = heap[from + t * outChannels + o];
            kernel(padded, scratch, this.offset(out) + 4 * o, batch, outHeight, outWidth / pixels, rowBytes, imageBytes, 4 * channels, kh, kw * channels / 4, 4 * outChannels);
        }
    }

    /** The forward pass; with `fused`, plus the bias (if any) and relu (if `rectify`) of a fused convolution (FusedConv2D), where directConvolutionFuses. */
    forward(x: TensorInfo, filter: TensorInfo, g: ConvGeometry, fused?: { bias: TensorInfo | undefined; rectify: boolean }): TensorInfo {
        const paddedHeight = g.outHeight + g.kh - 1, paddedWidth = g.outWidth + g.kw - 1;
        const paddedBytes = 4 * g.batch * paddedHeight * paddedWidth * g.channels;
        const padded = this.reserve(paddedBytes + 4 * (g.kh * g.kw * g.channels + g.outChannels));
        const out = this.backend.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
        this.pad(this.offset(x), padded, x.shape, g.top, g.left, paddedHeight, paddedWidth);
        this.convolve(padded, this.offset(filter), out, g.batch, g.channels, g.kh, g.kw, g.outChannels, padded + paddedBytes,
            fused?.bias ? this.offset(fused.bias) : 0, fused?.rectify ?? false);
        return out;
    }

    /** dx = dy, padded by (k − 1 − the forward's padding), convolved with the filter turned 180° and its channels swapped. */
    inputGradient(dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
        const { batch, height, width, channels, kh, kw, outChannels } = g;
        const paddedHeight = height + kh - 1, paddedWidth = width + kw - 1;
        const paddedBytes = 4 * batch * paddedHeight * paddedWidth * outChannels, filterBytes = 4 * kh * kw * channels * outChannels;
        const padded = this.reserve(paddedBytes + 2 * filterBytes + 4 * channels), turned = padded + paddedBytes;
        const dx = this.backend.makeOutput([batch, height, width, channels], 'float32');
        this.pad(this.offset(dy), padded, dy.shape, kh - 1 - g.top, kw - 1 - g.left, paddedHeight, paddedWidth);
        const heap = this.heap(), w = this.offset(filter) / 4, t = turned / 4;
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let o = 0; o < outChannels; o++) for (let c = 0; c < channels; c++) {
            heap[t + ((a * kw + b) * outChannels + o) * channels + c] = heap[w + (((kh - 1 - a) * kw + (kw - 1 - b)) * channels + c) * outChannels + o];
        }
        this.convolve(padded, turned, dx, batch, outChannels, kh, kw, channels, turned + filterBytes);
        return dx;
    }

    /** dw = Σ x̂ ⊗ dy over the batch, in chunks of images whose padded input and dy stay in cache. */
    filterGradient(x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
        const { batch, channels, kh, kw, outChannels, outHeight, outWidth } = g;
        const paddedHeight = outHeight + kh - 1, paddedWidth = outWidth + kw - 1;
        const imageBytes = 4 * paddedHeight * paddedWidth * channels, dyImageBytes = 4 * outHeight * outWidth * outChannels;
        const padded = this.reserve(batch * imageBytes);
        const dw = this.backend.makeOutput([kh, kw, channels, outChannels], 'float32');
        this.pad(this.offset(x), padded, x.shape, g.top, g.left, paddedHeight, paddedWidth);
        const dwOffset = this.offset(dw);
        this.heap().fill(0, dwOffset / 4, dwOffset / 4 + kh * kw * channels * outChannels);
        const vectors = outChannels / 4, taps = tapsPerBlock(kw * channels, vectors);
        const kernel = this.kernel<FilterGradient>('filterGradient', vectors, taps);
        const chunk = Math.max(1, Math.floor(FILTER_GRADIENT_CHUNK_BYTES / (imageBytes + dyImageBytes)));
        const dyOffset = this.offset(dy);
        for (let n = 0; n < batch; n += chunk) {
            kernel(padded + n * imageBytes, dyOffset + n * dyImageBytes, dwOffset, Math.min(chunk, batch - n), outHeight, outWidth,
                4 * paddedWidth * channels, imageBytes, 4 * channels, kh, kw * channels / taps);
        }
        return dw;
    }
}
