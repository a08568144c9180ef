import { describe, expect, it } from 'vitest';
import { basisLabels, dimOf, isDiscrete, isEnumerable, shapeOf, typeToString, validateType, type TypeDesc, type TypeShape } from '@cajal/ir';

const Bool: TypeDesc = { kind: 'bool' };
const nat = (bound: number): TypeDesc => ({ kind: 'nat', bound });
const real = (...dims: number[]): TypeDesc => ({ kind: 'real', dims });
const fn = (domain: TypeShape, codomain: TypeShape) => ({ kind: 'function', domain, codomain }) as const;
const pair = (left: TypeShape, right: TypeShape) => ({ kind: 'product', left, right }) as const;
const unknown: TypeShape = { kind: 'error' };

describe('type arithmetic (spec §7)', () => {
    it('gives each type its dimension and shape', () => {
        expect(dimOf(fn(real(2, 3), pair(Bool, nat(3))))).toBe(36);
        expect(shapeOf(fn(real(2, 3), pair(Bool, nat(3))))).toEqual([6, 6]);
        expect(shapeOf(pair(nat(4), Bool))).toEqual([4, 2]);
        expect(shapeOf(real(2, 3))).toEqual([2, 3]);
    });

    it('gives an unknown part (the checker\'s error type) dimension 0, shape [], no labels and `?` as text', () => {
        expect(dimOf(fn(Bool, unknown))).toBe(0);
        expect(shapeOf(unknown)).toEqual([]);
        expect(basisLabels(pair(Bool, unknown))).toEqual([]);
        expect(typeToString(fn(unknown, Bool))).toBe('? -o Bool');
        expect(isDiscrete(unknown) || isEnumerable(pair(Bool, unknown))).toBe(false);
    });

    it('prints types in Cajal syntax with only the parentheses it needs', () => {
        expect(typeToString(fn(fn(Bool, Bool), fn(nat(10), nat(3))))).toBe('(Bool -o Bool) -o Nat -o Nat[3]');
        expect(typeToString(pair(pair(Bool, Bool), fn(Bool, real(2))))).toBe('Bool * Bool * (Bool -o Real[2])');
        expect(typeToString(pair(Bool, pair(Bool, Bool)))).toBe('Bool * (Bool * Bool)');
    });

    it('rejects hand-written descriptions that are not types, naming the bad part', () => {
        expect(() => validateType(fn(Bool, nat(0)) as TypeDesc)).toThrow('type (codomain): Nat bound must be an integer ≥ 1, got 0');
        expect(() => validateType({ kind: 'tensor' } as unknown as TypeDesc)).toThrow("type: unknown type kind 'tensor'");
    });
});

// The compiler, the runtime and the language server once had their own copies of these two
// and they disagreed; these cases pin the one meaning they now share.
describe('discreteness', () => {
    it('calls Bool, Nat and pairs of them discrete: their basis vectors are values', () => {
        expect([Bool, nat(3), pair(Bool, pair(nat(2), Bool))].map(isDiscrete)).toEqual([true, true, true]);
    });

    it('does not call functions discrete, even between discrete types: a function value is a matrix, not one basis vector', () => {
        expect(isDiscrete(fn(Bool, Bool))).toBe(false);
        expect(isDiscrete(pair(Bool, fn(Bool, Bool)))).toBe(false);
    });

    it('calls nothing with a Real inside discrete or enumerable', () => {
        expect([real(2), pair(Bool, real(1)), fn(real(2), Bool)].map(t => isDiscrete(t) || isEnumerable(t))).toEqual([false, false, false]);
    });

    it('calls functions between enumerable types enumerable: the interpreter can tabulate them', () => {
        expect(isEnumerable(fn(fn(Bool, nat(3)), pair(Bool, Bool)))).toBe(true);
    });
});

describe('basis labels', () => {
    it('labels Bool, Nat, pairs and function entries in flat row-major order', () => {
        expect(basisLabels(pair(Bool, nat(2)))).toEqual(['(true, 0)', '(true, 1)', '(false, 0)', '(false, 1)']);
        expect(basisLabels(fn(Bool, nat(2)))).toEqual(['true↦0', 'false↦0', 'true↦1', 'false↦1']);
    });

    it('labels Real components by their bracketed index into the Real\'s shape, so they never read as Nat values', () => {
        expect(basisLabels(real(2, 3))).toEqual(['[0, 0]', '[0, 1]', '[0, 2]', '[1, 0]', '[1, 1]', '[1, 2]']);
        expect(basisLabels(pair(real(2), nat(2)))).toEqual(['([0], 0)', '([0], 1)', '([1], 0)', '([1], 1)']);
        expect(basisLabels(fn(real(2), Bool))).toEqual(['[0]↦true', '[1]↦true', '[0]↦false', '[1]↦false']);
    });
});
