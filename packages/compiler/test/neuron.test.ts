/** Linear neurons of closed definitions (spec §7 layouts), their labels and limits, and .npy files. */
import { describe, expect, it } from 'vitest';
import { ast, basisValues, natValue, type Value } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { neuronOf, encodeNpy, decodeNpy, compileDefinition } from '@cajal/compiler';

const SOURCE = `
def not : Bool -o Bool = fun x => if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def add (m : Nat) (n : Nat) : Nat = iter n { zero => m ; succ y => succ y }
def swap (p : Bool * Nat[3]) : Nat[3] * Bool = let (a, b) = p in (b, a)
def two : Nat[4] = succ (succ zero)
def over : Nat[2] = succ (succ zero)
extern isEven : Real[4] -o Bool
def usesNet (a : Real[4]) : Bool = not (isEven a)
`;

async function load() {
    const { services, document, diagnostics } = await checkText(SOURCE);
    expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
    const defs = Object.fromEntries((document.parseResult.value as ast.Module).declarations.map(d => [d.name, d])) as Record<string, ast.Definition>;
    return { services, defs };
}

describe('neuronOf', () => {
    it('compiles and to the spec\'s [4, 2] matrix with labelled rows and columns', async () => {
        const { services, defs } = await load();
        const n = neuronOf(defs.and, services);
        expect(n).toMatchObject({ name: 'and', type: 'Bool -o Bool -o Bool', shape: [4, 2], weights: 8 });
        expect(n.data).toEqual([1, 0, 0, 0, 0, 1, 1, 1]);
        expect(n.cols).toEqual(['true', 'false']);
        expect(n.rows).toEqual(['true↦true', 'false↦true', 'true↦false', 'false↦false']);
        expect(neuronOf(defs.not, services).data).toEqual([0, 1, 1, 0]);
    });

    it('compiles add on Nat to a [100, 10] matrix whose column m is flat of the matrix of "add m"', async () => {
        const { services, defs } = await load();
        const n = neuronOf(defs.add, services);
        expect(n.shape).toEqual([100, 10]);
        const add = services.interpreter.Interpreter.evaluateDefinition(defs.add);
        for (let m = 0; m < 10; m++) {
            for (let k = 0; k < 10; k++) {
                // Entry (row r, column m) with r = b·10 + k: the matrix of add m maps k to b.
                const column = Array.from({ length: 10 }, (_, b) => n.data![(b * 10 + k) * 10 + m]);
                let expected: number[];
                try {
                    const value = (add as Extract<Value, { kind: 'function' }>).apply(natValue(m, 10));
                    const result = (value as Extract<Value, { kind: 'function' }>).apply(natValue(k, 10));
                    expected = Array.from({ length: 10 }, (_, b) => (result.kind === 'nat' && result.value === b ? 1 : 0));
                } catch {
                    expected = new Array(10).fill(0); // m + k overflows Nat: the zero vector
                }
                expect(column, `add ${m} ${k}`).toEqual(expected);
            }
        }
    });

    it('lays out pairs as [dim A, dim B] and closed Nat values one-hot; overflow is the zero vector', async () => {
        const { services, defs } = await load();
        const swap = neuronOf(defs.swap, services);
        expect(swap.shape).toEqual([6, 6]);
        expect(swap.rows).toEqual(['(0, true)', '(0, false)', '(1, true)', '(1, false)', '(2, true)', '(2, false)']);
        // Input (a, b) at column a·3 + b maps to output (b, a) at row b·2 + a.
        basisValues({ kind: 'bool' } as never).forEach((_, a) => {
            for (let b = 0; b < 3; b++) {
                const column = Array.from({ length: 6 }, (__, row) => swap.data![row * 6 + a * 3 + b]);
                expect(column.indexOf(1)).toBe(b * 2 + a);
                expect(column.reduce((s, x) => s + x, 0)).toBe(1);
            }
        });
        expect(neuronOf(defs.two, services).data).toEqual([0, 0, 1, 0]);
        expect(neuronOf(defs.over, services).data).toEqual([0, 0]);
    });

    it('gives no data, with a reason, for definitions that call externs or exceed the size limit', async () => {
        const { services, defs } = await load();
        const net = neuronOf(defs.usesNet, services);
        expect(net.data).toBeNull();
        expect(net.note).toMatch(/isEven/);
        expect(net.shape).toEqual([2, 4]);
        const capped = neuronOf(defs.add, services, { maxEntries: 999 });
        expect(capped.data).toBeNull();
        expect(capped.note).toMatch(/1,000 weights/);
        expect(neuronOf(defs.add, services, { maxLabels: 10 }).rows).toEqual([]);
    });

    it('folds extern-free parts of programs that call networks into one contraction', async () => {
        const { services, defs } = await load();
        const program = compileDefinition(defs.usesNet, services).program;
        expect(program.externs.map(e => e.name)).toEqual(['isEven']);
        expect(program.body.op).toBe('tensor');
        if (program.body.op === 'tensor') {
            expect(program.body.shape).toEqual([2, 2]);
            expect(Array.from(program.body.data)).toEqual([0, 1, 1, 0]);
            expect(program.body.inputs[0].op).toBe('network');
        }
    });
});

describe('iter over a large Nat', () => {
    it('tabulates parity on Nat[100000] column by column (the k×k identity of the count is never built)', async () => {
        const { services, document, diagnostics } = await checkText(`
def not (x : Bool) : Bool = if x then false else true
def parity (n : Nat[100000]) : Bool = iter n { zero => true ; succ y => not y }
def last : Bool = parity 99999
`);
        expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
        const defs = Object.fromEntries((document.parseResult.value as ast.Module).declarations.map(d => [d.name, d])) as Record<string, ast.Definition>;
        // Before, folding needed the count's 10^10-entry identity: refused as too large, the
        // definition ran structurally with 100,000 unrolled steps and never finished.
        const parity = neuronOf(defs.parity, services);
        expect(parity.shape).toEqual([2, 100000]);
        const data = parity.data!;
        for (const n of [0, 1, 2, 77777, 99998, 99999]) {
            expect([data[n], data[100000 + n]], `parity ${n}`).toEqual(n % 2 === 0 ? [1, 0] : [0, 1]);
        }
        expect(neuronOf(defs.last, services).data).toEqual([0, 1]);
    });
});

describe('.npy', () => {
    it('writes float32 little-endian v1.0 files with a 64-byte aligned header that read back', () => {
        const data = [1, 0, 0.5, -2, 3.25, 7];
        const bytes = encodeNpy(data, [3, 2]);
        expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
        const headerLength = bytes[8] + 256 * bytes[9];
        expect((10 + headerLength) % 64).toBe(0);
        const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
        expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 2\), \} *\n$/);
        expect(bytes.length).toBe(10 + headerLength + 24);
        expect(new DataView(bytes.buffer).getFloat32(10 + headerLength + 12, true)).toBe(-2);
        const back = decodeNpy(bytes);
        expect(back.shape).toEqual([3, 2]);
        expect(Array.from(back.data)).toEqual(data);
        expect(decodeNpy(encodeNpy([1, 0], [2])).shape).toEqual([2]);
        expect(() => encodeNpy([1, 2, 3], [2, 2])).toThrow(/needs 4 values/);
    });
});
