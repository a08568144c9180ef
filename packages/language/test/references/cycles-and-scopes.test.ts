import { describe, expect, test } from 'vitest';
import { ast } from '@cajal/language';
import { check, covered, diagnose, span } from '../helpers.js';

describe('definition cycles', () => {
    test('a self-reference is a cycle of one, with the reference as related place', async () => {
        const text = 'def a : Bool = a\n';
        const [d, ...rest] = await diagnose(text);
        expect(rest).toEqual([]);
        expect(d.code).toBe('def/cycle');
        expect(d.message).toContain('(a → a)');
        expect(covered(text, d.range)).toBe('a');
        expect(d.relatedInformation?.map(r => span(r.location.range))).toEqual(['1:16-1:17']);
    });

    test('each definition of a three-cycle reports its own shortest path; definitions that only use the cycle do not', async () => {
        const text = [
            'def a : Bool = if b then true else false',
            'def b : Bool = c',
            'def c : Bool = if a then a else b',
            'def user : Bool = a',
            ''
        ].join('\n');
        const diagnostics = await diagnose(text);
        expect(diagnostics.every(d => d.code === 'def/cycle')).toBe(true);
        const messages = diagnostics.map(d => /\(([^)]*)\)/.exec(d.message as string)?.[1]);
        // b and c refer to each other directly, so their shortest cycles skip a.
        expect(messages).toEqual(['a → b → c → a', 'b → c → b', 'c → b → c']);
        expect(diagnostics.map(d => covered(text, d.range))).toEqual(['a', 'b', 'c']);
        const related = diagnostics[0].relatedInformation!.map(r => `${span(r.location.range)} ${r.message}`);
        expect(related).toEqual(["1:19-1:20 refers to 'b'", "2:16-2:17 refers to 'c'", "3:19-3:20 refers to 'a'"]);
    });

    test('a long chain of definitions without a cycle has no cycle errors', async () => {
        const lines = ['def d0 : Bool = true'];
        for (let i = 1; i < 2000; i++) lines.push(`def d${i} : Bool = if d${i - 1} then d${i - 1} else false`);
        const diagnostics = await diagnose(lines.join('\n'));
        expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
    });

    test('closing a long chain into a loop reports every definition of it', async () => {
        const lines = ['def d0 : Bool = d499'];
        for (let i = 1; i < 500; i++) lines.push(`def d${i} : Bool = d${i - 1}`);
        const diagnostics = await diagnose(lines.join('\n'));
        expect(diagnostics.length).toBe(500);
        expect(diagnostics.every(d => d.code === 'def/cycle' && d.relatedInformation?.length === 500)).toBe(true);
    });
});

describe('global names', () => {
    test('with a name defined twice, references resolve to the first definition', async () => {
        const text = 'def x : Bool = true\ndef x : Nat = 3\ndef y : Bool = x\n';
        const { document, diagnostics } = await check(text);
        expect(diagnostics.map(d => d.code)).toEqual(['name/duplicate']);
        const module = document.parseResult.value;
        const y = module.declarations[2] as ast.Definition;
        expect((y.body as ast.Var).ref?.ref).toBe(module.declarations[0]);
    });

    test('references in many definitions each resolve to their own target', async () => {
        const lines = ['def d0 : Bool = true'];
        for (let i = 1; i < 300; i++) lines.push(`def d${i} : Bool = d${i - 1}`);
        const { document, diagnostics } = await check(lines.join('\n'));
        expect(diagnostics).toEqual([]);
        const declarations = document.parseResult.value.declarations;
        declarations.slice(1).forEach((declaration, i) => {
            expect(((declaration as ast.Definition).body as ast.Var).ref?.ref).toBe(declarations[i]);
        });
    });
});
