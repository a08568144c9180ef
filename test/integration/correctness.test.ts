/**
 * The papers' correctness theorem as a property: for random closed well-typed programs
 * (higher-order ones, iter, pairs, let), the compiled tensor equals the encoding of the
 * interpreter's value; for function types on every argument the test can enumerate
 * (every basis value, and every first-order function as a table). Where the interpreter
 * reports a `succ` overflow, the compiled tensor must be the zero vector there.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { CajalRuntimeError, ast, type Value } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { Folder, compileDefinition, neuronOf } from '@cajal/compiler';
import { initBackend, releaseProgram, runProgram } from '@cajal/runtime';
import { PRELUDE, randomProgram, randomReplicatingProgram, type GenType } from '../program-generator.js';

// The same programs on every run (CI must not pass or fail by the draw); explore other draws
// with CAJAL_PROPERTY_SEED=<n>, or =random for a fresh seed (fast-check prints it on failure).
// Longer explorations found counterexamples still open (the issues' notes list their seeds).
const propertySeed = process.env.CAJAL_PROPERTY_SEED;
if (propertySeed !== 'random') fc.configureGlobal({ seed: propertySeed ? Number(propertySeed) : 20261130 });

function dimOf(t: GenType): number {
    switch (t.kind) {
        case 'bool': return 2;
        case 'nat': return t.bound;
        case 'function': return dimOf(t.domain) * dimOf(t.codomain);
        case 'product': return dimOf(t.left) * dimOf(t.right);
    }
}

/** An argument value the test can build, with its encoding. */
interface Argument { value: Value; encoding: number[]; text: string }

function enumerate(t: GenType): Argument[] {
    switch (t.kind) {
        case 'bool': return [true, false].map(b => ({ value: { kind: 'bool', value: b }, encoding: b ? [1, 0] : [0, 1], text: String(b) }));
        case 'nat': return Array.from({ length: t.bound }, (_, n) => ({
            value: { kind: 'nat', value: n, bound: t.bound }, encoding: Array.from({ length: t.bound }, (_, i) => (i === n ? 1 : 0)), text: String(n)
        }));
        case 'product': return enumerate(t.left).flatMap(a => enumerate(t.right).map(b => ({
            value: { kind: 'pair', left: a.value, right: b.value } as Value,
            encoding: a.encoding.flatMap(x => b.encoding.map(y => x * y)),
            text: `(${a.text}, ${b.text})`
        })));
        case 'function': {
            // Every table from the domain's basis values to the codomain's: dimB^dimA functions.
            const domain = enumerate(t.domain), codomain = enumerate(t.codomain);
            const tables: number[][] = [[]];
            for (let i = 0; i < domain.length; i++) {
                const next: number[][] = [];
                for (const table of tables) for (let j = 0; j < codomain.length; j++) next.push([...table, j]);
                tables.splice(0, tables.length, ...next);
            }
            return tables.map(table => {
                const dA = domain.length, dB = codomain[0].encoding.length;
                const encoding = new Array<number>(dB * dA).fill(0);
                table.forEach((j, a) => codomain[j].encoding.forEach((v, b) => { encoding[b * dA + a] += v; }));
                return {
                    value: {
                        kind: 'function', type: undefined as never,
                        apply: (argument: Value) => codomain[table[domain.findIndex(d => JSON.stringify(d.value) === JSON.stringify(argument))]].value
                    } as Value,
                    encoding,
                    text: `{${table.map((j, a) => `${domain[a].text}↦${codomain[j].text}`).join(', ')}}`
                };
            });
        }
    }
}

function encodeValue(value: Value, t: GenType): number[] {
    switch (t.kind) {
        case 'bool': return value.kind === 'bool' && value.value ? [1, 0] : [0, 1];
        case 'nat': return Array.from({ length: t.bound }, (_, i) => (value.kind === 'nat' && value.value === i ? 1 : 0));
        case 'product': {
            if (value.kind !== 'pair') throw new Error('expected a pair value');
            const a = encodeValue(value.left, t.left), b = encodeValue(value.right, t.right);
            return a.flatMap(x => b.map(y => x * y));
        }
        case 'function': throw new Error('functions are compared pointwise');
    }
}

/**
 * Checks the compiled meaning against the interpreter; returns a description of the first
 * disagreement. `compiled(args)` is the definition applied to argument encodings — by its
 * matrix where it is linear in them, by substitution where it is higher-order (spec §7).
 */
