import { beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import {
    applyMatrix, contract, decode, encodeBool, encodeNat, flatten, gate, initBackend, iterate, outer, reshapeBatched, reshapeTo, runProgram, splitPair, succ, tabulate,
} from '@cajal/runtime';
import type { Program } from '@cajal/ir';
import { mulberry32 } from './seeded-random.js';

/** Compiled `not` : Bool -o Bool, [dim B, dim A]. */
const NOT = [[0, 1], [1, 0]];

function expectClose(actual: tf.Tensor, expected: number[] | number[][] | number[][][], tolerance = 1e-5): void {
    const a = actual.dataSync();
    const e = (expected as unknown[]).flat(3) as number[];
    expect(a.length).toBe(e.length);
    e.forEach((x, i) => expect(Math.abs(a[i] - x)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(x))));
}

/** Naive reference for contract: out[b, o] = Σ T[o, i1…in] Π x_j[b, i_j], by explicit enumeration. */
function naiveContract(t: number[], shape: number[], xs: number[][][]): number[][] {
    const [dimOut, ...dims] = shape;
    const batch = xs.length === 0 ? 1 : xs[0].length;
    const result: number[][] = [];
    for (let b = 0; b < batch; b++) {
        const row: number[] = [];
        for (let o = 0; o < dimOut; o++) {
            let sum = 0;
            const count = dims.reduce((p, d) => p * d, 1);
            for (let flat = 0; flat < count; flat++) {
                // Decode the flat multi-index (row-major) into i1 … in.
                let rest = flat;
                let product = t[o * count + flat];
                for (let j = dims.length - 1; j >= 0; j--) {
                    const index = rest % dims[j];
                    rest = Math.floor(rest / dims[j]);
                    product *= xs[j][b][index];
                }
                sum += product;
            }
            row.push(sum);
        }
        result.push(row);
    }
    return result;
}

