import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ast, formatValue } from '@cajal/language';
import { check, services } from './helpers.js';
import {
    ProgramGenerator, expectedTestValue, fastCheckChoices, mapTerm, printProgram, printType, variableUses, type GeneratedProgram, type Term
} from '../../../test/program-generator.js';

/** A program from fast-check's choice source (so failures are reported with their seed). */
function generate(g: fc.GeneratorValue): { generator: ProgramGenerator; program: GeneratedProgram } {
    const generator = new ProgramGenerator(fastCheckChoices(g));
    return { generator, program: generator.coreProgram() };
}

const errorCodes = (diagnostics: Array<{ severity?: number; code?: number | string }>) =>
    [...new Set(diagnostics.filter(d => d.severity === 1).map(d => String(d.code)))];

describe('random well-typed linear programs', () => {
    // These properties are about typing, linearity and evaluation; a generated definition's
    // matrix may exceed the default size limit (size/too-large, tested in sizes.test.ts).
    let limit = 0;
    beforeAll(() => { limit = services().typing.TensorSizes.maxEntries; services().typing.TensorSizes.maxEntries = Number.MAX_SAFE_INTEGER; });
    afterAll(() => { services().typing.TensorSizes.maxEntries = limit; });

    test('are accepted without errors or warnings and evaluate to the value an independent evaluator gives', async () => {
        await fc.assert(fc.asyncProperty(fc.gen(), async g => {
            const { program } = generate(g);
            const text = printProgram(program);
            const { document, diagnostics, services } = await check(text);
            expect(diagnostics.map(d => `${d.code}: ${d.message}`), text).toEqual([]);
            const testDefinition = document.parseResult.value.declarations.find(d => d.name === 'test') as ast.Definition;
            const value = services.interpreter.Interpreter.evaluateDefinition(testDefinition);
            const type = services.typing.TypeChecker.typeOf(testDefinition);
            expect(type.toString().replace(/[()]/g, '')).toBe(printType(program.result).replace(/[()]/g, ''));
            // The interpreter agrees with the generator's own evaluator (functions compared by kind).
            expect(formatValue(value).replace(/<function [^<>]*>/g, '<function>'), text).toBe(expectedTestValue(program));
        }), { numRuns: 150 });
    });

    test('with one variable use duplicated are rejected with linearity/duplicate only', async () => {
        await fc.assert(fc.asyncProperty(fc.gen(), async g => {
            const { program } = generate(g);
            // Externs must be applied to all their arguments at once, so dup's type must not end in a function.
            const uses = variableUses(program.body).filter(use => use.type.kind !== 'function');
            fc.pre(uses.length > 0);
            const victim = uses[g(fc.integer, { min: 0, max: uses.length - 1 })];
            // `dup v v` uses v twice without changing any type: dup is an extern A -o A -o A.
            const extern = `extern dup : ${printType(victim.type)} -o ${printType(victim.type)} -o ${printType(victim.type)}`;
            const body = mapTerm(program.body, t => t === victim
                ? { kind: 'app', fn: { kind: 'app', fn: { kind: 'global', name: 'dup' }, argument: victim }, argument: victim } as Term
                : undefined);
            const text = printProgram({ ...program, body, externs: [extern] });
            const { diagnostics } = await check(text);
            expect(errorCodes(diagnostics), text).toEqual(['linearity/duplicate']);
            const duplicate = diagnostics.find(d => d.code === 'linearity/duplicate')!;
            expect(duplicate.message).toContain(`'${victim.name}'`);
            expect(duplicate.relatedInformation?.length).toBe(3);
        }), { numRuns: 100 });
    });

    test('with every use of one variable dropped are rejected with linearity/unused only', async () => {
        await fc.assert(fc.asyncProperty(fc.gen(), async g => {
            const { generator, program } = generate(g);
            const uses = variableUses(program.body);
            const victim = uses[g(fc.integer, { min: 0, max: uses.length - 1 })];
            // Replace each use by a closed term of the same type (ascribed, so numerals keep their bound).
            const body = mapTerm(program.body, t => t.kind === 'var' && t.name === victim.name
                ? { kind: 'ascribe', term: generator.coreClosed(victim.type, 1), type: victim.type } as Term
                : undefined);
            const text = printProgram({ ...program, body });
            const { diagnostics } = await check(text);
            expect(errorCodes(diagnostics), text).toEqual(['linearity/unused']);
            const unused = diagnostics.filter(d => d.code === 'linearity/unused');
            expect(unused.some(d => (d.message as string).includes(`'${victim.name}'`)), text).toBe(true);
        }), { numRuns: 100 });
    });
});