function disagreement(compiled: (args: number[][]) => readonly number[], args: number[][], evaluate: () => Value, t: GenType, path: string): string | undefined {
    let value: Value;
    try {
        value = evaluate();
    } catch (error) {
        if (error instanceof CajalRuntimeError && /overflows/.test(error.message)) {
            const tensor = compiled(args);
            return tensor.every(x => Math.abs(x) < 1e-5) ? undefined : `${path}: the interpreter overflows but the tensor is [${tensor.join(', ')}], not zero`;
        }
        throw error;
    }
    if (t.kind !== 'function') {
        const tensor = compiled(args);
        const expected = encodeValue(value, t);
        return expected.every((x, i) => Math.abs(x - tensor[i]) < 1e-5) ? undefined : `${path}: expected [${expected.join(', ')}], compiled [${tensor.join(', ')}]`;
    }
    for (const argument of enumerate(t.domain)) {
        if (value.kind !== 'function') return `${path}: the interpreter gave a ${value.kind}, not a function`;
        const problem = disagreement(compiled, [...args, argument.encoding], () => value.apply(argument.value), t.codomain, `${path} ${argument.text}`);
        if (problem) return problem;
    }
    return undefined;
}

async function compileRandom(seed: number, generate = randomProgram) {
    // A macrotask per program: awaits that resolve as microtasks never let the worker answer
    // vitest's RPC, which times out after 60 s of a long property run on a loaded machine.
    await new Promise(resolve => setImmediate(resolve));
    const { text, type, replicated } = generate(seed);
    const { services, document, diagnostics } = await checkText(text);
    const errors = diagnostics.filter(d => d.severity === 1);
    expect(errors.map(e => `${e.message} (line ${e.range.start.line + 1})`), text).toEqual([]);
    const main = (document.parseResult.value as ast.Module).declarations.find(d => d.name === 'main') as ast.Definition;
    return { text, type, replicated, services, main };
}

/** The compiled definition agrees with the interpreter at every enumerable argument. */
function expectAgreement(seed: number, text: string, type: GenType, services: Awaited<ReturnType<typeof checkText>>['services'], main: ast.Definition): void {
    const neuron = neuronOf(main, services);
    expect(neuron.shape.reduce((a, b) => a * b, 1)).toBe(dimOf(type));
    const folder = new Folder(services);
    const compiled = (args: number[][]) => args.length === 0 ? neuron.data! : Array.from(folder.applyDefinition(main, args).data);
    const problem = disagreement(compiled, [], () => services.interpreter.Interpreter.evaluateDefinition(main), type, 'main');
    expect(problem, `seed ${seed}\n${text}`).toBeUndefined();
}

/**
 * The run-time program, given every enumerable input combination in one batch (tables of
 * functions are sums of basis vectors), agrees with the interpreter. True when some input
 * is a function value.
 */
function expectRunTimeAgreement(seed: number, text: string, type: GenType, services: Awaited<ReturnType<typeof checkText>>['services'], main: ast.Definition): boolean {
    const params: GenType[] = [];
    let result = type;
    while (result.kind === 'function') { params.push(result.domain); result = result.codomain; }
    if (params.length === 0) return false;
    const rows = params.reduce<Argument[][]>((acc, p) => acc.flatMap(row => enumerate(p).map(a => [...row, a])), [[]]);
    const program = compileDefinition(main, services).program;
    const inputs = params.map((_, i) => tf.tensor(rows.flatMap(row => row[i].encoding), [rows.length, ...program.inputs[i].shape]));
    const output = runProgram(program, inputs);
    const data = output.dataSync();
    const width = data.length / rows.length;
    rows.forEach((row, r) => {
        const compiled = Array.from(data.slice(r * width, (r + 1) * width));
        const evaluate = () => row.reduce<Value>((f, a) => {
            if (f.kind !== 'function') throw new Error('not a function');
            return f.apply(a.value);
        }, services.interpreter.Interpreter.evaluateDefinition(main));
        const problem = disagreement(() => compiled, [], evaluate, result, `main ${row.map(a => a.text).join(' ')}`);
        expect(problem, `seed ${seed}\n${text}`).toBeUndefined();
    });
    output.dispose();
    inputs.forEach(t => t.dispose());
    releaseProgram(program);
    return params.some(p => p.kind === 'function');
}

