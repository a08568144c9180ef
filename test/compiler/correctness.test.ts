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
import { neuronOf, ProgramCompiler } from '@cajal/compiler';
import { initBackend, releaseProgram, runProgram } from '@cajal/runtime';
import { randomProgram, type GenType } from './program-generator.js';

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

/** Checks the compiled tensor against the interpreter; returns a description of the first disagreement. */
function disagreement(tensor: readonly number[], evaluate: () => Value, t: GenType, path: string): string | undefined {
    let value: Value;
    try {
        value = evaluate();
    } catch (error) {
        if (error instanceof CajalRuntimeError && /overflows/.test(error.message)) {
            return tensor.every(x => Math.abs(x) < 1e-9) ? undefined : `${path}: the interpreter overflows but the tensor is [${tensor.join(', ')}], not zero`;
        }
        throw error;
    }
    if (t.kind !== 'function') {
        const expected = encodeValue(value, t);
        return expected.every((x, i) => Math.abs(x - tensor[i]) < 1e-9) ? undefined : `${path}: expected [${expected.join(', ')}], compiled [${tensor.join(', ')}]`;
    }
    const dA = dimOf(t.domain), dB = dimOf(t.codomain);
    for (const argument of enumerate(t.domain)) {
        const applied = Array.from({ length: dB }, (_, b) => argument.encoding.reduce((sum, x, a) => sum + tensor[b * dA + a] * x, 0));
        if (value.kind !== 'function') return `${path}: the interpreter gave a ${value.kind}, not a function`;
        const problem = disagreement(applied, () => value.apply(argument.value), t.codomain, `${path} ${argument.text}`);
        if (problem) return problem;
    }
    return undefined;
}

async function compileRandom(seed: number) {
    const { text, type } = randomProgram(seed);
    const { services, document, diagnostics } = await checkText(text);
    const errors = diagnostics.filter(d => d.severity === 1);
    expect(errors.map(e => `${e.message} (line ${e.range.start.line + 1})`), text).toEqual([]);
    const main = (document.parseResult.value as ast.Module).declarations.find(d => d.name === 'main') as ast.Definition;
    return { text, type, services, main };
}

describe('compiled tensors agree with the interpreter (correctness theorem)', () => {
    it('on random closed programs, at every enumerable argument', async () => {
        let functions = 0, higherOrder = 0, iters = 0, pairs = 0;
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { text, type, services, main } = await compileRandom(seed);
            if (type.kind === 'function') functions++;
            if (type.kind === 'function' && type.domain.kind === 'function') higherOrder++;
            if (text.includes('iter')) iters++;
            if (text.includes('let (')) pairs++;
            const neuron = neuronOf(main, services);
            expect(neuron.shape.reduce((a, b) => a * b, 1)).toBe(dimOf(type));
            const problem = disagreement(neuron.data!, () => services.interpreter.Interpreter.evaluateDefinition(main), type, 'main');
            expect(problem, `seed ${seed}\n${text}`).toBeUndefined();
        }), { numRuns: 300 });
        // The generator must actually exercise what the theorem is about.
        expect(functions).toBeGreaterThan(50);
        expect(higherOrder).toBeGreaterThan(10);
        expect(iters).toBeGreaterThan(50);
        expect(pairs).toBeGreaterThan(20);
    });
});

describe('the run-time program (tfjs) agrees with compile-time folding', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('on random programs compiled structurally, without folding', async () => {
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { text, services, main } = await compileRandom(seed);
            const folded = neuronOf(main, services).data!;
            const program = new ProgramCompiler(services, { fold: false }).compileDefinition(main, { uncurry: false });
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
    });

    it('with uncurried inputs: the batched function equals the neuron on every basis input', async () => {
        await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async seed => {
            const { services, main, text } = await compileRandom(seed);
            const neuron = neuronOf(main, services).data!;
            const program = new ProgramCompiler(services).compileDefinition(main);
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
});
