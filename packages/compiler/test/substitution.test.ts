/**
 * Application of a function that replicates its argument (spec §7): such a function is
 * polynomial in the argument, its matrix is the linear extension (exact on basis inputs
 * only), and applying it means substituting the argument. Issue 15's programs, folded
 * (`--emit weights`), run on tfjs (`cajal run`), and with the argument computed at run time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ast, type CajalServices, type Value } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { TermCompiler, compileDefinition, compileTerm, neuronOf } from '@cajal/compiler';
import { initBackend, runProgram } from '@cajal/runtime';

const SOURCE = `
def not (x : Bool) : Bool = if x then false else true
def unused (f : Bool -o Bool) : Bool = iter zero { zero => true ; succ y => f y }
def m1 : Bool = (fun (f : Bool -o Bool) => iter zero { zero => true ; succ y => f y }) (fun (x : Bool) => x)
def m2 : Bool = (fun (f : Bool -o Bool) => iter (2 : Nat[3]) { zero => true ; succ y => f y }) not
def twice (f : Bool -o Bool) (x : Bool) : Bool = iter (2 : Nat[3]) { zero => x ; succ y => f y }
def viaTwice : Bool = twice not false
def chosen : Bool = (if true then twice else twice) not true
def passOn (h : Bool -o Bool) : Bool = twice h true
def viaPassOn : Bool = passOn (fun (x : Bool) => x)
def selfTwice : Bool = (fun (t : (Bool -o Bool) -o Bool -o Bool) => t not false) twice
def dropsState (x0 : Nat[2] * Nat[3]) : Bool = let (p1, q2) = x0 in iter p1 { zero => (let (p5, q6) = ((zero : Nat[3]), false) in (if q6 then (iter q2 { zero => (iter p5 { zero => false ; succ a => a }) ; succ b => b }) else (iter p5 { zero => (iter q2 { zero => false ; succ c => c }) ; succ d => d }))) ; succ y3 => (iter (zero : Nat[3]) { zero => false ; succ y11 => (if y11 then y3 else y3) }) }
def overflowState : Nat[2] = iter (2 : Nat[3]) { zero => succ (1 : Nat[2]) ; succ y1 => iter (zero : Nat[3]) { zero => (0 : Nat[2]) ; succ y3 => iter y3 { zero => y1 ; succ y4 => y4 } } }
def overflowLet : Nat[2] = let l = succ (1 : Nat[2]) in iter (zero : Nat[3]) { zero => (0 : Nat[2]) ; succ z => iter z { zero => l ; succ w => w } }
def overflowArgument : Nat[2] = (fun (l : Nat[2]) => iter (zero : Nat[3]) { zero => (0 : Nat[2]) ; succ z => iter z { zero => l ; succ w => w } }) (succ (1 : Nat[2]))
def choosesByCount (f : Bool -o Bool) (n : Nat[3]) : Bool = if (iter n { zero => true ; succ y => not y }) then (iter (0 : Nat[2]) { zero => true ; succ y => f y }) else f false
def stepsByCount (f : Bool -o Bool) (n : Nat[2]) : Bool = iter n { zero => true ; succ y => f y }
extern flip : Real[2] -o Bool
def atRunTime (r : Real[2]) : Bool = twice (fun (b : Bool) => if flip r then b else not b) true
`;

let services: CajalServices;
let definitions: Map<string, ast.Definition>;

beforeAll(async () => {
    await initBackend('cpu');
    const checked = await checkText(SOURCE);
    expect(checked.diagnostics.filter(d => d.severity === 1)).toEqual([]);
    services = checked.services;
    definitions = new Map((checked.document.parseResult.value as ast.Module).declarations.filter(ast.isDefinition).map(d => [d.name, d]));
});

function folded(name: string): number[] {
    return neuronOf(definitions.get(name)!, services).data!;
}

function run(name: string): number[] {
    const program = compileDefinition(definitions.get(name)!, services, { uncurry: false }).program;
    const out = runProgram(program);
    const data = Array.from(out.dataSync());
    out.dispose();
    return data;
}

describe('a function that replicates its argument is applied by substitution', () => {
    it.each([
        ['m1', [1, 0]], ['m2', [1, 0]], ['viaTwice', [0, 1]], ['chosen', [1, 0]], ['viaPassOn', [1, 0]], ['selfTwice', [0, 1]]
    ])('%s folds to the interpreter\'s value and runs to it on tfjs', (name, expected) => {
        const value = services.interpreter.Interpreter.evaluateDefinition(definitions.get(name)!);
        expect(value).toMatchObject({ kind: 'bool', value: expected[0] === 1 });
        expect(folded(name)).toEqual(expected);
        run(name).forEach((x, i) => expect(x).toBeCloseTo(expected[i], 5));
    });

    it("the function's own matrix is its linear extension: exact on basis inputs only", () => {
        // m1's function, constant in f: every column (each basis "function" e_ba) is true, so
        // its matrix times the identity's tensor e₀₀ + e₁₁ is 2·true = [2, 0] — what the
        // compiler gave before — while substitution gives true.
        const matrix = folded('unused');
        expect(matrix).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
        const identity = [1, 0, 0, 1];
        expect([0, 1].map(row => identity.reduce((sum, x, col) => sum + matrix[row * 4 + col] * x, 0))).toEqual([2, 0]);
        expect(folded('m1')).toEqual([1, 0]);
    });

    it('an argument computed at run time is substituted, and the compiler says what that computes', () => {
        const { program, warnings } = compileDefinition(definitions.get('atRunTime')!, services);
        const r = tf.tensor2d([[1, 0], [0, 1]]);
        // flip r is true on the first example, false on the second (a hard network).
        const flip = (x: tf.Tensor) => tf.tidy(() => tf.stack([x.slice([0, 0], [-1, 1]).reshape([-1]), x.slice([0, 1], [-1, 1]).reshape([-1])], 1));
        const out = runProgram(program, [r], { flip });
        // twice (id) true = true; twice (not) true = true.
        expect(Array.from(out.dataSync()).map(x => Math.round(x * 1e5) / 1e5)).toEqual([1, 0, 1, 0]);
        out.dispose(); r.dispose();
        expect(warnings.map(w => w.code)).toContain('compile/substituted-value');
        expect(warnings.find(w => w.code === 'compile/substituted-value')!.message).toMatch(/soft mixture/);
    });

    it('a let-pair whose body an iter step makes polynomial is split on every basis pair at run time (spec: Σᵢⱼ pᵢⱼ · t[eᵢ, eⱼ])', () => {
        // dropsState is false everywhere; its step replicates y3 zero times, so the body is
        // not linear in q2: splitting the pair into basis ⊗ slice gave 2·false where p1 = 0.
        const definition = definitions.get('dropsState')!;
        const expected = folded('dropsState');
        expect(expected).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
        for (const fold of [true, false]) {
            const program = compileDefinition(definition, services, { fold, uncurry: false }).program;
            const out = runProgram(program);
            Array.from(out.dataSync()).forEach((x, i) => expect(x, `fold: ${fold}, entry ${i}`).toBeCloseTo(expected[i], 5));
            out.dispose();
        }
    });

    it.each(['overflowState', 'overflowLet', 'overflowArgument'])(
        '%s: a failed discrete value (the zero vector) that an iter step reuses zero times still gives zero, folded and at run time',
        name => {
            // The interpreter fails (succ overflows), so the compiled meaning is the zero vector.
            // Substituting the zero vector into a body that uses it zero times (an inner iter of
            // count 0) gave the body's constant at run time; the linear extension gives zero.
            expect(() => services.interpreter.Interpreter.evaluateDefinition(definitions.get(name)!)).toThrow(/overflow/);
            expect(folded(name)).toEqual([0, 0]);
            for (const fold of [true, false]) {
                const program = compileDefinition(definitions.get(name)!, services, { fold, uncurry: false }).program;
                const out = runProgram(program);
                expect(Array.from(out.dataSync()), `fold: ${fold}`).toEqual([0, 0]);
                out.dispose();
            }
        });

    it.each([
        ['choosesByCount', 3], ['stepsByCount', 2]
    ])('%s: a term that uses a function-valued input zero times on one path and once on another runs each path on the value (no factor Σ f)', (name, bound) => {
        // Folded as one tensor, the path that uses f zero times (an iter step of count 0
        // replicates it) was broadcast along f's axis, and contracting that with the
        // identity's matrix e₀₀ + e₁₁ gave 2·true = [2, 0] where the interpreter gives true.
        // Found by correctness.test.ts's property 'with inputs that are function values'.
        const definition = definitions.get(name)!;
        const tables: [string, (b: boolean) => boolean, number[]][] = [
            ['id', b => b, [1, 0, 0, 1]], ['not', b => !b, [0, 1, 1, 0]], ['true', () => true, [1, 1, 0, 0]], ['false', () => false, [0, 0, 1, 1]]
        ];
        const rows = tables.flatMap(table => Array.from({ length: bound }, (_, n) => [table, n] as const));
        const expected = rows.map(([[, f], n]) => {
            const fValue = { kind: 'function', type: undefined as never, apply: (x: Value) => ({ kind: 'bool', value: f(x.kind === 'bool' && x.value) }) } as Value;
            const main = services.interpreter.Interpreter.evaluateDefinition(definition);
            if (main.kind !== 'function') throw new Error('not a function');
            const partial = main.apply(fValue);
            if (partial.kind !== 'function') throw new Error('not a function');
            const value = partial.apply({ kind: 'nat', value: n, bound });
            return value.kind === 'bool' && value.value ? [1, 0] : [0, 1];
        });
        for (const fold of [true, false]) {
            const program = compileDefinition(definition, services, { fold }).program;
            const f = tf.tensor(rows.map(([[, , matrix]]) => matrix), [rows.length, ...program.inputs[0].shape]);
            const n = tf.oneHot(rows.map(([, n]) => n), bound).toFloat();
            const out = runProgram(program, [f, n]);
            const data = Array.from(out.dataSync());
            rows.forEach(([[fName], nValue], r) => expected[r].forEach((x, i) =>
                expect(data[r * 2 + i], `fold: ${fold}, f = ${fName}, n = ${nValue}`).toBeCloseTo(x, 5)));
            out.dispose(); f.dispose(); n.dispose();
        }
    });
});

describe('TermCompiler: several terms over the same inputs (a train block\'s model and target)', () => {
    it('reports a warning about a definition both terms use once, where separate compilations report it for each', () => {
        const definition = definitions.get('atRunTime')!;
        const compiler = new TermCompiler(definition.params, services);
        const model = compiler.compile(definition.body, 'block.model');
        const target = compiler.compile(definition.body, 'block.target');
        expect([model.name, target.name]).toEqual(['block.model', 'block.target']);
        expect(compiler.warnings.filter(w => w.code === 'compile/substituted-value')).toHaveLength(1);
        const separately = ['model', 'target'].flatMap(name => compileTerm(definition.body, definition.params, services, { name }).warnings);
        expect(separately.filter(w => w.code === 'compile/substituted-value')).toHaveLength(2);
        // The shared cache changes nothing the programs compute.
        const r = tf.tensor2d([[1, 0], [0, 1]]);
        const flip = (x: tf.Tensor) => tf.tidy(() => tf.stack([x.slice([0, 0], [-1, 1]).reshape([-1]), x.slice([0, 1], [-1, 1]).reshape([-1])], 1));
        for (const program of [model, target]) {
            const out = runProgram(program, [r], { flip });
            expect(Array.from(out.dataSync()).map(x => Math.round(x * 1e5) / 1e5)).toEqual([1, 0, 1, 0]);
            out.dispose();
        }
        r.dispose();
    });
});