describe('compiled tensors agree with the interpreter (correctness theorem)', () => {
    it('on random closed programs, at every enumerable argument', async () => {
        let functions = 0, higherOrder = 0, iters = 0, pairs = 0, replicating = 0;
        const replicatedKinds = new Map<string, number>();
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { text, type, replicated, services, main } = await compileRandom(seed);
            if (replicated.length > 0) replicating++;
            for (const kind of new Set(replicated.map(t => t.kind))) replicatedKinds.set(kind, (replicatedKinds.get(kind) ?? 0) + 1);
            if (type.kind === 'function') functions++;
            if (type.kind === 'function' && type.domain.kind === 'function') higherOrder++;
            const body = text.slice(PRELUDE.length); // the prelude has an iter of its own
            if (body.includes('iter')) iters++;
            if (body.includes('let (')) pairs++;
            expectAgreement(seed, text, type, services, main);
        }), { numRuns: 300 });
        // The generator must actually exercise what the theorem is about.
        expect(functions).toBeGreaterThan(50);
        expect(higherOrder).toBeGreaterThan(10);
        expect(iters).toBeGreaterThan(50);
        expect(pairs).toBeGreaterThan(20);
        // Iter steps reusing an outer variable (spec §7: applied by substitution), of every
        // kind, in at least as many programs as each other kind of program counted here.
        expect(replicating).toBeGreaterThan(30);
        for (const kind of ['bool', 'nat', 'function', 'product']) expect(replicatedKinds.get(kind) ?? 0, kind).toBeGreaterThan(5);
    }, 300_000);

    it('on random programs whose iter steps reuse an outer variable of every kind, applied to closed and computed arguments', async () => {
        // As many programs as the run above, every one replicating a variable (spec §7:
        // a function that replicates its argument is applied by substitution).
        const kinds = new Map<string, number>();
        let applied = 0;
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { text, type, replicated, services, main } = await compileRandom(seed, randomReplicatingProgram);
            expect(replicated.length).toBeGreaterThan(0);
            for (const kind of new Set(replicated.map(t => t.kind))) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
            if (!text.includes('def main : ((')) applied++; // applied: main's type is not `(A -o R)`
            expectAgreement(seed, text, type, services, main);
        }), { numRuns: 300 });
        for (const kind of ['bool', 'nat', 'function', 'product']) expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(50);
        expect(applied).toBeGreaterThan(80);
    }, 300_000);
});

describe('the run-time program (tfjs) agrees with compile-time folding', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('on random programs compiled structurally, without folding', async () => {
        let structural = 0, matrixApplications = 0;
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { text, services, main } = await compileRandom(seed);
            const folded = neuronOf(main, services).data!;
            const { program, warnings } = compileDefinition(main, services, { fold: false, uncurry: false });
            // A higher-order function computed at run time is applied by its matrix, and the
            // compiler says so (spec §7: exact on basis arguments only); elsewhere the two agree.
            if (warnings.some(w => /computed at run time/.test(w.message))) { matrixApplications++; return; }
            structural++;
            const result = runProgram(program);
            const data = Array.from(result.dataSync());
            result.dispose();
            // A second run reuses the cached constants and leaves no tensor behind.
            const before = tf.memory().numTensors;
            runProgram(program).dispose();
            expect(tf.memory().numTensors).toBe(before);
            releaseProgram(program);
            expect(data.length, text).toBe(folded.length);
            data.forEach((x, i) => expect(Math.abs(x - folded[i]), `seed ${seed} entry ${i}\n${text}`).toBeLessThan(1e-4));
        }), { numRuns: 60 });
        expect(structural).toBeGreaterThan(50);
        expect(matrixApplications).toBeLessThan(10);
    }, 300_000);

    it('with uncurried inputs: the batched function equals the neuron on every basis input', async () => {
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { services, main, text } = await compileRandom(seed);
            const neuron = neuronOf(main, services).data!;
            const program = compileDefinition(main, services).program;
            if (program.inputs.length !== 1) return; // one input: its basis is the matrix's columns
            const d = program.inputs[0].shape.reduce((a, b) => a * b, 1);
            const result = runProgram(program, [tf.eye(d)]);
            const data = result.dataSync();
            const out = data.length / d;
            for (let j = 0; j < d; j++) for (let o = 0; o < out; o++) {
                expect(Math.abs(data[j * out + o] - neuron[o * d + j]), `seed ${seed}\n${text}`).toBeLessThan(1e-4);
            }
            result.dispose();
        }), { numRuns: 60 });
    });

    it('with inputs that are function values (not basis vectors): substituted at run time, as the interpreter does', async () => {
        // Every input combination the test can enumerate, in one batch: tables of functions
        // are sums of basis vectors, so a program polynomial in them (an iter step reusing
        // them) must substitute them, not multiply by its matrix (spec §7).
        let withFunctionInputs = 0;
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { text, type, services, main } = await compileRandom(seed, randomReplicatingProgram);
            if (expectRunTimeAgreement(seed, text, type, services, main)) withFunctionInputs++;
        }), { numRuns: 150 });
        expect(withFunctionInputs).toBeGreaterThan(10);
    }, 300_000);
});

describe('counterexamples found by exploring other draws (CAJAL_PROPERTY_SEED=random)', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    // 697989599: a function-typed iter state that fails wherever it is applied (its matrix is
    // zero) while the step uses it zero times — a closure is not a failed argument.
    // 1697527715: a first-order function that fails on every input, bound and then applied —
    // there the result must fail (be zero), as the interpreter's overflow says.
    it.each([697989599, 1697527715])('randomReplicatingProgram(%i): folded and run-time tensors agree with the interpreter', async seed => {
        const { text, type, services, main } = await compileRandom(seed, randomReplicatingProgram);
        expectAgreement(seed, text, type, services, main);
        expectRunTimeAgreement(seed, text, type, services, main);
    });
});
