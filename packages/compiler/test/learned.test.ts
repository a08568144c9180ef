/**
 * Learned neurons read back as programs: function matrices over curried arguments, the
 * nearest program of a table (golden for `and`; for many tables, checked and compiled back
 * to the same matrix), and distances.
 */
import { describe, expect, it } from 'vitest';
import { Bool, ast, createCajalCoreServices, dim, natOf, product, type CajalType } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import {
    columnArgmax, compileGeneratedDefinition, definitionMatrix, generateNearestProgram, matrixDistance, oneHotMatrix, uncurriedMatrix
} from '@cajal/compiler';

const LOGIC = `
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def or (x : Bool) (y : Bool) : Bool = if x then (if y then true else true) else y
def andPair (p : Bool * Bool) : Bool = let (x, y) = p in and x y
def add (m : Nat) (n : Nat) : Nat = iter n { zero => m ; succ y => succ y }
`;

async function definitions() {
    const { services, document, diagnostics } = await checkText(LOGIC);
    expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
    const defs = Object.fromEntries(document.parseResult.value.declarations.map(d => [d.name, d])) as Record<string, ast.Definition>;
    return { services, defs };
}

/** A small deterministic generator (LCG) so the tables are the same on every run. */
function tables(seed: number): () => number {
    let state = seed;
    return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('function matrices', () => {
    it('reads a curried definition as one column per pair of inputs, in the basis order of the pair type', async () => {
        const { services, defs } = await definitions();
        const and = definitionMatrix(defs.and, services);
        // Columns (true,true), (true,false), (false,true), (false,false); rows true, false.
        expect(and.matrix).toEqual({ rows: 2, columns: 4, data: [1, 0, 0, 0, 0, 1, 1, 1] });
        expect(columnArgmax(and.matrix)).toEqual([0, 1, 1, 1]);
        expect(definitionMatrix(defs.andPair, services).matrix).toEqual(and.matrix);
        // add: column (m, n) holds m + n (0 when it overflows).
        const add = definitionMatrix(defs.add, services).matrix;
        expect([add.rows, add.columns]).toEqual([10, 100]);
        expect(columnArgmax(add)[3 * 10 + 4]).toBe(7);
    });

    it('measures distances and agreement of argmax columns', () => {
        const a = { rows: 2, columns: 2, data: [0.9, 0.4, 0.1, 0.6] };
        const d = matrixDistance(a, oneHotMatrix([0, 0], 2));
        expect(d.maxAbs).toBeCloseTo(0.6);
        expect(d.frobenius).toBeCloseTo(Math.sqrt(0.01 + 0.36 + 0.01 + 0.36));
        expect([d.agreeing, d.columns]).toEqual([1, 2]);
        expect(() => matrixDistance(a, oneHotMatrix([0], 2))).toThrow(/cannot be compared/);
    });

    it('rejects a tensor of the wrong size', () => {
        expect(() => uncurriedMatrix([1, 0, 0], [Bool], Bool)).toThrow(/not a function of 2 inputs/);
    });
});

describe('generateNearestProgram', () => {
    it('prints the table of and as the and of logic.cajal', () => {
        expect(generateNearestProgram('nearest', [Bool, Bool], Bool, [0, 1, 1, 1])).toBe(
            'def nearest (x : Bool) (y : Bool) : Bool =\n  if x then y else if y then false else false\n');
        expect(generateNearestProgram('nearest', [product(Bool, Bool)], Bool, [0, 1, 1, 1])).toBe(
            'def nearest (p : Bool * Bool) : Bool =\n  let (x, y) = p in if x then y else if y then false else false\n');
    });

    it('refuses types without a finite basis or a discrete result', () => {
        expect(() => generateNearestProgram('f', [natOf(3)], { kind: 'real', dims: [2] } as unknown as CajalType, [0, 0, 0])).toThrow(/not discrete/);
    });

    const shapes: Array<[string, CajalType[], CajalType]> = [
        ['Bool -o Bool', [Bool], Bool],
        ['Bool * Bool -o Bool', [product(Bool, Bool)], Bool],
        ['Nat[3] -o Bool', [natOf(3)], Bool],
        ['Bool -o Nat[3] -o Nat[4]', [Bool, natOf(3)], natOf(4)],
        ['Nat[2] * Bool -o Bool * Nat[3]', [product(natOf(2), Bool)], product(Bool, natOf(3))],
        ['Nat -o Nat', [natOf(10)], natOf(10)],
        ['Bool -o Bool -o Bool -o Bool', [Bool, Bool, Bool], Bool]
    ];
    for (const [name, params, result] of shapes) {
        it(`prints programs that check and compile back to their table: ${name}`, async () => {
            const services = createCajalCoreServices().Cajal;
            const random = tables(name.length);
            const columns = params.map(dim).reduce((a, b) => a * b, 1);
            const choices = [
                Array.from({ length: columns }, () => Math.floor(random() * dim(result))),
                Array.from({ length: columns }, () => 0),
                Array.from({ length: columns }, (_, j) => j % dim(result))
            ];
            for (const [i, choice] of choices.entries()) {
                const source = generateNearestProgram(`table${i}`, params, result, choice);
                const compiled = await compileGeneratedDefinition(source, `table${i}`, services);
                expect(compiled, source).toEqual(oneHotMatrix(choice, dim(result)));
            }
        });
    }
});
