/**
 * Our WASM SIMD matrix product (packages/runtime/src/wasm-gemm-module.ts, wasm-gemm.ts): the
 * generated module against golden bytes and, run on its own memory, against a plain JS product
 * for both of its variants (plain SIMD everywhere, fused multiply-add where the engine has
 * relaxed SIMD); then, as tfjs's BatchMatMul on the WASM backend, against tfjs's own (XNNPACK)
 * kernel on random shapes, transposes and batch dimensions; the fallback to tfjs's kernel
 * outside its limits; and no memory left behind.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, ownWasmGemmStats, setGemmTuning, useOwnWasmGemm } from '@cajal/runtime';
import { generateGemmModule, GEMM_COLUMNS, type GemmOptions } from '../src/wasm-gemm-module.js';
import { gemmOptionsForThisEngine } from '../src/wasm-gemm.js';
import { mulberry32 } from './seeded-random.js';
import { expectGolden, hexLines } from '../../../test/golden-files.js';

/** Node's WebAssembly API, as far as used here (the project's TypeScript libs do not declare it). */
declare const WebAssembly: {
    validate(bytes: Uint8Array): boolean;
    Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: unknown };
};

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeMajor = Number(process.versions.node.split('.')[0]);
const PLAIN: GemmOptions = { fusedMultiplyAdd: false, tileRows: 4, unroll: 1 };
const FUSED: GemmOptions = { ...PLAIN, fusedMultiplyAdd: true };

const golden = (name: string, actual: string) => expectGolden(here, name, actual);

describe('generateGemmModule', () => {
    it('matches the golden modules (plain SIMD and fused multiply-add, 4 × 8 tiles)', () => {
        golden('gemm-plain.wasm.hex', hexLines(generateGemmModule(PLAIN)));
        golden('gemm-fused.wasm.hex', hexLines(generateGemmModule(FUSED)));
    });

    it('is valid WebAssembly; the fused variant exactly where the engine has relaxed SIMD (Node ≥ 22)', () => {
        expect(WebAssembly.validate(generateGemmModule(PLAIN))).toBe(true);
        expect(WebAssembly.validate(generateGemmModule({ ...PLAIN, tileRows: 6, unroll: 3 }))).toBe(true);
        expect(WebAssembly.validate(generateGemmModule(FUSED))).toBe(nodeMajor >= 22);
        expect(gemmOptionsForThisEngine()).toEqual(nodeMajor >= 22 ? FUSED : PLAIN);
    });

    const variants = [PLAIN, { ...PLAIN, tileRows: 6, unroll: 3 }, ...(nodeMajor >= 22 ? [FUSED] : [])];
    for (const options of variants) {
        it(`computes A·B (or adds it to C) on its own memory, any strides, B packed or in place (fma ${options.fusedMultiplyAdd}, ${options.tileRows} rows, unroll ${options.unroll})`, () => {
            const memory = new WebAssembly.Memory({ initial: 16 });
            const gemm = new WebAssembly.Instance(new WebAssembly.Module(generateGemmModule(options)), { env: { memory } }).exports as unknown as {
                packA(...args: number[]): void; packB(...args: number[]): void; gemm(...args: number[]): void;
            };
            fc.assert(fc.property(
                fc.integer({ min: 1, max: 23 }), fc.integer({ min: 0, max: 19 }), fc.oneof(fc.integer({ min: 1, max: 27 }), fc.constantFrom(8, 16, 24)), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer(),
                (m, k, n, transposeA, transposeB, bInPlace, accumulate, seed) => {
                    const inPlace = bInPlace && !transposeB && n % GEMM_COLUMNS === 0;
                    const heap = new Float32Array(memory.buffer);
                    const random = mulberry32(seed);
                    const a = 0, b = a + m * k, packedA = b + k * n, packedB = packedA + Math.ceil(m / options.tileRows) * options.tileRows * k;
                    const c = packedB + Math.ceil(n / GEMM_COLUMNS) * GEMM_COLUMNS * k, ldc = n + 3;
                    heap.fill(Number.NaN, 0, c + m * ldc); // padding and untouched parts of C show up as NaN
                    for (let i = 0; i < m * k + k * n; i++) heap[i] = random() * 2 - 1;
                    // C's own values, which an accumulating product adds to
                    const before = new Float32Array(m * n).map(() => random() * 2 - 1);
                    for (let i = 0; i < m; i++) heap.set(before.subarray(i * n, (i + 1) * n), c + i * ldc);
                    const [aRow, aK] = transposeA ? [1, m] : [k, 1], [bK, bColumn] = transposeB ? [1, k] : [n, 1];
                    gemm.packA(4 * a, aRow, aK, m, k, 4 * packedA);
                    const add = accumulate ? 1 : 0;
                    if (inPlace) gemm.gemm(4 * packedA, 4 * b, 4 * c, m, k, n, ldc, 4 * GEMM_COLUMNS, 4 * n, add);
                    else {
                        gemm.packB(4 * b, bK, bColumn, k, n, 4 * packedB);
                        gemm.gemm(4 * packedA, 4 * packedB, 4 * c, m, k, n, ldc, 4 * GEMM_COLUMNS * k, 4 * GEMM_COLUMNS, add);
                    }
                    for (let i = 0; i < m; i++) {
                        for (let j = 0; j < n; j++) {
                            let sum = accumulate ? before[i * n + j] : 0;
                            for (let p = 0; p < k; p++) sum += heap[a + i * aRow + p * aK] * heap[b + p * bK + j * bColumn];
                            expect(Math.abs(heap[c + i * ldc + j] - sum), `C[${i}, ${j}]`).toBeLessThan(1e-5 * Math.max(1, k));
                        }
                        for (let j = n; j < ldc; j++) expect(heap[c + i * ldc + j], `C[${i}, ${j}] beyond n`).toBeNaN();
                    }
                }), { numRuns: 150 });
        });
    }
});