for (const backend of ['cpu', 'wasm'] as const) {
    describe(`neurons on the ${backend} backend`, () => {
        beforeAll(async () => {
            const choice = await initBackend(backend);
            expect(choice.backend).toBe(backend);
        });

        it('gate computes c0·a + c1·b per batch element, over trailing axes', () => {
            expect(tf.getBackend()).toBe(backend);
            const c = tf.tensor2d([[1, 0], [0, 1], [0.25, 0.75]]);
            const a = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
            const b = tf.tensor2d([[10, 20], [30, 40], [50, 60]]);
            expectClose(gate(c, a, b), [[1, 2], [30, 40], [38.75, 46.5]]);
            const a3 = tf.ones([3, 2, 2]);
            const b3 = tf.fill([3, 2, 2], 2);
            expectClose(gate(c, a3, b3), [[[1, 1], [1, 1]], [[2, 2], [2, 2]], [[1.75, 1.75], [1.75, 1.75]]]);
        });

        it('gate rejects a selector that is not a batched Bool', () => {
            expect(() => gate(tf.ones([2, 3]), tf.ones([2, 2]), tf.ones([2, 2]))).toThrow('gate: expected a [batch, 2] selector, got shape [2, 3]');
        });

        it('iterate computes Σ n_i · stepⁱ(base): parity, addition and a soft count', () => {
            const notMatrix = tf.tensor2d(NOT);
            const not = (x: tf.Tensor) => applyMatrix(notMatrix, x);
            // parity n = iter n { zero => true ; succ y => not y }
            const parity = iterate(encodeNat([0, 1, 4, 7], 10), encodeBool([true, true, true, true]), not);
            expect(decode({ kind: 'bool' }, parity).map(d => d.text)).toEqual(['true', 'false', 'true', 'false']);
            // add m n = iter n { zero => m ; succ y => succ y }, in Nat[6]
            const sum = iterate(encodeNat([3, 0, 2], 6), encodeNat([1, 5, 4], 6), succ);
            expect(decode({ kind: 'nat', bound: 6 }, sum).map(d => d.text)).toEqual(['4', '5', 'none (zero vector)']);
            // A soft count mixes the iterates: 0.5·true + 0.5·not true.
            expectClose(iterate(tf.tensor2d([[0.5, 0.5, 0]]), encodeBool([true]), not), [[0.5, 0.5]]);
        });

        it('iterate applies the step exactly k-1 times', () => {
            for (const k of [1, 2, 7]) {
                let calls = 0;
                iterate(encodeNat([0], k), tf.ones([1, 3]), x => { calls++; return x.mul(2); });
                expect(calls).toBe(k - 1);
            }
        });

        it('gate and iterate leave no tensors behind but their result', () => {
            const c = encodeBool([true]);
            const a = tf.ones([1, 4]);
            const n = encodeNat([3], 10);
            const w = tf.randomNormal([4, 4]);
            const before = tf.memory().numTensors;
            const g = gate(c, a, a);
            const it = iterate(n, a, x => tf.matMul(x, w));
            expect(tf.memory().numTensors).toBe(before + 2);
            tf.dispose([g, it, c, a, n, w]);
        });

        it('gradients flow through gate: d/dc0 = Σ a·w, d/da = c0·w', () => {
            const c = tf.tensor2d([[0.3, 0.7]]);
            const a = tf.tensor2d([[1, 2, 3]]);
            const b = tf.tensor2d([[4, 5, 6]]);
            const w = tf.tensor1d([1, -1, 2]);
            const [dc, da, db] = tf.grads((c: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => gate(c, a, b).mul(w).sum())([c, a, b]);
            expectClose(dc, [[1 - 2 + 6, 4 - 5 + 12]]);
            expectClose(da, [[0.3, -0.3, 0.6]]);
            expectClose(db, [[0.7, -0.7, 1.4]]);
        });

        it('gradients flow through iterate: d/dn_i = Σ stepⁱ(base), and d/dW is finite and non-zero', () => {
            const k = 4;
            const weight = tf.tensor2d([[0.5, -1, 0], [1, 0.25, 2], [0, 1, -0.5]]);
            const base = tf.tensor2d([[1, 2, -1]]);
            const n = tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]);
            const step = (w: tf.Tensor) => (x: tf.Tensor) => tf.matMul(x, w as tf.Tensor2D);
            const [dn, dw] = tf.grads((n: tf.Tensor, w: tf.Tensor) => iterate(n, base, step(w)).sum())([n, weight]);
            // Independent expectation: the i-th iterate's sum.
            const iterateSums: number[] = [];
            let state: tf.Tensor = base;
            for (let i = 0; i < k; i++) {
                iterateSums.push(state.sum().dataSync()[0]);
                state = tf.matMul(state as tf.Tensor2D, weight);
            }
            expectClose(dn, [iterateSums]);
            const gradient = Array.from(dw.dataSync());
            expect(gradient.every(Number.isFinite)).toBe(true);
            expect(gradient.some(g => g !== 0)).toBe(true);
            // Finite-difference check of one weight entry.
            const f = (w: tf.Tensor) => iterate(n, base, step(w)).sum().dataSync()[0];
            const h = 1e-2;
            const bump = tf.tensor2d([[0, 0, 0], [0, h, 0], [0, 0, 0]]);
            const numeric = (f(weight.add(bump)) - f(weight.sub(bump))) / (2 * h);
            expect(Math.abs(numeric - gradient[4])).toBeLessThan(1e-2 * Math.max(1, Math.abs(numeric)));
        });

        it('applyMatrix takes a constant [dim B, dim A] matrix or a batched function value', () => {
            const m = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
            const x = tf.tensor2d([[1, 0, 0], [0, 1, 1]]);
            expectClose(applyMatrix(m, x), [[1, 4], [5, 11]]);
            // Batched: element 0 uses m, element 1 uses 10·m; flat [batch, dimB·dimA] and [batch, dimB, dimA] agree.
            const batchedFlat = tf.tensor2d([[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]]);
            expectClose(applyMatrix(batchedFlat, x), [[1, 4], [50, 110]]);
            expectClose(applyMatrix(batchedFlat.reshape([2, 2, 3]), x), [[1, 4], [50, 110]]);
            expect(() => applyMatrix(tf.ones([2, 3]), tf.ones([1, 4]), 'constant')).toThrow(/must have shape \[dim B, 4\]/);
        });

        it('a batch of 1 broadcasts in applyMatrix and contract, and stays differentiable', () => {
            const f = tf.tensor2d([[1, 2, 3, 4, 5, 6]]); // one function value Nat[3] -o Nat[2]
            const x = tf.tensor2d([[1, 0, 0], [0, 0, 1]]);
            expectClose(applyMatrix(f, x, 'batched'), [[1, 4], [3, 6]]);
            const [df] = tf.grads((f: tf.Tensor) => applyMatrix(f, x, 'batched').sum())([f]);
            expectClose(df, [[1, 0, 1, 1, 0, 1]]);
            const t = tf.tensor3d([[[1, 2], [3, 4]]]); // [1, 2, 2]: out = x1ᵀ T x2
            const x1 = tf.tensor2d([[1, 0]]);
            const x2 = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
            expectClose(contract(t, [x1, x2]), [[1], [2], [3]]);
            const [dx1] = tf.grads((x1: tf.Tensor) => contract(t, [x1, x2]).sum())([x1]);
            expectClose(dx1, [[1 + 2 + 3, 3 + 4 + 7]]);
        });

        it('outer is the row-major tensor product', () => {
            expectClose(outer(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4, 5]])), [[3, 4, 5, 6, 8, 10]]);
        });

        it('contract agrees with a naive reference on random tensors', () => {
            const caseArb = fc.record({
                dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
                dimOut: fc.integer({ min: 1, max: 3 }),
                batch: fc.integer({ min: 1, max: 3 }),
                seed: fc.integer({ min: 0, max: 1_000_000 }),
            });
            fc.assert(fc.property(caseArb, ({ dims, dimOut, batch, seed }) => {
                const random = mulberry32(seed);
                const shape = [dimOut, ...dims];
                const t = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
                const xs = dims.map(d => Array.from({ length: batch }, () => Array.from({ length: d }, () => random() * 2 - 1)));
                const actual = tf.tidy(() => contract(tf.tensor(t, shape), xs.map(x => tf.tensor2d(x))).arraySync());
                const expected = naiveContract(t, shape, xs);
                expect(actual.length).toBe(batch);
                actual.forEach((row, b) => row.forEach((v, o) => expect(Math.abs(v - expected[b][o])).toBeLessThan(1e-4)));
            }), { numRuns: 60 });
        });

        it('contract rejects inputs of the wrong number or dim', () => {
            expect(() => contract(tf.ones([2, 3, 4]), [tf.ones([1, 3])])).toThrow('contract: a tensor of shape [2, 3, 4] takes 2 inputs, got 1');
            expect(() => contract(tf.ones([2, 3, 4]), [tf.ones([1, 3]), tf.ones([1, 5])])).toThrow(/input 2 has dim 5 but the tensor expects 4/);
        });

        it('splitPair on an entangled pair equals applying the body\'s tensor to the whole pair', () => {
            for (const [dimA, dimB] of [[2, 3], [4, 2]]) {
                const t = tf.randomNormal([3, dimA, dimB]);
                const p = tf.randomNormal([5, dimA, dimB]); // not a product a ⊗ b in general
                const viaSplit = splitPair(p, dimA, dimB, (x, y) => contract(t, [x, y]));
                const direct = applyMatrix(t.reshape([3, dimA * dimB]), p);
                expectClose(viaSplit, direct.arraySync() as number[][], 1e-4);
            }
        });

        it('tabulate builds batched function values from a body that captures batched values', () => {
            const notMatrix = tf.tensor2d(NOT);
            const c = encodeBool([true, false]);
            // fun x => if c then x else not x, with c a batched Bool captured from outside.
            const f = tabulate(2, x => gate(c, x, applyMatrix(notMatrix, x)));
            expect(f.shape).toEqual([2, 2, 2]);
            expectClose(f, [[[1, 0], [0, 1]], NOT]);
            expectClose(applyMatrix(f, encodeBool([false, false])), [[0, 1], [1, 0]]);
            // A closed body gives a batch of 1: the constant matrix itself.
            expectClose(tabulate(2, x => applyMatrix(notMatrix, x)), [NOT]);
        });

        it('succ shifts a Nat up and overflows to the zero vector', () => {
            expectClose(succ(encodeNat([0, 1, 2], 3)), [[0, 1, 0], [0, 0, 1], [0, 0, 0]]);
        });
    });
}


