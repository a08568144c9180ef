import { beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import {
    basisLabels, decode, decodeVector, dimOf, encode, encodeBool, encodeNat, initBackend, shapeOf, typeToString,
    type JsValue, type TypeDesc,
} from '@cajal/runtime';

const Bool: TypeDesc = { kind: 'bool' };
const nat = (bound: number): TypeDesc => ({ kind: 'nat', bound });
const pair = (left: TypeDesc, right: TypeDesc): TypeDesc => ({ kind: 'product', left, right });
const fn = (domain: TypeDesc, codomain: TypeDesc): TypeDesc => ({ kind: 'function', domain, codomain });
const real = (...dims: number[]): TypeDesc => ({ kind: 'real', dims });

beforeAll(async () => { await initBackend('cpu'); });

/** A discrete type (Bool, Nat[k], pairs of them) together with an arbitrary for its values and their Cajal text. */
type DiscreteCase = { type: TypeDesc; value: fc.Arbitrary<{ js: JsValue; text: string }> };
const discreteCase: fc.Arbitrary<DiscreteCase> = fc.letrec<{ t: DiscreteCase }>(tie => ({
    t: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant<DiscreteCase>({ type: Bool, value: fc.boolean().map(b => ({ js: b, text: String(b) })) }),
        fc.integer({ min: 1, max: 12 }).map<DiscreteCase>(k => ({
            type: nat(k), value: fc.integer({ min: 0, max: k - 1 }).map(n => ({ js: n, text: String(n) })),
        })),
        fc.tuple(tie('t'), tie('t')).map<DiscreteCase>(([l, r]) => ({
            type: pair(l.type, r.type),
            value: fc.tuple(l.value, r.value).map(([a, b]) => ({ js: [a.js, b.js] as const, text: `(${a.text}, ${b.text})` })),
        })),
    ),
})).t;

describe('type layouts', () => {
    it('gives dims, shapes and basis labels per spec section 7', () => {
        expect(dimOf(fn(Bool, nat(3)))).toBe(6);
        expect(shapeOf(fn(Bool, nat(3)))).toEqual([3, 2]);
        expect(shapeOf(pair(Bool, nat(3)))).toEqual([2, 3]);
        expect(shapeOf(real(28, 28))).toEqual([28, 28]);
        expect(basisLabels(pair(Bool, nat(2)))).toEqual(['(true, 0)', '(true, 1)', '(false, 0)', '(false, 1)']);
        // Function entry b*dimA + a is labelled a↦b.
        expect(basisLabels(fn(Bool, Bool))).toEqual(['true↦true', 'false↦true', 'true↦false', 'false↦false']);
        expect(typeToString(fn(fn(Bool, Bool), pair(nat(10), pair(Bool, nat(3)))))).toBe('(Bool -o Bool) -o Nat * (Bool * Nat[3])');
    });
});