describe('BatchMatMul on WASM through our kernel', () => {
    beforeAll(async () => { await initBackend('wasm'); });
    const defaultTuning = setGemmTuning({});
    afterEach(() => { useOwnWasmGemm('auto'); setGemmTuning(defaultTuning); });

    /** f(), with our kernel taking every product it can, then with tfjs's kernel only; asserts ours ran exactly `ownProducts` times. */
    function bothWays(f: () => tf.Tensor, ownProducts: number): [Float32Array, Float32Array, number[]] {
        useOwnWasmGemm('always');
        const before = ownWasmGemmStats().products;
        const own = tf.tidy(f);
        expect(ownWasmGemmStats().products - before).toBe(ownProducts);
        useOwnWasmGemm('never');
        const theirs = tf.tidy(f);
        expect(ownWasmGemmStats().products - before).toBe(ownProducts);
        expect(own.shape).toEqual(theirs.shape);
        const result: [Float32Array, Float32Array, number[]] = [own.dataSync() as Float32Array, theirs.dataSync() as Float32Array, own.shape];
        tf.dispose([own, theirs]);
        return result;
    }
    const expectClose = (own: Float32Array, theirs: Float32Array, k: number) => {
        expect(own.length).toBe(theirs.length);
        // Over an empty k the product is zeros; tfjs-WASM's own kernel returns stale heap data there (see below).
        if (k === 0) return expect(Array.from(own).every(x => x === 0)).toBe(true);
        for (let i = 0; i < own.length; i++) {
            if (!(Math.abs(own[i] - theirs[i]) <= 1e-5 * Math.max(1, k))) expect(own[i], `entry ${i}`).toBeCloseTo(theirs[i], 4);
        }
    };

    /** a · b of random a and b (stored transposed where asked, with outer batch dimensions) from one seed. */
    const randomProduct = (m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, outerA: number[], outerB: number[], seed: number) => {
        const a = tf.randomUniform([...outerA, ...(transposeA ? [k, m] : [m, k])], -1, 1, 'float32', seed);
        const b = tf.randomUniform([...outerB, ...(transposeB ? [n, k] : [k, n])], -1, 1, 'float32', seed + 1);
        return tf.matMul(a, b, transposeA, transposeB);
    };

    it('equals tfjs\'s kernel on random shapes, transposes and batch dimensions', () => {
        const batchShapes = fc.constantFrom<[number[], number[]]>([[], []], [[3], [3]], [[2, 2], [2, 2]], [[3], []], [[], [4]], [[1], [3]], [[2, 1], [1]]);
        fc.assert(fc.property(
            fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), fc.boolean(), batchShapes, fc.integer(),
            (m, k, n, transposeA, transposeB, [outerA, outerB], seed) => {
                const [own, theirs] = bothWays(() => randomProduct(m, k, n, transposeA, transposeB, outerA, outerB, seed), 1);
                expectClose(own, theirs, k);
            }), { numRuns: 60 });
    });

    it('equals tfjs\'s kernel with k in slices (B read in place: each slice added to C), on random shapes, transposes and batch dimensions', () => {
        const batchShapes = fc.constantFrom<[number[], number[]]>([[], []], [[3], [3]], [[3], []], [[], [2]]);
        fc.assert(fc.property(
            fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 45 }), fc.constantFrom(8, 16, 24, 5, 13), fc.boolean(), fc.boolean(), batchShapes, fc.constantFrom(4, 8, 12), fc.integer(),
            (m, k, n, transposeA, transposeB, [outerA, outerB], slice, seed) => {
                setGemmTuning({ kSlice: slice });
                const [own, theirs] = bothWays(() => randomProduct(m, k, n, transposeA, transposeB, outerA, outerB, seed), 1);
                expectClose(own, theirs, k);
            }), { numRuns: 60 });
        expect(() => setGemmTuning({ kSlice: 2 })).toThrow(/the slice of k must be at least 4, got 2/);
    });

    it('gives zeros for a product over an empty k in auto mode, where tfjs-WASM\'s own kernel returns stale heap data', () => {
        const previous = useOwnWasmGemm('auto');
        try {
            for (const [m, n] of [[4, 16], [13, 5], [70, 24]]) {
                // Stale data where the output will be allocated: a product of the same size, freed.
                tf.dispose(tf.tidy(() => { const stale = tf.matMul(tf.randomUniform([m, 3], 1, 2, 'float32', 1), tf.randomUniform([3, n], 1, 2, 'float32', 2)); stale.dataSync(); return stale; }));
                const product = tf.tidy(() => tf.matMul(tf.zeros([m, 0]), tf.zeros([0, n])));
                expect(product.shape).toEqual([m, n]);
                expect(Array.from(product.dataSync()).every(x => x === 0)).toBe(true);
                product.dispose();
            }
        } finally {
            useOwnWasmGemm(previous);
        }
    });

    it('equals tfjs\'s kernel at the training shapes (784 inputs, 400 units, batch 64) and in a network\'s gradients', () => {
        const x = () => tf.randomNormal([64, 784], 0, 1, 'float32', 1), w = () => tf.randomNormal([784, 400], 0, 0.05, 'float32', 2);
        const [forward, forwardTheirs, shape] = bothWays(() => tf.matMul(x(), w()), 1);
        expect(shape).toEqual([64, 400]);
        expectClose(forward, forwardTheirs, 784);
        const gradientOfW = () => tf.grad((weights: tf.Tensor) => tf.sum(tf.square(tf.matMul(x(), weights))))(w());
        const [dw, dwTheirs] = bothWays(gradientOfW, 2); // forward product, then xᵀ·dz
        expectClose(dw, dwTheirs, 784);
    });

    it('leaves to tfjs\'s kernel what it does not take: other dtypes, batch dimensions broadcast both ways, and in auto mode small products or no FMA', () => {
        const count = () => ownWasmGemmStats().products;
        useOwnWasmGemm('always');
        let before = count();
        // tfjs-WASM has no int32 product: its kernel's own error, not ours
        expect(() => tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor2d([[5], [6]], undefined, 'int32'))))
            .toThrow(/BatchMatMul for non non-float32 tensors not yet supported/);
        const broadcast = tf.matMul(tf.ones([2, 1, 3, 4]), tf.ones([3, 4, 5]));
        expect(broadcast.shape).toEqual([2, 3, 3, 5]);
        expect(Array.from(broadcast.dataSync()).every(v => v === 4)).toBe(true);
        expect(count()).toBe(before);
        useOwnWasmGemm('auto');
        before = count();
        tf.dispose([broadcast, tf.matMul(tf.ones([32, 50]), tf.ones([50, 64])), tf.matMul(tf.ones([63, 50]), tf.ones([50, 2]))]);
        expect(count()).toBe(before); // below 64 rows
        // from 64 rows, any number of columns (the output layers' 400 → 2 products)
        tf.dispose([tf.matMul(tf.ones([64, 50]), tf.ones([50, 8])), tf.matMul(tf.ones([64, 50]), tf.ones([50, 2])), tf.matMul(tf.ones([64, 400]), tf.ones([64, 2]), true, false)]);
        expect(count() - before).toBe(gemmOptionsForThisEngine().fusedMultiplyAdd ? 3 : 0);
        expect(() => useOwnWasmGemm('sometimes' as never)).toThrow(/unknown matrix-product mode 'sometimes'/);
    });

    it('leaves no tensors and no growing heap behind: one packing buffer, reused', () => {
        useOwnWasmGemm('always');
        const a = tf.randomNormal([100, 300]), b = tf.randomNormal([300, 90]);
        tf.dispose(tf.matMul(a, b)); // the first product allocates the packing buffer
        const tensors = tf.memory().numTensors, bytes = tf.memory().numBytes, scratch = ownWasmGemmStats().scratchBytes;
        const heapBytes = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
        expect(scratch).toBeGreaterThanOrEqual(4 * 300 * (100 + 96));
        for (let i = 0; i < 30; i++) tf.dispose([tf.matMul(a, b), tf.matMul(a, b, false, false), tf.matMul(b, a, true, true), tf.tidy(() => tf.matMul(tf.randomNormal([4, 300]), b))]);
        expect(tf.memory().numTensors).toBe(tensors);
        expect(tf.memory().numBytes).toBe(bytes);
        expect(ownWasmGemmStats().scratchBytes).toBe(scratch);
        expect((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length).toBe(heapBytes);
        tf.dispose([a, b]);
    });
});