describe('reshapes to the shape a tensor has', () => {
    it('return the tensor itself (no kernel), and reshape otherwise', () => {
        const flat = tf.tensor2d([[1, 2, 3, 4, 5, 6]]);
        const grid = tf.tensor3d([[[1, 2, 3], [4, 5, 6]]]);
        expect(reshapeTo(flat, [1, 6])).toBe(flat);
        expect(flatten(flat)).toBe(flat);
        expect(reshapeBatched(grid, [2, 3])).toBe(grid);
        const flattened = flatten(grid);
        expect(flattened).not.toBe(grid);
        expect(flattened.shape).toEqual([1, 6]);
        expect(reshapeTo(flat, [2, 3]).shape).toEqual([2, 3]);
        expect(reshapeBatched(flat, [3, 2]).shape).toEqual([1, 3, 2]);
        expect(Array.from(flattened.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
        tf.dispose([flat, grid, flattened]);
    });

    it('leave a program that returns its input unchanged giving the caller a tensor of its own', () => {
        const bool = { kind: 'bool' } as unknown as Program['output'];
        const program: Program = {
            name: 'same', typeText: 'Bool -o Bool', type: bool, output: bool, outputShape: [2], externs: [],
            inputs: [{ id: 1, name: 'x', type: bool, shape: [2] }],
            body: { op: 'var', var: { id: 1, name: 'x' } }
        };
        const x = encodeBool([true, false]);
        const y = runProgram(program, [x]);
        expect(y).not.toBe(x);
        x.dispose();
        expect(y.arraySync()).toEqual([[1, 0], [0, 1]]);
        y.dispose();
    });
});