describe('encode/decode round-trips', () => {
    it('Bool uses true = [1, 0], false = [0, 1]', () => {
        const t = encodeBool([true, false]);
        expect(t.shape).toEqual([2, 2]);
        expect(Array.from(t.dataSync())).toEqual([1, 0, 0, 1]);
        expect(decode(Bool, t).map(d => [d.text, d.probability])).toEqual([['true', 1], ['false', 1]]);
    });

    it('Nat[k] is one-hot', () => {
        const t = encodeNat([0, 3, 4], 5);
        expect(t.shape).toEqual([3, 5]);
        expect(t.arraySync()).toEqual([[1, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]);
        expect(decode(nat(5), t).map(d => d.text)).toEqual(['0', '3', '4']);
    });

    it('a pair is the outer product, shaped [batch, dim A, dim B]', () => {
        const t = encode(pair(Bool, nat(3)), [[false, 1]]);
        expect(t.shape).toEqual([1, 2, 3]);
        expect(t.arraySync()).toEqual([[[0, 0, 0], [0, 1, 0]]]);
        expect(decode(pair(Bool, nat(3)), t)[0]).toEqual({ text: '(false, 1)', probability: 1, data: [0, 0, 0, 0, 1, 0] });
    });

    it('decode(encode(v)) gives back v with probability 1 for Bool, Nat and nested pairs', () => {
        fc.assert(fc.property(
            discreteCase.chain(c => fc.tuple(fc.constant(c.type), fc.array(c.value, { minLength: 1, maxLength: 4 }))),
            ([type, values]) => {
                const t = encode(type, values.map(v => v.js));
                expect(t.shape).toEqual([values.length, ...shapeOf(type)]);
                const decoded = decode(type, t);
                t.dispose();
                expect(decoded.map(d => d.text)).toEqual(values.map(v => v.text));
                expect(decoded.every(d => d.probability === 1)).toBe(true);
            },
        ), { numRuns: 150 });
    });

    it('decodes soft values by argmax with probability normalised by the sum', () => {
        const [d] = decode(nat(4), tf.tensor2d([[0.5, 2, 1, 0.5]]));
        expect(d.text).toBe('1');
        expect(d.probability).toBeCloseTo(0.5, 6);
        const soft = encode(Bool, [[0.2, 0.8]]);
        expect(decode(Bool, soft)[0].text).toBe('false');
        expect(decode(Bool, soft)[0].probability).toBeCloseTo(0.8, 6);
    });

    it('decodes the zero vector (an overflowed succ) as no value', () => {
        expect(decodeVector(nat(3), [0, 0, 0])).toEqual({ text: 'none (zero vector)', probability: 0, data: [0, 0, 0] });
    });

    it('decodes functions as <function …> and Real values as a summary', () => {
        const not = tf.tensor3d([[[0, 1], [1, 0]]]);
        expect(decode(fn(Bool, Bool), not)[0]).toEqual({ text: '<function Bool -o Bool>', probability: null, data: [0, 1, 1, 0] });
        const r = decode(real(3), encode(real(3), [[0.5, -1, 2]]))[0];
        expect(r).toEqual({ text: 'Real[3] [0.5, -1, 2]', probability: null, data: [0.5, -1, 2] });
        const big = decode(real(2, 5), encode(real(2, 5), [Array.from({ length: 10 }, (_, i) => i - 3)]))[0];
        expect(big.text).toBe('Real[2, 5] [-3, -2, -1, 0, 1, 2, …] (10 values, min -3, max 6)');
        expect(big.probability).toBeNull();
    });

    it('encodes Real values nested or flat and function values as matrices', () => {
        const nested = encode(real(2, 3), [[[1, 2, 3], [4, 5, 6]]]);
        const flat = encode(real(2, 3), [[1, 2, 3, 4, 5, 6]]);
        expect(nested.shape).toEqual([1, 2, 3]);
        expect(flat.arraySync()).toEqual(nested.arraySync());
        expect(encode(fn(Bool, nat(3)), [[[1, 0], [0, 1], [0, 0]]]).shape).toEqual([1, 3, 2]);
    });
});

describe('clear errors for bad values', () => {
    it('rejects Nat values out of range, naming the batch element and the range', () => {
        expect(() => encodeNat([1, 12], 10)).toThrow('batch element 1: 12 is out of range for Nat (expected an integer 0 … 9)');
        expect(() => encodeNat([3], 3)).toThrow('batch element 0: 3 is out of range for Nat[3] (expected an integer 0 … 2)');
        expect(() => encodeNat([-1], 3)).toThrow(/-1 is out of range for Nat\[3\]/);
        expect(() => encodeNat([1.5], 3)).toThrow(/1.5 is out of range for Nat\[3\]/);
    });

    it('rejects Real arrays of the wrong shape, naming expected and actual shape', () => {
        expect(() => encode(real(2, 3), [[[1, 2], [3, 4]]]))
            .toThrow('batch element 0: wrong shape for Real[2, 3]: expected [2, 3] (6 values), got [2, 2]');
        expect(() => encode(real(4), [[1, 2, 3, 4], [1, 2, 3]]))
            .toThrow('batch element 1: wrong shape for Real[4]: expected [4] (4 values), got [3]');
        expect(() => encode(real(2, 2), [[[1, 2], [3]]])).toThrow(/ragged array/);
        expect(() => encode(real(2), [[1, Number.NaN]])).toThrow(/entry 1 is NaN, expected a finite number/);
    });

    it('rejects values of the wrong kind', () => {
        expect(() => encode(Bool, [1])).toThrow('batch element 0: expected a Bool (true or false), got 1');
        expect(() => encode(pair(Bool, Bool), [[true] as unknown as JsValue])).toThrow(/expected a pair \[a, b\] of type Bool \* Bool/);
        expect(() => encode(pair(Bool, nat(2)), [[true, 5]])).toThrow('batch element 0, second component: 5 is out of range for Nat[2]');
        expect(() => encode(nat(3), [[1, 0]])).toThrow(/expected \[3\] \(3 values\), got \[2\]/);
    });

    it('rejects tensors of the wrong shape when decoding', () => {
        expect(() => decode(nat(3), tf.zeros([2, 4]))).toThrow('decode Nat[3]: expected a tensor of shape [batch, 3], got [2, 4]');
    });
});
